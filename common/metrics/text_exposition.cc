#include "common/metrics/text_exposition.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "prometheus/text_serializer.h"

namespace orgpulse {
namespace {

// As TextSerializer's WriteValue(double): the stream's precision is
// max_digits10 - 1 = 16 significant digits, in %g style.
void AppendValue(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "Nan";
    return;
  }
  if (std::isinf(value)) {
    out += value < 0 ? "-Inf" : "+Inf";
    return;
  }
  char buf[32];
  // Most values are counts: an integer below 10^15 prints the same in %.16g
  // and as an integer, which is several times faster to write. (-0.0 prints
  // "-0" in %.16g, so it takes the general path.)
  if (std::abs(value) < 1e15 && value == std::trunc(value) &&
      !(value == 0 && std::signbit(value))) {
    out.append(
        buf,
        std::to_chars(buf, buf + sizeof(buf), static_cast<int64_t>(value)).ptr);
    return;
  }
  out.append(buf, std::to_chars(buf, buf + sizeof(buf), value,
                                std::chars_format::general, 16)
                      .ptr);
}

void AppendEscaped(std::string& out, absl::string_view value) {
  // A plain loop: string_view::find_first_of builds a lookup table per call,
  // which showed in the profile of a scrape.
  if (std::none_of(value.begin(), value.end(),
                   [](char c) { return c == '\\' || c == '"' || c == '\n'; })) {
    out.append(value.data(), value.size());
    return;
  }
  for (char c : value) {
    switch (c) {
      case '\n':
        out += "\\n";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      default:
        out += c;
    }
  }
}

// `name` `suffix` {labels[, extra="extra_value"]} and the space before the
// value.
void AppendHead(std::string& out, absl::string_view name,
                absl::string_view suffix, MetricSink::Labels labels,
                absl::string_view extra = {}, double extra_value = 0) {
  out.append(name.data(), name.size());
  out.append(suffix.data(), suffix.size());
  if (!labels.empty() || !extra.empty()) {
    char sep = '{';
    for (const MetricLabel& l : labels) {
      out += sep;
      out.append(l.name.data(), l.name.size());
      out += "=\"";
      AppendEscaped(out, l.value);
      out += '"';
      sep = ',';
    }
    if (!extra.empty()) {
      out += sep;
      out.append(extra.data(), extra.size());
      out += "=\"";
      AppendValue(out, extra_value);
      out += '"';
    }
    out += '}';
  }
  out += ' ';
}

}  // namespace

std::string& TextExposition::Samples(absl::string_view name,
                                     absl::string_view help, const char* type) {
  // A family's text is kept in blocks of up to kBlock bytes: no block is
  // copied when the next one starts, nor when the text is taken.
  constexpr size_t kBlock = 64 << 10;
  constexpr size_t kLine = 1 << 10;  // most sample lines are far shorter
  // Names are mostly literals, seen again and again at the same address:
  // found by it, then checked, before being looked up by their text.
  Family*& family = by_address_[name.data()];
  if (family == nullptr || family->name != name) {
    auto it = families_.find(name);
    if (it == families_.end()) {
      it = families_.try_emplace(std::string(name)).first;
      it->second.name = it->first;
      it->second.help = std::string(help);
      it->second.type = type;
      it->second.blocks.emplace_back();
    }
    family = &it->second;
  }
  std::vector<std::string>& blocks = family->blocks;
  if (blocks.back().capacity() >= kBlock &&
      blocks.back().capacity() - blocks.back().size() < kLine) {
    blocks.emplace_back().reserve(kBlock);
  }
  return blocks.back();
}

void TextExposition::Gauge(absl::string_view name, absl::string_view help,
                           Labels labels, double value) {
  std::string& out = Samples(name, help, "gauge");
  AppendHead(out, name, "", labels);
  AppendValue(out, value);
  out += '\n';
}

void TextExposition::Counter(absl::string_view name, absl::string_view help,
                             Labels labels, double value) {
  std::string& out = Samples(name, help, "counter");
  AppendHead(out, name, "", labels);
  AppendValue(out, value);
  out += '\n';
}

void TextExposition::Summary(
    absl::string_view name, absl::string_view help, Labels labels,
    uint64_t count, double sum,
    absl::Span<const std::pair<double, double>> quantiles) {
  std::string& out = Samples(name, help, "summary");
  AppendHead(out, name, "_count", labels);
  char buf[24];
  out.append(buf, std::to_chars(buf, buf + sizeof(buf), count).ptr);
  out += '\n';
  AppendHead(out, name, "_sum", labels);
  AppendValue(out, sum);
  out += '\n';
  for (const auto& [q, v] : quantiles) {
    AppendHead(out, name, "", labels, "quantile", q);
    AppendValue(out, v);
    out += '\n';
  }
}

void TextExposition::TakeChunks(std::vector<std::string>& out) {
  std::vector<decltype(families_)::value_type*> sorted;
  sorted.reserve(families_.size());
  for (auto& entry : families_) sorted.push_back(&entry);
  std::sort(sorted.begin(), sorted.end(),
            [](const auto* a, const auto* b) { return a->first < b->first; });
  for (auto* entry : sorted) {
    const std::string& name = entry->first;
    Family& f = entry->second;
    std::string head;
    if (!f.help.empty())
      absl::StrAppend(&head, "# HELP ", name, " ", f.help, "\n");
    absl::StrAppend(&head, "# TYPE ", name, " ", f.type, "\n");
    out.push_back(std::move(head));
    for (std::string& block : f.blocks) out.push_back(std::move(block));
  }
  families_.clear();
  by_address_.clear();
}

void TextExposition::AppendTo(std::string& out) {
  std::vector<std::string> chunks;
  TakeChunks(chunks);
  for (const std::string& chunk : chunks) out += chunk;
}

std::vector<std::string> ExpositionChunks(
    const std::vector<prometheus::MetricFamily>& families,
    absl::Span<const MetricCollector* const> collectors) {
  std::vector<std::string> out = {
      prometheus::TextSerializer().Serialize(families)};
  TextExposition direct;
  for (const MetricCollector* c : collectors) c->CollectInto(direct);
  direct.TakeChunks(out);
  return out;
}

std::string ExpositionText(
    const std::vector<prometheus::MetricFamily>& families,
    absl::Span<const MetricCollector* const> collectors) {
  std::string out;
  for (const std::string& chunk : ExpositionChunks(families, collectors)) {
    out += chunk;
  }
  return out;
}

}  // namespace orgpulse
