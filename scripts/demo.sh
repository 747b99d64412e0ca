#!/usr/bin/env bash
# The demo: installs what it needs, builds, starts the ingest service on the
# embedded store (a fresh data directory) on free loopback ports, pushes the
# sample organisation and prints every team's manager view. Stops what it
# started on exit.
#   scripts/demo.sh           run the demo and stop
#   scripts/demo.sh --keep    leave the service running until Ctrl-C
set -euo pipefail
cd "$(dirname "$0")/.."
KEEP=0
[[ ${1:-} == --keep ]] && KEEP=1

bash scripts/install-deps.sh
bash scripts/build.sh orgpulse-ingest orgpulse-demo >/dev/null
BUILD_DIR=${BUILD_DIR:-build}

WORK=$(mktemp -d /tmp/orgpulse-demo.XXXXXX)
INGEST_PID=""
cleanup() {
  if [[ -n $INGEST_PID ]] && kill -0 "$INGEST_PID" 2>/dev/null; then
    kill -TERM "$INGEST_PID"
    wait "$INGEST_PID" || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

"$BUILD_DIR/services/ingest/orgpulse-ingest" \
  --grpc_address=127.0.0.1:0 --metrics_address=127.0.0.1:0 \
  --data_dir="$WORK/ingest" --port_file="$WORK/ingest.ports" \
  2>"$WORK/ingest.log" &
INGEST_PID=$!
for _ in $(seq 1 300); do
  [[ -s $WORK/ingest.ports ]] && break
  kill -0 "$INGEST_PID" 2>/dev/null || { cat "$WORK/ingest.log"; exit 1; }
  sleep 0.1
done
read -r GRPC METRICS <"$WORK/ingest.ports"
GRPC_PORT=${GRPC#grpc=}
METRICS_PORT=${METRICS#metrics=}
echo "ingest: gRPC on 127.0.0.1:$GRPC_PORT, metrics on http://127.0.0.1:$METRICS_PORT/metrics"
echo

"$BUILD_DIR/tools/orgpulse-demo" --ingest="127.0.0.1:$GRPC_PORT"

echo
echo "=== A few of the Prometheus series (curl http://127.0.0.1:$METRICS_PORT/metrics) ==="
curl -s "http://127.0.0.1:$METRICS_PORT/metrics" |
  grep -E '^orgpulse_(project_cost_performance_index|tasks_on_time_ratio|milestones\{team="eng/search")' |
  head -12
if [[ $KEEP == 1 ]]; then
  echo
  echo "ingest keeps running (pid $INGEST_PID); press Ctrl-C to stop it."
  wait "$INGEST_PID"
fi
