// Whether any file under a directory holds some bytes: the check behind
// "nothing of an erased person is left in the data directory". Reads every
// regular file whole (data directories in tests are small).
//
// Example:
//   EXPECT_THAT(FilesContaining(data_dir, {hash, HexOf(hash)}), IsEmpty());
#ifndef ORGPULSE_TESTS_SUPPORT_FILE_SCAN_H_
#define ORGPULSE_TESTS_SUPPORT_FILE_SCAN_H_

#include <cctype>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace orgpulse::testing {

// Lowercase and uppercase hex of `bytes`, e.g. for a hash stored as text.
inline std::vector<std::string> HexForms(const std::string& bytes) {
  std::string lower = absl::BytesToHexString(bytes);
  std::string upper = lower;
  for (char& c : upper) c = static_cast<char>(std::toupper(c));
  return {lower, upper};
}

// "path: needle #i" for every file under `dir` holding one of `needles`.
inline std::vector<std::string> FilesContaining(
    const std::string& dir, const std::vector<std::string>& needles) {
  std::vector<std::string> out;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)),
                            std::istreambuf_iterator<char>());
    for (size_t i = 0; i < needles.size(); ++i) {
      if (bytes.find(needles[i]) != std::string::npos) {
        out.push_back(absl::StrCat(entry.path().filename().string(),
                                   " holds needle #", i));
      }
    }
  }
  return out;
}

}  // namespace orgpulse::testing

#endif  // ORGPULSE_TESTS_SUPPORT_FILE_SCAN_H_
