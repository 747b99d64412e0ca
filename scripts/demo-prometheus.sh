# shellcheck shell=bash
# Prometheus for the demo, sourced by scripts/demo.sh: Debian's prometheus on
# a free loopback port with the shipped configuration and rules
# (deploy/prometheus/), scraping the demo's services every 5 seconds, so the
# series and alerts can be seen in its UI, and a Grafana pointed at it with
# the shipped provisioning (deploy/grafana/).
#
#   start_prometheus          needs WORK, INGEST_METRICS, INSIGHTS_METRICS and
#                             the PIDS array (the caller's cleanup stops it);
#                             sets PROMETHEUS_PORT
#   print_prometheus_alerts   waits (at most 20 s) for the sample
#                             organisation's alerts and lists them
#   print_grafana_hint        how to see the dashboards

ORGPULSE_DEPLOY_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/../deploy" && pwd)"

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
  prometheus --config.file="$WORK/prometheus.yml" \
    --storage.tsdb.path="$WORK/prometheus" \
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
