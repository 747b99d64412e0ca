#!/usr/bin/env bash
# Import speed of the orgpulse command line (not part of the test suite):
# a 1-million-row CSV pushed with `orgpulse push`, against the ingest
# service's own PushStream rate measured in the same run.
#
# Builds Release into build-cli-bench/ (or uses --build-dir), generates a
# 1,000,000-row events CSV (the generic format, no event_id column, so every
# id is derived; an organisation-shaped mix over 1,000 teams), then, for
# --rounds rounds, alternating, each on a fresh orgpulse-ingest with a fresh
# `mktemp -d` data directory on free loopback ports:
#   a. orgpulse-ingest-loadgen --mode=stream: 1M events through 4 concurrent
#      PushStream calls, 8 requests in flight each, 1000 events per request
#      (the ingest benchmark's setting): events/s;
#   b. orgpulse push FILE: wall-clock time from start to exit, which includes
#      reading and checking the whole file before anything is pushed:
#      rows/s = 1M / seconds.
# Prints each run and the medians, the ratio b/a, PASS if it is at least
# 0.5, and a Markdown section for docs/benchmarks.md. Everything it starts is
# stopped by pid; temp dirs are removed on exit.
#
# usage: bench/cli_import_bench.sh [--rounds N] [--rows N] [--build-dir DIR]
#          [--sync full|normal]
set -euo pipefail

ARGS="$*"
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
ROUNDS=3
ROWS=1000000
BUILD=""
SYNC=full
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rounds) ROUNDS=$2; shift 2 ;;
    --rows) ROWS=$2; shift 2 ;;
    --build-dir) BUILD=$2; shift 2 ;;
    --sync) SYNC=$2; shift 2 ;;
    -h|--help) sed -n '2,23p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

log() { echo "[cli-bench $(date +%H:%M:%S)] $*" >&2; }

PIDS=()
WORK=$(mktemp -d /tmp/orgpulse-cli-bench.XXXXXX)
cleanup() {
  local pid
  for pid in "${PIDS[@]:-}"; do
    [[ -n $pid ]] || continue
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [[ -z $BUILD ]]; then
  BUILD=$REPO/build-cli-bench
  log "building Release in $BUILD"
  cmake -S "$REPO" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >"$WORK/cmake.log" 2>&1 ||
    { tail -20 "$WORK/cmake.log" >&2; exit 1; }
fi
cmake --build "$BUILD" -j"$(nproc)" --target orgpulse-ingest orgpulse-ingest-loadgen orgpulse \
  >"$WORK/build.log" 2>&1 || { tail -30 "$WORK/build.log" >&2; exit 1; }
SERVER=$BUILD/services/ingest/orgpulse-ingest
LOADGEN=$BUILD/bench/orgpulse-ingest-loadgen
CLI=$BUILD/cli/orgpulse
BUILD_TYPE=$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$BUILD/CMakeCache.txt")

# --- the CSV ---------------------------------------------------------------
# Times lie in the 80 days before a week ago, so that every event is valid
# whatever day the benchmark runs.
CSV=$WORK/events-$ROWS.csv
log "generating $ROWS rows"
awk -v n="$ROWS" -v now="$(date +%s)" 'BEGIN {
  srand(42);
  print "kind,source,team,occurred_at,task_id,due_at,project,amount,percent_complete,procedure,passed,kpi,value";
  end = now - 7 * 86400;
  for (i = 0; i < n; i++) {
    t = int(rand() * 1000); team = sprintf("dept-%d/team-%d", int(t / 50), t % 50);
    at = end - int(rand() * 80 * 86400);
    ts = strftime("%Y-%m-%dT%H:%M:%SZ", at, 1);
    r = rand();
    if (r < 0.25) printf "task_created,jira,%s,%s,T-%d,%s,,,,,,,\n", team, ts, i,
                         strftime("%Y-%m-%d", at + 86400 * (2 + int(rand() * 14)), 1);
    else if (r < 0.45) printf "task_started,jira,%s,%s,T-%d,,,,,,,,\n", team, ts, i - 1;
    else if (r < 0.60) printf "task_completed,jira,%s,%s,T-%d,,,,,,,,\n", team, ts, i - 2;
    else if (r < 0.70) printf "cost_actual,finance-erp,%s,%s,,,proj-%d,%.2f,,,,,\n", team, ts, int(rand() * 4), rand() * 5000;
    else if (r < 0.75) printf "project_progress,finance-erp,%s,%s,,,proj-%d,,%d,,,,\n", team, ts, int(rand() * 4), int(rand() * 100);
    else if (r < 0.88) printf "procedure_check,ci,%s,%s,,,,,,code-review,%s,,\n", team, ts, (rand() < 0.9 ? "yes" : "no");
    else printf "kpi_actual,kpi-sheet,%s,%s,,,,,,,,revenue,%.2f\n", team, ts, rand() * 20000;
  }
}' >"$CSV"
CSV_MIB=$(( $(stat -c %s "$CSV") / 1048576 ))

# --- servers ------------------------------------------------------------------
start_server() {  # sets SERVER_PID and PORT
  local dir; dir=$(mktemp -d "$WORK/data.XXXXXX")
  "$SERVER" --grpc_address=127.0.0.1:0 --metrics_address=127.0.0.1:0 --plaintext --allow_unauthenticated \
    --data_dir="$dir/data" --port_file="$dir/ports" --sync="$SYNC" --max_teams=2000 \
    >>"$dir/log" 2>&1 &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  for _ in $(seq 1 600); do
    [[ -s $dir/ports ]] && break
    sleep 0.05
  done
  PORT=$(sed -n 's/.*grpc=\([0-9]*\).*/\1/p' "$dir/ports")
  PORT_FILE=$dir/ports
}
stop_server() {
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  local kept=() p
  for p in "${PIDS[@]}"; do [[ $p != "$SERVER_PID" ]] && kept+=("$p"); done
  PIDS=("${kept[@]:-}")
}
median() { sort -g | awk '{a[NR] = $1} END {if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

STREAM=(); CLI_RATES=(); RATIOS=(); LOADS=()
for r in $(seq 1 "$ROUNDS"); do
  LOADS+=("$(cut -d' ' -f1 /proc/loadavg)")
  log "round $r: load $(cut -d' ' -f1-3 /proc/loadavg)"
  start_server
  out=$("$LOADGEN" --mode=stream --port_file="$PORT_FILE" --events="$ROWS" --batch=1000 \
        --concurrency=4 --inflight=8 2>>"$WORK/loadgen.err" | grep '^RESULT' || true)
  stop_server
  stream=$(tr ' ' '\n' <<<"$out" | awk -F= '$1 == "events_per_s" {print $2}')
  [[ -n $stream ]] || { log "loadgen failed: $out"; tail -5 "$WORK/loadgen.err" >&2; exit 1; }

  start_server
  t0=$(date +%s%N)
  summary=$("$CLI" push --no-progress --ingest="127.0.0.1:$PORT" "$CSV" 2>"$WORK/cli.err") ||
    { log "orgpulse push failed"; cat "$WORK/cli.err" >&2; exit 1; }
  t1=$(date +%s%N)
  stop_server
  seconds=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", (b - a) / 1e9}')
  cli=$(awk -v n="$ROWS" -v s="$seconds" 'BEGIN {printf "%.0f", n / s}')
  ratio=$(awk -v a="$cli" -v b="$stream" 'BEGIN {printf "%.2f", a / b}')
  echo "round $r: PushStream ${stream} events/s; orgpulse push ${cli} rows/s (${seconds} s: $summary); ratio $ratio"
  STREAM+=("$stream"); CLI_RATES+=("$cli"); RATIOS+=("$ratio")
done

MED_STREAM=$(printf '%s\n' "${STREAM[@]}" | median)
MED_CLI=$(printf '%s\n' "${CLI_RATES[@]}" | median)
MED_RATIO=$(printf '%s\n' "${RATIOS[@]}" | median)
VERDICT=$(awk -v r="$MED_RATIO" 'BEGIN {print (r >= 0.5 ? "PASS" : "FAIL")}')
MACHINE="$(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), Debian $(cat /etc/debian_version)"
echo "median: PushStream $MED_STREAM events/s, orgpulse push $MED_CLI rows/s, ratio $MED_RATIO (target >= 0.5): $VERDICT"
cat <<MD

## Import speed of the command line

\`bench/cli_import_bench.sh $ARGS\` ($(date +%Y-%m-%d), $(git -C "$REPO" rev-parse --short HEAD), $BUILD_TYPE build, sync=$SYNC; $MACHINE; the load average before each round is in the table: other work shares the machine):
a ${ROWS}-row events CSV (${CSV_MIB} MiB, generic format without event ids, so every id is
derived; 1,000 teams) pushed with \`orgpulse push\`, timed from start to exit, which
includes reading and checking the whole file before anything is sent; against
\`orgpulse-ingest-loadgen --mode=stream\` pushing as many events (4 streams x 8 in flight,
1,000 events per request), each on a fresh server, alternating in the same run.

| round | load | PushStream (events/s) | orgpulse push (rows/s) | ratio |
| --- | ---: | ---: | ---: | ---: |
$(for i in "${!STREAM[@]}"; do echo "| $((i + 1)) | ${LOADS[i]} | ${STREAM[i]} | ${CLI_RATES[i]} | ${RATIOS[i]} |"; done)
| median | | $MED_STREAM | $MED_CLI | $MED_RATIO |

Target: at least half the PushStream rate: **$VERDICT**.
MD
[[ $VERDICT == PASS ]]
