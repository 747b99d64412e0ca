#!/usr/bin/env bash
# Scrapes of a loaded ingest server (issue 14; not part of the test suite).
#
# For each server binary given (--server, repeatable; e.g. a base and a new
# build), alternating per round in one sitting, on a fresh server and data
# directory (--sync=full --max_teams=1000, ports from --port_file):
#  1. stores --events (1M) events of 1,000 teams by PushStream;
#  2. VmRSS before the first /metrics scrape, after it and after 8;
#  3. --idle-scrapes idle scrapes, plain and with gzip (curl --compressed):
#     the time of each (curl's time_total), the server's CPU time per
#     scrape (robust on a busy machine), the body's size and series;
#     `promtool check metrics` on the body;
#  4. Push paced at --rate events/s (batch 100, 16 clients) for --seconds,
#     without scrapes and then with a scrape every 0.5 s: the pushes' p99 and
#     max latency, the scrapes' times, and the commits' durations from
#     orgpulse_store_commit_seconds (how many of the phase's commits took
#     longer than 5 ms).
# Prints one line per measurement; everything it starts is stopped by pid.
#
# usage: bench/run_scrape_bench.sh --server PATH [--server PATH ...]
#          --loadgen PATH [--rounds N] [--events N] [--rate N] [--seconds N]
#          [--idle-scrapes N]
set -euo pipefail

SERVERS=()
LOADGEN=
ROUNDS=2
EVENTS=1000000
RATE=50000
SECONDS_PACED=20
IDLE_SCRAPES=10
while [[ $# -gt 0 ]]; do
  case "$1" in
    --server) SERVERS+=("$2"); shift 2 ;;
    --loadgen) LOADGEN=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --events) EVENTS=$2; shift 2 ;;
    --rate) RATE=$2; shift 2 ;;
    --seconds) SECONDS_PACED=$2; shift 2 ;;
    --idle-scrapes) IDLE_SCRAPES=$2; shift 2 ;;
    -h|--help) awk 'NR > 1 && /^#/ {sub(/^# ?/, ""); print; next} NR > 1 {exit}' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
[[ ${#SERVERS[@]} -gt 0 && -x $LOADGEN ]] || { echo "need --server and --loadgen" >&2; exit 2; }

PIDS=()
WORK=$(mktemp -d /tmp/orgpulse-scrape-bench.XXXXXX)
cleanup() {
  local p
  for p in "${PIDS[@]:-}"; do
    [[ -n $p ]] && kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

median() { sort -g | awk '{a[NR] = $1} END {if (NR == 0) print "n/a"; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
maxof() { sort -g | tail -1; }
field() { tr ' ' '\n' <<<"$1" | awk -F= -v k="$2" '$1 == k {print $2}'; }
# cpu_ms PID: the process's user + system CPU time so far, in ms.
cpu_ms() { awk -v t="$(getconf CLK_TCK)" '{printf "%d", ($14 + $15) * 1000 / t}' "/proc/$1/stat"; }
rss_mib() { awk '/^VmRSS:/ {printf "%.0f", $2 / 1024}' "/proc/$1/status"; }
url() { echo "http://127.0.0.1:$(sed -n 's/.*metrics=\([0-9]*\).*/\1/p' "$PORT_FILE")/metrics"; }
scrape_ms() {  # [curl options]: one scrape's time in ms
  curl -sf --noproxy '*' -m 30 -o /dev/null -w '%{time_total}\n' "$@" "$(url)" |
    awk '{printf "%.1f\n", 1000 * $1}'
}
# commits_over_5ms: cumulative count of commits longer than 5 ms, and all.
commits() {
  curl -sf --noproxy '*' -m 30 "$(url)" | awk '
    /^orgpulse_store_commit_seconds_bucket\{le="0.005"\}/ {le5 = $2}
    /^orgpulse_store_commit_seconds_count/ {n = $2}
    END {print n - le5, n}'
}

run_round() {
  local server=$1 tag=$2 dir=$WORK/data-$RANDOM
  PORT_FILE=$dir.port
  "$server" --grpc_address=127.0.0.1:0 --metrics_address=127.0.0.1:0 --plaintext \
    --allow_unauthenticated --data_dir="$dir" --port_file="$PORT_FILE" --sync=full \
    --max_teams=1000 >"$dir.log" 2>&1 &
  local pid=$!
  PIDS+=("$pid")
  for _ in $(seq 1 600); do [[ -s $PORT_FILE ]] && break; sleep 0.1; done
  "$LOADGEN" --mode=stream --port_file="$PORT_FILE" --events="$EVENTS" --batch=1000 \
    --concurrency=4 --inflight=8 --id_prefix=s >/dev/null
  sleep 1
  local rss0 rss1 rss8
  rss0=$(rss_mib "$pid")
  scrape_ms >/dev/null; rss1=$(rss_mib "$pid")
  for _ in 1 2 3 4 5 6 7; do scrape_ms >/dev/null; done
  rss8=$(rss_mib "$pid")
  echo "$tag rss_mib before_first_scrape=$rss0 after_1=$rss1 after_8=$rss8"

  local plain=() gz=() c0 c1 c2
  c0=$(cpu_ms "$pid")
  for _ in $(seq 1 "$IDLE_SCRAPES"); do plain+=("$(scrape_ms)"); done
  c1=$(cpu_ms "$pid")
  for _ in $(seq 1 "$IDLE_SCRAPES"); do gz+=("$(scrape_ms --compressed -H 'Accept-Encoding: gzip')"); done
  c2=$(cpu_ms "$pid")
  curl -sf --noproxy '*' "$(url)" >"$WORK/body"
  local gz_bytes
  gz_bytes=$(curl -sf --noproxy '*' -H 'Accept-Encoding: gzip' "$(url)" | wc -c)
  local check
  check=$(promtool check metrics <"$WORK/body" 2>&1 | head -3 | tr '\n' ' ') || true
  [[ -z $check ]] && check=ok
  echo "$tag idle_scrape_ms plain median=$(printf '%s\n' "${plain[@]}" | median) max=$(printf '%s\n' "${plain[@]}" | maxof) server_cpu_ms_per_scrape=$(( (c1 - c0) / IDLE_SCRAPES )) [${plain[*]}]"
  echo "$tag idle_scrape_ms gzip median=$(printf '%s\n' "${gz[@]}" | median) max=$(printf '%s\n' "${gz[@]}" | maxof) server_cpu_ms_per_scrape=$(( (c2 - c1) / IDLE_SCRAPES )) [${gz[*]}]"
  echo "$tag body bytes=$(wc -c <"$WORK/body") gzip_bytes=$gz_bytes series=$(grep -vc '^#' "$WORK/body") promtool=$check"

  local n=$((RATE * SECONDS_PACED)) phase
  for phase in no_scrapes scrapes; do
    local before after scrape_pid=
    before=($(commits))
    if [[ $phase == scrapes ]]; then
      (while true; do scrape_ms; sleep 0.5; done) >"$WORK/scrapes" &
      scrape_pid=$!
      PIDS+=("$scrape_pid")
    fi
    local r
    r=$("$LOADGEN" --mode=push --port_file="$PORT_FILE" --batch=100 --concurrency=16 \
      --rate="$RATE" --events="$n" --id_prefix="$phase" | grep '^RESULT' || true)
    if [[ -n $scrape_pid ]]; then kill "$scrape_pid" 2>/dev/null; wait "$scrape_pid" 2>/dev/null || true; fi
    after=($(commits))
    local note=""
    if [[ $phase == scrapes ]]; then
      note=" scrape_ms median=$(median <"$WORK/scrapes") max=$(maxof <"$WORK/scrapes") n=$(wc -l <"$WORK/scrapes")"
    fi
    echo "$tag push_${phase} p50_ms=$(field "$r" p50_ms) p99_ms=$(field "$r" p99_ms) max_ms=$(field "$r" max_ms) errors=$(field "$r" errors) commits=$((after[1] - before[1])) commits_over_5ms=$((after[0] - before[0]))$note load=$(cut -d' ' -f1-3 /proc/loadavg)"
  done
  kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
  rm -rf "$dir" "$dir.port" "$dir.log"
}

echo "machine: $(nproc) CPUs; $(uptime | sed 's/^ *//')"
for r in $(seq 1 "$ROUNDS"); do
  for i in "${!SERVERS[@]}"; do
    run_round "${SERVERS[i]}" "round=$r server=$i($(basename "$(dirname "${SERVERS[i]}")")/$(basename "${SERVERS[i]}"))"
  done
done
