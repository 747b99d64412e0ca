#include "common/storage/sync_mode.h"

#include "absl/strings/str_cat.h"

namespace orgpulse {

absl::string_view SyncModeName(SyncMode mode) {
  switch (mode) {
    case SyncMode::kFull:
      return "full";
    case SyncMode::kNormal:
      return "normal";
  }
  return "full";
}

bool AbslParseFlag(absl::string_view text, SyncMode* mode, std::string* error) {
  for (SyncMode m : {SyncMode::kFull, SyncMode::kNormal}) {
    if (text == SyncModeName(m)) {
      *mode = m;
      return true;
    }
  }
  *error = absl::StrCat("must be \"full\" or \"normal\", not \"", text, "\"");
  return false;
}

std::string AbslUnparseFlag(SyncMode mode) {
  return std::string(SyncModeName(mode));
}

}  // namespace orgpulse
