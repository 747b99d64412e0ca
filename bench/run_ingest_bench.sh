#!/usr/bin/env bash
# Performance benchmark of the ingest service (not part of the test suite).
#
# Builds Release into build-bench/ (a snapshot of the sources in
# build-bench/src, the build in build-bench/build; BENCH_DIR=dir uses dir
# instead, so that two commits can alternate without rebuilding), then, with every server
# started by hand on free loopback ports (port 0 + --port_file) with a fresh
# `mktemp -d` data directory:
#
#  1. rounds (default 3), alternating in the same sitting:
#     a. PushStream: --stream-events (10M) through --streams concurrent
#        streams; events/s, ack latency, server RSS at 1M and 10M stored
#        events, server CPU;
#     b. in round 1 only: restart after SIGKILL with those 10M events stored,
#        --restarts times: time from exec to port file + health SERVING +
#        ListTeams OK, and the RSS once recovered;
#     c. the peer benchmark ../shared/peers/run.sh --only prometheus
#        --no-variant (samples/s), and the ratio of (a) to it;
#  2. Push, batch 100, --push-clients clients: max events/s (--push-runs runs,
#     fresh server each), then p99 at half of the median max, open-loop paced;
#  3. with --profile: perf record (DWARF call graphs) of the server under
#     stream load, and of its recovery after SIGKILL.
#
# Before every run it logs the load (uptime) and the CPU use of the last 2 s,
# and waits (up to --max-wait s) while the machine is busy with other work.
# After each run it compares the machine's busy CPU time with the server's
# and the load generator's: a run during which other processes used more
# than --max-other cores is marked DISTURBED and repeated (--attempts).
# Everything it starts is stopped by pid; temp dirs are removed on exit.
#
# usage: bench/run_ingest_bench.sh [--rounds N] [--stream-events N]
#          [--streams N] [--inflight K] [--stream-batch N] [--push-events N]
#          [--push-clients N] [--push-runs N] [--restarts N] [--sync full|normal]
#          [--source head|worktree] [--ref COMMIT] [--skip-peer] [--skip-push] [--skip-stream]
#          [--profile] [--max-busy PCT] [--max-wait S] [--max-other CORES]
#          [--attempts N] [--postgres CONNINFO] [--paced-rate EVENTS_PER_S]
#
# --paced-rate: the open-loop Push runs at this rate instead of half the
# median max (the same rate for two commits compared in one sitting).
#
# --postgres: the server keeps its events in that PostgreSQL database instead
# of SQLite (bench/run_pg_ingest_bench.sh gives each run a fresh database);
# the restart of round 1 is then a replica catching up on the whole log.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
BB=${BENCH_DIR:-$REPO/build-bench}  # BENCH_DIR: another tree, e.g. to alternate two commits
SRC=$BB/src
BUILD=$BB/build
PEER_RUN=${PEER_RUN:-$(cd "$REPO/.." && pwd)/shared/peers/run.sh}  # shared/ beside the repository

ROUNDS=3
STREAM_EVENTS=10000000
STREAMS=4
INFLIGHT=8
STREAM_BATCH=1000
PUSH_EVENTS=5000000
PUSH_CLIENTS=16
PUSH_RUNS=3
PACED_SECONDS=30
RESTARTS=3
SYNC=full
SOURCE=head
REF=HEAD
SKIP_PEER=0
SKIP_PUSH=0
SKIP_STREAM=0
PROFILE=0
MAX_BUSY=30   # % of all CPUs used by others in the last 2 s
MAX_WAIT=300
MAX_OTHER=0.25  # cores used by other processes during a run before it is repeated
ATTEMPTS=3
TEAMS=1000
PG_ARGS=()
PACED_RATE_FIXED=''
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rounds) ROUNDS=$2; shift 2 ;;
    --stream-events) STREAM_EVENTS=$2; shift 2 ;;
    --streams) STREAMS=$2; shift 2 ;;
    --inflight) INFLIGHT=$2; shift 2 ;;
    --stream-batch) STREAM_BATCH=$2; shift 2 ;;
    --push-events) PUSH_EVENTS=$2; shift 2 ;;
    --push-clients) PUSH_CLIENTS=$2; shift 2 ;;
    --push-runs) PUSH_RUNS=$2; shift 2 ;;
    --paced-seconds) PACED_SECONDS=$2; shift 2 ;;
    --restarts) RESTARTS=$2; shift 2 ;;
    --sync) SYNC=$2; shift 2 ;;
    --source) SOURCE=$2; shift 2 ;;
    --ref) REF=$2; shift 2 ;;
    --skip-peer) SKIP_PEER=1; shift ;;
    --skip-push) SKIP_PUSH=1; shift ;;
    --skip-stream) SKIP_STREAM=1; shift ;;
    --profile) PROFILE=1; shift ;;
    --max-busy) MAX_BUSY=$2; shift 2 ;;
    --max-wait) MAX_WAIT=$2; shift 2 ;;
    --max-other) MAX_OTHER=$2; shift 2 ;;
    --attempts) ATTEMPTS=$2; shift 2 ;;
    --postgres) PG_ARGS=(--postgres="$2"); shift 2 ;;
    --paced-rate) PACED_RATE_FIXED=$2; shift 2 ;;
    -h|--help) awk 'NR > 1 && /^#/ {sub(/^# ?/, ""); print; next} NR > 1 {exit}' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

# Fail early, before a long build, on what a fresh machine may lack.
if [[ $SKIP_PEER == 0 && ! -x $PEER_RUN ]]; then
  echo "no peer benchmark at $PEER_RUN (set PEER_RUN=path/to/peers/run.sh, or pass --skip-peer)" >&2
  exit 2
fi
if [[ $PROFILE == 1 ]] && ! command -v perf >/dev/null; then
  echo "--profile needs perf (Debian: apt-get install linux-perf)" >&2
  exit 2
fi
mkdir -p "$BB/results"
RESULTS=$BB/results/$(date +%Y%m%d-%H%M%S).txt
log() { echo "[bench $(date +%H:%M:%S)] $*" | tee -a "$RESULTS" >&2; }
record() { echo "$*" | tee -a "$RESULTS"; }

# --- process and temp-dir bookkeeping: stopped / removed by pid on exit -------
PIDS=()
TMPDIRS=()
untrack() {
  local kept=() q
  for q in "${PIDS[@]:-}"; do [[ -n $q && $q != "$1" ]] && kept+=("$q"); done
  PIDS=("${kept[@]:-}")
}
stop_pid() {  # TERM, up to 30 s, then KILL; only pids this script started
  local pid=$1
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
  untrack "$pid"
}
kill9_pid() {
  kill -KILL "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
  untrack "$1"
}
cleanup() {
  local i
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
    [[ -n ${PIDS[i]:-} ]] && stop_pid "${PIDS[i]}"
  done
  for d in "${TMPDIRS[@]:-}"; do [[ -n $d ]] && rm -rf "$d"; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

new_tmp() {  # sets NEW_TMP to a fresh temp dir, removed on exit
  NEW_TMP=$(mktemp -d /tmp/orgpulse-bench.XXXXXX)
  TMPDIRS+=("$NEW_TMP")
}
new_tmp; WORK=$NEW_TMP  # small files of this run
drop_tmp() {
  rm -rf "$1"
  local kept=() d
  for d in "${TMPDIRS[@]:-}"; do [[ -n $d && $d != "$1" ]] && kept+=("$d"); done
  TMPDIRS=("${kept[@]:-}")
}

field() { tr ' ' '\n' <<<"$1" | awk -F= -v k="$2" '$1 == k {print $2}'; }
median() { sort -g | awk '{a[NR] = $1} END {if (NR == 0) print "n/a"; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

# --- machine load ------------------------------------------------------------
cpu_busy_pct() {  # % of all CPUs busy over the last 2 s (everyone, incl. us)
  local a b
  a=($(head -1 /proc/stat)); sleep 2; b=($(head -1 /proc/stat))
  local idle=$(( (b[4] + b[5]) - (a[4] + a[5]) )) total=0 i
  for i in 1 2 3 4 5 6 7 8; do total=$(( total + b[i] - a[i] )); done
  echo $(( total > 0 ? 100 * (total - idle) / total : 0 ))
}
check_load() {  # tag: logs the load; waits while other work keeps the CPUs busy
  local tag=$1 busy waited=0
  busy=$(cpu_busy_pct)
  while (( busy > MAX_BUSY && waited < MAX_WAIT )); do
    log "$tag: machine busy (${busy}% CPU in the last 2 s; $(cut -d' ' -f1-3 /proc/loadavg)); waiting"
    sleep 13; waited=$((waited + 15))
    busy=$(cpu_busy_pct)
  done
  LOAD_NOTE="load $(cut -d' ' -f1-3 /proc/loadavg), cpu busy ${busy}% before; $(disk_probe | sed 's/.*: //')"
  log "$tag: $(uptime | sed 's/^ *//'); CPU busy over last 2 s: ${busy}%"
}

# --- build -------------------------------------------------------------------
# A snapshot of the sources, so that other engineers' edits in progress do not
# change the build under the benchmark: `git archive HEAD` (or --ref COMMIT; or, with
# --source=worktree, the working-tree copies of the tracked files), plus this
# bench/ folder. The snapshot's top-level CMakeLists.txt keeps only what the
# benchmark needs (proto, common, services/ingest, clients, bench): other components,
# tests and tools may be mid-change and are not measured. Only changed files are
# copied into build-bench/src, so rebuilds stay incremental.
snapshot() {
  local stage; new_tmp; stage=$NEW_TMP
  if [[ $SOURCE == head ]]; then
    git -C "$REPO" archive --format=tar "$REF" | tar -x -C "$stage"
  else
    (cd "$REPO" && git ls-files -z | while IFS= read -r -d '' f; do
       [[ -f $f ]] && cp --parents "$f" "$stage/"; done)
  fi
  rm -rf "$stage/bench"; mkdir -p "$stage/bench"
  cp -r "$HERE/." "$stage/bench/"
  # (indented ones too: bench and tests sit in if(ORGPULSE_BUILD_TESTS))
  sed -i -E '/^ *add_subdirectory\((proto|common|services\/ingest|clients|bench)\)$/! {/^ *add_subdirectory\(/d}' \
    "$stage/CMakeLists.txt"
  grep -qE '^ *add_subdirectory\(bench\)$' "$stage/CMakeLists.txt" ||
    echo 'add_subdirectory(bench)' >>"$stage/CMakeLists.txt"
  mkdir -p "$SRC"
  local f
  while IFS= read -r -d '' f; do
    if ! cmp -s "$stage/$f" "$SRC/$f"; then
      mkdir -p "$(dirname "$SRC/$f")"; cp "$stage/$f" "$SRC/$f"
    fi
  done < <(cd "$stage" && find . -type f -print0)
  while IFS= read -r -d '' f; do
    [[ -e $stage/$f ]] || rm -f "$SRC/$f"
  done < <(cd "$SRC" && find . -type f -print0)
  drop_tmp "$stage"
}
REV=$(git -C "$REPO" rev-parse --short "$REF")
[[ $SOURCE == worktree ]] && REV="$REV+worktree($(git -C "$REPO" status --porcelain --untracked-files=no | wc -l) modified)"
log "source: $SOURCE ($REV); results: $RESULTS"
snapshot
log "building Release in $BUILD"
# Ninja when it is installed, else CMake's default (make: scripts/install-deps.sh
# brings no ninja); a tree already configured keeps the generator it has.
GENERATOR=()
if [[ ! -f $BUILD/CMakeCache.txt ]] && command -v ninja >/dev/null; then GENERATOR=(-G Ninja); fi
cmake -S "$SRC" -B "$BUILD" "${GENERATOR[@]}" -DCMAKE_BUILD_TYPE=Release >"$BB/cmake.log" 2>&1 ||
  { tail -20 "$BB/cmake.log" >&2; exit 1; }
cmake --build "$BUILD" -j"$(nproc)" --target orgpulse-ingest orgpulse-ingest-loadgen \
  >"$BB/build.log" 2>&1 || { tail -30 "$BB/build.log" >&2; exit 1; }
SERVER=$BUILD/services/ingest/orgpulse-ingest
LOADGEN=$BUILD/bench/orgpulse-ingest-loadgen

record "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'),\
 $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo) RAM, Debian $(cat /etc/debian_version),\
 kernel $(uname -r)"
record "source: $SOURCE $REV; sync=$SYNC"
# The disk under the data dirs: latency of a synchronous 64 KiB write.
disk_probe() {
  local out; out=$(dd if=/dev/zero of="$WORK/disk-probe" bs=64k count=200 oflag=dsync 2>&1 | tail -1)
  rm -f "$WORK/disk-probe"
  awk -v line="$out" 'BEGIN {n = split(line, f, " "); for (i = 1; i <= n; i++) if (f[i] ~ /^s,?$/) secs = f[i - 1];
    printf "disk: 200 synchronous 64 KiB writes (dd oflag=dsync) in /tmp: %.2f ms each\n", 1000 * secs / 200}'
}
record "$(disk_probe)"

# --- server ----------------------------------------------------------------------
# start_server DATA_DIR: sets SERVER_PID and PORT_FILE, waits for the port file.
start_server() {
  local dir=$1
  PORT_FILE=$dir.port
  rm -f "$PORT_FILE"
  "$SERVER" --grpc_address=127.0.0.1:0 --metrics_address=127.0.0.1:0 --plaintext --allow_unauthenticated \
    --data_dir="$dir" --port_file="$PORT_FILE" --sync="$SYNC" --max_teams="$TEAMS" "${PG_ARGS[@]}" \
    >>"$dir.log" 2>&1 &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  for _ in $(seq 1 3000); do
    [[ -s $PORT_FILE ]] && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  log "server did not start; log tail:"; tail -5 "$dir.log" >&2
  return 1
}
metrics_port() { sed -n 's/.*metrics=\([0-9]*\).*/\1/p' "$PORT_FILE"; }
metric() {  # name: one unlabelled sample from the server's /metrics
  curl -sf --noproxy '*' -m 10 "http://127.0.0.1:$(metrics_port)/metrics" |
    awk -v n="$1" '$1 == n {print $2}'
}
# store_note SECONDS EVENTS: commits, mean events per commit and the share of
# the run the committer spent in the store's Append (SQLite write + fsync).
store_note() {
  local commits sum
  commits=$(metric orgpulse_store_commit_seconds_count); sum=$(metric orgpulse_store_commit_seconds_sum)
  awk -v c="${commits:-0}" -v s="${sum:-0}" -v w="$1" -v e="$2" 'BEGIN {
    if (c > 0) printf "commits=%d events_per_commit=%.0f commit_mean_ms=%.2f store_append_share=%.2f", c, e / c, 1000 * s / c, s / w
    else print "commits=n/a" }'
}
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
hwm_kb() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status"; }
mib() { awk -v k="$1" 'BEGIN {printf "%.0f", k / 1024}'; }
dir_mib() { if [[ -d $1 ]]; then du -sm "$1" | cut -f1; else echo 0; fi; }  # no data dir with --postgres

loadgen() {  # runs the load generator in the background (stoppable by pid), sets R
  local out=$WORK/loadgen.out
  "$LOADGEN" "$@" >"$out" 2>>"$BB/loadgen.err" &
  local pid=$!
  PIDS+=("$pid")
  local rc=0
  wait "$pid" || rc=$?
  untrack "$pid"
  R=$(grep '^RESULT' "$out" || true)
  rm -f "$out"
  [[ -n $R ]] || R="RESULT failed=1"
  return $rc
}

# --- 1. stream rounds, restart, peer ---------------------------------------------
STREAM_RATES=(); STREAM_P99=(); STREAM_PER_CPU=(); RSS1M=(); RSS10M=(); RSS_IDLE=()
PEER_RATES=(); PEER_PER_CPU=(); RATIOS=(); RATIOS_CPU=(); RESTART_S=(); RESTART_RSS=()
DISK_MIB=()
ONE_M=$(( STREAM_EVENTS < 1000000 ? STREAM_EVENTS : 1000000 ))

# disturbed R: true when other processes used more than --max-other cores
# during the run (other engineers' builds and tests on the shared machine).
disturbed() { awk -v o="$(field "$R" other_cpu_cores)" -v m="$MAX_OTHER" 'BEGIN {exit !(o > m)}'; }

stream_round() {
  local r=$1 tmp dir attempt rc note
  for attempt in $(seq 1 "$ATTEMPTS"); do
    new_tmp; tmp=$NEW_TMP; dir=$tmp/data
    check_load "round $r stream"
    note=$LOAD_NOTE
    start_server "$dir"
    rc=0
    loadgen --mode=stream --port_file="$PORT_FILE" --events="$STREAM_EVENTS" \
      --batch="$STREAM_BATCH" --concurrency="$STREAMS" --inflight="$INFLIGHT" \
      --server_pid="$SERVER_PID" --rss_checkpoints="$ONE_M,$STREAM_EVENTS" || rc=$?
    if disturbed && (( attempt < ATTEMPTS )); then
      record "round $r stream attempt $attempt DISTURBED, repeated ($note): $R"
      stop_pid "$SERVER_PID"; drop_tmp "$tmp"
      continue
    fi
    break
  done
  disturbed && note="$note; DISTURBED"
  sleep 2
  local idle; idle=$(mib "$(rss_kb "$SERVER_PID")")
  record "round $r stream ($note): $R $(store_note "$(field "$R" seconds)" "$(field "$R" acked)")"
  (( rc == 0 )) || log "round $r: stream run FAILED (rc $rc)"
  STREAM_RATES+=("$(field "$R" events_per_s)")
  STREAM_P99+=("$(field "$R" p99_ms)")
  STREAM_PER_CPU+=("$(field "$R" events_per_server_cpu_s)")
  RSS1M+=("$(mib "$(field "$R" "rss_kb_at_$ONE_M")")")
  RSS10M+=("$(mib "$(field "$R" "rss_kb_at_$STREAM_EVENTS")")")
  RSS_IDLE+=("$idle")
  DISK_MIB+=("$(dir_mib "$dir")")
  record "round $r: server idle 2 s after the run: VmRSS $idle MiB; after one /metrics scrape: VmRSS $(mib "$(rss_kb "$SERVER_PID")") MiB, VmHWM $(mib "$(hwm_kb "$SERVER_PID")") MiB; data dir $(dir_mib "$dir") MiB"

  if (( r == 1 && RESTARTS > 0 )); then
    local i
    for i in $(seq 1 "$RESTARTS"); do
      check_load "restart $i"
      kill9_pid "$SERVER_PID"
      rm -f "$PORT_FILE"
      local t0; t0=$(date +%s%N)
      "$SERVER" --grpc_address=127.0.0.1:0 --metrics_address=127.0.0.1:0 --plaintext --allow_unauthenticated \
        --data_dir="$dir" --port_file="$PORT_FILE" --sync="$SYNC" --max_teams="$TEAMS" "${PG_ARGS[@]}" \
        >>"$dir.log" 2>&1 &
      SERVER_PID=$!
      PIDS+=("$SERVER_PID")
      loadgen --mode=probe --port_file="$PORT_FILE" --start_unix_ns="$t0" --timeout_s=600 || true
      local rss; rss=$(mib "$(rss_kb "$SERVER_PID")")
      record "restart $i after SIGKILL ($LOAD_NOTE): $R rss_after_recovery_mib=$rss"
      RESTART_S+=("$(field "$R" since_start_s)")
      RESTART_RSS+=("$rss")
    done
    grep -o 'recovered [0-9]* events.*' "$dir.log" | sed 's/^/  server log: /' | tee -a "$RESULTS" >&2 || true
  fi
  stop_pid "$SERVER_PID"
  drop_tmp "$tmp"
}

peer_round() {
  local r=$1 out
  check_load "round $r peer"
  local note=$LOAD_NOTE
  out=$WORK/peer.out
  "$PEER_RUN" --only prometheus --no-variant >"$out" 2>>"$BB/peer.err" &
  local pid=$!
  PIDS+=("$pid")
  wait "$pid" || log "round $r: peer run exited with an error (see $BB/peer.err)"
  untrack "$pid"
  local line; line=$(grep '^prometheus-remote-write:' "$out" || true)
  rm -f "$out"
  record "round $r peer ($note): $line"
  local rate per_cpu
  rate=$(awk '{print $2}' <<<"$line")
  per_cpu=$(grep -o '([0-9]* samples per CPU-second)' <<<"$line" | tr -dc '0-9')
  PEER_RATES+=("${rate:-n/a}")
  PEER_PER_CPU+=("${per_cpu:-n/a}")
  local ours=${STREAM_RATES[-1]} ours_cpu=${STREAM_PER_CPU[-1]}
  RATIOS+=("$(awk -v a="$ours" -v b="$rate" 'BEGIN {if (b > 0) printf "%.2f", a / b; else print "n/a"}')")
  RATIOS_CPU+=("$(awk -v a="$ours_cpu" -v b="$per_cpu" 'BEGIN {if (b > 0) printf "%.2f", a / b; else print "n/a"}')")
  record "round $r ratio: ours/peer events/s ${RATIOS[-1]}; per server CPU-second ${RATIOS_CPU[-1]}"
}

if [[ $SKIP_STREAM == 0 ]]; then
  for r in $(seq 1 "$ROUNDS"); do
    stream_round "$r"
    [[ $SKIP_PEER == 1 ]] || peer_round "$r"
  done
fi

# --- 2. Push: max, then p99 at half of it -------------------------------------------
PUSH_RATES=(); PUSH_MAX_P99=(); PACED_P99=(); PACED_P50=(); PACED_RATE=()
push_run() {  # tag loadgen-args...: fresh server and data dir for each run
  local tag=$1; shift
  local tmp attempt note
  for attempt in $(seq 1 "$ATTEMPTS"); do
    new_tmp; tmp=$NEW_TMP
    check_load "$tag"
    note=$LOAD_NOTE
    start_server "$tmp/data"
    loadgen --mode=push --port_file="$PORT_FILE" --batch=100 --concurrency="$PUSH_CLIENTS" \
      --server_pid="$SERVER_PID" "$@" || log "$tag: FAILED"
    if disturbed && (( attempt < ATTEMPTS )); then
      record "$tag attempt $attempt DISTURBED, repeated ($note): $R"
      stop_pid "$SERVER_PID"; drop_tmp "$tmp"
      continue
    fi
    break
  done
  disturbed && note="$note; DISTURBED"
  record "$tag ($note): $R $(store_note "$(field "$R" seconds)" "$(field "$R" acked)")"
  stop_pid "$SERVER_PID"
  drop_tmp "$tmp"
}
if [[ $SKIP_PUSH == 0 ]]; then
  for i in $(seq 1 "$PUSH_RUNS"); do
    push_run "push max $i" --events="$PUSH_EVENTS"
    PUSH_RATES+=("$(field "$R" events_per_s)")
    PUSH_MAX_P99+=("$(field "$R" p99_ms)")
  done
  PUSH_MAX=$(printf '%s\n' "${PUSH_RATES[@]}" | median)
  HALF=$(awk -v m="$PUSH_MAX" 'BEGIN {printf "%.0f", m / 2}')
  [[ -n $PACED_RATE_FIXED ]] && HALF=$PACED_RATE_FIXED
  PACED_EVENTS=$(( HALF * PACED_SECONDS / 100 * 100 ))
  for i in $(seq 1 "$PUSH_RUNS"); do
    push_run "push at half max ($HALF events/s) $i" --rate="$HALF" --events="$PACED_EVENTS"
    PACED_P99+=("$(field "$R" p99_ms)")
    PACED_P50+=("$(field "$R" p50_ms)")
    PACED_RATE+=("$(field "$R" events_per_s)")
  done
fi

# --- 3. profile ----------------------------------------------------------------------
# perf with DWARF call graphs: the Release build and Debian's libraries have no
# frame pointers, so plain `-g` stacks stop at the first library frame. The
# machine has no hardware PMU here, hence the cpu-clock software event.
perf_tables() {  # perf.data prefix
  perf report -i "$1" --no-children --stdio --sort pid -g none 2>/dev/null |
    grep -v '^#' | grep -v '^$' | head -8 >"$2-threads.txt" || true
  perf report -i "$1" --no-children --stdio --sort dso -g none 2>/dev/null |
    grep -v '^#' | grep -v '^$' | head -12 >"$2-dso.txt" || true
  perf report -i "$1" --no-children --stdio --sort dso,sym -g none 2>/dev/null |
    grep -v '^#' | grep -v '^$' | cut -c1-220 | head -40 >"$2-self.txt" || true
  perf report -i "$1" --children --stdio --sort sym -g none 2>/dev/null |
    grep -v '^#' | grep -v '^$' | grep -v '\] 0x0000' | cut -c1-220 | head -80 >"$2-inclusive.txt" || true
  local t
  for t in threads dso self inclusive; do
    record "profile $(basename "$2") ($t):"; sed 's/^/  /' "$2-$t.txt" | tee -a "$RESULTS" >/dev/null
  done
  log "profile tables: $2-{threads,dso,self,inclusive}.txt"
}
if [[ $PROFILE == 1 ]]; then
  new_tmp; tmp=$NEW_TMP
  check_load "profile"
  start_server "$tmp/data"
  perf record -e cpu-clock -F 499 -g --call-graph dwarf,16384 -p "$SERVER_PID" \
    -o "$BB/perf-stream.data" >"$BB/perf.log" 2>&1 &
  perf_pid=$!
  PIDS+=("$perf_pid")
  sleep 1
  loadgen --mode=stream --port_file="$PORT_FILE" --events=$(( STREAM_EVENTS / 2 )) \
    --batch="$STREAM_BATCH" --concurrency="$STREAMS" --inflight="$INFLIGHT" \
    --server_pid="$SERVER_PID" || true
  record "profiled stream run: $R $(store_note "$(field "$R" seconds)" "$(field "$R" acked)")"
  kill -INT "$perf_pid" 2>/dev/null || true
  wait "$perf_pid" 2>/dev/null || true
  untrack "$perf_pid"
  # Recovery: SIGKILL, then start the server under perf and stop it once ready.
  kill9_pid "$SERVER_PID"
  rm -f "$PORT_FILE"
  perf record -e cpu-clock -F 999 -g --call-graph dwarf,16384 -o "$BB/perf-recovery.data" -- \
    "$SERVER" --grpc_address=127.0.0.1:0 --metrics_address=127.0.0.1:0 --plaintext --allow_unauthenticated \
    --data_dir="$tmp/data" --port_file="$PORT_FILE" --sync="$SYNC" --max_teams="$TEAMS" "${PG_ARGS[@]}" \
    >>"$tmp/data.log" 2>>"$BB/perf.log" &
  perf_pid=$!
  PIDS+=("$perf_pid")
  loadgen --mode=probe --port_file="$PORT_FILE" --timeout_s=600 || true
  record "profiled recovery: $R"
  srv=$(pgrep -P "$perf_pid" || true)
  if [[ -n $srv ]]; then kill -TERM "$srv" 2>/dev/null || true; else kill -INT "$perf_pid" 2>/dev/null || true; fi
  wait "$perf_pid" 2>/dev/null || true
  untrack "$perf_pid"
  drop_tmp "$tmp"
  perf_tables "$BB/perf-stream.data" "$BB/profile-stream"
  perf_tables "$BB/perf-recovery.data" "$BB/profile-recovery"
fi

# --- summary ---------------------------------------------------------------------------
med() { printf '%s\n' "$@" | grep -v '^n/a$' | grep -v '^$' | median; }
record ""
record "SUMMARY ($REV, sync=$SYNC, medians)"
if [[ $SKIP_STREAM == 0 ]]; then
  record "  PushStream over $STREAM_EVENTS events ($STREAMS streams x $INFLIGHT in flight, batch $STREAM_BATCH): $(med "${STREAM_RATES[@]}") events/s [runs: ${STREAM_RATES[*]}], ack p99 $(med "${STREAM_P99[@]}") ms, $(med "${STREAM_PER_CPU[@]}") events per server CPU-second"
  record "  server RSS at $ONE_M events: $(med "${RSS1M[@]}") MiB [${RSS1M[*]}]; at $STREAM_EVENTS: $(med "${RSS10M[@]}") MiB [${RSS10M[*]}]; idle after: $(med "${RSS_IDLE[@]}") MiB; data dir $(med "${DISK_MIB[@]}") MiB"
  if (( ${#RESTART_S[@]} > 0 )); then
    record "  restart after SIGKILL with $STREAM_EVENTS events: $(med "${RESTART_S[@]}") s [${RESTART_S[*]}]; RSS after recovery $(med "${RESTART_RSS[@]}") MiB"
  fi
  if [[ $SKIP_PEER == 0 ]]; then
    record "  peer prometheus remote-write: $(med "${PEER_RATES[@]}") samples/s [${PEER_RATES[*]}], $(med "${PEER_PER_CPU[@]}") per CPU-second"
    record "  ratio ours/peer (same round): events/s $(med "${RATIOS[@]}") [${RATIOS[*]}]; per server CPU-second $(med "${RATIOS_CPU[@]}") [${RATIOS_CPU[*]}]"
  fi
fi
if [[ $SKIP_PUSH == 0 ]]; then
  record "  Push batch 100 x $PUSH_CLIENTS clients, max: $PUSH_MAX events/s [${PUSH_RATES[*]}], p99 at max $(med "${PUSH_MAX_P99[@]}") ms"
  record "  Push at half max ($HALF events/s, open loop, ${PACED_SECONDS} s): p99 $(med "${PACED_P99[@]}") ms [${PACED_P99[*]}], p50 $(med "${PACED_P50[@]}") ms, achieved $(med "${PACED_RATE[@]}") events/s"
fi
record "results: $RESULTS"
