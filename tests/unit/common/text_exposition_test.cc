// TextExposition against prometheus-cpp's TextSerializer: the same samples,
// given to a FamilyBuilder and serialised by prometheus-cpp, or written
// directly, must give the same bytes, awkward label values and numbers
// included (escapes, NaN, infinities, -0, integers past 10^15).
#include "common/metrics/text_exposition.h"

#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/metrics/family_builder.h"
#include "common/metrics/metric_collector.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "prometheus/counter.h"
#include "prometheus/registry.h"
#include "prometheus/text_serializer.h"

namespace orgpulse {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// Writes one set of samples to any sink, families interleaved as a
// per-team collector interleaves them.
void WriteSamples(MetricSink& out) {
  const double kInf = std::numeric_limits<double>::infinity();
  const std::vector<std::string> teams = {"eng/payments", "say \"hi\"",
                                          "back\\slash", "two\nlines",
                                          "ünïcödé \\\"\n all"};
  for (const std::string& team : teams) {
    const MetricLabel t[] = {{"team", team}};
    out.Gauge("orgpulse_b_gauge", "A gauge.", t, 3);
    out.Counter("orgpulse_a_total", "A counter.", {{"team", team}, {"k", "v"}},
                12345678901234);
    out.Summary("orgpulse_c_seconds", "A summary.", t, 7, 0.1 + 0.2,
                {{0.5, 1.5}, {0.9, 1e-300}});
  }
  for (double v : {0.0,
                   -0.0,
                   1.0,
                   -1.0,
                   0.1,
                   1.0 / 3,
                   2.0 / 3,
                   -2.5,
                   1e15,
                   1e15 - 1,
                   -1e15 + 1,
                   1e16,
                   123456789.125,
                   1e-7,
                   6.02e23,
                   std::nan(""),
                   kInf,
                   -kInf,
                   std::numeric_limits<double>::max(),
                   std::numeric_limits<double>::denorm_min()}) {
    out.Gauge("orgpulse_d_values", "Awkward values.", {{"v", absl::StrCat(v)}},
              v);
  }
  out.Gauge("orgpulse_e_unlabelled", "No labels.", {}, 42);
  out.Summary("orgpulse_f_unlabelled_seconds", "No labels.", {}, 0, 0, {});
  out.Counter("orgpulse_g_no_help", "", {}, 1);
}

std::string ViaPrometheusCpp() {
  FamilyBuilder families;
  WriteSamples(families);
  return prometheus::TextSerializer().Serialize(families.Take());
}

std::string Direct() {
  TextExposition text;
  WriteSamples(text);
  std::string out;
  text.AppendTo(out);
  return out;
}

TEST(TextExpositionTest, WritesTheBytesPrometheusCppWritesForTheSameSamples) {
  const std::string expected = ViaPrometheusCpp();
  EXPECT_EQ(Direct(), expected);
  // What is compared is not trivial: escapes, summaries and specials.
  EXPECT_THAT(expected,
              HasSubstr("orgpulse_b_gauge{team=\"say \\\"hi\\\"\"} 3"));
  EXPECT_THAT(expected, HasSubstr("{team=\"back\\\\slash\"}"));
  EXPECT_THAT(expected, HasSubstr("{team=\"two\\nlines\"}"));
  EXPECT_THAT(expected, HasSubstr("orgpulse_c_seconds{team=\"eng/"
                                  "payments\",quantile=\"0.9\"} 1e-300\n"));
  EXPECT_THAT(expected, HasSubstr("orgpulse_d_values{v=\"nan\"} Nan\n"));
  EXPECT_THAT(expected, HasSubstr("orgpulse_d_values{v=\"-inf\"} -Inf\n"));
  EXPECT_THAT(expected, HasSubstr("orgpulse_d_values{v=\"-0\"} -0\n"));
  EXPECT_THAT(expected, HasSubstr("orgpulse_d_values{v=\"1e+16\"} 1e+16\n"));
  EXPECT_THAT(expected, StartsWith("# HELP orgpulse_a_total A counter.\n"
                                   "# TYPE orgpulse_a_total counter\n"));
}

TEST(TextExpositionTest, AFamilyLongerThanABlockComesOutWholeAndInOrder) {
  FamilyBuilder families;
  TextExposition text;
  // About 600 KB: several of the writer's 64 KB blocks.
  for (int i = 0; i < 12000; ++i) {
    const std::string team = absl::StrCat("dept-", i % 97, "/team-", i);
    for (MetricSink* out : {static_cast<MetricSink*>(&families),
                            static_cast<MetricSink*>(&text)}) {
      out->Gauge("orgpulse_big", "Big.", {{"team", team}}, i * 0.5);
      out->Gauge("orgpulse_small", "Small.", {}, i);
    }
  }
  std::vector<std::string> chunks;
  text.TakeChunks(chunks);
  EXPECT_GT(chunks.size(), 8u);
  std::string joined;
  for (const std::string& c : chunks) joined += c;
  EXPECT_EQ(joined, prometheus::TextSerializer().Serialize(families.Take()));
}

// Families are found by the address of their name first: a name whose
// buffer is reused for another name must not land in the first's family.
TEST(TextExpositionTest, ANameBufferReusedForAnotherNameIsToldApart) {
  FamilyBuilder families;
  TextExposition text;
  std::string name = "orgpulse_first";
  const char* const address = name.data();
  for (MetricSink* out :
       {static_cast<MetricSink*>(&families), static_cast<MetricSink*>(&text)}) {
    name = "orgpulse_first";
    out->Gauge(name, "First.", {{"n", "1"}}, 1);
    name = "orgpulse_other";  // same length: same buffer
    ASSERT_EQ(name.data(), address);
    out->Gauge(name, "Other.", {{"n", "2"}}, 2);
    name = "orgpulse_first";
    out->Gauge(name, "First.", {{"n", "3"}}, 3);
  }
  std::string direct;
  text.AppendTo(direct);
  EXPECT_EQ(direct, prometheus::TextSerializer().Serialize(families.Take()));
  EXPECT_THAT(direct, HasSubstr("orgpulse_first{n=\"1\"} 1\n"
                                "orgpulse_first{n=\"3\"} 3\n"));
}

TEST(TextExpositionTest, TakingEmptiesTheSink) {
  TextExposition text;
  text.Gauge("orgpulse_x", "X.", {}, 1);
  std::string first;
  text.AppendTo(first);
  std::string second;
  text.AppendTo(second);
  EXPECT_EQ(first,
            "# HELP orgpulse_x X.\n# TYPE orgpulse_x gauge\norgpulse_x 1\n");
  EXPECT_EQ(second, "");
}

class SamplesCollector final : public MetricCollector {
 public:
  void CollectInto(MetricSink& out) const override { WriteSamples(out); }
};

TEST(TextExpositionTest, ExpositionTextPutsTheRegistryFirstThenTheCollectors) {
  prometheus::Registry registry;
  prometheus::BuildCounter()
      .Name("grpc_server_started_total")
      .Help("Started.")
      .Register(registry)
      .Add({{"grpc_method", "Push"}})
      .Increment(2);
  const SamplesCollector collector;
  const std::vector<prometheus::MetricFamily> families = registry.Collect();
  const std::string text = ExpositionText(families, {&collector});
  EXPECT_EQ(text,
            prometheus::TextSerializer().Serialize(families) +
                prometheus::TextSerializer().Serialize(collector.Collect()));
}

}  // namespace
}  // namespace orgpulse
