#!/usr/bin/env bash
# Commit throughput of ingest's PostgreSQL event log: builds Release into
# build-bench/, starts a throwaway PostgreSQL 15 (as the postgres user when
# run as root; fsync on, synchronous commit, a Unix socket only), and runs
# bench/pg_event_log_bench.cc with 1, 2 and 4 committers. Stops what it
# started.
#   bench/run_pg_bench.sh [--events 200000] [--group 1000]
#     [--ids random|sequential] [--committers "1 2 4"]
set -euo pipefail
cd "$(dirname "$0")/.."
EVENTS=200000
GROUP=1000
IDS=random
COMMITTERS="1 2 4"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --events) EVENTS=$2; shift 2 ;;
    --group) GROUP=$2; shift 2 ;;
    --ids) IDS=$2; shift 2 ;;
    --committers) COMMITTERS=$2; shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
BUILD_DIR=${BUILD_DIR:-build-bench} BUILD_TYPE=Release bash scripts/build.sh \
  orgpulse-pg-event-log-bench >/dev/null
B=${BUILD_DIR:-build-bench}
. bench/throwaway_postgres.sh

WORK=$(mktemp -d /tmp/orgpulse-pg-bench.XXXXXX)
cleanup() {
  pg_stop "$WORK"
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM
pg_start "$WORK" "-c shared_buffers=256MB"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load: $(cut -d' ' -f1-3 /proc/loadavg)"
for c in $COMMITTERS; do
  db="bench$c"
  as_pg "$PGBIN/createdb" -h "$WORK" -U postgres "$db"
  "$B/bench/orgpulse-pg-event-log-bench" --conninfo="host=$WORK user=postgres dbname=$db" \
    --committers="$c" --group_size="$GROUP" --events=$((EVENTS / c)) --ids="$IDS"
done
