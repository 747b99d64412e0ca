#!/usr/bin/env bash
# Builds the libFuzzer targets with clang 14 (AddressSanitizer and
# UndefinedBehaviorSanitizer) and runs each: first its seeds
# (fuzz/corpus/<target>/) and past crashes (fuzz/regressions/<target>/),
# once each, then fuzzing for N seconds. See docs/fuzzing.md.
#
#   fuzz/run_fuzzers.sh [--seconds N] [target...]   (default: 600 s, all)
#
# BUILD_DIR (default build-fuzz) is where the clang tree is built; the
# corpus each target grows is kept in $BUILD_DIR/fuzz-corpus/<target>/,
# logs in $BUILD_DIR/fuzz-logs/ and crashing inputs in
# $BUILD_DIR/fuzz-artifacts/<target>/. JOBS (default 2) is the build's
# parallelism. Exits 77 (a skip, for CTest) if clang++-14 is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

all_targets=(fuzz_ingest_push fuzz_insights_submit fuzz_privacy_differential
             fuzz_csv fuzz_survey_snapshot)
seconds=600
targets=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --seconds) seconds=$2; shift 2 ;;
    --seconds=*) seconds=${1#--seconds=}; shift ;;
    -h | --help) sed -n '2,13p' "$0"; exit 0 ;;
    -*) echo "unknown option: $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
if [[ ${#targets[@]} -eq 0 ]]; then targets=("${all_targets[@]}"); fi

if ! command -v clang++-14 >/dev/null; then
  echo "clang++-14 not found (scripts/install-deps.sh installs it); skipping" >&2
  exit 77
fi

BUILD_DIR=${BUILD_DIR:-build-fuzz}
cmake -S . -B "$BUILD_DIR" -DORGPULSE_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++-14 \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
build_args=()
for t in "${targets[@]}"; do build_args+=(--target "$t"); done
cmake --build "$BUILD_DIR" -j"${JOBS:-2}" "${build_args[@]}"

export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
failed=()
for t in "${targets[@]}"; do
  bin=$BUILD_DIR/fuzz/$t
  grown=$BUILD_DIR/fuzz-corpus/$t
  artifacts=$BUILD_DIR/fuzz-artifacts/$t
  logs=$BUILD_DIR/fuzz-logs
  mkdir -p "$grown" "$artifacts" "$logs"

  # Seeds and regressions, each input once, as files (no fuzzing).
  inputs=()
  for dir in fuzz/corpus/$t fuzz/regressions/$t; do
    if [[ -d $dir ]]; then
      while IFS= read -r -d '' f; do inputs+=("$f"); done \
        < <(find "$dir" -type f -print0 | sort -z)
    fi
  done
  if [[ ${#inputs[@]} -gt 0 ]] &&
      ! "$bin" "${inputs[@]}" >"$logs/$t.replay.log" 2>&1; then
    echo "FAIL $t: a seed or regression input crashes; $logs/$t.replay.log:" >&2
    tail -n 40 "$logs/$t.replay.log" >&2
    failed+=("$t")
    continue
  fi

  if ! "$bin" -max_total_time="$seconds" -timeout=30 -print_final_stats=1 \
      -artifact_prefix="$artifacts/" "$grown" "fuzz/corpus/$t" \
      >"$logs/$t.log" 2>&1; then
    echo "FAIL $t: crash saved in $artifacts/; $logs/$t.log:" >&2
    tail -n 60 "$logs/$t.log" >&2
    failed+=("$t")
    continue
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$logs/$t.log")
  echo "ok   $t: ${#inputs[@]} seeds and regressions replayed, $runs runs in ${seconds} s"
done

if [[ ${#failed[@]} -gt 0 ]]; then
  echo "failed: ${failed[*]}" >&2
  exit 1
fi
