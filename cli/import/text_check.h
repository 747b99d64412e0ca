// Tells a text file from what people push by mistake: a compressed export,
// a spreadsheet workbook, a file saved as UTF-16 ("Unicode text" in Excel),
// or other binary data. Looking at the first bytes gives one line that says
// what the file is, instead of a CSV quoting error on every row.
//
// Example:
//   absl::Status s = CheckIsText(first_bytes);
//   // INVALID_ARGUMENT "is gzip-compressed; decompress it first"
#ifndef ORGPULSE_CLI_IMPORT_TEXT_CHECK_H_
#define ORGPULSE_CLI_IMPORT_TEXT_CHECK_H_

#include <cstddef>
#include <istream>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace orgpulse::cli {

// How many first bytes of a file CheckIsText looks at.
inline constexpr size_t kTextCheckBytes = 8192;

// OK if `head`, the first bytes of a file, looks like text in UTF-8 (a byte
// order mark is fine) or a single-byte encoding; otherwise INVALID_ARGUMENT
// saying what it is and what to do, to be written after the file's name.
absl::Status CheckIsText(absl::string_view head);

// CheckIsText of the first kTextCheckBytes of `in`, which is left at its
// start.
absl::Status CheckIsText(std::istream& in);

}  // namespace orgpulse::cli

#endif  // ORGPULSE_CLI_IMPORT_TEXT_CHECK_H_
