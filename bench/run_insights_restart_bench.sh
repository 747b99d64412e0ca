#!/usr/bin/env bash
# insights restart to SERVING with a large survey log, from a snapshot of the
# survey state against a replay of the whole log (issue 12). Builds Release
# into build-bench/, starts ingest and insights on free loopback ports with
# fresh data directories, loads --teams teams x --people respondents x 2
# rounds through the API (bench/insights_query_bench.cc) with snapshots
# every --every responses (the default), SIGKILLs insights (the last
# snapshot plus a tail of up to --every responses are on disk), then
# restarts it --restarts times each way, alternating, each ended by SIGKILL:
# exec -> port file (written once SERVING). The restarts from the snapshot
# run with a threshold they never reach, so each finds the same snapshot
# and tail. With --postgres, the survey log and the snapshots live in a
# throwaway PostgreSQL 15 (bench/throwaway_postgres.sh) instead of SQLite.
# Stops what it started, by pid.
#   bench/run_insights_restart_bench.sh [--teams 1000] [--people 100] [--restarts 3] [--every 10000] [--postgres]
set -euo pipefail
cd "$(dirname "$0")/.."
TEAMS=1000
PEOPLE=100
RESTARTS=3
EVERY=10000
POSTGRES=
while [[ $# -gt 0 ]]; do
  case "$1" in
    --teams) TEAMS=$2; shift 2 ;;
    --people) PEOPLE=$2; shift 2 ;;
    --restarts) RESTARTS=$2; shift 2 ;;
    --every) EVERY=$2; shift 2 ;;
    --postgres) POSTGRES=1; shift ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
BUILD_DIR=${BUILD_DIR:-build-bench} BUILD_TYPE=Release bash scripts/build.sh \
  orgpulse-ingest orgpulse-insights orgpulse-insights-query-bench >/dev/null
B=${BUILD_DIR:-build-bench}

WORK=$(mktemp -d /tmp/orgpulse-insights-restart.XXXXXX)
PIDS=()
STORE_FLAGS=()
. "$(dirname "$0")/throwaway_postgres.sh"
cleanup() {
  for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; done
  [[ -n $POSTGRES ]] && pg_stop "$WORK"
  if [[ -n ${KEEP_WORK:-} ]]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT INT TERM
wait_ports() {
  for _ in $(seq 1 30000); do [[ -s $1 ]] && return 0; sleep 0.01; done
  return 1
}
if [[ -n $POSTGRES ]]; then
  pg_start "$WORK" "-c shared_buffers=256MB"
  STORE_FLAGS=(--postgres="host=$WORK user=postgres")
fi
"$B/services/ingest/orgpulse-ingest" --grpc_address=127.0.0.1:0 \
  --metrics_address=127.0.0.1:0 --plaintext --allow_unauthenticated --data_dir="$WORK/ingest" \
  --port_file="$WORK/ingest.ports" --max_teams=$((TEAMS + 10)) 2>"$WORK/ingest.log" &
PIDS+=($!)
wait_ports "$WORK/ingest.ports"
read -r G _ <"$WORK/ingest.ports"
INGEST=127.0.0.1:${G#grpc=}
head -c 32 /dev/urandom | base64 >"$WORK/key"

# Starts insights with extra flags "$@"; sets INSIGHTS_PID and ELAPSED (s).
start_insights() {
  rm -f "$WORK/insights.ports"
  local t0 t1
  t0=$(date +%s.%N)
  "$B/services/insights/orgpulse-insights" --grpc_address=127.0.0.1:0 \
    --metrics_address=127.0.0.1:0 --plaintext --allow_unauthenticated --data_dir="$WORK/insights" \
    --port_file="$WORK/insights.ports" --ingest_address="$INGEST" --ingest_plaintext \
    --ingest_refresh=2s --max_teams=$((TEAMS + 10)) \
    --respondent_key_file="$WORK/key" "${STORE_FLAGS[@]}" "$@" 2>>"$WORK/insights.log" &
  INSIGHTS_PID=$!
  PIDS+=($INSIGHTS_PID)
  wait_ports "$WORK/insights.ports"
  t1=$(date +%s.%N)
  ELAPSED=$(echo "$t1 - $t0" | bc)
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load: $(cut -d' ' -f1-3 /proc/loadavg)"
start_insights --snapshot_every_responses="$EVERY"
read -r G _ <"$WORK/insights.ports"
t0=$(date +%s)
"$B/bench/orgpulse-insights-query-bench" --ingest="$INGEST" \
  --insights="127.0.0.1:${G#grpc=}" --teams="$TEAMS" --people="$PEOPLE" --queries=10 >/dev/null
echo "loaded $((TEAMS * PEOPLE * 2)) responses in $(( $(date +%s) - t0 )) s; store: $(du -sh "$WORK/insights" | cut -f1)"
kill -KILL "$INSIGHTS_PID"; wait "$INSIGHTS_PID" 2>/dev/null || true
echo "  $(grep -c "survey snapshot of" "$WORK/insights.log" || true) snapshots written while loading; the last:"
grep "survey snapshot of" "$WORK/insights.log" | tail -1 | sed 's/^/  /' || true
if [[ -n $POSTGRES ]]; then
  echo "  snapshots in the database (count, bytes): $(as_pg "$PGBIN/psql" -h "$WORK" -U postgres -Atc \
    "SELECT count(*), sum(length(body)) FROM insights_snapshots")"
else
  ls -l "$WORK/insights/survey.snapshot" 2>/dev/null | awk '{print "  snapshot file: " $5 " bytes"}' || true
fi

for i in $(seq 1 "$RESTARTS"); do
  for mode in replay snapshot; do
    flags=(--snapshot_every_responses=1000000000)
    [[ $mode == replay ]] && flags=(--snapshot_every_responses=0)
    start_insights "${flags[@]}"
    line=$(grep "recovered" "$WORK/insights.log" | tail -1 | sed 's/.*recovered/recovered/')
    printf 'restart %d %-8s to SERVING %6.2f s (load %s)  %s\n' "$i" "$mode" "$ELAPSED" \
      "$(cut -d' ' -f1 /proc/loadavg)" "$line"
    kill -KILL "$INSIGHTS_PID"; wait "$INSIGHTS_PID" 2>/dev/null || true
  done
done
