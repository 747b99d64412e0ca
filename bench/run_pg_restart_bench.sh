#!/usr/bin/env bash
# Restart of an ingest replica on PostgreSQL with and without a snapshot
# (issue 12, "Snapshots"), and the catch-up rate of the tail after one. A
# benchmark, not a test.
#
# Builds Release into build-release/ (orgpulse-ingest and the load
# generator), starts a throwaway PostgreSQL 15 (fsync on, synchronous
# commit, a Unix socket in a temp dir), then:
#  1. loads --events (10M) through PushStream into a replica with snapshots
#     off, and SIGKILLs it;
#  2. --restarts times: a replica started with no snapshot in the database
#     (it folds the whole log): time from exec to SERVING and a ListTeams
#     answered (loadgen --mode=probe); the last one is stopped with SIGTERM
#     and writes a snapshot (its log line: bytes, how long folds waited,
#     write time);
#  3. --restarts times: a replica started from that snapshot, nothing after
#     it: time to SERVING (each stopped with SIGKILL, so the snapshot stays
#     the same);
#  4. --tail (1M) more events pushed through a replica with snapshots off,
#     then --restarts replicas started from the snapshot: time to SERVING,
#     and the tail's catch-up rate from the replica's start-up line (tail /
#     (recovery time - store open - snapshot load)); with --perf, the first
#     of them under `perf record` (the service's top symbols, no call graph).
# Everything it starts is stopped by pid; the temp dir is removed on exit.
#
# usage: bench/run_pg_restart_bench.sh [--events N] [--tail N] [--restarts N] [--perf]
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
EVENTS=10000000
TAIL=1000000
RESTARTS=3
PERF=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --events) EVENTS=$2; shift 2 ;;
    --tail) TAIL=$2; shift 2 ;;
    --restarts) RESTARTS=$2; shift 2 ;;
    --perf) PERF=1; shift ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
BUILD=$REPO/build-release
cmake -S "$REPO" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD" -j"$(nproc)" --target orgpulse-ingest orgpulse-ingest-loadgen >/dev/null
SERVER=$BUILD/services/ingest/orgpulse-ingest
LOADGEN=$BUILD/bench/orgpulse-ingest-loadgen

. "$HERE/throwaway_postgres.sh"
WORK=$(mktemp -d /tmp/orgpulse-pg-restart-bench.XXXXXX)
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  pg_stop "$WORK"
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
pg_start "$WORK" "-c shared_buffers=256MB -c max_wal_size=4GB ${PG_OPTS:-}"
as_pg "$PGBIN/createdb" -h "$WORK" -U postgres ingest
CONNINFO="host=$WORK user=postgres dbname=ingest"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "source: $(git -C "$REPO" rev-parse --short HEAD), $EVENTS events, tail $TAIL"

PORT_FILE=$WORK/port
LOG=$WORK/ingest.log
# start SNAPSHOT_EVERY: a replica in the background; sets PID, T0.
start() {
  rm -f "$PORT_FILE"
  T0=$(date +%s%N)
  "$SERVER" --grpc_address=127.0.0.1:0 --metrics_address=127.0.0.1:0 --plaintext \
    --allow_unauthenticated --data_dir="$WORK/unused" --port_file="$PORT_FILE" \
    --postgres="$CONNINFO" --snapshot_every_events="$1" --snapshot_interval=0 >>"$LOG" 2>&1 &
  PID=$!
  PIDS+=("$PID")
}
# probe: waits until SERVING and ListTeams answers; prints seconds since T0.
probe() {
  "$LOADGEN" --mode=probe --port_file="$PORT_FILE" --start_unix_ns="$T0" --timeout_s=1200 |
    grep -o 'since_start_s=[0-9.]*' | cut -d= -f2
}
push() {  # EVENTS: PushStream into the running replica
  for _ in $(seq 1 3000); do [[ -s $PORT_FILE ]] && break; sleep 0.1; done
  "$LOADGEN" --mode=stream --port_file="$PORT_FILE" --events="$1" --batch=1000 \
    --concurrency=4 --inflight=8 --timeout_s=600 | grep -o '\bevents_per_s=[0-9.]*' | head -1
}
stop() {  # SIGNAL
  kill "-$1" "$PID" 2>/dev/null || true
  wait "$PID" 2>/dev/null || true
}
rss_mib() { awk '/^VmRSS:/ {printf "%.0f", $2 / 1024}' "/proc/$PID/status"; }
last_line() { grep -o "$1.*" "$LOG" | tail -1; }

start 0
echo "1. load: $(push "$EVENTS")"
stop KILL
echo "   database: $(as_pg "$PGBIN/psql" -h "$WORK" -U postgres -d ingest -Atc \
  "SELECT pg_size_pretty(pg_database_size('ingest'))")"

# restarts STEP WHAT LAST_SIGNAL: --restarts replicas timed to SERVING, each
# stopped with SIGKILL but the last, stopped with LAST_SIGNAL.
restarts() {
  local i s
  for i in $(seq 1 "$RESTARTS"); do
    start 1000000
    s=$(probe)
    echo "$1. restart $i $2: SERVING after $s s, RSS $(rss_mib) MiB (load $(cut -d' ' -f1 /proc/loadavg))"
    echo "   $(last_line 'recovered ')"
    if (( i < RESTARTS )); then stop KILL; else stop "$3"; fi
  done
}

restarts 2 "without a snapshot" TERM  # the last writes the snapshot
echo "   $(last_line 'snapshot of .* bytes')"
echo "   stored: $(as_pg "$PGBIN/psql" -h "$WORK" -U postgres -d ingest -Atc \
  "SELECT position || ' ' || pg_size_pretty(octet_length(body)::bigint) FROM ingest_snapshots")"

restarts 3 "from the snapshot" KILL  # the snapshot stays the same

if (( TAIL > 0 )); then
  start 0
  echo "4. tail: $(push "$TAIL")"
  stop KILL
  for i in $(seq 1 "$RESTARTS"); do
    start 1000000
    perf_pid=
    if (( PERF && i == 1 )); then
      perf record -F 999 -o "$WORK/perf.data" -p "$PID" >/dev/null 2>&1 &
      perf_pid=$!
    fi
    s=$(probe)
    if [[ -n $perf_pid ]]; then
      kill -INT "$perf_pid"; wait "$perf_pid" || true
      perf report -i "$WORK/perf.data" --stdio --sort dso,symbol 2>/dev/null |
        grep -v '^#' | grep -v '^$' | head -25 | cut -c1-160 | sed 's/ *$//; s/^/   perf: /'
    fi
    line=$(last_line 'recovered ')
    echo "4. restart $i from the snapshot, $TAIL events after it: SERVING after $s s (load $(cut -d' ' -f1 /proc/loadavg))"
    echo "   $line"
    # "in Xs (store opened in Yms, snapshot ... loaded in Zs, then N events replayed)"
    echo "$line" | awk -v tail="$TAIL" '
      function secs(d) { gsub(/[,)]/, "", d);
                         if (d ~ /ms$/) return substr(d, 1, length(d) - 2) / 1000;
                         if (d ~ /us$/) return substr(d, 1, length(d) - 2) / 1e6;
                         return substr(d, 1, length(d) - 1) + 0 }
      { for (i = 1; i <= NF; i++) {
          if ($i == "in" && total == "") total = secs($(i + 1))
          if ($i == "opened") open = secs($(i + 2))
          if ($i == "loaded") load = secs($(i + 2))
          if ($i == "then") replayed = $(i + 1) } }
      END { t = total - open - load;
            printf "   tail: %d events folded in %.2f s: %.0f events/s\n", replayed, t, replayed / t }'
    stop KILL
  done
fi
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
