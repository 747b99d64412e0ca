# shellcheck shell=bash
# Prometheus for the demo, sourced by scripts/demo.sh: Debian's prometheus on
# a free loopback port with the shipped configuration and rules
# (deploy/prometheus/), scraping the demo's services every 5 seconds, so the
# series and alerts can be seen in its UI, and a Grafana pointed at it with
# the shipped provisioning (deploy/grafana/).
#
#   backfill_prometheus DAYS  before start_prometheus: the ingest figures of
#                             the last DAYS days, every hour, as Prometheus
#                             would have scraped them (orgpulse export
#                             --openmetrics, promtool create-blocks-from
#                             openmetrics, then the recording rules with
#                             create-blocks-from rules), so that the
#                             dashboards show history from the start; needs
#                             CLI, INGEST_GRPC and the loader token too
#   start_prometheus          needs WORK, INGEST_METRICS, INSIGHTS_METRICS and
#                             the PIDS array (the caller's cleanup stops it);
#                             sets PROMETHEUS_PORT
#   print_prometheus_alerts   waits (at most 20 s) for the sample
#                             organisation's alerts and lists them
#   print_grafana_hint        how to see the dashboards

ORGPULSE_DEPLOY_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/../deploy" && pwd)"

utc() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }

backfill_prometheus() {
  local days=$1 to from
  # Hourly samples up to the last full hour; the live scrapes take over.
  to=$(($(date -u +%s) / 3600 * 3600 - 3600))
  from=$((to - days * 86400))
  "$CLI" export --openmetrics --ingest="127.0.0.1:$INGEST_GRPC" \
    --token-file="$WORK/loader.token" --from="$(utc $from)" --to="$(utc $to)" \
    --step=1h --labels="job=orgpulse-ingest,instance=127.0.0.1:$INGEST_METRICS" \
    --output="$WORK/history.om"
  # Long blocks (--max-block-duration, hidden in promtool's help): with the
  # default 2h, one block per sample time, slow to write and to load.
  promtool tsdb create-blocks-from openmetrics --quiet --max-block-duration=8760h \
    "$WORK/history.om" "$WORK/prometheus" >"$WORK/promtool.log" 2>&1 ||
    { cat "$WORK/promtool.log"; return 1; }
  # The recording rules are evaluated over those series by a Prometheus that
  # serves them: started for that alone, then stopped.
  start_prometheus >/dev/null
  promtool tsdb create-blocks-from rules --quiet --max-block-duration=8760h \
    --url="http://127.0.0.1:$PROMETHEUS_PORT" --start="$from" --end="$((to + 1))" \
    --eval-interval=1h --output-dir="$WORK/rules-blocks" \
    "$ORGPULSE_DEPLOY_DIR/prometheus/rules/orgpulse-recording.yml" \
    >"$WORK/promtool.log" 2>&1 || { cat "$WORK/promtool.log"; return 1; }
  kill -TERM "${PIDS[-1]}"
  wait "${PIDS[-1]}" || true
  unset 'PIDS[-1]'
  mv "$WORK"/rules-blocks/* "$WORK/prometheus/"
  echo "backfilled Prometheus with $days days of hourly ingest figures ($(utc $from) to $(utc $to))"
}

start_prometheus() {
  local port
  port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  sed -e 's/scrape_interval: 15s/scrape_interval: 5s/' \
    -e 's/evaluation_interval: 15s/evaluation_interval: 5s/' \
    -e "s/\"ingest:9464\"/\"127.0.0.1:$INGEST_METRICS\"/" \
    -e "s/\"insights:9465\"/\"127.0.0.1:$INSIGHTS_METRICS\"/" \
    -e "s/\"localhost:9090\"/\"127.0.0.1:$port\"/" \
    -e "s#- rules/#- $ORGPULSE_DEPLOY_DIR/prometheus/rules/#" \
    "$ORGPULSE_DEPLOY_DIR/prometheus/prometheus.yml" >"$WORK/prometheus.yml"
  # Backfilled samples are an hour apart: a query finds the latest within
  # the hour (scraped series end with staleness markers, unaffected); and
  # they are kept however old.
  prometheus --config.file="$WORK/prometheus.yml" \
    --storage.tsdb.path="$WORK/prometheus" \
    --storage.tsdb.retention.time=10y --query.lookback-delta=1h \
    --web.listen-address="127.0.0.1:$port" 2>"$WORK/prometheus.log" &
  PIDS+=($!)
  local _
  for _ in $(seq 1 300); do
    curl -sf "http://127.0.0.1:$port/-/ready" >/dev/null 2>&1 && break
    kill -0 "${PIDS[-1]}" 2>/dev/null || { cat "$WORK/prometheus.log"; return 1; }
    sleep 0.1
  done
  PROMETHEUS_PORT=$port
  echo "prometheus: http://127.0.0.1:$PROMETHEUS_PORT (scrapes both every 5s; Alerts, Graph)"
}

print_prometheus_alerts() {
  local url="http://127.0.0.1:$PROMETHEUS_PORT/api/v1/alerts" alerts _
  # Until both views' figures are scraped and evaluated (and the start-up
  # "not scraped yet" has cleared).
  for _ in $(seq 1 40); do
    alerts=$(curl -sf "$url" || true)
    [[ $alerts == *OrgpulseProjectOverBudget* && $alerts == *OrgpulseTeamBurnoutRisk* &&
      $alerts != *OrgpulseServiceAbsent* ]] && break
    sleep 0.5
  done
  curl -sf "$url" | /usr/bin/python3 -c '
import json, sys
alerts = json.load(sys.stdin)["data"]["alerts"]
for a in sorted(alerts, key=lambda a: (a["labels"]["alertname"], a["labels"].get("team", ""))):
    print("%-8s %-30s %s" % (a["state"], a["labels"]["alertname"], a["annotations"]["summary"]))
print("(%d alerts; pending ones fire once their for: window has passed)" % len(alerts))'
}

print_grafana_hint() {
  cat <<EOF
To see the dashboards, point a Grafana 10 at this Prometheus with the shipped
provisioning, for example with Docker:
  docker run --rm --network host -e PROMETHEUS_URL=http://127.0.0.1:$PROMETHEUS_PORT \\
    -v $ORGPULSE_DEPLOY_DIR/grafana/provisioning:/etc/grafana/provisioning:ro \\
    -v $ORGPULSE_DEPLOY_DIR/grafana/dashboards:/var/lib/grafana/dashboards/orgpulse:ro \\
    grafana/grafana-oss:10.4.2
then open http://127.0.0.1:3000 (admin/admin), folder "orgpulse". In any other
Grafana: add a Prometheus data source at that URL and import the JSON files of
$ORGPULSE_DEPLOY_DIR/grafana/dashboards.
EOF
}
