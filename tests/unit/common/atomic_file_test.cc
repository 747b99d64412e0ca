#include "common/storage/atomic_file.h"

#include <unistd.h>

#include <filesystem>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace orgpulse {
namespace {

class AtomicFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           absl::StrCat(
               "atomic_file_test_", getpid(), "_",
               ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Path(const std::string& name) const {
    return (dir_ / name).string();
  }
  std::filesystem::path dir_;
};

TEST_F(AtomicFileTest, WritesReplacesAndReadsWhole) {
  const std::string path = Path("state");
  ASSERT_TRUE(WriteFileAtomically(path, {"head", "-body"}).ok());
  EXPECT_EQ(*ReadWholeFile(path), "head-body");
  ASSERT_TRUE(WriteFileAtomically(path, {"new"}).ok());
  EXPECT_EQ(*ReadWholeFile(path), "new");
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  EXPECT_TRUE(absl::IsNotFound(ReadWholeFile(Path("none")).status()));
}

TEST_F(AtomicFileTest, RemovingAMissingFileIsFine) {
  EXPECT_TRUE(RemoveFileDurably(Path("none")).ok());
  EXPECT_TRUE(ScrubAndRemoveFile(Path("none")).ok());
}

// A second name for the same inode shows what the removal left in the
// file's blocks: zeros after a scrub, the bytes themselves after an unlink.
TEST_F(AtomicFileTest, AScrubLeavesZerosWhereTheBytesWere) {
  const std::string secret(3 << 20 | 123, 'S');  // over several 1 MiB writes
  const std::string path = Path("survey.snapshot");
  ASSERT_TRUE(WriteFileAtomically(path, {secret}).ok());
  ASSERT_EQ(*ReadWholeFile(path), secret);  // written in paced pieces
  ASSERT_TRUE(WriteFileAtomically(path + ".tmp.keep", {secret}).ok());
  std::filesystem::rename(path + ".tmp.keep", path + ".tmp");  // a leftover
  std::filesystem::create_hard_link(path, Path("witness"));
  std::filesystem::create_hard_link(path + ".tmp", Path("witness.tmp"));

  ASSERT_TRUE(ScrubAndRemoveFile(path).ok());

  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  for (const char* witness : {"witness", "witness.tmp"}) {
    absl::StatusOr<std::string> left = ReadWholeFile(Path(witness));
    ASSERT_TRUE(left.ok()) << left.status();
    EXPECT_EQ(*left, std::string(secret.size(), '\0')) << witness;
  }
}

TEST_F(AtomicFileTest, APlainRemovalLeavesTheBytes) {
  const std::string path = Path("events.snapshot");
  ASSERT_TRUE(WriteFileAtomically(path, {"not personal"}).ok());
  std::filesystem::create_hard_link(path, Path("witness"));
  ASSERT_TRUE(RemoveFileDurably(path).ok());
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_EQ(*ReadWholeFile(Path("witness")), "not personal");
}

}  // namespace
}  // namespace orgpulse
