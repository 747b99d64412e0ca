// Fuzzes the insights service's write path as the gRPC layer drives it:
// SubmitSurveyResponsesRequest -> FromProto (respondent ids pseudonymised
// with a KeyedHasher) -> InsightsEngine::Submit over an in-memory SurveyStore
// and a fake ExecutionSource.
//
// Input: the first byte picks the mode, k (3 to 7), the team cap and whether
// ingest is reachable; the rest is
//   even first byte: a serialized SubmitSurveyResponsesRequest;
//   odd first byte:  bytes driving a generator of up to 4 batches of mostly
//                    valid responses (small pools of response ids, teams,
//                    rounds and respondents), so that validation passes often
//                    and batches overlap (duplicates, replaced responses,
//                    the team cap).
//
// Invariants, after every batch:
// - no converted response holds a raw respondent id;
// - the status is OK, INVALID_ARGUMENT (exactly when ValidateResponses
//   objects) or RESOURCE_EXHAUSTED (exactly when a model of the team cap
//   says so);
// - a refused batch changes nothing a client can read, nor any counter but
//   its own rejection counter;
// - an accepted batch counts as accepted exactly the responses whose id is
//   new, and submitted again it is all duplicates;
// - for every round and every team or prefix of one with responses: the
//   group is either suppressed or has figures of at least k respondents;
//   no answer anywhere, "latest round" queries and listings included, shows
//   a group below k. (Figures are those of the group's latest release step,
//   docs/decisions/0003-release-model.md, so they need not match the
//   responses in force; tests/integration/privacy_attacker_test.cc solves
//   the whole history of releases.)
// and at the end a second engine recovered from the store, replayed in the
// same (log) order, answers exactly the same: release steps depend on it.
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/clock/clock.h"
#include "common/crypto/keyed_hash.h"
#include "fuzz/fuzz_support.h"
#include "google/protobuf/stubs/logging.h"
#include "google/protobuf/util/time_util.h"
#include "orgpulse/insights/v1/insights.pb.h"
#include "services/insights/domain/execution_source.h"
#include "services/insights/domain/insights_engine.h"
#include "services/insights/domain/privacy.h"
#include "services/insights/domain/survey_store.h"
#include "services/insights/domain/validation.h"
#include "services/insights/grpc/conversion.h"

namespace orgpulse::insights {
namespace {

using ::orgpulse::fuzz::Fail;
using ::orgpulse::fuzz::Picker;
using ::orgpulse::fuzz::Require;

const absl::Time kNow = absl::FromCivil(absl::CivilSecond(2026, 6, 1, 12, 0, 0),
                                        absl::UTCTimeZone());

class MemorySurveyStore final : public SurveyStore {
 public:
  absl::Status Append(absl::Span<const ScoredResponse> responses) override {
    stored_.insert(stored_.end(), responses.begin(), responses.end());
    return absl::OkStatus();
  }
  absl::Status Replay(absl::FunctionRef<void(const ScoredResponse&)> fn,
                      absl::FunctionRef<void(const RoundReset&)>) override {
    for (const ScoredResponse& r : stored_) fn(r);
    return absl::OkStatus();
  }
  // Not used here (insights_engine_test covers erasure and retention).
  absl::StatusOr<int64_t> Erase(absl::string_view,
                                absl::Span<const RoundReset>) override {
    return absl::UnimplementedError("not in this fake");
  }
  absl::StatusOr<int64_t> DropRounds(const std::set<std::string>&) override {
    return absl::UnimplementedError("not in this fake");
  }

 private:
  std::vector<ScoredResponse> stored_;
};

// Ingest's view of a few teams, some of which answer surveys too.
class FakeExecutionSource final : public ExecutionSource {
 public:
  explicit FakeExecutionSource(bool reachable) : reachable_(reachable) {
    ExecutionInputs good;
    good.on_time_ratio = 0.9;
    good.cost_performance_index = 1.1;
    good.schedule_performance_index = 0.95;
    good.milestone_hit_ratio = 1;
    good.procedure_compliance_ratio = 0.8;
    good.kpi_forecast_attainment_ratio = 1.3;
    good.open_tasks = 12;
    good.overdue_tasks = 2;
    ExecutionInputs poor;
    poor.on_time_ratio = 0.2;
    poor.open_tasks = 40;
    poor.overdue_tasks = 30;
    snapshots_["eng"] = {good, kNow - absl::Minutes(1),
                         kNow - absl::Seconds(30)};
    snapshots_["eng/a"] = {poor, kNow - absl::Minutes(1),
                           kNow - absl::Seconds(30)};
    snapshots_["ops"] = {good, kNow - absl::Hours(1), kNow - absl::Hours(1)};
    snapshots_["ops/sre"] = {ExecutionInputs{}, kNow - absl::Hours(1),
                             kNow - absl::Hours(1)};
  }
  std::optional<ExecutionSnapshot> Get(absl::string_view node) const override {
    auto it = snapshots_.find(std::string(node));
    if (it == snapshots_.end()) return std::nullopt;
    return it->second;
  }
  std::vector<std::string> Teams() const override {
    return {"eng/a", "ops/sre", "finance"};
  }
  SourceHealth Health() const override {
    if (reachable_) return {true, kNow - absl::Seconds(30), ""};
    return {false, kNow - absl::Hours(1), "connection refused"};
  }

 private:
  bool reachable_;
  std::map<std::string, ExecutionSnapshot> snapshots_;
};

const KeyedHasher& Hasher() {
  static const KeyedHasher* hasher =
      new KeyedHasher(*KeyedHasher::FromSecret("fuzzing-secret-0123456789"));
  return *hasher;
}

// What the engine must hold, from response-id idempotency, the replacement
// rule (latest submitted_at, then the larger response id) and the team cap.
class Model {
 public:
  explicit Model(size_t max_teams) : max_teams_(max_teams) {}

  struct Expected {
    bool over_team_cap = false;
    int64_t accepted = 0;
    int64_t duplicates = 0;
  };

  Expected Predict(const std::vector<SurveyResponse>& batch) const {
    Expected out;
    std::set<std::string> seen;
    std::set<std::string> new_teams;
    for (const SurveyResponse& r : batch) {
      if (ids_.contains(r.response_id) || !seen.insert(r.response_id).second) {
        ++out.duplicates;
        continue;
      }
      ++out.accepted;
      if (!teams_.contains(r.team)) new_teams.insert(r.team);
    }
    out.over_team_cap = teams_.size() + new_teams.size() > max_teams_;
    return out;
  }

  // `raw` is the request the batch was converted from: the model keys
  // respondents by their raw ids, which the batch no longer holds.
  void Store(const std::vector<SurveyResponse>& batch,
             const v1::SubmitSurveyResponsesRequest& raw) {
    for (size_t i = 0; i < batch.size(); ++i) {
      const SurveyResponse& r = batch[i];
      if (!ids_.insert(r.response_id).second) continue;
      teams_.insert(r.team);
      const InForce candidate{r.submitted_at, r.response_id, r.team};
      auto [it, inserted] = rounds_[r.round].try_emplace(
          raw.responses(static_cast<int>(i)).respondent_id(), candidate);
      if (!inserted && std::tie(candidate.at, candidate.id) >
                           std::tie(it->second.at, it->second.id)) {
        it->second = candidate;
      }
    }
  }

  // Respondents per team in `round`, counting each one's response in force.
  std::map<std::string, int64_t> OwnCounts(const std::string& round) const {
    std::map<std::string, int64_t> out;
    auto it = rounds_.find(round);
    if (it == rounds_.end()) return out;
    for (const auto& [respondent, r] : it->second) ++out[r.team];
    return out;
  }

  std::vector<std::string> rounds() const {
    std::vector<std::string> out;
    for (const auto& [round, unused] : rounds_) out.push_back(round);
    return out;
  }
  const std::set<std::string>& teams() const { return teams_; }
  int64_t stored() const { return static_cast<int64_t>(ids_.size()); }

 private:
  struct InForce {
    absl::Time at;
    std::string id;
    std::string team;
  };
  size_t max_teams_;
  std::set<std::string> ids_;
  std::set<std::string> teams_;
  std::map<std::string, std::map<std::string, InForce>> rounds_;
};

// Every team (surveyed or known to ingest), every prefix of one, and "".
std::set<std::string> Nodes(const Model& model, const ExecutionSource& source) {
  std::set<std::string> nodes = {""};
  std::vector<std::string> teams = source.Teams();
  teams.insert(teams.end(), model.teams().begin(), model.teams().end());
  for (const std::string& team : teams) {
    for (size_t slash = team.find('/'); slash != std::string::npos;
         slash = team.find('/', slash + 1)) {
      nodes.insert(team.substr(0, slash));
    }
    nodes.insert(team);
  }
  return nodes;
}

void RequireAtLeastK(const TeamInsights& t, int k) {
  const MoraleView& m = t.morale;
  Require(!m.figures || m.figures->respondents >= k,
          "no released group has fewer than k respondents", [&] {
            return absl::StrCat(t.team, " round ", m.round, ": ",
                                m.figures ? m.figures->respondents : 0);
          });
  Require(!m.previous || m.previous->respondents >= k,
          "no previous round's group has fewer than k respondents",
          [&] { return absl::StrCat(t.team, " previous ", m.previous_round); });
  Require(!m.figures || !m.suppressed, "released figures are not suppressed");
}

// Everything a client can read, as the API would send it; checks the
// privacy invariants on the way.
std::string Snapshot(const InsightsEngine& engine, const Model& model,
                     const ExecutionSource& source) {
  const int k = engine.options().min_group_size;
  std::string out;
  std::vector<std::string> rounds = model.rounds();
  rounds.push_back("");        // the latest round
  rounds.push_back("1999-x");  // no such round
  for (const std::string& node : Nodes(model, source)) {
    for (const std::string& round : rounds) {
      absl::StatusOr<TeamInsights> t = engine.GetTeamInsights(node, round);
      Require(t.ok(), "GetTeamInsights succeeds for every known node", [&] {
        return absl::StrCat(node, " ", round, ": ", t.status().ToString());
      });
      RequireAtLeastK(*t, k);
      v1::TeamInsights proto;
      ToProto(*t, proto);
      absl::StrAppend(&out, proto.SerializeAsString(), "\n");
    }
  }
  for (InsightsOrder order : {InsightsOrder::kRisk, InsightsOrder::kTeam}) {
    for (const TeamInsights& t : engine.ListTeamInsights("", order)) {
      RequireAtLeastK(t, k);
      v1::TeamInsights proto;
      ToProto(t, proto);
      absl::StrAppend(&out, proto.SerializeAsString(), "\n");
    }
  }
  return out;
}

// Every surveyed group of every round is suppressed or has figures of at
// least k respondents.
void CheckReleases(const InsightsEngine& engine, const Model& model) {
  const int k = engine.options().min_group_size;
  for (const std::string& round : model.rounds()) {
    std::set<std::string> nodes;
    for (const auto& entry : model.OwnCounts(round)) {
      const std::string& team = entry.first;
      for (size_t slash = team.find('/'); slash != std::string::npos;
           slash = team.find('/', slash + 1)) {
        nodes.insert(team.substr(0, slash));
      }
      nodes.insert(team);
    }
    for (const std::string& node : nodes) {
      absl::StatusOr<TeamInsights> t = engine.GetTeamInsights(node, round);
      Require(t.ok(), "a surveyed node is known", [&] { return node; });
      const MoraleView& m = t->morale;
      Require(m.round == round && m.suppressed == !m.figures.has_value(),
              "a surveyed group is suppressed or has figures",
              [&] { return absl::StrCat(node, " round ", round); });
      Require(!m.figures || m.figures->respondents >= k,
              "figures count at least k respondents", [&] {
                return absl::StrCat(node, " round ", round, ": ",
                                    m.figures->respondents);
              });
    }
  }
}

std::string StatsString(const InsightsStats& s) {
  return absl::StrCat("accepted=", s.accepted, " duplicates=", s.duplicates,
                      " invalid=", s.rejected_invalid,
                      " team_limit=", s.rejected_team_limit,
                      " storage=", s.rejected_storage, " stored=", s.stored);
}

// --- the generator of mostly valid batches ---------------------------------

void GenerateResponse(Picker& pick, v1::SurveyResponse& r) {
  using google::protobuf::util::TimeUtil;
  const int64_t now = absl::ToUnixSeconds(kNow);
  static const int64_t kEdges[] = {
      absl::ToUnixSeconds(
          absl::FromCivil(absl::CivilSecond(2000, 1, 1), absl::UTCTimeZone())) -
          1,
      now + 86400,
      now + 86400 + 1,
      TimeUtil::kTimestampMinSeconds,
      TimeUtil::kTimestampMaxSeconds,
  };
  r.set_response_id(pick.Id({"r1",  "r2",  "r3",  "r4",  "r5",  "r6",  "r7",
                             "r8",  "r9",  "r10", "r11", "r12", "r13", "r14",
                             "r15", "r16", "r17", "r18", "r19", "r20"}));
  r.set_team(pick.Name({"eng", "eng/a", "eng/b", "eng/a/x", "ops", "ops/sre",
                        "sales", "sales/emea/north"}));
  r.set_round(pick.Name({"2026-q1", "2026-q2"}));
  r.set_respondent_id(pick.Name({"p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8",
                                 "p9", "p10", "p11", "p12"}));
  // A small window, so that a respondent's responses often tie.
  pick.Time(now - 3, now, kEdges, [&] { return r.mutable_submitted_at(); });
  // Every dimension once, in order; a wild pick drops, repeats or bends one.
  for (int d = 1; d <= kDimensionCount; ++d) {
    if (pick.Wild()) continue;
    const int copies = pick.Wild() ? 2 : 1;
    for (int c = 0; c < copies; ++c) {
      v1::Answer& a = *r.add_answers();
      a.set_dimension(static_cast<v1::Dimension>(pick.Int(d, d)));
      a.set_value(pick.Int(1, 5));
      a.set_reverse_scored(pick.in().ConsumeBool());
    }
  }
  r.set_enps(pick.Int(0, 10));
  r.set_intent_to_stay(pick.Int(1, 5));
}

std::vector<v1::SubmitSurveyResponsesRequest> GenerateRequests(
    FuzzedDataProvider& in) {
  Picker pick(in);
  std::vector<v1::SubmitSurveyResponsesRequest> out(
      in.ConsumeIntegralInRange(1, 4));
  for (v1::SubmitSurveyResponsesRequest& request : out) {
    pick.StartBatch();
    const int responses = pick.Int(1, 16);
    for (int i = 0; i < responses && in.remaining_bytes() > 0; ++i) {
      GenerateResponse(pick, *request.add_responses());
    }
  }
  return out;
}

// --- the run ---------------------------------------------------------------

void SubmitAndCheck(InsightsEngine& engine, Model& model,
                    const ExecutionSource& source,
                    const v1::SubmitSurveyResponsesRequest& request) {
  std::vector<SurveyResponse> batch = FromProto(request, Hasher());
  for (int i = 0; i < request.responses_size(); ++i) {
    const std::string& raw = request.responses(i).respondent_id();
    const SurveyResponse& r = batch[static_cast<size_t>(i)];
    Require(
        r.respondent_id_length == raw.size() &&
            (raw.empty() ? r.respondent.empty()
                         : r.respondent.size() == 16 && r.respondent != raw),
        "conversion keeps no raw respondent id");
  }

  const std::string before = Snapshot(engine, model, source);
  const InsightsStats stats = engine.stats();
  const bool valid = ValidateResponses(batch, kNow).empty();
  const Model::Expected expected = model.Predict(batch);
  const int64_t size = static_cast<int64_t>(batch.size());

  absl::StatusOr<SubmitResult> result = engine.Submit(batch);
  const InsightsStats after = engine.stats();

  if (!result.ok()) {
    const absl::Status& s = result.status();
    Require(Snapshot(engine, model, source) == before,
            "a refused batch changes nothing", [&] { return s.ToString(); });
    InsightsStats expected_stats = stats;
    if (absl::IsInvalidArgument(s)) {
      Require(!valid,
              "INVALID_ARGUMENT only for a batch ValidateResponses rejects",
              [&] { return s.ToString(); });
      expected_stats.rejected_invalid += size;
    } else if (absl::IsResourceExhausted(s)) {
      Require(valid && expected.over_team_cap,
              "RESOURCE_EXHAUSTED only for a valid batch over the team cap",
              [&] { return s.ToString(); });
      expected_stats.rejected_team_limit += size;
    } else {
      Fail("Submit fails only with INVALID_ARGUMENT or RESOURCE_EXHAUSTED",
           s.ToString());
    }
    Require(StatsString(after) == StatsString(expected_stats),
            "a refused batch changes only its rejection counter", [&] {
              return absl::StrCat(StatsString(stats), "\n", StatsString(after));
            });
    return;
  }

  Require(valid && !expected.over_team_cap,
          "Submit accepts only valid batches within the team cap");
  Require(result->accepted == expected.accepted &&
              result->duplicates == expected.duplicates,
          "accepted and duplicates follow response-id idempotency", [&] {
            return absl::StrCat("got ", result->accepted, "/",
                                result->duplicates, ", expected ",
                                expected.accepted, "/", expected.duplicates);
          });
  model.Store(batch, request);
  Require(after.stored == model.stored() &&
              after.accepted == stats.accepted + expected.accepted &&
              after.duplicates == stats.duplicates + expected.duplicates,
          "the counters add up", [&] { return StatsString(after); });
  CheckReleases(engine, model);

  const std::string accepted = Snapshot(engine, model, source);
  absl::StatusOr<SubmitResult> again = engine.Submit(batch);
  Require(again.ok() && again->accepted == 0 && again->duplicates == size,
          "an accepted batch submitted again is all duplicates", [&] {
            return again.ok()
                       ? absl::StrCat(again->accepted, "/", again->duplicates)
                       : again.status().ToString();
          });
  Require(Snapshot(engine, model, source) == accepted,
          "duplicates change nothing");
}

void Run(uint8_t mode, const uint8_t* data, size_t size) {
  const size_t cap = (mode >> 4) & 7;
  const InsightsOptions options{
      .min_group_size = kMinGroupSizeFloor + ((mode >> 1) & 7) % 5,
      .max_teams = cap == 0 ? 1000 : cap};

  std::vector<v1::SubmitSurveyResponsesRequest> requests;
  if (mode & 1) {
    FuzzedDataProvider in(data, size);
    requests = GenerateRequests(in);
  } else {
    v1::SubmitSurveyResponsesRequest request;
    if (!request.ParseFromArray(data, static_cast<int>(size))) return;
    requests.push_back(std::move(request));
  }

  FixedClock clock(kNow);
  MemorySurveyStore store;
  const FakeExecutionSource source(/*reachable=*/(mode & 0x80) == 0);
  Model model(options.max_teams);
  InsightsEngine engine(store, source, clock, options);
  Require(engine.Recover().ok(), "an empty store recovers");
  for (const v1::SubmitSurveyResponsesRequest& request : requests) {
    SubmitAndCheck(engine, model, source, request);
  }

  // The same responses, replayed in the log's order, answer the same.
  InsightsEngine recovered(store, source, clock, options);
  Require(recovered.Recover().ok(), "the store replays");
  Require(Snapshot(recovered, model, source) == Snapshot(engine, model, source),
          "answers depend only on the stored log");
  Require(recovered.stats().stored == model.stored(),
          "every stored response is recovered");
}

}  // namespace
}  // namespace orgpulse::insights

// Generated and fuzzed strings are often not UTF-8, which protobuf logs at
// every parse and serialization; the noise would drown libFuzzer's output.
extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  orgpulse::insights::Run(data[0], data + 1, size - 1);
  return 0;
}
