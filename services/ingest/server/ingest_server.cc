#include "services/ingest/server/ingest_server.h"

#include <malloc.h>

#include <atomic>
#include <functional>
#include <optional>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/log/log.h"
#include "common/server/server_scaffold.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "services/ingest/domain/ledger.h"
#include "services/ingest/grpc/ingest_service.h"
#include "services/ingest/metrics/ingest_collector.h"
#include "services/ingest/store/pg_event_store.h"
#include "services/ingest/store/pg_log_follower.h"
#include "services/ingest/store/sqlite_event_store.h"

namespace orgpulse::ingest {
namespace {

constexpr absl::string_view kComponent = "ingest";

prometheus::Histogram& CommitSecondsHistogram(prometheus::Registry& registry) {
  return prometheus::BuildHistogram()
      .Name("orgpulse_store_commit_seconds")
      .Help("Time to make a group of events durable in the event store.")
      .Register(registry)
      .Add({}, prometheus::Histogram::BucketBoundaries{0.0005, 0.001, 0.002,
                                                       0.005, 0.01, 0.02, 0.05,
                                                       0.1, 0.2, 0.5, 1, 2});
}

absl::StatusOr<std::unique_ptr<EventStore>> OpenStore(
    const IngestServerOptions& options) {
  if (!options.postgres.empty()) {
    absl::StatusOr<std::unique_ptr<PgEventStore>> pg =
        PgEventStore::Open(options.postgres, {});
    if (!pg.ok()) return pg.status();
    return std::unique_ptr<EventStore>(*std::move(pg));
  }
  absl::StatusOr<std::unique_ptr<SqliteEventStore>> sqlite =
      SqliteEventStore::Open(
          options.data_dir,
          {.synchronous = options.synchronous,
           .max_bytes = options.max_store_bytes,
           .discard_damaged_wal = options.discard_damaged_wal});
  if (!sqlite.ok()) return sqlite.status();
  return std::unique_ptr<EventStore>(*std::move(sqlite));
}

// Readiness: SERVING once the ledger's figures have caught up with the log
// (a replica joining a shared database folds it in the background first),
// and then while the store takes writes.
class CaughtUpHealth final : public StoreHealth {
 public:
  explicit CaughtUpHealth(StoreHealth& store) : store_(store) {}

  bool writable() const override {
    absl::MutexLock lock(&mu_);
    return caught_up_ && store_writable_;
  }
  void SetWritableObserver(std::function<void(bool)> observer) override {
    // Not under mu_: the store calls back at once, and then takes mu_.
    if (!observer) store_.SetWritableObserver(nullptr);
    {
      absl::MutexLock lock(&mu_);
      observer_ = std::move(observer);
      if (!observer_) return;
    }
    store_.SetWritableObserver([this](bool writable) {
      absl::MutexLock lock(&mu_);
      store_writable_ = writable;
      if (observer_) observer_(caught_up_ && writable);
    });
  }
  void MarkCaughtUp() {
    absl::MutexLock lock(&mu_);
    caught_up_ = true;
    if (observer_) observer_(store_writable_);
  }
  // Folding the log again (Ledger::OnStartOver): not ready until MarkCaughtUp.
  void MarkBehind() {
    absl::MutexLock lock(&mu_);
    caught_up_ = false;
    if (observer_) observer_(false);
  }

 private:
  StoreHealth& store_;
  mutable absl::Mutex mu_;
  bool caught_up_ ABSL_GUARDED_BY(mu_) = false;
  bool store_writable_ ABSL_GUARDED_BY(mu_) = false;
  std::function<void(bool)> observer_ ABSL_GUARDED_BY(mu_);
};

std::string DescribeRecovery(const RecoveryReport& r) {
  if (!r.from_snapshot) {
    return absl::StrCat("replayed ", r.replayed_events, " events, no snapshot");
  }
  // With --postgres "replayed" is the tail the follower folded.
  return absl::StrCat("snapshot of ", r.snapshot_events,
                      " events at log position ", r.snapshot_position,
                      " loaded in ", absl::FormatDuration(r.snapshot_load_time),
                      ", then ", r.replayed_events, " events replayed");
}

void LogSnapshot(const absl::StatusOr<SnapshotReport>& written) {
  if (!written.ok()) {
    Log(LogLevel::kWarning, kComponent,
        absl::StrCat("snapshot not written: ", written.status().message()));
    return;
  }
  Log(LogLevel::kInfo, kComponent,
      absl::StrCat("snapshot of ", written->events, " events at log position ",
                   written->position, ": ", written->bytes,
                   " bytes, commits "
                   "held ",
                   absl::FormatDuration(written->encode_time), ", written in ",
                   absl::FormatDuration(written->write_time)));
}

}  // namespace

// Declared in the order they are built; destroyed in reverse.
struct IngestServer::Parts {
  std::unique_ptr<EventStore> store;
  // With --postgres: the only source of the ledger's figures.
  std::unique_ptr<PgLogFollower> follower;
  std::unique_ptr<CaughtUpHealth> health;
  std::unique_ptr<Ledger> ledger;
  std::unique_ptr<IngestService> service;
  std::atomic<int64_t> recovered{0};
  // When the follower last started over (OnStartOver), if it did.
  std::optional<absl::Time> started_over;  // the follower thread's
};

IngestServer::IngestServer(std::unique_ptr<ServerScaffold> scaffold,
                           std::unique_ptr<Parts> parts)
    : ScaffoldedServer(std::move(scaffold)), parts_(std::move(parts)) {}

IngestServer::~IngestServer() { Shutdown(absl::ZeroDuration()); }

int64_t IngestServer::recovered_events() const { return parts_->recovered; }

absl::StatusOr<std::unique_ptr<IngestServer>> IngestServer::Start(
    const IngestServerOptions& options, const Clock& clock) {
  if (options.max_teams < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--max_teams must be at least 1, not ", options.max_teams));
  }
  if (options.max_sources < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--max_sources must be at least 1, not ", options.max_sources));
  }
  if (options.max_store_bytes < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--max_store_bytes must be 0 (no cap) or more, not ",
                     options.max_store_bytes));
  }
  if (!options.postgres.empty() && options.max_store_bytes != 0) {
    return absl::InvalidArgumentError(
        "--max_store_bytes caps the embedded store; with --postgres the "
        "database's own limits apply");
  }
  if (options.retain_events_for < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--retain_events_for must be 0 (keep every event) or "
                     "more, not ",
                     absl::FormatDuration(options.retain_events_for)));
  }
  if (options.snapshot_every_events < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--snapshot_every_events must be 0 (no snapshots) or "
                     "more, not ",
                     options.snapshot_every_events));
  }
  if (options.snapshot_interval < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--snapshot_interval must be 0 (by count only) or more, not ",
        absl::FormatDuration(options.snapshot_interval)));
  }
  if (options.retention_sweep_interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--retention_sweep_interval must be positive, not ",
                     absl::FormatDuration(options.retention_sweep_interval)));
  }
  const absl::Time start = absl::Now();
  absl::StatusOr<std::unique_ptr<ServerScaffold>> scaffold =
      ServerScaffold::Prepare(kComponent, options);
  if (!scaffold.ok()) return scaffold.status();
  auto p = std::make_unique<Parts>();

  // The dedup set's shards and the task tables grow by a quarter at a time
  // and are freed whole. glibc's mmap threshold rises after the first such
  // free, and the arrays then live in the heap, leaving holes it keeps
  // (3-4 MiB per million stored events, docs/benchmarks.md). A fixed
  // threshold keeps every allocation over 128 KiB in a mapping of its own,
  // returned to the system when freed.
  mallopt(M_MMAP_THRESHOLD, 128 * 1024);
  const absl::Time open_start = absl::Now();
  absl::StatusOr<std::unique_ptr<EventStore>> store = OpenStore(options);
  if (!store.ok()) return store.status();
  const absl::Duration open_time = absl::Now() - open_start;
  p->store = *std::move(store);
  const std::string store_name =
      options.postgres.empty() ? options.data_dir : "PostgreSQL";
  if (!options.postgres.empty()) {
    absl::StatusOr<std::unique_ptr<PgLogFollower>> follower =
        PgLogFollower::Open(options.postgres, {});
    if (!follower.ok()) return follower.status();
    p->follower = *std::move(follower);
  }
  p->health = std::make_unique<CaughtUpHealth>(*p->store);

  prometheus::Histogram& commit_seconds =
      CommitSecondsHistogram((*scaffold)->registry());
  p->ledger = std::make_unique<Ledger>(
      *p->store, clock,
      LedgerOptions{
          .max_teams = static_cast<size_t>(options.max_teams),
          .max_sources = static_cast<size_t>(options.max_sources),
          .retain_events_for = options.retain_events_for,
          .retention_sweep_interval = options.retention_sweep_interval,
          .snapshot_every_events = options.snapshot_every_events,
          .snapshot_interval = options.snapshot_interval},
      p->follower.get());
  p->ledger->set_commit_observer([&commit_seconds](absl::Duration d, size_t) {
    commit_seconds.Observe(absl::ToDoubleSeconds(d));
  });
  p->ledger->set_snapshot_observer(&LogSnapshot);
  // With a follower this runs later, on its thread, when it has folded the
  // log up to the head it saw at start; until then health is NOT_SERVING.
  p->ledger->OnCaughtUp([parts = p.get(), store_name, start, open_time] {
    if (parts->started_over) {
      Log(LogLevel::kInfo, kComponent,
          absl::StrCat(
              "folded the event log again: ",
              parts->ledger->stats().stored_events, " events up to position ",
              parts->ledger->folded_position(), " in ",
              absl::FormatDuration(absl::Now() - *parts->started_over)));
      parts->health->MarkCaughtUp();
      return;
    }
    parts->recovered = parts->ledger->stats().stored_events;
    Log(LogLevel::kInfo, kComponent,
        absl::StrCat("recovered ", parts->recovered.load(), " events of ",
                     parts->ledger->stats().teams, " teams from ", store_name,
                     parts->follower == nullptr
                         ? ""
                         : absl::StrCat(" (the log up to position ",
                                        parts->ledger->folded_position(), ")"),
                     " in ", absl::FormatDuration(absl::Now() - start),
                     " (store opened in ", absl::FormatDuration(open_time),
                     ", ", DescribeRecovery(parts->ledger->recovery()), ")"));
    parts->health->MarkCaughtUp();
  });
  p->ledger->OnStartOver([parts = p.get()] {
    Log(LogLevel::kWarning, kComponent,
        "the event log on the database is not the one this replica folded "
        "(a failover to a standby that lacked commits it had folded): "
        "folding it again from its start, NOT_SERVING until done");
    parts->started_over = absl::Now();
    parts->health->MarkBehind();
  });
  if (absl::Status s = p->ledger->Recover(); !s.ok()) return s;
  if (const RecoveryReport r = p->ledger->recovery();
      !r.snapshot_refused.ok()) {
    Log(LogLevel::kWarning, kComponent,
        absl::StrCat("snapshot not used: ", r.snapshot_refused.message(),
                     r.from_snapshot ? "; loaded an older one instead"
                                     : "; replaying the whole log instead"));
  }
  if (options.retain_events_for > absl::ZeroDuration()) {
    Log(LogLevel::kInfo, kComponent,
        absl::StrCat("retention ",
                     absl::FormatDuration(options.retain_events_for),
                     ": dropped ", p->ledger->stats().removed_by_retention,
                     " events older than ",
                     absl::FormatTime(absl::RFC3339_sec,
                                      clock.Now() - options.retain_events_for,
                                      absl::UTCTimeZone())));
  }

  p->service =
      std::make_unique<IngestService>(*p->ledger, (*scaffold)->authorizer());
  if (absl::Status s = (*scaffold)->Serve(
          {p->service.get()}, {std::make_shared<IngestCollector>(*p->ledger)},
          *p->health, "");
      !s.ok()) {
    return s;
  }
  return std::unique_ptr<IngestServer>(
      new IngestServer(*std::move(scaffold), std::move(p)));
}

void IngestServer::Shutdown(absl::Duration grace) {
  scaffold().Shutdown(
      grace, [this] { parts_->service->StartDraining(); },
      [this] {
        parts_->ledger->Stop();
        return absl::StrCat(parts_->ledger->stats().stored_events,
                            " events stored");
      });
}

}  // namespace orgpulse::ingest
