#include "services/ingest/store/event_codec.h"

#include <zstd.h>

#include <cstdint>
#include <memory>

#include "absl/strings/str_cat.h"
#include "common/storage/binary_codec.h"

namespace orgpulse::ingest {
namespace {

constexpr uint8_t kFormatV1 = 1;
constexpr uint8_t kFormatCompressed = 2;
// Level 1: 3.1x smaller stored groups at ~250 MB/s on one core here; zlib
// level 1 gives 2.9x at 80 MB/s (docs/benchmarks.md,
// bench/group_codec_bench.cc).
constexpr int kZstdLevel = 1;
// The decoder refuses a group that claims to expand more than this, so a
// corrupt length never allocates more than 64x the stored row. Real groups
// compress 3-9x; the encoder stores format 1 beyond this bound.
constexpr size_t kMaxExpansion = 64;

// Writes each payload's fields in the order of event.h.
class Writer {
 public:
  explicit Writer(std::string& out) : w_(out) {}

  void Varint(uint64_t v) { w_.Varint(v); }
  void Int(int64_t v) { w_.Int(v); }
  void String(absl::string_view s) { w_.String(s); }
  void Time(absl::Time t) { w_.Time(t); }
  void Double(double d) { w_.Double(d); }

  void operator()(const std::monostate&) {}
  void operator()(const TaskCreated& e) {
    String(e.task_id);
    Time(e.due_at);
    Double(e.estimate_hours);
  }
  void operator()(const TaskStarted& e) { String(e.task_id); }
  void operator()(const TaskCompleted& e) { String(e.task_id); }
  void operator()(const TaskCancelled& e) { String(e.task_id); }
  void operator()(const TaskDueDateChanged& e) {
    String(e.task_id);
    Time(e.due_at);
  }
  void operator()(const ProjectBudgetPlan& e) {
    String(e.project);
    Double(e.budget_at_completion);
    Time(e.planned_start);
    Time(e.planned_end);
  }
  void operator()(const CostActual& e) {
    String(e.project);
    Double(e.amount);
  }
  void operator()(const ProjectProgress& e) {
    String(e.project);
    Double(e.percent_complete);
  }
  void operator()(const MilestoneDue& e) {
    String(e.project);
    String(e.milestone);
    Time(e.due_at);
  }
  void operator()(const MilestoneReached& e) {
    String(e.project);
    String(e.milestone);
  }
  void operator()(const ProcedureCheck& e) {
    String(e.procedure);
    Varint(e.passed ? 1 : 0);
  }
  void operator()(const KpiMonthlyTarget& e) {
    String(e.kpi);
    Int(e.year);
    Int(e.month);
    Double(e.target);
    Int(static_cast<int>(e.aggregation));
  }
  void operator()(const KpiActual& e) {
    String(e.kpi);
    Double(e.value);
  }

 private:
  BinaryWriter w_;
};

// Reads each payload's fields; see BinaryReader for error handling.
class Reader {
 public:
  explicit Reader(absl::string_view in) : r_(in) {}

  bool ok() const { return r_.ok(); }
  bool done() const { return r_.done(); }
  uint64_t Varint() { return r_.Varint(); }
  int64_t Int() { return r_.Int(); }
  void String(std::string& s) { r_.String(s); }
  void Time(absl::Time& t) { r_.Time(t); }
  void Double(double& d) { r_.Double(d); }

  void operator()(std::monostate&) { r_.Fail(); }  // never stored
  void operator()(TaskCreated& e) {
    String(e.task_id);
    Time(e.due_at);
    Double(e.estimate_hours);
  }
  void operator()(TaskStarted& e) { String(e.task_id); }
  void operator()(TaskCompleted& e) { String(e.task_id); }
  void operator()(TaskCancelled& e) { String(e.task_id); }
  void operator()(TaskDueDateChanged& e) {
    String(e.task_id);
    Time(e.due_at);
  }
  void operator()(ProjectBudgetPlan& e) {
    String(e.project);
    Double(e.budget_at_completion);
    Time(e.planned_start);
    Time(e.planned_end);
  }
  void operator()(CostActual& e) {
    String(e.project);
    Double(e.amount);
  }
  void operator()(ProjectProgress& e) {
    String(e.project);
    Double(e.percent_complete);
  }
  void operator()(MilestoneDue& e) {
    String(e.project);
    String(e.milestone);
    Time(e.due_at);
  }
  void operator()(MilestoneReached& e) {
    String(e.project);
    String(e.milestone);
  }
  void operator()(ProcedureCheck& e) {
    String(e.procedure);
    e.passed = Varint() != 0;
  }
  void operator()(KpiMonthlyTarget& e) {
    String(e.kpi);
    e.year = static_cast<int>(Int());
    e.month = static_cast<int>(Int());
    Double(e.target);
    e.aggregation = static_cast<KpiAggregation>(Int());
  }
  void operator()(KpiActual& e) {
    String(e.kpi);
    Double(e.value);
  }

 private:
  BinaryReader r_;
};

// Sets `payload` to the alternative with index `index` (known < size).
template <size_t... I>
void EmplaceByIndex(Payload& payload, size_t index, std::index_sequence<I...>) {
  ((index == I ? (void)payload.emplace<I>() : (void)0), ...);
}

}  // namespace

std::string EncodeEvents(absl::Span<const Event* const> events) {
  std::string out;
  out.reserve(events.size() * 64);
  Writer w(out);
  out.push_back(static_cast<char>(kFormatV1));
  w.Varint(events.size());
  for (const Event* e : events) {
    w.Varint(e->payload.index());
    w.String(e->event_id);
    w.String(e->source);
    w.String(e->team);
    w.Time(e->occurred_at);
    std::visit(w, e->payload);
  }
  return out;
}

std::string EncodeEventsCompressed(absl::Span<const Event* const> events) {
  std::string plain = EncodeEvents(events);
  std::unique_ptr<ZSTD_CCtx, decltype(&ZSTD_freeCCtx)> cctx(ZSTD_createCCtx(),
                                                            &ZSTD_freeCCtx);
  if (cctx == nullptr) return plain;
  // The frame records the uncompressed size, which the decoder checks, and a
  // checksum of it, so a damaged row is DATA_LOSS rather than other events.
  ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_compressionLevel, kZstdLevel);
  ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_checksumFlag, 1);
  std::string out(1 + ZSTD_compressBound(plain.size()), '\0');
  out[0] = static_cast<char>(kFormatCompressed);
  const size_t n = ZSTD_compress2(cctx.get(), out.data() + 1, out.size() - 1,
                                  plain.data(), plain.size());
  if (ZSTD_isError(n) || 1 + n >= plain.size() ||
      plain.size() > kMaxExpansion * (1 + n)) {
    return plain;
  }
  out.resize(1 + n);
  return out;
}

absl::StatusOr<absl::string_view> UncompressedEvents(absl::string_view blob,
                                                     std::string& buffer) {
  if (blob.empty() || static_cast<uint8_t>(blob[0]) != kFormatCompressed) {
    return blob;
  }
  const absl::string_view frame = blob.substr(1);
  const unsigned long long size =
      ZSTD_getFrameContentSize(frame.data(), frame.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN) {
    return absl::DataLossError(absl::StrCat(
        "stored events: compressed group (format 2) whose zstd frame ",
        size == ZSTD_CONTENTSIZE_ERROR ? "header is malformed"
                                       : "does not record its size"));
  }
  if (size == 0 || size > kMaxExpansion * blob.size()) {
    return absl::DataLossError(absl::StrCat(
        "stored events: compressed group (format 2) of ", blob.size(),
        " bytes claims ", size, " bytes uncompressed (at most ", kMaxExpansion,
        "x is accepted)"));
  }
  buffer.resize(size);
  const size_t n =
      ZSTD_decompress(buffer.data(), buffer.size(), frame.data(), frame.size());
  if (ZSTD_isError(n) || n != size) {
    return absl::DataLossError(absl::StrCat(
        "stored events: compressed group (format 2) does not decompress: ",
        ZSTD_isError(n) ? ZSTD_getErrorName(n) : "short output"));
  }
  return absl::string_view(buffer);
}

namespace {

// Decodes each event of `blob` (format 1) into the Event that `slot()`
// returns, then calls `decoded(event)`.
template <typename Slot, typename Decoded>
absl::Status DecodePlain(absl::string_view blob, Slot slot, Decoded decoded) {
  if (blob.empty() || static_cast<uint8_t>(blob[0]) != kFormatV1) {
    return absl::DataLossError("stored events: unknown format");
  }
  Reader r(blob.substr(1));
  const uint64_t count = r.Varint();
  for (uint64_t i = 0; i < count && r.ok(); ++i) {
    const uint64_t index = r.Varint();
    if (index == 0 || index >= std::variant_size_v<Payload>) {
      return absl::DataLossError(
          absl::StrCat("stored events: unknown kind ", index, " at event ", i));
    }
    Event& event = slot();
    if (event.payload.index() != index) {
      EmplaceByIndex(event.payload, index,
                     std::make_index_sequence<std::variant_size_v<Payload>>());
    }
    r.String(event.event_id);
    r.String(event.source);
    r.String(event.team);
    r.Time(event.occurred_at);
    std::visit(r, event.payload);
    if (!r.ok()) break;
    decoded(event);
  }
  if (!r.ok() || !r.done()) {
    return absl::DataLossError("stored events: truncated or malformed group");
  }
  return absl::OkStatus();
}

// Either format. Shared by the two public decoders below.
template <typename Slot, typename Decoded>
absl::Status Decode(absl::string_view blob, Slot slot, Decoded decoded) {
  std::string buffer;
  absl::StatusOr<absl::string_view> plain = UncompressedEvents(blob, buffer);
  if (!plain.ok()) return plain.status();
  return DecodePlain(*plain, slot, decoded);
}

}  // namespace

absl::Status DecodeEvents(absl::string_view blob,
                          absl::FunctionRef<void(const Event&)> fn) {
  // One Event reused across iterations: its strings keep their buffers.
  Event event;
  return Decode(
      blob, [&]() -> Event& { return event; }, [&](const Event& e) { fn(e); });
}

absl::Status DecodeEventsInto(absl::string_view blob, EventBatch& out) {
  const size_t before = out.size();
  absl::Status s = Decode(
      blob, [&]() -> Event& { return out.emplace_back(); },
      [](const Event&) {});
  if (!s.ok()) out.resize(before);
  return s;
}

}  // namespace orgpulse::ingest
