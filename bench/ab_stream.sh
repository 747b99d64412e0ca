#!/usr/bin/env bash
# PushStream A/B of two (or more) builds of the ingest server in one sitting,
# interleaved: per round, each build's stream run on a fresh server and data
# directory, then (unless --skip-peer) the peer benchmark (Prometheus'
# remote-write receiver), so that every build's ratio to the peer is of the
# same round. Prints one line per run; compare within the sitting only.
#
# usage: bench/ab_stream.sh [--rounds N] [--events N] [--skip-peer]
#          NAME=BUILD_DIR [NAME=BUILD_DIR...]
#   BUILD_DIR: a Release tree with services/ingest/orgpulse-ingest and
#   bench/orgpulse-ingest-loadgen (the first tree's load generator drives
#   every run), e.g. build-bench-base/build from
#   `BENCH_DIR=build-bench-base bench/run_ingest_bench.sh --ref BASE
#    --skip-stream --skip-push --skip-peer`.
# Extra server flags: SERVER_FLAGS='--snapshot_every_events=0'; extra load
# generator flags: LOADGEN_FLAGS='--task_percent=0'.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PEER_RUN=${PEER_RUN:-$(cd "$HERE/../.." && pwd)/shared/peers/run.sh}
ROUNDS=3 EVENTS=10000000 SKIP_PEER=0 BUILDS=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rounds) ROUNDS=$2; shift 2 ;;
    --events) EVENTS=$2; shift 2 ;;
    --skip-peer) SKIP_PEER=1; shift ;;
    -h|--help) awk 'NR > 1 && /^#/ {sub(/^# ?/, ""); print; next} NR > 1 {exit}' "$0"; exit 0 ;;
    *=*) BUILDS+=("$1"); shift ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
(( ${#BUILDS[@]} > 0 )) || { echo "name at least one NAME=BUILD_DIR" >&2; exit 2; }
[[ $SKIP_PEER == 1 || -x $PEER_RUN ]] || { echo "no peer at $PEER_RUN (PEER_RUN=..., or --skip-peer)" >&2; exit 2; }
LOADGEN=${BUILDS[0]#*=}/bench/orgpulse-ingest-loadgen
SERVER_PID='' TMP=''
cleanup() {
  [[ -n $SERVER_PID ]] && kill -TERM "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  [[ -n $TMP ]] && rm -rf "$TMP"
  return 0
}
trap cleanup EXIT
field() { tr ' ' '\n' <<<"$1" | awk -F= -v k="$2" '$1 == k {print $2}'; }
for r in $(seq "$ROUNDS"); do
  for nb in "${BUILDS[@]}"; do
    name=${nb%%=*} build=${nb#*=}
    TMP=$(mktemp -d /tmp/orgpulse-ab.XXXXXX)
    # shellcheck disable=SC2086
    "$build/services/ingest/orgpulse-ingest" --grpc_address=127.0.0.1:0 --metrics_address=127.0.0.1:0 \
      --plaintext --allow_unauthenticated --data_dir="$TMP/data" --port_file="$TMP/port" --sync=full \
      --max_teams=1000 ${SERVER_FLAGS:-} >"$TMP/server.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 300); do [[ -s $TMP/port ]] && break; sleep 0.1; done
    load=$(cut -d' ' -f1-3 /proc/loadavg)
    # shellcheck disable=SC2086
    R=$("$LOADGEN" --mode=stream --port_file="$TMP/port" --events="$EVENTS" --batch=1000 --concurrency=4 \
      --inflight=8 --server_pid="$SERVER_PID" --rss_checkpoints="1000000,$EVENTS" ${LOADGEN_FLAGS:-} 2>/dev/null |
      grep '^RESULT' || echo RESULT failed=1)
    echo "$name round=$r load=[$load] events_per_s=$(field "$R" events_per_s) per_server_cpu_s=$(field "$R" events_per_server_cpu_s)" \
      "server_cores=$(field "$R" server_cpu_cores) other_cores=$(field "$R" other_cpu_cores) p99_ms=$(field "$R" p99_ms)" \
      "max_ms=$(field "$R" max_ms) rss_kb_1m=$(field "$R" rss_kb_at_1000000) rss_kb_end=$(field "$R" "rss_kb_at_$EVENTS")"
    kill -TERM "$SERVER_PID"; wait "$SERVER_PID" || true; SERVER_PID=''
    rm -rf "$TMP"; TMP=''
  done
  if [[ $SKIP_PEER == 0 ]]; then
    echo "peer round=$r load=[$(cut -d' ' -f1-3 /proc/loadavg)] $("$PEER_RUN" --only prometheus --no-variant 2>/dev/null | grep '^prometheus-remote-write:' || echo failed)"
  fi
done
