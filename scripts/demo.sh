#!/usr/bin/env bash
# The demo: installs what it needs, builds, starts the ingest and insights
# services on their embedded stores (fresh data directories) and a
# Prometheus with the shipped rules, all on free loopback ports, pushes the
# sample organisation and its survey rounds, and prints every team's manager
# view, the org view where the two meet, and the alerts they raise.
# Stops what it started on exit.
#   scripts/demo.sh           run the demo and stop
#   scripts/demo.sh --keep    leave the services running until Ctrl-C
set -euo pipefail
cd "$(dirname "$0")/.."
KEEP=0
[[ ${1:-} == --keep ]] && KEEP=1

bash scripts/install-deps.sh
bash scripts/build.sh orgpulse-ingest orgpulse-insights orgpulse-demo orgpulse >/dev/null
BUILD_DIR=${BUILD_DIR:-build}
source scripts/demo-prometheus.sh

WORK=$(mktemp -d /tmp/orgpulse-demo.XXXXXX)
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid"
      wait "$pid" || true
    fi
  done
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

# start NAME BINARY ARGS...: starts a service on free ports, waits for its
# port file, and sets NAME_GRPC and NAME_METRICS.
start() {
  local name=$1 binary=$2
  shift 2
  "$binary" --grpc_address=127.0.0.1:0 --metrics_address=127.0.0.1:0 \
    --data_dir="$WORK/$name" --port_file="$WORK/$name.ports" "$@" \
    2>"$WORK/$name.log" &
  PIDS+=($!)
  for _ in $(seq 1 300); do
    [[ -s $WORK/$name.ports ]] && break
    kill -0 "${PIDS[-1]}" 2>/dev/null || { cat "$WORK/$name.log"; exit 1; }
    sleep 0.1
  done
  local grpc metrics
  read -r grpc metrics <"$WORK/$name.ports"
  printf -v "${name^^}_GRPC" '%s' "${grpc#grpc=}"
  printf -v "${name^^}_METRICS" '%s' "${metrics#metrics=}"
}

# Bearer tokens: the demo loader may do everything, insights may read
# ingest. The services keep only the tokens' digests. Plaintext is fine on
# loopback; see docs/security.md for TLS.
CLI=$BUILD_DIR/cli/orgpulse
"$CLI" token new demo-loader --scopes=ingest:push,ingest:read,survey:submit,insights:read \
  --secret-file="$WORK/loader.token" >"$WORK/tokens"
"$CLI" token new insights --scopes=ingest:read \
  --secret-file="$WORK/insights.token" >>"$WORK/tokens"
start ingest "$BUILD_DIR/services/ingest/orgpulse-ingest" \
  --plaintext --token_file="$WORK/tokens"
# The respondent key: a throwaway secret for the demo.
head -c 32 /dev/urandom | base64 >"$WORK/respondent.key"
start insights "$BUILD_DIR/services/insights/orgpulse-insights" \
  --plaintext --token_file="$WORK/tokens" \
  --ingest_address="127.0.0.1:$INGEST_GRPC" --ingest_plaintext \
  --ingest_token_file="$WORK/insights.token" --ingest_refresh=1s \
  --respondent_key_file="$WORK/respondent.key"
echo "ingest:   gRPC 127.0.0.1:$INGEST_GRPC, metrics http://127.0.0.1:$INGEST_METRICS/metrics"
echo "insights: gRPC 127.0.0.1:$INSIGHTS_GRPC, metrics http://127.0.0.1:$INSIGHTS_METRICS/metrics"
echo

"$BUILD_DIR/tools/orgpulse-demo" --ingest="127.0.0.1:$INGEST_GRPC" \
  --insights="127.0.0.1:$INSIGHTS_GRPC" --token_file="$WORK/loader.token"

echo
echo "=== Prometheus, with the sample organisation's past backfilled ==="
backfill_prometheus 120
start_prometheus

echo
echo "=== Survey results need a token with insights:read ==="
echo "\$ orgpulse insights eng            (no token)"
"$CLI" insights eng --insights="127.0.0.1:$INSIGHTS_GRPC" || true
echo "\$ orgpulse insights eng --token-file=insights.token   (ingest:read only)"
"$CLI" insights eng --insights="127.0.0.1:$INSIGHTS_GRPC" \
  --token-file="$WORK/insights.token" || true

echo
echo "=== A few of the Prometheus series ==="
curl -s "http://127.0.0.1:$INGEST_METRICS/metrics" |
  grep -E '^orgpulse_(project_cost_performance_index|tasks_on_time_ratio)\{team="eng' | head -6
curl -s "http://127.0.0.1:$INSIGHTS_METRICS/metrics" |
  grep -E '^orgpulse_(team_quadrant\{.*\} 1|burnout_risk_ratio|morale_score\{team="eng/payments",dimension="wellbeing")' |
  head -12
echo
echo "=== Alerts from the shipped rules ==="
print_prometheus_alerts
if [[ $KEEP == 1 ]]; then
  print_grafana_hint
  echo
  echo "The services keep running; press Ctrl-C to stop them."
  wait "${PIDS[0]}"
fi
