#include "services/insights/store/pg_survey_store.h"

#include <algorithm>
#include <utility>
#include <variant>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/storage/binary_codec.h"
#include "common/storage/pg_array_literal.h"
#include "common/storage/pg_migrations.h"
#include "services/insights/store/survey_codec.h"
#include "services/insights/store/survey_snapshot_codec.h"

namespace orgpulse::insights {
namespace {

constexpr PgMigration kMigrations[] = {
    {1, "survey log: head, responses, resets, settings",
     R"sql(
CREATE TABLE insights_log_head (
  only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
  position bigint NOT NULL,
  rewrites bigint NOT NULL);
INSERT INTO insights_log_head (position, rewrites) VALUES (0, 0);
CREATE TABLE insights_responses (
  position bigint PRIMARY KEY,
  response_id bytea NOT NULL UNIQUE,
  respondent bytea NOT NULL,
  round bytea NOT NULL,
  body bytea NOT NULL);
CREATE INDEX insights_responses_respondent ON insights_responses (respondent);
CREATE INDEX insights_responses_round ON insights_responses (round);
CREATE TABLE insights_resets (
  position bigint PRIMARY KEY,
  round bytea NOT NULL,
  body bytea NOT NULL);
CREATE TABLE insights_settings (
  name text PRIMARY KEY,
  value text NOT NULL);
)sql"},
    {2, "snapshots of the folded survey state",
     R"sql(
-- body: the sealed snapshot (survey_snapshot_codec.h): its cursor, the
-- log check and the state. Deleted with what erasures and retention drops
-- remove, in their transaction.
CREATE TABLE insights_snapshots (
  id bigserial PRIMARY KEY,
  position bigint NOT NULL,
  rewrites bigint NOT NULL,
  written_at timestamptz NOT NULL DEFAULT now(),
  body bytea NOT NULL);
-- Tens of MB at 200,000 responses: pglz would cost more CPU than it saves.
ALTER TABLE insights_snapshots ALTER COLUMN body SET STORAGE EXTERNAL;
)sql"},
};

// How many snapshots the database keeps (the newest): a replica whose log
// check fails on the newest (a failover lost what it covered) may use an
// older one.
constexpr int kKeptSnapshots = 3;
// Taken by a snapshot's write and by a removal, in their transactions: a
// snapshot is either deleted by the removal or written after it, seeing its
// new `rewrites` (and refused).
constexpr absl::string_view kSnapshotLock =
    "SELECT pg_advisory_xact_lock(7164823905517102113)";

constexpr absl::string_view kLogChannel = "orgpulse_insights_log";

// The positions of a batch are head + its 1-based index; a response id
// already stored (by any replica) is skipped and leaves a gap.
constexpr absl::string_view kAppend = R"sql(
INSERT INTO insights_responses (position, response_id, respondent, round, body)
SELECT $5::bigint + idx, response_id, respondent, round, body
FROM unnest($1::bytea[], $2::bytea[], $3::bytea[], $4::bytea[])
     WITH ORDINALITY AS incoming(response_id, respondent, round, body, idx)
ORDER BY idx
ON CONFLICT (response_id) DO NOTHING
RETURNING position)sql";

constexpr absl::string_view kAppendResets = R"sql(
INSERT INTO insights_resets (position, round, body)
SELECT $3::bigint + idx, round, body
FROM unnest($1::bytea[], $2::bytea[]) WITH ORDINALITY AS r(round, body, idx))sql";

// Text positions in a binary result: the bytea bodies come as their bytes.
constexpr absl::string_view kReadAfter = R"sql(
SELECT log.position::text AS at, log.body, log.xmin::text FROM (
  SELECT position, body, xmin FROM insights_responses WHERE position > $1
  UNION ALL
  SELECT position, body, xmin FROM insights_resets WHERE position > $1) AS log
ORDER BY log.position)sql";

// Whether the log is still the one a reader read up to $2, whose last record
// was at $1 (0: none) with xmin $3 and bytes $4: within one history
// positions are never reused and only a rewrite (counted) deletes, so the
// same log has that row at $1 and nothing in ($1, $2]. The record is
// compared rather than the server's timeline, which changes at every
// promotion (a refold for nothing when the standby had everything) and not
// when a crashed server lost records it had shown (synchronous_commit=off).
constexpr absl::string_view kHoldsMark = R"sql(
SELECT NOT EXISTS (SELECT 1 FROM insights_responses
                   WHERE position > $1::bigint AND position <= $2::bigint)
   AND NOT EXISTS (SELECT 1 FROM insights_resets
                   WHERE position > $1::bigint AND position <= $2::bigint)
   AND ($1::bigint = 0 OR EXISTS (
     SELECT 1 FROM (
       SELECT xmin, body FROM insights_responses WHERE position = $1::bigint
       UNION ALL
       SELECT xmin, body FROM insights_resets WHERE position = $1::bigint) AS a
     WHERE a.xmin = $3::xid AND a.body = $4::bytea)))sql";

// The head row, locked until the transaction ends.
absl::StatusOr<SurveyLogCursor> LockHead(PgConnection& pg) {
  absl::StatusOr<PgResult> head =
      pg.Exec("SELECT position, rewrites FROM insights_log_head FOR UPDATE");
  if (!head.ok()) return head.status();
  return SurveyLogCursor{head->GetInt64(0, 0), head->GetInt64(0, 1)};
}

absl::Status MoveHead(PgConnection& pg, const SurveyLogCursor& head) {
  const std::string position = absl::StrCat(head.position);
  const std::string rewrites = absl::StrCat(head.rewrites);
  if (absl::StatusOr<PgResult> moved =
          pg.Exec("UPDATE insights_log_head SET position = $1, rewrites = $2",
                  {PgParam::Text(position), PgParam::Text(rewrites)});
      !moved.ok()) {
    return moved.status();
  }
  // Delivered at commit, to the replicas' watchers.
  return pg.Exec(absl::StrCat("NOTIFY ", kLogChannel)).status();
}

}  // namespace

absl::StatusOr<std::unique_ptr<PgSurveyStore>> PgSurveyStore::Open(
    const std::string& conninfo, const PgSurveyStoreOptions& options) {
  absl::StatusOr<std::unique_ptr<PgConnection>> pg =
      PgConnection::Connect(conninfo);
  if (!pg.ok()) return pg.status();
  if (absl::Status s = ApplyPgMigrations(**pg, "insights", kMigrations);
      !s.ok()) {
    return s;
  }
  return std::unique_ptr<PgSurveyStore>(
      new PgSurveyStore(conninfo, *std::move(pg), options));
}

PgSurveyStore::PgSurveyStore(const std::string& conninfo,
                             std::unique_ptr<PgConnection> pg,
                             const PgSurveyStoreOptions& options)
    : conninfo_(conninfo),
      health_(conninfo, options.probe_interval),
      pg_(std::move(pg)) {}

absl::Status PgSurveyStore::EnsureConnected() {
  const int64_t outages = health_.outages();
  if (pg_->connected() && outages == outages_seen_) return absl::OkStatus();
  outages_seen_ = outages;
  return Noted(pg_->Reset());
}

absl::Status PgSurveyStore::Noted(absl::Status status) {
  if (absl::IsUnavailable(status)) health_.Lost(status);
  return status;
}

absl::Status PgSurveyStore::CheckSetting(absl::string_view name,
                                         absl::string_view value) {
  if (absl::Status s = EnsureConnected(); !s.ok()) return s;
  absl::StatusOr<PgResult> row = pg_->Exec(
      "WITH added AS (INSERT INTO insights_settings (name, value) "
      "VALUES ($1, $2) ON CONFLICT (name) DO NOTHING RETURNING value) "
      "SELECT value FROM added UNION ALL "
      "SELECT value FROM insights_settings WHERE name = $1",
      {PgParam::Text(name), PgParam::Text(value)});
  if (!row.ok()) return Noted(row.status());
  if (row->rows() == 0 || row->Get(0, 0) != value) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the database's insights replicas run with ", name, "=",
        row->rows() == 0 ? "?" : row->Get(0, 0), ", this one with ", name, "=",
        value,
        ": every replica must release the same figures, so they must "
        "agree"));
  }
  return absl::OkStatus();
}

absl::Status PgSurveyStore::Append(absl::Span<const ScoredResponse> responses) {
  if (responses.empty()) return absl::OkStatus();
  if (absl::Status s = health_.CheckWritable("the survey store"); !s.ok()) {
    return s;
  }
  if (absl::Status s = EnsureConnected(); !s.ok()) return s;
  PgArrayLiteral ids, respondents, rounds, bodies;
  for (const ScoredResponse& r : responses) {
    ids.AddBytes(r.response_id);
    respondents.AddBytes(r.respondent);
    rounds.AddBytes(r.round);
    bodies.AddBytes(EncodeResponses({r}));
  }
  const std::string& ids_text = ids.Close();
  const std::string& respondents_text = respondents.Close();
  const std::string& rounds_text = rounds.Close();
  const std::string& bodies_text = bodies.Close();
  return Noted(PgTransaction(*pg_, [&]() -> absl::Status {
    absl::StatusOr<SurveyLogCursor> head = LockHead(*pg_);
    if (!head.ok()) return head.status();
    const std::string before = absl::StrCat(head->position);
    absl::StatusOr<PgResult> inserted = pg_->Exec(
        kAppend, {PgParam::Text(ids_text), PgParam::Text(respondents_text),
                  PgParam::Text(rounds_text), PgParam::Text(bodies_text),
                  PgParam::Text(before)});
    if (!inserted.ok()) return inserted.status();
    if (inserted->rows() == 0) return absl::OkStatus();  // all known
    head->position += static_cast<int64_t>(responses.size());
    return MoveHead(*pg_, *head);
  }));
}

absl::StatusOr<SurveyLogRead> PgSurveyStore::ReadAfter(
    const SurveyLogCursor& from,
    absl::FunctionRef<void(const ScoredResponse&)> on_response,
    absl::FunctionRef<void(const RoundReset&)> on_reset) {
  if (absl::Status s = EnsureConnected(); !s.ok()) return s;
  SurveyLogRead read;
  ReadMark last;
  std::vector<std::variant<ScoredResponse, RoundReset>> records;
  absl::Status status = PgTransaction(*pg_, [&]() -> absl::Status {
    // One snapshot: the head and the rows it covers.
    if (absl::Status s =
            pg_->Exec(
                   "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                .status();
        !s.ok()) {
      return s;
    }
    absl::StatusOr<PgResult> head =
        pg_->Exec("SELECT position, rewrites FROM insights_log_head");
    if (!head.ok()) return head.status();
    read.cursor = {head->GetInt64(0, 0), head->GetInt64(0, 1)};
    read.from_start =
        from == SurveyLogCursor{} || from.rewrites != read.cursor.rewrites;
    // A cursor this store did not hand out last cannot be vouched for.
    if (!read.from_start && (!mark_ || mark_->cursor != from)) {
      read.from_start = true;
    }
    if (!read.from_start) {
      absl::StatusOr<bool> held = HoldsMark(read.cursor);
      if (!held.ok()) return held.status();
      read.from_start = !*held;
    }
    const std::string after = absl::StrCat(read.from_start ? 0 : from.position);
    absl::StatusOr<PgResult> rows =
        pg_->Exec(kReadAfter, {PgParam::Text(after)}, /*binary_results=*/true);
    if (!rows.ok()) return rows.status();
    last = read.from_start ? ReadMark{} : *mark_;
    if (const int row = rows->rows() - 1; row >= 0) {  // the last record
      if (!absl::SimpleAtoi(rows->Get(row, 0), &last.position) ||
          !absl::SimpleAtoi(rows->Get(row, 2), &last.xmin)) {
        return absl::DataLossError(absl::StrCat(
            "insights log: a position or xmin that is not a number: ",
            rows->Get(row, 0), ", ", rows->Get(row, 2)));
      }
      last.body = std::string(rows->Get(row, 1));
    }
    for (int row = 0; row < rows->rows(); ++row) {
      const absl::string_view body = rows->Get(row, 1);
      absl::Status decoded;
      if (IsResetRecord(body)) {
        RoundReset reset;
        decoded = DecodeReset(body, reset);
        records.emplace_back(std::move(reset));
      } else {
        decoded = DecodeResponses(
            body, [&](const ScoredResponse& r) { records.emplace_back(r); });
      }
      if (!decoded.ok()) {
        return absl::DataLossError(absl::StrCat("insights log position ",
                                                rows->Get(row, 0), ": ",
                                                decoded.message()));
      }
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return Noted(status);
  last.cursor = read.cursor;
  mark_ = std::move(last);
  for (const auto& record : records) {
    if (const auto* r = std::get_if<ScoredResponse>(&record)) {
      on_response(*r);
    } else {
      on_reset(std::get<RoundReset>(record));
    }
  }
  return read;
}

absl::StatusOr<bool> PgSurveyStore::HoldsMark(const SurveyLogCursor& head) {
  if (head.position < mark_->cursor.position) return false;
  const std::string position = absl::StrCat(mark_->position);
  const std::string until = absl::StrCat(mark_->cursor.position);
  const std::string xmin = absl::StrCat(mark_->xmin);
  absl::StatusOr<PgResult> held = pg_->Exec(
      kHoldsMark, {PgParam::Text(position), PgParam::Text(until),
                   PgParam::Text(xmin), PgParam::Binary(mark_->body)});
  if (!held.ok()) return held.status();
  return held->Get(0, 0) == "t";
}

absl::Status PgSurveyStore::Replay(
    absl::FunctionRef<void(const ScoredResponse&)> on_response,
    absl::FunctionRef<void(const RoundReset&)> on_reset) {
  return ReadAfter({}, on_response, on_reset).status();
}

absl::StatusOr<int64_t> PgSurveyStore::Erase(
    absl::string_view respondent, absl::Span<const RoundReset> resets) {
  if (respondent.empty()) {
    return absl::InvalidArgumentError("no respondent to erase");
  }
  return Remove(std::nullopt, respondent, {}, resets);
}

absl::StatusOr<int64_t> PgSurveyStore::EraseAt(
    const SurveyLogCursor& at, absl::string_view respondent,
    absl::Span<const RoundReset> resets) {
  if (respondent.empty()) {
    return absl::InvalidArgumentError("no respondent to erase");
  }
  return Remove(at, respondent, {}, resets);
}

absl::StatusOr<int64_t> PgSurveyStore::DropRounds(
    const std::set<std::string>& rounds) {
  return Remove(std::nullopt, "", rounds, {});
}

absl::StatusOr<int64_t> PgSurveyStore::Remove(
    const std::optional<SurveyLogCursor>& at, absl::string_view respondent,
    const std::set<std::string>& rounds, absl::Span<const RoundReset> resets) {
  if (absl::Status s = health_.CheckWritable("the survey store"); !s.ok()) {
    return s;
  }
  if (absl::Status s = EnsureConnected(); !s.ok()) return s;
  // Resets of these rounds go: the dropped rounds', and the earlier resets
  // of the rounds the new ones replace.
  PgArrayLiteral reset_rounds_literal, drop_rounds_literal;
  for (const std::string& round : rounds) {
    reset_rounds_literal.AddBytes(round);
    drop_rounds_literal.AddBytes(round);
  }
  PgArrayLiteral new_rounds, new_bodies;
  for (const RoundReset& reset : resets) {
    reset_rounds_literal.AddBytes(reset.round);
    new_rounds.AddBytes(reset.round);
    new_bodies.AddBytes(EncodeReset(reset));
  }
  const std::string& reset_rounds = reset_rounds_literal.Close();
  const std::string& drop_rounds = drop_rounds_literal.Close();
  const std::string& new_rounds_text = new_rounds.Close();
  const std::string& new_bodies_text = new_bodies.Close();

  int64_t removed = 0;
  bool changed = false;
  absl::Status status = PgTransaction(*pg_, [&]() -> absl::Status {
    absl::StatusOr<SurveyLogCursor> head = LockHead(*pg_);
    if (!head.ok()) return head.status();
    if (at && *at != *head) {
      return absl::AbortedError(absl::StrCat(
          "the survey log moved (position ", at->position, " -> ",
          head->position, ", rewrites ", at->rewrites, " -> ", head->rewrites,
          ") since the erasure was computed: catch up and try again"));
    }
    if (at && mark_ && mark_->cursor == *at) {
      absl::StatusOr<bool> held = HoldsMark(*head);
      if (!held.ok()) return held.status();
      if (!*held) {
        return absl::AbortedError(absl::StrCat(
            "the survey log is not the one read up to position ", at->position,
            " (a failover lost records that were read): catch up and try "
            "again"));
      }
    }
    absl::StatusOr<PgResult> gone =
        respondent.empty()
            ? pg_->Exec(
                  "DELETE FROM insights_responses WHERE round = "
                  "ANY($1::bytea[])",
                  {PgParam::Text(drop_rounds)})
            : pg_->Exec("DELETE FROM insights_responses WHERE respondent = $1",
                        {PgParam::Binary(respondent)});
    if (!gone.ok()) return gone.status();
    removed = gone->AffectedRows();
    absl::StatusOr<PgResult> old_resets =
        pg_->Exec("DELETE FROM insights_resets WHERE round = ANY($1::bytea[])",
                  {PgParam::Text(reset_rounds)});
    if (!old_resets.ok()) return old_resets.status();
    changed = removed > 0 || old_resets->AffectedRows() > 0 || !resets.empty();
    if (!changed) return absl::OkStatus();
    const std::string before = absl::StrCat(head->position);
    if (absl::Status s =
            pg_->Exec(kAppendResets,
                      {PgParam::Text(new_rounds_text),
                       PgParam::Text(new_bodies_text), PgParam::Text(before)})
                .status();
        !s.ok()) {
      return s;
    }
    head->position += static_cast<int64_t>(resets.size());
    ++head->rewrites;  // every reader starts again from the beginning
    // The snapshots hold what was removed (and a snapshot being written
    // now is either deleted here or refused after the commit).
    if (absl::Status s = pg_->Exec(kSnapshotLock).status(); !s.ok()) return s;
    if (absl::Status s = pg_->Exec("DELETE FROM insights_snapshots").status();
        !s.ok()) {
      return s;
    }
    return MoveHead(*pg_, *head);
  });
  if (!status.ok()) return Noted(status);
  if (changed || vacuum_owed_) {
    // The deleted rows out of the table and index files (see the header).
    vacuum_owed_ = true;
    if (absl::Status s =
            pg_->Exec("VACUUM FULL insights_responses, insights_resets, "
                      "insights_snapshots")
                .status();
        !s.ok()) {
      return Noted(absl::Status(
          s.code(),
          absl::StrCat("removed, but the tables could not be rewritten (the "
                       "rows stay in the database's files until the next "
                       "erasure or retention drop succeeds): ",
                       s.message())));
    }
    vacuum_owed_ = false;
  }
  return removed;
}

namespace {

std::string EncodeLogCheck(int64_t position, int64_t xmin,
                           absl::string_view body) {
  std::string out;
  BinaryWriter w(out);
  w.Int(position);
  w.Int(xmin);
  w.String(body);
  return out;
}

}  // namespace

absl::StatusOr<SurveySnapshot> PgSurveyStore::SnapshotMark(
    const SurveyLogCursor& folded) {
  if (!mark_ || mark_->cursor != folded) {
    return absl::FailedPreconditionError(
        "the survey state is not the one last read from the log; no "
        "snapshot");
  }
  SurveySnapshot out;
  out.cursor = folded;
  out.log_check = EncodeLogCheck(mark_->position, mark_->xmin, mark_->body);
  return out;
}

absl::Status PgSurveyStore::SaveSnapshot(const SurveySnapshot& snapshot) {
  const std::string body = SealSurveySnapshot(snapshot);
  absl::MutexLock lock(&snapshot_mu_);
  if (snapshot_pg_ == nullptr || !snapshot_pg_->connected()) {
    absl::StatusOr<std::unique_ptr<PgConnection>> pg =
        PgConnection::Connect(conninfo_);
    if (!pg.ok()) return pg.status();
    snapshot_pg_ = *std::move(pg);
  }
  PgConnection& pg = *snapshot_pg_;
  const std::string position = absl::StrCat(snapshot.cursor.position);
  const std::string rewrites = absl::StrCat(snapshot.cursor.rewrites);
  const std::string kept = absl::StrCat(kKeptSnapshots);
  return PgTransaction(pg, [&]() -> absl::Status {
    if (absl::Status s = pg.Exec(kSnapshotLock).status(); !s.ok()) return s;
    absl::StatusOr<PgResult> head = pg.Exec(
        "SELECT rewrites, EXISTS (SELECT 1 FROM insights_snapshots WHERE "
        "rewrites = $2::bigint AND position >= $1::bigint) "
        "FROM insights_log_head",
        {PgParam::Text(position), PgParam::Text(rewrites)});
    if (!head.ok()) return head.status();
    if (head->GetInt64(0, 0) != snapshot.cursor.rewrites) {
      return absl::AbortedError(
          "the survey log was rewritten (an erasure or a retention drop) "
          "since the snapshot was taken; not saved");
    }
    if (head->Get(0, 1) == "t") return absl::OkStatus();  // another replica's
    if (absl::Status s =
            pg.Exec("INSERT INTO insights_snapshots (position, rewrites, body) "
                    "VALUES ($1, $2, $3)",
                    {PgParam::Text(position), PgParam::Text(rewrites),
                     PgParam::Binary(body)})
                .status();
        !s.ok()) {
      return s;
    }
    return pg
        .Exec(
            "DELETE FROM insights_snapshots WHERE id NOT IN (SELECT id FROM "
            "insights_snapshots ORDER BY position DESC, id DESC LIMIT $1)",
            {PgParam::Text(kept)})
        .status();
  });
}

absl::StatusOr<SurveySnapshot> PgSurveyStore::LoadSnapshot() {
  if (absl::Status s = EnsureConnected(); !s.ok()) return s;
  absl::StatusOr<PgResult> rows = pg_->Exec(
      "SELECT id FROM insights_snapshots ORDER BY position DESC, id DESC");
  if (!rows.ok()) return Noted(rows.status());
  if (rows->rows() == 0) {
    return absl::NotFoundError("no survey snapshot in the database");
  }
  absl::Status newest_refusal;
  for (int row = 0; row < rows->rows(); ++row) {
    const std::string id(rows->Get(row, 0));
    std::optional<SurveySnapshot> found;
    absl::Status status = PgTransaction(*pg_, [&]() -> absl::Status {
      // One snapshot of the database: the head, the row, the log check.
      if (absl::Status s =
              pg_->Exec("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ "
                        "ONLY")
                  .status();
          !s.ok()) {
        return s;
      }
      absl::StatusOr<PgResult> body =
          pg_->Exec("SELECT body FROM insights_snapshots WHERE id = $1",
                    {PgParam::Text(id)}, /*binary_results=*/true);
      if (!body.ok()) return body.status();
      if (body->rows() == 0) {
        return absl::NotFoundError("deleted while being read (a removal)");
      }
      absl::StatusOr<SurveySnapshot> snapshot =
          OpenSurveySnapshot(body->Get(0, 0));
      if (!snapshot.ok()) return snapshot.status();
      absl::StatusOr<PgResult> head =
          pg_->Exec("SELECT position, rewrites FROM insights_log_head");
      if (!head.ok()) return head.status();
      const SurveyLogCursor log{head->GetInt64(0, 0), head->GetInt64(0, 1)};
      if (snapshot->cursor.rewrites != log.rewrites) {
        return absl::FailedPreconditionError(absl::StrCat(
            "it is of the log before a rewrite (rewrites ",
            snapshot->cursor.rewrites, ", the log's ", log.rewrites, ")"));
      }
      if (snapshot->cursor.position > log.position) {
        return absl::FailedPreconditionError(absl::StrCat(
            "it covers the log up to position ", snapshot->cursor.position,
            ", beyond its head ", log.position));
      }
      ReadMark mark;
      mark.cursor = snapshot->cursor;
      BinaryReader r(snapshot->log_check);
      mark.position = r.Int();
      mark.xmin = r.Int();
      r.String(mark.body);
      if (!r.ok() || !r.done()) {
        return absl::DataLossError("its log check does not decode");
      }
      std::optional<ReadMark> previous = std::exchange(mark_, mark);
      absl::StatusOr<bool> held = HoldsMark(log);
      if (!held.ok() || !*held) {
        mark_ = std::move(previous);
        if (!held.ok()) return held.status();
        return absl::FailedPreconditionError(absl::StrCat(
            "the log no longer holds what it covered up to position ",
            snapshot->cursor.position, " (a failover lost records)"));
      }
      found = *std::move(snapshot);
      return absl::OkStatus();
    });
    if (found) return *std::move(found);
    if (absl::IsUnavailable(status)) return Noted(status);
    if (newest_refusal.ok()) {
      newest_refusal = absl::Status(
          status.code(), absl::StrCat("the newest survey snapshot in the "
                                      "database is refused: ",
                                      status.message()));
    }
  }
  return newest_refusal;
}

absl::StatusOr<int64_t> PgSurveyStore::ImportLog(
    absl::Span<const Record> records,
    absl::FunctionRef<absl::Status(PgConnection&)> in_transaction) {
  if (absl::Status s = health_.CheckWritable("the survey store"); !s.ok()) {
    return s;
  }
  if (absl::Status s = EnsureConnected(); !s.ok()) return s;
  int64_t stored = 0;
  absl::Status status = PgTransaction(*pg_, [&]() -> absl::Status {
    stored = 0;
    absl::StatusOr<SurveyLogCursor> head = LockHead(*pg_);
    if (!head.ok()) return head.status();
    if (head->position != 0) {
      return absl::FailedPreconditionError(absl::StrCat(
          "PostgreSQL's survey log is not empty (position ", head->position,
          "): a survey log is copied only into an empty one, because release "
          "steps follow the order of the log and two logs merged would "
          "release figures that neither released"));
    }
    // Runs of responses go as one Append statement each, resets one by one,
    // each at the head as it stands.
    size_t i = 0;
    while (i < records.size()) {
      PgArrayLiteral first, second, third, fourth;
      absl::string_view statement;
      int64_t count = 0;
      if (const auto* reset = std::get_if<RoundReset>(&records[i])) {
        first.AddBytes(reset->round);
        second.AddBytes(EncodeReset(*reset));
        statement = kAppendResets;
        count = 1;
        ++i;
      } else {
        for (; i < records.size() &&
               std::holds_alternative<ScoredResponse>(records[i]);
             ++i) {
          const ScoredResponse& r = std::get<ScoredResponse>(records[i]);
          first.AddBytes(r.response_id);
          second.AddBytes(r.respondent);
          third.AddBytes(r.round);
          fourth.AddBytes(EncodeResponses({r}));
          ++count;
        }
        statement = kAppend;
      }
      const std::string before = absl::StrCat(head->position);
      std::vector<PgParam> params = {PgParam::Text(first.Close()),
                                     PgParam::Text(second.Close())};
      if (statement == kAppend) {
        params.push_back(PgParam::Text(third.Close()));
        params.push_back(PgParam::Text(fourth.Close()));
      }
      params.push_back(PgParam::Text(before));
      absl::StatusOr<PgResult> inserted = pg_->Exec(statement, params);
      if (!inserted.ok()) return inserted.status();
      stored += statement == kAppend ? inserted->rows() : count;
      head->position += count;
    }
    if (absl::Status s = in_transaction(*pg_); !s.ok()) return s;
    return MoveHead(*pg_, *head);
  });
  if (!status.ok()) return Noted(status);
  return stored;
}

PgSurveyLogWatcher::PgSurveyLogWatcher(std::string conninfo,
                                       absl::Duration poll_interval,
                                       std::function<void()> on_change)
    : conninfo_(std::move(conninfo)),
      poll_interval_(poll_interval),
      on_change_(std::move(on_change)) {
  thread_ = std::thread([this] { Loop(); });
}

PgSurveyLogWatcher::~PgSurveyLogWatcher() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

void PgSurveyLogWatcher::Loop() {
  std::unique_ptr<PgConnection> pg;
  bool listening = false;
  const absl::Duration slice =
      std::min(absl::Milliseconds(100), poll_interval_);
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
    }
    // Listening before the read: a change after it is announced.
    if (!listening) {
      if (pg == nullptr) {
        absl::StatusOr<std::unique_ptr<PgConnection>> connected =
            PgConnection::Connect(conninfo_, poll_interval_);
        if (connected.ok()) pg = *std::move(connected);
      } else if (!pg->connected()) {
        (void)pg->Reset();
      }
      listening = pg != nullptr && pg->connected() &&
                  pg->Exec(absl::StrCat("LISTEN ", kLogChannel)).ok();
    }
    on_change_();
    // Wait in short slices, so that stopping is prompt.
    const absl::Time until = absl::Now() + poll_interval_;
    while (absl::Now() < until) {
      {
        absl::MutexLock lock(&mu_);
        auto stop = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
          return stopping_;
        };
        if (!listening && mu_.AwaitWithTimeout(absl::Condition(&stop), slice))
          return;
        if (stopping_) return;
      }
      if (!listening) continue;
      if (pg->WaitForNotification(slice)) break;
      if (!pg->connected()) listening = false;
    }
  }
}

}  // namespace orgpulse::insights
