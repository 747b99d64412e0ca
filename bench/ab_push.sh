#!/usr/bin/env bash
# Push (unary, batch 100, 16 clients) A/B of two or more builds of the ingest
# server in one sitting, interleaved: per round, each build's closed-loop
# maximum; then per round, each build's open-loop run at half of its own
# median maximum (or, with --rate, that rate for all and no maximum runs). Every run on a fresh server and data
# directory under $TMPDIR (default /tmp: the disk, not tmpfs), --sync=full.
# Besides the loadgen's figures, each line has the bytes the server wrote
# during the run (/proc/PID/io write_bytes, per acknowledged event) and the
# data directory's size after the server stopped (per event), and from the
# server's orgpulse_store_commit_seconds histogram the commits (a group's
# Append: encode, SQLite write, fsync), their mean, and how many took over
# 5, 20 and 50 ms.
#
# usage: bench/ab_push.sh [--rounds N] [--max-events N] [--paced-seconds S]
#          [--rate EVENTS_PER_S] NAME=BUILD_DIR [NAME=BUILD_DIR...]
#   BUILD_DIR: a Release tree, as for bench/ab_stream.sh (the first tree's load
#   generator drives every run). Extra server flags: SERVER_FLAGS=...
set -euo pipefail
ROUNDS=3 MAX_EVENTS=3000000 PACED_SECONDS=20 RATE='' BUILDS=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rounds) ROUNDS=$2; shift 2 ;;
    --max-events) MAX_EVENTS=$2; shift 2 ;;
    --paced-seconds) PACED_SECONDS=$2; shift 2 ;;
    --rate) RATE=$2; shift 2 ;;
    -h|--help) awk 'NR > 1 && /^#/ {sub(/^# ?/, ""); print; next} NR > 1 {exit}' "$0"; exit 0 ;;
    *=*) BUILDS+=("$1"); shift ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
(( ${#BUILDS[@]} > 0 )) || { echo "name at least one NAME=BUILD_DIR" >&2; exit 2; }
LOADGEN=${BUILDS[0]#*=}/bench/orgpulse-ingest-loadgen
SERVER_PID='' TMP=''
cleanup() {
  [[ -n $SERVER_PID ]] && kill -TERM "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  [[ -n $TMP ]] && rm -rf "$TMP"
  return 0
}
trap cleanup EXIT
field() { tr ' ' '\n' <<<"$1" | awk -F= -v k="$2" '$1 == k {print $2}'; }
written() { awk '/^write_bytes:/ {print $2}' "/proc/$1/io"; }
median() { sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
# run NAME BUILD ROUND KIND LOADGEN_ARGS...: prints one line, sets R.
run() {
  local name=$1 build=$2 round=$3 kind=$4; shift 4
  TMP=$(mktemp -d "${TMPDIR:-/tmp}/orgpulse-abpush.XXXXXX")
  # shellcheck disable=SC2086
  "$build/services/ingest/orgpulse-ingest" --grpc_address=127.0.0.1:0 --metrics_address=127.0.0.1:0 \
    --plaintext --allow_unauthenticated --data_dir="$TMP/data" --port_file="$TMP/port" --sync=full \
    --max_teams=1000 ${SERVER_FLAGS:-} >"$TMP/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 300); do [[ -s $TMP/port ]] && break; sleep 0.1; done
  local load w0 w1 bytes
  load=$(cut -d' ' -f1-3 /proc/loadavg)
  w0=$(written "$SERVER_PID")
  R=$("$LOADGEN" --mode=push --port_file="$TMP/port" --batch=100 --concurrency=16 \
    --server_pid="$SERVER_PID" "$@" 2>/dev/null | grep '^RESULT' || echo RESULT failed=1)
  w1=$(written "$SERVER_PID")
  local mport commits
  mport=$(sed -n 's/.*metrics=\([0-9]*\).*/\1/p' "$TMP/port")
  commits=$(curl -sf --noproxy '*' -m 10 "http://127.0.0.1:$mport/metrics" | awk '
    /^orgpulse_store_commit_seconds_bucket\{le="0.005"\}/ {b5 = $2}
    /^orgpulse_store_commit_seconds_bucket\{le="0.02"\}/ {b20 = $2}
    /^orgpulse_store_commit_seconds_bucket\{le="0.05"\}/ {b50 = $2}
    /^orgpulse_store_commit_seconds_count/ {c = $2}
    /^orgpulse_store_commit_seconds_sum/ {sum = $2}
    END {if (c > 0) printf "commits=%d commit_mean_ms=%.2f commits_over_5ms=%d over_20ms=%d over_50ms=%d",
      c, 1000 * sum / c, c - b5, c - b20, c - b50}')
  kill -TERM "$SERVER_PID"; wait "$SERVER_PID" || true; SERVER_PID=''
  bytes=$(du -sb "$TMP/data" | cut -f1)
  local acked; acked=$(field "$R" acked)
  echo "$name round=$round $kind load=[$load] events_per_s=$(field "$R" events_per_s)" \
    "p50_ms=$(field "$R" p50_ms) p99_ms=$(field "$R" p99_ms) max_ms=$(field "$R" max_ms)" \
    "server_cores=$(field "$R" server_cpu_cores) other_cores=$(field "$R" other_cpu_cores)" \
    "written_per_event=$(awk -v w=$((w1 - w0)) -v e="${acked:-0}" 'BEGIN {printf "%.0f", e ? w / e : 0}')" \
    "dir_bytes_per_event=$(awk -v b="$bytes" -v e="${acked:-0}" 'BEGIN {printf "%.1f", e ? b / e : 0}')" \
    "$commits slowest_ms_at_events=$(field "$R" slowest_ms_at_events)"
  rm -rf "$TMP"; TMP=''
}
declare -A MAXES
for r in $( [[ -n $RATE ]] || seq "$ROUNDS"); do
  for nb in "${BUILDS[@]}"; do
    run "${nb%%=*}" "${nb#*=}" "$r" max --events="$MAX_EVENTS"
    MAXES[${nb%%=*}]+="$(field "$R" events_per_s) "
  done
done
for r in $(seq "$ROUNDS"); do
  for nb in "${BUILDS[@]}"; do
    name=${nb%%=*}
    rate=$RATE
    [[ -n $rate ]] || rate=$(tr ' ' '\n' <<<"${MAXES[$name]}" | grep . | median | awk '{printf "%.0f", $1 / 2}')
    run "$name" "${nb#*=}" "$r" "paced=$rate" --rate="$rate" --events=$((rate * PACED_SECONDS / 100 * 100))
  done
done
