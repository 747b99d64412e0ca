#include "cli/app/progress_reporter.h"

#include <sstream>
#include <string>

#include "common/clock/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace orgpulse::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

const absl::Time kStart = absl::FromUnixSeconds(1'800'000'000);

TEST(ProgressReporterTest, TerminalBarIsRedrawnInPlaceAndCleared) {
  std::ostringstream err;
  FixedClock clock(kStart);
  ProgressReporter progress(err, /*terminal=*/true, /*enabled=*/true, clock);
  progress.Start("a.csv", "pushing", "events", 1000);
  progress.Update(10);  // too early to draw
  EXPECT_THAT(err.str(), IsEmpty());
  clock.Advance(absl::Milliseconds(500));
  progress.Update(500);
  EXPECT_THAT(err.str(), StartsWith("\ra.csv pushing ["));
  EXPECT_THAT(err.str(),
              HasSubstr("500/1,000 events  1,000 events/s  ETA 500ms"));
  const size_t drawn = err.str().size();
  clock.Advance(absl::Milliseconds(50));
  progress.Update(600);  // within 100 ms of the last draw
  EXPECT_EQ(err.str().size(), drawn);
  progress.Message("a.csv:7: bad");
  EXPECT_THAT(err.str().substr(drawn), StartsWith("\r\033[Ka.csv:7: bad\n"));
  clock.Advance(absl::Milliseconds(200));
  progress.Update(900);
  progress.Finish();
  EXPECT_THAT(err.str(), testing::EndsWith("\r\033[K"));
}

TEST(ProgressReporterTest, PlainLinesEveryFiveSeconds) {
  std::ostringstream err;
  FixedClock clock(kStart);
  ProgressReporter progress(err, /*terminal=*/false, /*enabled=*/true, clock);
  progress.Start("a.csv", "checking", "KB", 0);
  clock.Advance(absl::Seconds(4));
  progress.Update(100);
  EXPECT_THAT(err.str(), IsEmpty());
  clock.Advance(absl::Seconds(2));
  progress.Update(300);
  EXPECT_EQ(err.str(), "a.csv: checking 300 KB, 50 KB/s\n");
  progress.Finish();
  EXPECT_EQ(err.str(),
            "a.csv: checking 300 KB, 50 KB/s\n");  // nothing to clear
}

TEST(ProgressReporterTest, DisabledShowsOnlyMessages) {
  std::ostringstream err;
  FixedClock clock(kStart);
  ProgressReporter progress(err, /*terminal=*/true, /*enabled=*/false, clock);
  progress.Start("a.csv", "pushing", "events", 10);
  clock.Advance(absl::Seconds(10));
  progress.Update(5);
  progress.Message("done");
  progress.Finish();
  EXPECT_EQ(err.str(), "done\n");
}

}  // namespace
}  // namespace orgpulse::cli
