#include "services/ingest/store/pg_event_log.h"

#include <algorithm>
#include <limits>
#include <string>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/storage/binary_codec.h"
#include "common/storage/pg_migrations.h"
#include "services/ingest/store/event_codec.h"

namespace orgpulse::ingest {
namespace {

constexpr PgMigration kMigrations[] = {
    {1, "event log, head, snapshots",
     R"sql(
CREATE TABLE ingest_log_head (
  only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
  position bigint NOT NULL);
INSERT INTO ingest_log_head (position) VALUES (0);
CREATE TABLE ingest_events (
  position bigint PRIMARY KEY,
  source bytea NOT NULL,
  event_id bytea NOT NULL,
  team text NOT NULL,
  occurred_us bigint NOT NULL,
  body bytea NOT NULL,
  UNIQUE (source, event_id));
CREATE INDEX ingest_events_team ON ingest_events (team);
CREATE TABLE ingest_snapshots (
  position bigint PRIMARY KEY,
  written_by text NOT NULL,
  written_at timestamptz NOT NULL DEFAULT now(),
  body bytea NOT NULL);
)sql"},
    {2, "removal records in the log",
     R"sql(
CREATE TABLE ingest_removals (
  position bigint PRIMARY KEY,
  source bytea,
  from_us bigint NOT NULL,
  to_us bigint NOT NULL,
  removed bigint NOT NULL);
)sql"},
    {3, "no team index: no query reads events by team",
     R"sql(
-- Every commit paid for it (one more B-tree insert per event).
DROP INDEX IF EXISTS ingest_events_team;
)sql"},
    {4, "snapshots keep their writer's log check, uncompressed",
     R"sql(
ALTER TABLE ingest_snapshots ADD COLUMN log_check bytea NOT NULL DEFAULT '';
-- Hundreds of MB of hash slots at 10M events: pglz would cost the writer
-- and the loader more CPU than the bytes it saves.
ALTER TABLE ingest_snapshots ALTER COLUMN body SET STORAGE EXTERNAL;
)sql"},
    {5, "duplicates decided by one key column: (source, event_id) as bytes",
     R"sql(
-- One bytea column compared with one memcmp, in place of the B-tree on two
-- (each comparison two function calls, and the second column's offset
-- recomputed per tuple): a quarter of the backend's time in a commit. The
-- source's length first keeps the join unambiguous; ids that follow each
-- other stay together in the index, as they did. AppendEventKey computes
-- the same bytes for new events. A generated column fills the existing rows
-- in the table's one rewrite (no dead row per event, as an UPDATE would
-- leave), then becomes a plain one. source and event_id are in the key (and
-- the body): rows as narrow as before.
ALTER TABLE ingest_events ADD COLUMN event_key bytea NOT NULL
  GENERATED ALWAYS AS (int4send(length(source)) || source || event_id) STORED;
ALTER TABLE ingest_events ALTER COLUMN event_key DROP EXPRESSION;
ALTER TABLE ingest_events ADD CONSTRAINT ingest_events_event_key UNIQUE (event_key);
ALTER TABLE ingest_events DROP CONSTRAINT ingest_events_source_event_id_key;
ALTER TABLE ingest_events DROP COLUMN event_id, DROP COLUMN source;
)sql"},
};

constexpr absl::string_view kLogChannel = "orgpulse_ingest_log";

// The positions of a group are head + its 1-based index, so a duplicate's
// position is simply skipped. A key twice in the group never gets here
// (Commit sends the first only): rows are inserted in whatever order the
// plan reads them, with no sort, and ON CONFLICT only meets stored events.
constexpr absl::string_view kInsert = R"sql(
INSERT INTO ingest_events (position, event_key, team, occurred_us, body)
SELECT $6::bigint + idx, event_key, team, occurred_us, body
FROM unnest($1::bytea[], $2::text[], $3::bigint[], $4::bytea[], $5::bigint[])
     AS incoming(event_key, team, occurred_us, body, idx)
ON CONFLICT (event_key) DO NOTHING
RETURNING position)sql";

// One read of the log, in one statement (so one snapshot): the head, the
// first removal record after $1 and the last one, and up to $2 events after
// $1 and no further than the head, $3, and (when $4) that first removal.
// Positions come only from the head under its row lock, so a snapshot that
// sees head h sees every event at or before h.
//
// With an anchor ($5 >= 0: the position of the last event the reader handed
// over, $6 its xmin, $7 its bytes), `diverged` says whether this is another
// log than the one read up to $1. Within one history positions are never
// reused and only removals take events away, so the same log still has a
// head at or past $1, no event in ($5, $1], and at $5 the same row (its
// transaction and bytes), or none if a removal record after $1 explains it.
// A promoted standby that lacked commits the old primary had shown reuses
// their positions for other commits: the anchor's row is another one (even
// when the new head has passed $1 since, which a head check alone misses),
// or gone, or the head is behind. The anchor is compared, not the server's
// timeline: a timeline changes at every promotion (a refold for nothing
// when the standby had everything), and not at all when a crashed server
// lost commits it had shown (synchronous_commit=off) or a backup was
// restored into the same place. (One CTE, read once, and the head's one
// row said so: planned as a few index probes; a plan estimated dearer
// would be compiled by JIT, 0.4 s per read.) The caller bounds $3 to a
// window after $1 (Read): with statistics older than the rows (a log that
// grew since the last ANALYZE) the planner took a bitmap scan of every row
// after $1 and a sort for each read, 0.45 s per read 500k rows from the
// end, so a replica folding from the start took quadratic time.
constexpr absl::string_view kRead = R"sql(
WITH bound AS (
  SELECT h.position AS head, n.next_removal,
    (SELECT max(r.position) FROM ingest_removals r) AS last_removal,
    $5::bigint >= 0 AND (
      h.position < $1
      OR EXISTS (SELECT 1 FROM ingest_events g
                 WHERE g.position > $5::bigint AND g.position <= $1)
      OR COALESCE(
           (SELECT NOT (a.xmin = $6::xid AND a.body = $7::bytea)
            FROM ingest_events a WHERE a.position = $5::bigint),
           $5::bigint > 0 AND n.next_removal IS NULL)) AS diverged
  FROM (SELECT position FROM ingest_log_head LIMIT 1) h CROSS JOIN LATERAL (
    SELECT min(r.position) AS next_removal FROM ingest_removals r
    WHERE r.position > $1) n)
SELECT b.head, b.next_removal, b.last_removal, b.diverged,
       e.position, e.xmin, e.body
FROM bound b LEFT JOIN LATERAL (
  SELECT position, xmin, body FROM ingest_events
  WHERE NOT b.diverged AND position > $1 AND position <= $3::bigint
    AND position <= LEAST(b.head, $3::bigint,
    CASE WHEN $4::boolean THEN COALESCE(b.next_removal, b.head)
         ELSE b.head END)
  ORDER BY position LIMIT $2) e ON true
ORDER BY e.position)sql";

// A one-dimensional array parameter in PostgreSQL's binary format (what
// array_recv reads): no hex or quoting to write, nor to parse on the server,
// and bytea elements travel as their bytes.
class PgBinaryArray {
 public:
  // `element_oid`: the element type's OID (pg_type), which array_recv checks.
  explicit PgBinaryArray(uint32_t element_oid, size_t reserve)
      : element_oid_(element_oid) {
    data_.reserve(20 + reserve);
  }
  void Add(absl::string_view bytes) {
    ++count_;
    PutInt32(static_cast<uint32_t>(bytes.size()));
    data_.append(bytes.data(), bytes.size());
  }
  void AddInt64(int64_t value) {
    ++count_;
    PutInt32(8);
    PutInt64(static_cast<uint64_t>(value));
  }
  // The parameter's bytes: the header (one dimension, no NULLs, this many
  // elements from index 1) before the elements.
  const std::string& Close() {
    std::string elements = std::move(data_);
    data_.clear();
    for (uint32_t v : {1u, 0u, element_oid_, count_, 1u}) PutInt32(v);
    data_ += elements;
    return data_;
  }

  static constexpr uint32_t kBytea = 17;
  static constexpr uint32_t kInt8 = 20;
  static constexpr uint32_t kText = 25;

 private:
  void PutInt32(uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) {
      data_.push_back(static_cast<char>(v >> shift));
    }
  }
  void PutInt64(uint64_t v) {
    for (int shift = 56; shift >= 0; shift -= 8) {
      data_.push_back(static_cast<char>(v >> shift));
    }
  }

  uint32_t element_oid_;
  uint32_t count_ = 0;
  std::string data_;
};

// A bigint in PostgreSQL's binary format: 8 bytes, big-endian.
int64_t BigEndianInt64(absl::string_view bytes) {
  uint64_t value = 0;
  for (char c : bytes) value = (value << 8) | static_cast<unsigned char>(c);
  return static_cast<int64_t>(value);
}

// The key that decides duplicates, as migration 5 computes it: the source's
// length (4 bytes, big-endian), the source, the event id. Exact (no hash to
// collide), and unambiguous whatever bytes a source holds.
void AppendEventKey(absl::string_view source, absl::string_view event_id,
                    std::string& key) {
  key.clear();
  const uint32_t length = static_cast<uint32_t>(source.size());
  for (int shift = 24; shift >= 0; shift -= 8) {
    key.push_back(static_cast<char>(length >> shift));
  }
  key.append(source.data(), source.size());
  key.append(event_id.data(), event_id.size());
}

}  // namespace

absl::Span<const PgMigration> PgEventLog::Migrations() { return kMigrations; }

absl::StatusOr<std::unique_ptr<PgEventLog>> PgEventLog::Open(
    const std::string& conninfo) {
  absl::StatusOr<std::unique_ptr<PgConnection>> pg =
      PgConnection::Connect(conninfo);
  if (!pg.ok()) return pg.status();
  if (absl::Status s = ApplyPgMigrations(**pg, "ingest", kMigrations);
      !s.ok()) {
    return s;
  }
  return std::unique_ptr<PgEventLog>(new PgEventLog(std::move(*pg)));
}

absl::Status PgEventLog::EnsureConnected() {
  if (pg_->connected()) return absl::OkStatus();
  listening_ = false;  // a new session listens to nothing
  return pg_->Reset();
}

absl::Status PgEventLog::Listen() {
  if (absl::Status s = EnsureConnected(); !s.ok()) return s;
  if (listening_) return absl::OkStatus();
  if (absl::Status s = pg_->Exec(absl::StrCat("LISTEN ", kLogChannel)).status();
      !s.ok()) {
    return s;
  }
  listening_ = true;
  return absl::OkStatus();
}

bool PgEventLog::WaitForCommit(absl::Duration timeout) {
  if (!Listen().ok()) return false;
  return pg_->WaitForNotification(timeout);
}

absl::StatusOr<PgCommit> PgEventLog::Commit(
    absl::Span<const Event* const> events) {
  if (absl::Status s = EnsureConnected(); !s.ok()) return s;
  const size_t n = events.size();
  std::vector<std::string> keys(n);
  for (size_t i = 0; i < n; ++i) {
    AppendEventKey(events[i]->source, events[i]->event_id, keys[i]);
  }
  PgBinaryArray key_array(PgBinaryArray::kBytea, n * 40),
      teams(PgBinaryArray::kText, n * 24), times(PgBinaryArray::kInt8, n * 12),
      bodies(PgBinaryArray::kBytea, n * 96),
      indexes(PgBinaryArray::kInt8, n * 12);
  absl::flat_hash_set<absl::string_view> in_group;
  in_group.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    if (!in_group.insert(keys[i]).second) continue;  // the first one is stored
    const Event* e = events[i];
    key_array.Add(keys[i]);
    teams.Add(e->team);
    times.AddInt64(absl::ToUnixMicros(e->occurred_at));
    const Event* one[] = {e};
    bodies.Add(EncodeEvents(one));
    indexes.AddInt64(static_cast<int64_t>(i) + 1);
  }
  const std::string& keys_bin = key_array.Close();
  const std::string& teams_bin = teams.Close();
  const std::string& times_bin = times.Close();
  const std::string& bodies_bin = bodies.Close();
  const std::string& indexes_bin = indexes.Close();

  PgCommit commit;
  commit.stored.assign(events.size(), false);
  absl::Status status = PgTransaction(*pg_, [&]() -> absl::Status {
    absl::StatusOr<PgResult> head =
        pg_->Exec("SELECT position FROM ingest_log_head FOR UPDATE");
    if (!head.ok()) return head.status();
    const int64_t before = head->GetInt64(0, 0);
    const std::string before_text = absl::StrCat(before);
    absl::StatusOr<PgResult> inserted = pg_->Exec(
        kInsert, {PgParam::Binary(keys_bin), PgParam::Binary(teams_bin),
                  PgParam::Binary(times_bin), PgParam::Binary(bodies_bin),
                  PgParam::Binary(indexes_bin), PgParam::Text(before_text)});
    if (!inserted.ok()) return inserted.status();
    for (int row = 0; row < inserted->rows(); ++row) {
      const int64_t index = inserted->GetInt64(row, 0) - before - 1;
      if (index >= 0 && index < static_cast<int64_t>(events.size())) {
        commit.stored[index] = true;
        ++commit.stored_count;
      }
    }
    // Nothing stored: the duplicates are at or before `before`, which is
    // then the position a reader must reach to see them.
    if (commit.stored_count == 0) {
      commit.head = before;
      return absl::OkStatus();
    }
    commit.head = before + static_cast<int64_t>(events.size());
    const std::string head_text = absl::StrCat(commit.head);
    if (absl::StatusOr<PgResult> moved =
            pg_->Exec("UPDATE ingest_log_head SET position = $1",
                      {PgParam::Text(head_text)});
        !moved.ok()) {
      return moved.status();
    }
    // Delivered at commit, to followers waiting in LISTEN.
    return pg_->Exec(absl::StrCat("NOTIFY ", kLogChannel)).status();
  });
  if (!status.ok()) return status;
  return commit;
}

absl::StatusOr<int64_t> PgEventLog::ReadAfter(
    int64_t position, int64_t limit,
    absl::FunctionRef<void(int64_t position, const Event& event)> fn) {
  absl::StatusOr<PgLogRead> read = Read(
      position, std::numeric_limits<int64_t>::max(), false, limit, nullptr, fn);
  if (!read.ok()) return read.status();
  return read->position;
}

absl::StatusOr<PgLogRead> PgEventLog::ReadLog(
    int64_t after, int64_t until, int64_t limit, const PgLogAnchor* anchor,
    absl::FunctionRef<void(int64_t position, const Event& event)> fn) {
  if (until > 0) return Read(after, until, false, limit, anchor, fn);
  return Read(after, std::numeric_limits<int64_t>::max(), true, limit, anchor,
              fn);
}

absl::StatusOr<PgLogRead> PgEventLog::Read(
    int64_t after, int64_t until, bool stop_at_removal, int64_t limit,
    const PgLogAnchor* anchor,
    absl::FunctionRef<void(int64_t position, const Event& event)> fn) {
  if (absl::Status s = EnsureConnected(); !s.ok()) return s;
  // No further than a window of positions per read (see kRead); gaps of
  // duplicates may leave it with fewer than `limit` events.
  const int64_t window = std::max<int64_t>(2 * limit, 1024);
  if (after < std::numeric_limits<int64_t>::max() - window) {
    until = std::min(until, after + window);
  }
  // Binary results: the body's bytes as they are, positions as 8 bytes.
  const std::string after_text = absl::StrCat(after);
  const std::string count = absl::StrCat(limit);
  const std::string until_text = absl::StrCat(until);
  const std::string anchor_text =
      absl::StrCat(anchor == nullptr ? -1 : anchor->position);
  const std::string xmin_text =
      absl::StrCat(anchor == nullptr ? 0 : anchor->xmin);
  absl::StatusOr<PgResult> rows =
      pg_->Exec(kRead,
                {PgParam::Text(after_text), PgParam::Text(count),
                 PgParam::Text(until_text),
                 PgParam::Text(stop_at_removal ? "true" : "false"),
                 PgParam::Text(anchor_text), PgParam::Text(xmin_text),
                 PgParam::Binary(anchor == nullptr ? "" : anchor->body)},
                /*binary_results=*/true);
  if (!rows.ok()) return rows.status();
  PgLogRead read;
  if (rows->rows() == 0) return read;  // no head row: not a migrated schema
  const int64_t head = BigEndianInt64(rows->Get(0, 0));
  const int64_t next_removal =
      rows->IsNull(0, 1) ? 0 : BigEndianInt64(rows->Get(0, 1));
  read.removals_seen = rows->IsNull(0, 2) ? 0 : BigEndianInt64(rows->Get(0, 2));
  read.next_removal = next_removal;
  read.head = head;
  read.diverged = !rows->Get(0, 3).empty() && rows->Get(0, 3)[0] != 0;
  if (read.diverged) return read;
  int64_t events = 0;
  int64_t last = after;
  for (int row = 0; row < rows->rows(); ++row) {
    if (rows->IsNull(row, 4)) continue;  // no event after `after`
    const int64_t at = BigEndianInt64(rows->Get(row, 4));
    absl::Status decoded = DecodeEvents(
        rows->Get(row, 6), [&](const Event& event) { fn(at, event); });
    if (!decoded.ok()) {
      return absl::DataLossError(
          absl::StrCat("ingest_events position ", at, ": ", decoded.message()));
    }
    last = at;
    ++events;
  }
  if (events > 0) {
    const int row = rows->rows() - 1;  // in position order: the last event
    read.last = {last, BigEndianInt64(rows->Get(row, 5)),
                 std::string(rows->Get(row, 6))};
  }
  if (events == limit) {  // there may be more before the bound
    read.position = last;
    return read;
  }
  int64_t bound = std::min(head, until);
  if (stop_at_removal && next_removal != 0 && next_removal <= bound) {
    bound = next_removal;
    read.removal = next_removal;
  }
  read.position = std::max(bound, after);
  return read;
}

absl::StatusOr<int64_t> PgEventLog::Remove(absl::string_view source,
                                           int64_t from_us, int64_t to_us) {
  if (absl::Status s = EnsureConnected(); !s.ok()) return s;
  const std::string from = absl::StrCat(from_us);
  const std::string to = absl::StrCat(to_us);
  const PgParam source_param =
      source.empty() ? PgParam::Null() : PgParam::Binary(source);
  // The source's events are those whose key starts with its length and it.
  std::string key_prefix;
  AppendEventKey(source, "", key_prefix);
  const PgParam prefix_param =
      source.empty() ? PgParam::Null() : PgParam::Binary(key_prefix);
  int64_t removed = 0;
  absl::Status status = PgTransaction(*pg_, [&]() -> absl::Status {
    // Under the head's lock, like a commit: the record's position follows
    // every commit whose events it may have removed.
    absl::StatusOr<PgResult> head =
        pg_->Exec("SELECT position FROM ingest_log_head FOR UPDATE");
    if (!head.ok()) return head.status();
    absl::StatusOr<PgResult> deleted = pg_->Exec(
        "DELETE FROM ingest_events WHERE ($1::bytea IS NULL OR "
        "substring(event_key FROM 1 FOR length($1)) = $1) "
        "AND occurred_us >= $2 AND occurred_us < $3",
        {prefix_param, PgParam::Text(from), PgParam::Text(to)});
    if (!deleted.ok()) return deleted.status();
    removed = deleted->AffectedRows();
    if (removed == 0) return absl::OkStatus();
    const std::string at = absl::StrCat(head->GetInt64(0, 0) + 1);
    const std::string count = absl::StrCat(removed);
    if (absl::StatusOr<PgResult> recorded =
            pg_->Exec("INSERT INTO ingest_removals "
                      "(position, source, from_us, to_us, removed) "
                      "VALUES ($1, $2, $3, $4, $5)",
                      {PgParam::Text(at), source_param, PgParam::Text(from),
                       PgParam::Text(to), PgParam::Text(count)});
        !recorded.ok()) {
      return recorded.status();
    }
    if (absl::StatusOr<PgResult> moved = pg_->Exec(
            "UPDATE ingest_log_head SET position = $1", {PgParam::Text(at)});
        !moved.ok()) {
      return moved.status();
    }
    return pg_->Exec(absl::StrCat("NOTIFY ", kLogChannel)).status();
  });
  if (!status.ok()) return status;
  return removed;
}

absl::StatusOr<int64_t> PgEventLog::Head() {
  if (absl::Status s = EnsureConnected(); !s.ok()) return s;
  absl::StatusOr<PgResult> head =
      pg_->Exec("SELECT position FROM ingest_log_head");
  if (!head.ok()) return head.status();
  return head->GetInt64(0, 0);
}

absl::Status PgEventLog::WriteSnapshot(int64_t position, absl::string_view body,
                                       absl::string_view written_by,
                                       absl::string_view check, int keep) {
  if (absl::Status s = EnsureConnected(); !s.ok()) return s;
  const std::string at = absl::StrCat(position);
  const std::string kept = absl::StrCat(std::max(keep, 1));
  return PgTransaction(*pg_, [&]() -> absl::Status {
    if (absl::StatusOr<PgResult> inserted = pg_->Exec(
            "INSERT INTO ingest_snapshots (position, written_by, body, "
            "log_check) VALUES ($1, $2, $3, $4) "
            "ON CONFLICT (position) DO NOTHING",
            {PgParam::Text(at), PgParam::Text(written_by),
             PgParam::Binary(body), PgParam::Binary(check)});
        !inserted.ok()) {
      return inserted.status();
    }
    return pg_
        ->Exec(
            "DELETE FROM ingest_snapshots WHERE position < ALL (SELECT "
            "position FROM ingest_snapshots ORDER BY position DESC LIMIT $1)",
            {PgParam::Text(kept)})
        .status();
  });
}

absl::StatusOr<std::optional<PgSnapshot>> PgEventLog::LatestSnapshot() {
  absl::StatusOr<std::vector<PgSnapshot>> all = ListSnapshots();
  if (!all.ok()) return all.status();
  if (all->empty()) return std::nullopt;
  PgSnapshot latest = std::move(all->front());
  absl::StatusOr<std::optional<std::string>> body =
      ReadSnapshotBody(latest.position);
  if (!body.ok()) return body.status();
  if (!body->has_value()) return std::nullopt;  // deleted meanwhile
  latest.body = **std::move(body);
  return latest;
}

absl::StatusOr<std::vector<PgSnapshot>> PgEventLog::ListSnapshots() {
  if (absl::Status s = EnsureConnected(); !s.ok()) return s;
  absl::StatusOr<PgResult> rows = pg_->Exec(
      "SELECT position, log_check, written_by FROM ingest_snapshots "
      "ORDER BY position DESC",
      {}, /*binary_results=*/true);
  if (!rows.ok()) return rows.status();
  std::vector<PgSnapshot> out(rows->rows());
  for (int row = 0; row < rows->rows(); ++row) {
    out[row].position = BigEndianInt64(rows->Get(row, 0));
    out[row].check = std::string(rows->Get(row, 1));
    out[row].written_by = std::string(rows->Get(row, 2));
  }
  return out;
}

absl::StatusOr<std::optional<std::string>> PgEventLog::ReadSnapshotBody(
    int64_t position) {
  if (absl::Status s = EnsureConnected(); !s.ok()) return s;
  const std::string at = absl::StrCat(position);
  absl::StatusOr<PgResult> rows =
      pg_->Exec("SELECT body FROM ingest_snapshots WHERE position = $1",
                {PgParam::Text(at)}, /*binary_results=*/true);
  if (!rows.ok()) return rows.status();
  if (rows->rows() == 0) return std::nullopt;
  return std::string(rows->Get(0, 0));
}

absl::Status PgEventLog::CheckCursor(int64_t position,
                                     const PgLogCursor& cursor) {
  // No event is read (limit 0): the read's header says it all.
  absl::StatusOr<PgLogRead> read =
      ReadLog(position, 0, 0, &cursor.anchor, [](int64_t, const Event&) {});
  if (!read.ok()) return read.status();
  if (read->diverged) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the event log no longer holds what it covers (head ", read->head,
        ", the event it ended with at position ", cursor.anchor.position,
        " is gone or another): a failover lost commits it had folded"));
  }
  if (read->next_removal != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("events were removed after it (removal record at "
                     "position ",
                     read->next_removal, ")"));
  }
  // No removal after `position`: the last one is the last up to it.
  if (read->removals_seen != cursor.last_removal) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the event log's last removal record up to it is at position ",
        read->removals_seen, ", not ", cursor.last_removal,
        " as when it was written: another log"));
  }
  return absl::OkStatus();
}

namespace {
constexpr uint8_t kCursorFormat = 1;
}  // namespace

std::string EncodePgLogCursor(const PgLogCursor& cursor) {
  std::string out;
  BinaryWriter w(out);
  w.Byte(kCursorFormat);
  w.Int(cursor.anchor.position);
  w.Int(cursor.anchor.xmin);
  w.Int(cursor.last_removal);
  w.String(cursor.anchor.body);
  return out;
}

absl::StatusOr<PgLogCursor> DecodePgLogCursor(absl::string_view bytes) {
  BinaryReader r(bytes);
  PgLogCursor cursor;
  const uint8_t format = r.Byte();
  cursor.anchor.position = r.Int();
  cursor.anchor.xmin = r.Int();
  cursor.last_removal = r.Int();
  r.String(cursor.anchor.body);
  if (!r.ok() || !r.done() || format != kCursorFormat ||
      cursor.anchor.position < 0 || cursor.last_removal < 0) {
    return absl::DataLossError(absl::StrCat(
        "not a log check of this binary's (", bytes.size(), " bytes)"));
  }
  return cursor;
}

}  // namespace orgpulse::ingest
