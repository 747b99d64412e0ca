// A PostgreSQL array literal ('{"a","b"}') built for one statement
// parameter, so a batch of rows goes in one INSERT ... SELECT FROM unnest(...)
// rather than one statement per row. Every element is double-quoted, with `"`
// and `\` escaped; bytea elements are in hex, so any bytes (NUL included)
// pass.
//
// Example:
//   PgArrayLiteral ids;
//   for (const Row& r : rows) ids.AddBytes(r.id);
//   const std::string& text = ids.Close();
//   pg.Exec("SELECT * FROM unnest($1::bytea[])", {PgParam::Text(text)});
#ifndef ORGPULSE_COMMON_STORAGE_PG_ARRAY_LITERAL_H_
#define ORGPULSE_COMMON_STORAGE_PG_ARRAY_LITERAL_H_

#include <cstdint>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace orgpulse {

class PgArrayLiteral {
 public:
  void AddBytes(absl::string_view bytes) {
    Open();
    absl::StrAppend(&text_, "\"\\\\x", absl::BytesToHexString(bytes), "\"");
  }
  void AddText(absl::string_view value) {
    Open();
    text_.push_back('"');
    for (char c : value) {
      if (c == '"' || c == '\\') text_.push_back('\\');
      text_.push_back(c);
    }
    text_.push_back('"');
  }
  void AddInt(int64_t value) {
    Open();
    absl::StrAppend(&text_, value);
  }
  // The literal; call once, after the last Add.
  const std::string& Close() {
    if (text_.empty()) text_.push_back('{');
    text_.push_back('}');
    return text_;
  }

 private:
  void Open() { text_.push_back(text_.empty() ? '{' : ','); }
  std::string text_;
};

}  // namespace orgpulse

#endif  // ORGPULSE_COMMON_STORAGE_PG_ARRAY_LITERAL_H_
