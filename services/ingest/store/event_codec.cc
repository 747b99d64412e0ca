#include "services/ingest/store/event_codec.h"

#include <cstdint>

#include "absl/strings/str_cat.h"
#include "common/storage/binary_codec.h"

namespace orgpulse::ingest {
namespace {

constexpr uint8_t kFormatV1 = 1;

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

namespace {

// Decodes each event of `blob` into the Event that `slot()` returns, then
// calls `decoded(event)`. Shared by the two public decoders below.
template <typename Slot, typename Decoded>
absl::Status Decode(absl::string_view blob, Slot slot, Decoded decoded) {
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
