#!/usr/bin/env bash
# Ingest durable into PostgreSQL, end to end (issue 12's performance figures),
# in one sitting: PostgreSQL 15 (throwaway, fsync on, synchronous commit, a
# Unix socket), the service and the load generator on the same cores.
#
#  1. the engine alone: pgbench, --clients (4) clients for --pgbench-seconds,
#     each transaction 1,000 rows of `INSERT ... ON CONFLICT DO NOTHING` on
#     random 128-bit keys (uuid) plus one ~70 KB row (DESIGN.md's figure);
#     rows/s = transactions/s x 1,000;
#  2. --rounds times, each into a fresh database: bench/run_ingest_bench.sh
#     --postgres (PushStream over --stream-events; server RSS at 1M and at the
#     end), and in round 1 a restarted replica catching up on the whole log
#     (time to SERVING; events/s of tail = events / that time); then the ratio
#     of (2) to (1).
#
# Other processes' CPU is not checked per run here (PostgreSQL's backends
# are "other processes" to run_ingest_bench.sh): the load is logged instead.
#   bench/run_pg_ingest_bench.sh [--stream-events 10000000] [--rounds 1]
#     [--clients 4] [--pgbench-seconds 20] [--source head|worktree]
#     [--restarts 1] [--ref COMMIT] [--skip-pgbench]
# BENCH_DIR (see run_ingest_bench.sh) is passed on: a tree per commit.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
STREAM_EVENTS=10000000
ROUNDS=1
CLIENTS=4
PGBENCH_SECONDS=20
SOURCE=head
RESTARTS=1
REF=HEAD
SKIP_PGBENCH=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --stream-events) STREAM_EVENTS=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --clients) CLIENTS=$2; shift 2 ;;
    --pgbench-seconds) PGBENCH_SECONDS=$2; shift 2 ;;
    --source) SOURCE=$2; shift 2 ;;
    --restarts) RESTARTS=$2; shift 2 ;;
    --ref) REF=$2; shift 2 ;;
    --skip-pgbench) SKIP_PGBENCH=1; shift ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
. "$HERE/throwaway_postgres.sh"
WORK=$(mktemp -d /tmp/orgpulse-pg-ingest-bench.XXXXXX)
cleanup() {
  pg_stop "$WORK"
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
pg_start "$WORK" "-c shared_buffers=256MB -c max_wal_size=4GB"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load: $(cut -d' ' -f1-3 /proc/loadavg)"

# 1. pgbench
PGBENCH_ROWS=0
if [[ $SKIP_PGBENCH == 0 ]]; then
as_pg "$PGBIN/createdb" -h "$WORK" -U postgres pgb
as_pg "$PGBIN/psql" -q -h "$WORK" -U postgres -d pgb -c \
  "CREATE TABLE keys (k uuid PRIMARY KEY); CREATE TABLE blobs (id bigserial PRIMARY KEY, b bytea NOT NULL);"
cat >"$WORK/tx.sql" <<'SQL'
BEGIN;
INSERT INTO keys SELECT gen_random_uuid() FROM generate_series(1, 1000) ON CONFLICT DO NOTHING;
INSERT INTO blobs (b) SELECT convert_to(string_agg(md5(random()::text), ''), 'UTF8') FROM generate_series(1, 2200);
COMMIT;
SQL
[[ $(id -u) -eq 0 ]] && chown postgres:postgres "$WORK/tx.sql"
echo "pgbench ($CLIENTS clients, ${PGBENCH_SECONDS} s, load $(cut -d' ' -f1-3 /proc/loadavg)):"
tps=$(as_pg "$PGBIN/pgbench" -h "$WORK" -U postgres -n -c "$CLIENTS" -j "$CLIENTS" -T "$PGBENCH_SECONDS" \
  -f "$WORK/tx.sql" pgb 2>&1 | tee "$WORK/pgbench.out" | awk '/^tps/ {print $3; exit}')
grep -E '^(tps|latency average|number of transactions actually)' "$WORK/pgbench.out" | sed 's/^/  /'
PGBENCH_ROWS=$(awk -v t="$tps" 'BEGIN {printf "%.0f", t * 1000}')
echo "pgbench: $PGBENCH_ROWS rows/s"
fi

# 2. the service, into a fresh database per round
RATES=()
for r in $(seq 1 "$ROUNDS"); do
  db="ingest$r"
  as_pg "$PGBIN/createdb" -h "$WORK" -U postgres "$db"
  out=$WORK/round$r.out
  bash "$HERE/run_ingest_bench.sh" --postgres "host=$WORK user=postgres dbname=$db" \
    --rounds 1 --skip-peer --skip-push --restarts "$RESTARTS" --stream-events "$STREAM_EVENTS" \
    --source "$SOURCE" --ref "$REF" --max-other 99 --attempts 1 --max-wait 0 | tee "$out"
  rate=$(grep -o 'events_per_s=[0-9.]*' "$out" | head -1 | cut -d= -f2)
  RATES+=("$rate")
  echo "round $r: PushStream into PostgreSQL $rate events/s; ratio to pgbench rows/s" \
    "$(awk -v a="$rate" -v b="$PGBENCH_ROWS" 'BEGIN {if (b > 0) printf "%.2f", a / b}')"
  restart=$(grep -o 'since_start_s=[0-9.]*' "$out" | head -1 | cut -d= -f2 || true)
  [[ -n $restart ]] && echo "round $r: replica caught up on $STREAM_EVENTS events in $restart s:" \
    "$(awk -v e="$STREAM_EVENTS" -v s="$restart" 'BEGIN {printf "%.0f", e / s}') events/s of tail"
  as_pg "$PGBIN/psql" -q -h "$WORK" -U postgres -d "$db" -Atc \
    "SELECT 'database size: ' || pg_size_pretty(pg_database_size('$db'))"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
