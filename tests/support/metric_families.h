// Reading what a prometheus::Collectable's Collect() returns, for collector
// tests that need no HTTP: one sample by name and exact labels, the label
// names of a family, and the project's naming rules checked over them all.
//
// Example:
//   std::vector<prometheus::MetricFamily> f = collector.Collect();
//   EXPECT_EQ(Gauge(f, "orgpulse_tasks_open", {{"team", "eng"}}), 3);
#ifndef ORGPULSE_TESTS_SUPPORT_METRIC_FAMILIES_H_
#define ORGPULSE_TESTS_SUPPORT_METRIC_FAMILIES_H_

#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "prometheus/metric_family.h"

namespace orgpulse::testing {

using Labels = std::map<std::string, std::string>;

inline const prometheus::MetricFamily* FindFamily(
    const std::vector<prometheus::MetricFamily>& families,
    const std::string& name) {
  for (const prometheus::MetricFamily& f : families) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

inline Labels LabelsOf(const prometheus::ClientMetric& m) {
  Labels out;
  for (const prometheus::ClientMetric::Label& l : m.label) {
    out[l.name] = l.value;
  }
  return out;
}

// The sample of family `name` whose labels are exactly `labels`.
inline std::optional<prometheus::ClientMetric> FindSample(
    const std::vector<prometheus::MetricFamily>& families,
    const std::string& name, const Labels& labels) {
  const prometheus::MetricFamily* f = FindFamily(families, name);
  if (f == nullptr) return std::nullopt;
  for (const prometheus::ClientMetric& m : f->metric) {
    if (LabelsOf(m) == labels) return m;
  }
  return std::nullopt;
}

// The value of a gauge sample; NaN (and a test failure) if there is none or
// the family is not a gauge.
inline double Gauge(const std::vector<prometheus::MetricFamily>& families,
                    const std::string& name, const Labels& labels = {}) {
  const prometheus::MetricFamily* f = FindFamily(families, name);
  std::optional<prometheus::ClientMetric> m =
      FindSample(families, name, labels);
  if (f == nullptr || f->type != prometheus::MetricType::Gauge || !m) {
    ADD_FAILURE() << "no gauge sample " << name << " with those labels";
    return std::numeric_limits<double>::quiet_NaN();
  }
  return m->gauge.value;
}

inline double Counter(const std::vector<prometheus::MetricFamily>& families,
                      const std::string& name, const Labels& labels = {}) {
  const prometheus::MetricFamily* f = FindFamily(families, name);
  std::optional<prometheus::ClientMetric> m =
      FindSample(families, name, labels);
  if (f == nullptr || f->type != prometheus::MetricType::Counter || !m) {
    ADD_FAILURE() << "no counter sample " << name << " with those labels";
    return std::numeric_limits<double>::quiet_NaN();
  }
  return m->counter.value;
}

// The label names used by the samples of family `name`.
inline std::set<std::string> LabelNames(
    const std::vector<prometheus::MetricFamily>& families,
    const std::string& name) {
  std::set<std::string> out;
  const prometheus::MetricFamily* f = FindFamily(families, name);
  if (f == nullptr) return out;
  for (const prometheus::ClientMetric& m : f->metric) {
    for (const auto& l : m.label) out.insert(l.name);
  }
  return out;
}

// Each family's type and label names, by family name: the shape a collector
// promises, to compare whole.
using FamilyShapes =
    std::map<std::string,
             std::pair<prometheus::MetricType, std::set<std::string>>>;

inline FamilyShapes ShapesOf(
    const std::vector<prometheus::MetricFamily>& families) {
  FamilyShapes out;
  for (const prometheus::MetricFamily& f : families) {
    out[f.name] = {f.type, LabelNames(families, f.name)};
  }
  return out;
}

// Every sample of any family that has label `name` equal to `value`, as
// "family{labels}" strings.
inline std::vector<std::string> SamplesWithLabel(
    const std::vector<prometheus::MetricFamily>& families,
    const std::string& name, const std::string& value) {
  std::vector<std::string> out;
  for (const prometheus::MetricFamily& f : families) {
    for (const prometheus::ClientMetric& m : f.metric) {
      const Labels labels = LabelsOf(m);
      auto it = labels.find(name);
      if (it == labels.end() || it->second != value) continue;
      std::string s = f.name + "{";
      for (const auto& [k, v] : labels) s += k + "=" + v + ",";
      out.push_back(s + "}");
    }
  }
  return out;
}

// The project's rules (docs: DESIGN "Metrics"): families named once,
// orgpulse_ prefix, counters end in _total, plain HELP, every sample of a
// family with the same label names, no two samples with the same labels,
// labels only from `allowed_labels`.
inline void ExpectWellFormed(
    const std::vector<prometheus::MetricFamily>& families,
    const std::set<std::string>& allowed_labels) {
  std::set<std::string> names;
  for (const prometheus::MetricFamily& f : families) {
    SCOPED_TRACE(f.name);
    EXPECT_TRUE(names.insert(f.name).second) << "family twice";
    EXPECT_TRUE(absl::StartsWith(f.name, "orgpulse_"));
    EXPECT_EQ(f.type == prometheus::MetricType::Counter,
              absl::EndsWith(f.name, "_total"));
    EXPECT_FALSE(f.help.empty());
    EXPECT_FALSE(absl::StrContains(f.help, "\n"));
    EXPECT_FALSE(absl::StrContains(f.help, "\\"));
    EXPECT_FALSE(f.metric.empty());
    std::set<Labels> seen;
    std::optional<std::set<std::string>> label_names;
    for (const prometheus::ClientMetric& m : f.metric) {
      const Labels labels = LabelsOf(m);
      EXPECT_TRUE(seen.insert(labels).second) << "the same labels twice";
      std::set<std::string> these;
      for (const auto& [k, v] : labels) {
        these.insert(k);
        EXPECT_TRUE(allowed_labels.contains(k)) << "label " << k;
        EXPECT_FALSE(v.empty()) << "label " << k;
      }
      if (!label_names) label_names = these;
      EXPECT_EQ(these, *label_names);
    }
  }
}

}  // namespace orgpulse::testing

#endif  // ORGPULSE_TESTS_SUPPORT_METRIC_FAMILIES_H_
