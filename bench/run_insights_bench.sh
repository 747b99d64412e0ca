#!/usr/bin/env bash
# Insights query latency with 1,000 teams: builds Release into build-bench/,
# starts ingest and insights on free loopback ports with fresh data
# directories, loads the organisation and times GetTeamInsights (see
# bench/insights_query_bench.cc). Stops what it started, by pid.
#   bench/run_insights_bench.sh [--teams 1000] [--queries 20000]
set -euo pipefail
cd "$(dirname "$0")/.."
TEAMS=1000
QUERIES=20000
while [[ $# -gt 0 ]]; do
  case "$1" in
    --teams) TEAMS=$2; shift 2 ;;
    --queries) QUERIES=$2; shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
BUILD_DIR=${BUILD_DIR:-build-bench} BUILD_TYPE=Release bash scripts/build.sh \
  orgpulse-ingest orgpulse-insights orgpulse-insights-query-bench >/dev/null
B=${BUILD_DIR:-build-bench}

WORK=$(mktemp -d /tmp/orgpulse-insights-bench.XXXXXX)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null && wait "$pid" || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM
wait_ports() {
  for _ in $(seq 1 300); do [[ -s $1 ]] && return 0; sleep 0.1; done
  return 1
}
"$B/services/ingest/orgpulse-ingest" --grpc_address=127.0.0.1:0 \
  --metrics_address=127.0.0.1:0 --plaintext --allow_unauthenticated --data_dir="$WORK/ingest" \
  --port_file="$WORK/ingest.ports" --max_teams=$((TEAMS + 10)) 2>"$WORK/ingest.log" &
PIDS+=($!)
wait_ports "$WORK/ingest.ports"
read -r G _ <"$WORK/ingest.ports"
INGEST=127.0.0.1:${G#grpc=}
head -c 32 /dev/urandom | base64 >"$WORK/key"
"$B/services/insights/orgpulse-insights" --grpc_address=127.0.0.1:0 \
  --metrics_address=127.0.0.1:0 --plaintext --allow_unauthenticated --data_dir="$WORK/insights" \
  --port_file="$WORK/insights.ports" --ingest_address="$INGEST" --ingest_plaintext \
  --ingest_refresh=2s --max_teams=$((TEAMS + 10)) \
  --respondent_key_file="$WORK/key" 2>"$WORK/insights.log" &
PIDS+=($!)
wait_ports "$WORK/insights.ports"
read -r G _ <"$WORK/insights.ports"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load: $(cut -d' ' -f1-3 /proc/loadavg)"
"$B/bench/orgpulse-insights-query-bench" --ingest="$INGEST" \
  --insights="127.0.0.1:${G#grpc=}" --teams="$TEAMS" --queries="$QUERIES"
