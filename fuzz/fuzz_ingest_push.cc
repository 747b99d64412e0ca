// Fuzzes the ingest service's write path as the gRPC layer drives it:
// PushRequest -> FromProto -> Ledger::Push over an in-memory EventStore that
// keeps the events in the SQLite log's encoding (EncodeEventsCompressed).
//
// Input: the first byte picks the mode and the team cap; the rest is
//   even first byte: a serialized orgpulse.ingest.v1.PushRequest, also
//                    decoded as a stored group of events (DecodeEvents;
//                    format 1, or 2 when it starts with 0x02: a zstd frame);
//   odd first byte:  bytes driving a generator of up to 4 batches of mostly
//                    valid events (small pools of ids, teams and times near
//                    "now"), so that validation passes often and batches
//                    overlap (duplicates, team cap).
//
// Invariants, after every batch:
// - the status is OK, INVALID_ARGUMENT (exactly when ValidateBatch objects)
//   or RESOURCE_EXHAUSTED (exactly when a model of the team cap says so);
// - a refused batch changes nothing: teams, figures and counters other than
//   its own rejection counter are as before;
// - an accepted batch counts as accepted exactly the events a model of
//   (source, event_id) idempotency calls new, and re-pushed it is all
//   duplicates;
// - GetTeamExecution succeeds for every team and every prefix of one, and ""
//   counts every stored event;
// - the accepted events survive ToProto -> FromProto, and EncodeEvents or
//   EncodeEventsCompressed -> DecodeEvents, unchanged (times to the
//   microsecond, as stored);
// and at the end a second Ledger recovered from the store, replayed in the
// reverse order (through DecodeEventsInto, or EventStore's default grouping
// if the first byte's top bit is set), gives the same figures: they depend
// only on the set of events. Bytes decoded as a stored group either fail
// cleanly (DATA_LOSS; a compressed one never allocates more than 64x its
// size) or give events that round-trip in both formats; both decoders agree.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/clock/clock.h"
#include "fuzz/fuzz_support.h"
#include "google/protobuf/stubs/logging.h"
#include "google/protobuf/util/time_util.h"
#include "orgpulse/ingest/v1/ingest.pb.h"
#include "services/ingest/domain/event_store.h"
#include "services/ingest/domain/ledger.h"
#include "services/ingest/domain/validation.h"
#include "services/ingest/grpc/conversion.h"
#include "services/ingest/store/event_codec.h"
#include "tests/unit/services/ingest/event_testing.h"

namespace orgpulse::ingest {
namespace {

using ::orgpulse::fuzz::Fail;
using ::orgpulse::fuzz::Picker;
using ::orgpulse::fuzz::Require;
using ::orgpulse::ingest::testing::DebugString;

const absl::Time kNow = absl::FromCivil(
    absl::CivilSecond(2026, 3, 15, 12, 0, 0), absl::UTCTimeZone());

// Holds each Append as one encoded (compressed when that pays) group, as
// SqliteEventStore does. Replay
// decodes them (DecodeEvents); ReplayGroups, which recovery uses, decodes
// each into a group (DecodeEventsInto) like SqliteEventStore, or takes the
// interface's default grouping of Replay. Either may go in the reverse order
// of storing.
class MemoryEventStore final : public EventStore {
 public:
  absl::StatusOr<AppendResult> Append(
      absl::Span<const Event* const> events) override {
    groups_.push_back(EncodeEventsCompressed(events));
    events_ += static_cast<int64_t>(events.size());
    return AppendResult{.head = static_cast<int64_t>(groups_.size())};
  }
  int64_t EventCountHint() override { return events_; }
  absl::Status Replay(absl::FunctionRef<void(const Event&)> fn) override {
    std::vector<Event> events;
    for (const std::string& group : groups_) {
      absl::Status s =
          DecodeEvents(group, [&](const Event& e) { events.push_back(e); });
      if (!s.ok()) return s;
    }
    if (reverse_) std::reverse(events.begin(), events.end());
    for (const Event& e : events) fn(e);
    return absl::OkStatus();
  }
  absl::Status ReplayGroups(
      absl::FunctionRef<void(EventBatch&& group)> fn) override {
    if (default_grouping_) return EventStore::ReplayGroups(fn);
    std::vector<EventBatch> groups;
    for (const std::string& blob : groups_) {
      EventBatch& group = groups.emplace_back();
      absl::Status s = DecodeEventsInto(blob, group);
      if (!s.ok()) return s;
    }
    if (reverse_) {
      std::reverse(groups.begin(), groups.end());
      for (EventBatch& g : groups) std::reverse(g.begin(), g.end());
    }
    for (EventBatch& g : groups) fn(std::move(g));
    return absl::OkStatus();
  }

  void set_reverse(bool reverse) { reverse_ = reverse; }
  void set_default_grouping(bool on) { default_grouping_ = on; }

 private:
  std::vector<std::string> groups_;
  int64_t events_ = 0;
  bool reverse_ = false;
  bool default_grouping_ = false;
};

// Every team and every prefix of one, and "" (everything).
std::set<std::string> Nodes(const Ledger& ledger) {
  std::set<std::string> nodes = {""};
  for (const TeamSummary& t : ledger.ListTeams("")) {
    for (size_t slash = t.team.find('/'); slash != std::string::npos;
         slash = t.team.find('/', slash + 1)) {
      nodes.insert(t.team.substr(0, slash));
    }
    nodes.insert(t.team);
  }
  return nodes;
}

// Everything a client can read, exactly (doubles in hex).
std::string Snapshot(const Ledger& ledger) {
  std::string out;
  const std::vector<TeamSummary> teams = ledger.ListTeams("");
  for (const TeamSummary& t : teams) {
    absl::StrAppend(&out, t.team, " events=", t.events,
                    " last=", absl::ToUnixMicros(t.last_event_at), "\n");
  }
  for (const std::string& node : Nodes(ledger)) {
    absl::StatusOr<TeamExecution> f = ledger.GetTeamExecution(node);
    if (teams.empty()) {
      Require(absl::IsNotFound(f.status()), "an empty ledger finds nothing",
              [&] { return f.status().ToString(); });
      continue;
    }
    Require(f.ok(), "GetTeamExecution succeeds for every known node",
            [&] { return absl::StrCat(node, ": ", f.status().ToString()); });
    v1::TeamExecution proto;
    ToProto(*f, proto);  // must not crash; its content is ToProto's business
    absl::StrAppend(&out, DebugString(*f), "\n");
  }
  return out;
}

std::string StatsString(const LedgerStats& s) {
  return absl::StrCat("accepted=", s.accepted, " duplicates=", s.duplicates,
                      " invalid=", s.rejected_invalid,
                      " team_limit=", s.rejected_team_limit,
                      " storage=", s.rejected_storage, " commits=", s.commits,
                      " stored=", s.stored_events, " teams=", s.teams);
}

// What the ledger must do with a valid batch, from (source, event_id)
// idempotency and the team cap alone.
class Model {
 public:
  explicit Model(size_t max_teams) : max_teams_(max_teams) {}

  struct Expected {
    bool over_team_cap = false;
    int64_t accepted = 0;
    int64_t duplicates = 0;
  };

  Expected Predict(const EventBatch& batch) const {
    Expected out;
    std::set<std::pair<std::string, std::string>> seen;
    std::set<std::string> new_teams;
    for (const Event& e : batch) {
      const std::pair<std::string, std::string> key(e.source, e.event_id);
      if (keys_.contains(key) || !seen.insert(key).second) {
        ++out.duplicates;
        continue;
      }
      ++out.accepted;
      if (!teams_.contains(e.team)) new_teams.insert(e.team);
    }
    out.over_team_cap = teams_.size() + new_teams.size() > max_teams_;
    return out;
  }

  // A repeated key keeps the event stored first, and its team.
  void Store(const EventBatch& batch) {
    for (const Event& e : batch) {
      if (keys_.insert({e.source, e.event_id}).second) teams_.insert(e.team);
    }
  }
  int64_t stored() const { return static_cast<int64_t>(keys_.size()); }

 private:
  size_t max_teams_;
  std::set<std::pair<std::string, std::string>> keys_;
  std::set<std::string> teams_;
};

// --- the generator of mostly valid batches ---------------------------------

// Times of events: within the last 400 days or the day ahead; of plans and
// due dates: within a year either side of kNow.
class EventPicker {
 public:
  explicit EventPicker(Picker& pick) : pick_(pick) {}

  template <typename MutableTime>
  void EventTime(MutableTime mutable_time) {
    pick_.Time(Now() - 400 * kDay, Now() + kDay, Edges(), mutable_time);
  }
  template <typename MutableTime>
  void PlanTime(MutableTime mutable_time) {
    pick_.Time(Now() - 366 * kDay, Now() + 366 * kDay, Edges(), mutable_time);
  }

 private:
  static constexpr int64_t kDay = 86400;
  static int64_t Now() { return absl::ToUnixSeconds(kNow); }
  // Just inside and just outside what validation accepts.
  static absl::Span<const int64_t> Edges() {
    using google::protobuf::util::TimeUtil;
    static const int64_t kEdges[] = {
        absl::ToUnixSeconds(EarliestValidTime()) - 1,
        absl::ToUnixSeconds(EarliestValidTime()),
        Now() + absl::ToInt64Seconds(kMaxClockSkew),
        Now() + absl::ToInt64Seconds(kMaxClockSkew) + 1,
        Now() + absl::ToInt64Seconds(kMaxPlanningHorizon),
        Now() + absl::ToInt64Seconds(kMaxPlanningHorizon) + 1,
        TimeUtil::kTimestampMinSeconds,
        TimeUtil::kTimestampMaxSeconds,
    };
    return kEdges;
  }

  Picker& pick_;
};

void GenerateEvent(Picker& pick, v1::Event& e) {
  EventPicker time(pick);
  e.set_event_id(pick.Id({"e1", "e2", "e3", "e4", "e5", "e6", "e7", "e8", "e9",
                          "e10", "e11", "e12"}));
  e.set_source(pick.Name({"jira", "git", "finance-erp"}));
  e.set_team(pick.Name(
      {"eng", "eng/a", "eng/b", "eng/a/x", "ops", "ops/sre", "hr/p/o/deep"}));
  time.EventTime([&] { return e.mutable_occurred_at(); });
  auto task = [&] { return pick.Name({"t1", "t2", "t3", "t4"}); };
  auto project = [&] { return pick.Name({"p1", "p2"}); };
  switch (pick.Int(1, 13)) {
    case 1: {
      auto* m = e.mutable_task_created();
      m->set_task_id(task());
      time.PlanTime([&] { return m->mutable_due_at(); });
      m->set_estimate_hours(pick.Number(0, 1e6));
      break;
    }
    case 2:
      e.mutable_task_started()->set_task_id(task());
      break;
    case 3:
      e.mutable_task_completed()->set_task_id(task());
      break;
    case 4:
      e.mutable_task_cancelled()->set_task_id(task());
      break;
    case 5: {
      auto* m = e.mutable_task_due_date_changed();
      m->set_task_id(task());
      time.PlanTime([&] { return m->mutable_due_at(); });
      break;
    }
    case 6: {
      auto* m = e.mutable_project_budget_plan();
      m->set_project(project());
      m->set_budget_at_completion(pick.Number(0.01, kMaxAmount));
      time.PlanTime([&] { return m->mutable_planned_start(); });
      time.PlanTime([&] { return m->mutable_planned_end(); });
      // A clean plan ends after it starts.
      if (!pick.Wild() &&
          m->planned_end().seconds() <= m->planned_start().seconds()) {
        std::swap(*m->mutable_planned_start(), *m->mutable_planned_end());
        m->mutable_planned_end()->set_seconds(m->planned_end().seconds() + 1);
      }
      break;
    }
    case 7: {
      auto* m = e.mutable_cost_actual();
      m->set_project(project());
      m->set_amount(pick.Number(0, kMaxAmount));
      break;
    }
    case 8: {
      auto* m = e.mutable_project_progress();
      m->set_project(project());
      m->set_percent_complete(pick.Number(0, 100));
      break;
    }
    case 9: {
      auto* m = e.mutable_milestone_due();
      m->set_project(project());
      m->set_milestone(pick.Name({"m1", "m2"}));
      time.PlanTime([&] { return m->mutable_due_at(); });
      break;
    }
    case 10: {
      auto* m = e.mutable_milestone_reached();
      m->set_project(project());
      m->set_milestone(pick.Name({"m1", "m2"}));
      break;
    }
    case 11: {
      auto* m = e.mutable_procedure_check();
      m->set_procedure(pick.Name({"code-review", "change-approval"}));
      m->set_passed(pick.in().ConsumeBool());
      break;
    }
    case 12: {
      auto* m = e.mutable_kpi_monthly_target();
      m->set_kpi(pick.Name({"revenue", "nps"}));
      // Mostly this month, so that the figures show the KPI.
      const bool now = pick.in().ConsumeBool();
      m->set_year(now ? 2026 : pick.Int(2000, 2100));
      m->set_month(now ? 3 : pick.Int(1, 12));
      m->set_target(pick.Number(0.01, kMaxAmount));
      m->set_aggregation(static_cast<v1::KpiAggregation>(pick.Int(1, 2)));
      break;
    }
    case 13: {
      auto* m = e.mutable_kpi_actual();
      m->set_kpi(pick.Name({"revenue", "nps"}));
      m->set_value(pick.Number(-kMaxAmount, kMaxAmount));
      break;
    }
    default:
      break;  // no payload
  }
}

std::vector<v1::PushRequest> GenerateRequests(FuzzedDataProvider& in) {
  Picker pick(in);
  std::vector<v1::PushRequest> out(in.ConsumeIntegralInRange(1, 4));
  for (v1::PushRequest& request : out) {
    pick.StartBatch();
    const int events = pick.Int(1, 12);
    for (int i = 0; i < events && in.remaining_bytes() > 0; ++i) {
      GenerateEvent(pick, *request.add_events());
    }
  }
  return out;
}

// --- the checks ------------------------------------------------------------

// The accepted events survive the API's conversion (exactly) and the
// store's encoding (to the microsecond) unchanged.
void CheckRoundTrips(const EventBatch& batch) {
  std::vector<const Event*> pointers;
  for (const Event& e : batch) {
    pointers.push_back(&e);
    const v1::Event proto = ToProto(e);
    const Event back = FromProto(proto);
    Require(back.occurred_at == e.occurred_at &&
                DebugString(back) == DebugString(e) &&
                ToProto(back).SerializeAsString() == proto.SerializeAsString(),
            "FromProto(ToProto(event)) == event",
            [&] { return DebugString(e); });
  }
  for (const bool compressed : {false, true}) {
    const std::string blob =
        compressed ? EncodeEventsCompressed(pointers) : EncodeEvents(pointers);
    size_t i = 0;
    absl::Status s = DecodeEvents(blob, [&](const Event& e) {
      Require(i < batch.size() && DebugString(e) == DebugString(batch[i]),
              "DecodeEvents(EncodeEvents[Compressed](events)) == events", [&] {
                return absl::StrCat(compressed, " ", i, ": ", DebugString(e));
              });
      ++i;
    });
    Require(s.ok() && i == batch.size(), "DecodeEvents reads every event back",
            [&] { return absl::StrCat(compressed, " ", s.ToString()); });
  }
}

// Stored groups may be damaged on disk: decoding any bytes either fails
// cleanly or gives events that encode and decode to themselves; and the two
// decoders agree, DecodeEventsInto leaving its output as it was on failure.
void CheckDecoders(absl::string_view blob) {
  std::vector<std::string> decoded;
  const absl::Status s = DecodeEvents(
      blob, [&](const Event& e) { decoded.push_back(DebugString(e)); });
  EventBatch into(1);  // an event already there, to be left alone
  const absl::Status s_into = DecodeEventsInto(blob, into);
  Require(s.code() == s_into.code(), "the two decoders agree on a blob", [&] {
    return absl::StrCat(s.ToString(), " vs ", s_into.ToString());
  });
  if (!s_into.ok()) {
    Require(s_into.code() == absl::StatusCode::kDataLoss,
            "an undecodable group is DATA_LOSS",
            [&] { return s_into.ToString(); });
    Require(into.size() == 1 && DebugString(into[0]) == DebugString(Event{}),
            "DecodeEventsInto leaves its output alone on failure");
    return;
  }
  Require(into.size() == decoded.size() + 1,
          "the two decoders read as many events");
  std::vector<const Event*> events;
  for (size_t i = 0; i < decoded.size(); ++i) {
    Require(DebugString(into[i + 1]) == decoded[i],
            "the two decoders read the same events",
            [&] { return decoded[i]; });
    events.push_back(&into[i + 1]);
  }
  for (const bool compressed : {false, true}) {
    size_t i = 0;
    const absl::Status again = DecodeEvents(
        compressed ? EncodeEventsCompressed(events) : EncodeEvents(events),
        [&](const Event& e) {
          Require(i < decoded.size() && DebugString(e) == decoded[i],
                  "decoded events encode and decode to themselves");
          ++i;
        });
    Require(again.ok() && i == decoded.size(),
            "decoded events encode and decode to themselves",
            [&] { return again.ToString(); });
  }
}

void PushAndCheck(Ledger& ledger, Model& model, EventBatch batch) {
  const std::string before = Snapshot(ledger);
  const LedgerStats stats = ledger.stats();
  const bool valid = ValidateBatch(batch, kNow).empty();
  const Model::Expected expected = model.Predict(batch);
  const int64_t size = static_cast<int64_t>(batch.size());

  absl::StatusOr<PushResult> result = ledger.Push(batch);
  const LedgerStats after = ledger.stats();

  if (!result.ok()) {
    const absl::Status& s = result.status();
    Require(Snapshot(ledger) == before, "a refused batch changes no figure",
            [&] { return s.ToString(); });
    LedgerStats expected_stats = stats;
    if (absl::IsInvalidArgument(s)) {
      Require(!valid, "INVALID_ARGUMENT only for a batch ValidateBatch rejects",
              [&] { return s.ToString(); });
      expected_stats.rejected_invalid += size;
    } else if (absl::IsResourceExhausted(s)) {
      Require(valid && expected.over_team_cap,
              "RESOURCE_EXHAUSTED only for a valid batch over the team cap",
              [&] { return s.ToString(); });
      expected_stats.rejected_team_limit += size;
    } else {
      Fail(
          "Push fails only with INVALID_ARGUMENT or "
          "RESOURCE_EXHAUSTED",
          s.ToString());
    }
    Require(StatsString(after) == StatsString(expected_stats),
            "a refused batch changes only its rejection counter", [&] {
              return absl::StrCat(StatsString(stats), "\n", StatsString(after));
            });
    return;
  }

  Require(valid && !expected.over_team_cap,
          "Push accepts only valid batches within the team cap", [&] {
            return absl::StrCat(
                "valid=", valid, " over_cap=", expected.over_team_cap,
                " accepted=", result->accepted,
                " duplicates=", result->duplicates, " ", StatsString(after));
          });
  Require(result->accepted == expected.accepted &&
              result->duplicates == expected.duplicates,
          "accepted and duplicates follow (source, event_id) idempotency", [&] {
            return absl::StrCat("got ", result->accepted, "/",
                                result->duplicates, ", expected ",
                                expected.accepted, "/", expected.duplicates);
          });
  model.Store(batch);
  const absl::StatusOr<TeamExecution> all = ledger.GetTeamExecution("");
  Require(all.ok() && all->events == model.stored(),
          "the figures of \"\" count every stored event");
  Require(after.stored_events == model.stored() &&
              after.accepted == stats.accepted + expected.accepted &&
              after.duplicates == stats.duplicates + expected.duplicates,
          "the counters add up", [&] { return StatsString(after); });
  CheckRoundTrips(batch);

  const std::string accepted = Snapshot(ledger);
  absl::StatusOr<PushResult> again = ledger.Push(batch);
  Require(again.ok() && again->accepted == 0 && again->duplicates == size,
          "an accepted batch pushed again is all duplicates", [&] {
            return again.ok()
                       ? absl::StrCat(again->accepted, "/", again->duplicates)
                       : again.status().ToString();
          });
  Require(Snapshot(ledger) == accepted, "duplicates change no figure");
}

void Run(uint8_t mode, const uint8_t* data, size_t size) {
  const size_t cap = (mode >> 1) & 7;
  const LedgerOptions options{.max_teams = cap == 0 ? 1000 : cap};

  std::vector<v1::PushRequest> requests;
  if (mode & 1) {
    FuzzedDataProvider in(data, size);
    requests = GenerateRequests(in);
  } else {
    CheckDecoders(absl::string_view(reinterpret_cast<const char*>(data), size));
    v1::PushRequest request;
    if (!request.ParseFromArray(data, static_cast<int>(size))) return;
    requests.push_back(std::move(request));
  }

  FixedClock clock(kNow);
  MemoryEventStore store;
  Model model(options.max_teams);
  {
    Ledger ledger(store, clock, options);
    Require(ledger.Recover().ok(), "an empty store recovers");
    for (const v1::PushRequest& request : requests) {
      PushAndCheck(ledger, model, FromProto(request));
    }

    // The same events, replayed in the reverse order, give the same figures.
    const std::string figures = Snapshot(ledger);
    store.set_reverse(true);
    store.set_default_grouping((mode & 0x80) != 0);
    Ledger recovered(store, clock, options);
    Require(recovered.Recover().ok(), "the store replays");
    Require(Snapshot(recovered) == figures,
            "figures depend only on the set of stored events", [&] {
              return absl::StrCat("live:\n", figures,
                                  "\nrecovered in reverse:\n",
                                  Snapshot(recovered));
            });
    Require(recovered.stats().stored_events == model.stored(),
            "every stored event is recovered");
  }
}

}  // namespace
}  // namespace orgpulse::ingest

// Generated and fuzzed strings are often not UTF-8, which protobuf logs at
// every parse and serialization; the noise would drown libFuzzer's output.
extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  orgpulse::ingest::Run(data[0], data + 1, size - 1);
  return 0;
}
