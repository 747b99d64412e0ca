#!/usr/bin/python3
"""Two years of history into a real Prometheus, checked against the trend RPC.

It starts the real orgpulse-ingest on free loopback ports, pushes two years
of the sample organisation (orgpulse-demo --history_days=730), then backfills
a real Prometheus (Debian's binaries) as docs/backfill.md tells a user to:

  - `orgpulse export --openmetrics` every day at 23:59:59 UTC over the two
    years (so that every month end is a sample), checked to end in # EOF;
  - `promtool tsdb create-blocks-from openmetrics` into a new data directory;
  - Prometheus started on it, `promtool tsdb create-blocks-from rules` with
    the shipped recording rules against it, Prometheus restarted with the
    rules' blocks too;

and compares, at every month end of the two years, range queries of the
shipped manager dashboard's expressions (taken from the dashboard file by
panel title, $team set to one team and to a department's regex) with the
figures `orgpulse trend --json` (GetTeamTrend) gives for that team or
department at the same times: equal, to 1e-9, including where a figure is
absent.

Every process it starts is stopped by its pid, on failure too.

  /usr/bin/python3 backfill_test.py --ingest BIN --demo BIN --cli BIN \
      --deploy-dir REPO/deploy [--prometheus BIN] [--promtool BIN] [--keep]

Standard library only (Debian's /usr/bin/python3).
"""

import argparse
import calendar
import datetime
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dashboards_live_test as live  # noqa: E402 - the shared helpers

DAY = 86400
HISTORY_DAYS = 730
LEAF = "eng/search"          # one team (its own figures are its rollup)
DEPARTMENT = ("eng", "eng/.*")  # the trend's prefix, the dashboards' regex


STARTED = time.monotonic()


def log(*args):
    live.log(f"[{time.monotonic() - STARTED:6.1f} s]", *args)


def iso(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def run(argv, what, timeout=300):
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout, preexec_fn=live._set_parent_death_signal)
    if r.returncode != 0:
        raise RuntimeError(f"{what} failed ({r.returncode}):\n"
                           + r.stderr.decode(errors="replace")[-3000:])
    return r


def manager_expression(deploy_dir, title, index=0):
    """The `index`th query of the manager dashboard's panel `title`."""
    for name, dashboard in live.load_dashboards(deploy_dir):
        if name != "orgpulse-manager.json":
            continue
        for panel in live.all_panels(dashboard):
            if panel.get("title") == title:
                return panel["targets"][index]["expr"]
    raise RuntimeError(f"no panel {title!r} in the manager dashboard")


# What each dashboard figure is in a trend point (None: absent there).
def on_time(p):
    t = p.get("tasks", {})
    return t.get("on_time_ratio", 0.0) if t.get("has_on_time_ratio") else None


def cpi(p):
    b = p.get("budget", {})
    return b.get("cost_performance_index", 0.0) if b.get("has_cpi") else None


def spi(p):
    b = p.get("budget", {})
    return b.get("schedule_performance_index", 0.0) if b.get("has_spi") else None


def milestone_hits(p):
    m = p.get("milestones", {})
    met, missed = int(m.get("met", 0)), int(m.get("missed", 0))
    return met / (met + missed) if met + missed > 0 else None


def compliance(p):
    checks = sum(int(x.get("checks", 0)) for x in p.get("procedures", []))
    passed = sum(int(x.get("passed", 0)) for x in p.get("procedures", []))
    return passed / checks if checks > 0 else None


def kpi_attainment(p):
    # The leaf team has one KPI; the query is actual / target.
    kpis = [k for k in p.get("kpis", []) if k.get("has_target")]
    return kpis[0].get("attainment_ratio", 0.0) if kpis else None


def count(field):
    return lambda p: float(int(p.get("tasks", {}).get(field, 0)))


def weekly(p):
    return p.get("tasks", {}).get("weekly_throughput", 0.0)


# (panel title, query index, figure, for the department too, on a recording
# rule). promtool evaluates the rules every day at a time of its own (an
# offset from the group's hash), on the latest sample before it: a rule's
# value for day D's last second is the one of its evaluation during day D+1.
CHECKS = [
    ("Open tasks", 0, count("open"), True, False),
    ("Overdue tasks", 0, count("overdue"), True, False),
    ("Completed on time", 0, on_time, True, False),
    ("Weekly throughput", 0, weekly, True, False),
    ("On-time ratio per team", 0, on_time, False, False),
    ("Cost performance index (CPI)", 0, cpi, False, False),
    ("Schedule performance index (SPI)", 0, spi, False, False),
    ("Milestone hit ratio per team", 0, milestone_hits, False, True),
    ("Compliance per team (all procedures)", 0, compliance, False, True),
    ("KPI actual against target", 0, kpi_attainment, False, False),
]


def team_series_shapes(text, skip_labels=()):
    """{(metric name, sorted label names)} of the samples with a team label."""
    shapes = set()
    for line in text.splitlines():
        if line.startswith("#") or "{" not in line or 'team="' not in line:
            continue
        name, rest = line.split("{", 1)
        labels = tuple(sorted(
            kv.split("=", 1)[0] for kv in re.findall(r'(\w+="(?:[^"\\]|\\.)*")', rest.split("}")[0])
            if kv.split("=", 1)[0] not in skip_labels))
        shapes.add((name, labels))
    return shapes


def compare(prom, expr, start, end, points, figure, where, failures, lag=0):
    """Prometheus's `expr` at each point's time + `lag` against `figure`."""
    r = prom.query_range(expr, start + lag, end + lag, DAY)
    if r.get("status") != "success":
        failures.add(f"{where}: {expr}: {r.get('error')}")
        return 0
    series = r["data"]["result"]
    if len(series) > 1:
        failures.add(f"{where}: {expr}: {len(series)} series, expected one")
        return 0
    got = {int(float(t)) - lag: float(v)
           for t, v in series[0]["values"]} if series else {}
    compared = 0
    for p in points:
        t = int(calendar.timegm(time.strptime(p["as_of"], "%Y-%m-%dT%H:%M:%SZ")))
        want = figure(p) if p.get("teams") else None
        have = got.get(t)
        if have is not None and math.isnan(have):  # 0 / 0: no figure
            have = None
        if want is None and have is None:
            continue
        if want is None or have is None or not math.isclose(
                want, have, rel_tol=1e-9, abs_tol=1e-9):
            failures.add(f"{where} at {p['as_of']}: Prometheus {have}, trend {want}")
        compared += 1
    return compared


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ingest", required=True)
    ap.add_argument("--demo", required=True)
    ap.add_argument("--cli", required=True)
    ap.add_argument("--deploy-dir", required=True)
    ap.add_argument("--prometheus", default="/usr/bin/prometheus")
    ap.add_argument("--promtool", default="/usr/bin/promtool")
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()

    started = time.monotonic()
    work = tempfile.mkdtemp(prefix="orgpulse-backfill-")
    procs = live.Processes(work)
    failures = live.Failures()
    ok = False
    try:
        ingest_grpc, ingest_metrics = live.start_service(procs, work, "ingest",
                                                         args.ingest, [])
        ingest = f"--ingest=127.0.0.1:{ingest_grpc}"
        log("ingest started")
        run([args.demo, ingest, f"--history_days={HISTORY_DAYS}"], "orgpulse-demo")
        # Every day's last second: each month end is one of them.
        end = (int(time.time()) // DAY) * DAY - 1
        start = end - (HISTORY_DAYS - 1) * DAY
        log(f"pushed {HISTORY_DAYS} days; backfilling {iso(start)} to {iso(end)}")

        openmetrics = os.path.join(work, "history.om")
        exported = run([args.cli, "export", "--openmetrics", ingest,
                        f"--from={iso(start)}", f"--to={iso(end)}", "--step=24h",
                        "--labels=job=orgpulse-ingest,instance=ingest:9464",
                        f"--output={openmetrics}"], "orgpulse export")
        log(exported.stderr.decode().strip())
        with open(openmetrics, "rb") as f:
            f.seek(-6, os.SEEK_END)
            if f.read() != b"# EOF\n":
                failures.add("the export does not end in # EOF")
        # The same series as /metrics gives now (the last event time aside).
        with urllib.request.urlopen(
                f"http://127.0.0.1:{ingest_metrics}/metrics", timeout=10) as r:
            live_shapes = team_series_shapes(r.read().decode())
        live_shapes = {x for x in live_shapes
                       if x[0] != "orgpulse_team_last_event_timestamp_seconds"}
        with open(openmetrics) as f:
            exported_shapes = team_series_shapes(f.read(), ("job", "instance"))
        if live_shapes != exported_shapes:
            failures.add("exported series differ from /metrics: only live "
                         f"{sorted(live_shapes - exported_shapes)[:5]}, only exported "
                         f"{sorted(exported_shapes - live_shapes)[:5]}")
        tsdb = os.path.join(work, "tsdb")
        # Blocks of up to a year (--max-block-duration, hidden in promtool's
        # help): with the default 2h, one block per day of samples, and
        # minutes of fsyncs.
        run([args.promtool, "tsdb", "create-blocks-from", "openmetrics", "--quiet",
             "--max-block-duration=8760h", openmetrics, tsdb], "promtool create-blocks-from openmetrics")
        log("blocks made")

        config = os.path.join(work, "prometheus.yml")
        with open(config, "w") as f:
            f.write("global:\n  evaluation_interval: 1m\n")

        def start_prometheus(name):
            port = live.free_port()
            process = procs.start(name, [
                args.prometheus, f"--config.file={config}",
                f"--storage.tsdb.path={tsdb}",
                f"--web.listen-address=127.0.0.1:{port}",
                # Old blocks kept; a query (and a rule's evaluation) finds
                # the latest daily sample.
                "--storage.tsdb.retention.time=10y", "--query.lookback-delta=24h"])
            prom = live.Prometheus(port)
            live.wait_for(f"{name} ready", prom.ready, live.STARTUP_TIMEOUT_S, procs)
            return process, port, prom

        first, port, prom = start_prometheus("prometheus")
        rules_out = os.path.join(work, "rules-blocks")
        # Blocks longer than the evaluation interval: promtool 2.42 stops at
        # the first block with no evaluation time in it.
        run([args.promtool, "tsdb", "create-blocks-from", "rules", "--quiet",
             "--max-block-duration=8760h",
             f"--url=http://127.0.0.1:{port}", f"--start={start}",
             f"--end={end + DAY}",
             f"--output-dir={rules_out}", "--eval-interval=24h",
             os.path.join(args.deploy_dir, "prometheus", "rules",
                          "orgpulse-recording.yml")],
            "promtool create-blocks-from rules")
        log("recording rules backfilled")
        # Stopped (by its pid) before its data directory gets new blocks.
        first.terminate()
        first.wait(timeout=30)
        procs.procs = [x for x in procs.procs if x[1] is not first]
        for block in os.listdir(rules_out):
            shutil.move(os.path.join(rules_out, block), os.path.join(tsdb, block))
        _, _, prom = start_prometheus("prometheus-with-rules")

        compared = 0
        for team, regex, department in [(LEAF, LEAF, False),
                                        (DEPARTMENT[0], DEPARTMENT[1], True)]:
            trend = run([args.cli, "trend", team, ingest, f"--from={iso(start)}",
                         f"--to={iso(end)}", "--json"], f"orgpulse trend {team}")
            points = json.loads(trend.stdout)["points"]
            if len(points) < 23:
                failures.add(f"trend {team}: {len(points)} points, expected 24")
            for title, index, figure, for_department, recorded in CHECKS:
                if department and not for_department:
                    continue
                expr = live.interpolate(manager_expression(args.deploy_dir, title, index),
                                        {"team": regex})
                compared += compare(prom, expr, start, end, points, figure,
                                    f"{team} {title!r}", failures,
                                    lag=DAY - 1 if recorded else 0)
        log(f"compared {compared} month-end values of Prometheus and the trend")
        if compared < 200:
            failures.add(f"only {compared} values compared")
        procs.check_alive()
        ok = not failures.items
    except Exception as e:  # noqa: BLE001 - report, clean up, fail
        failures.add(f"{type(e).__name__}: {e}")
    finally:
        procs.stop_all()
        if not ok:
            procs.dump_logs()
        if args.keep or not ok:
            live.log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)

    took = time.monotonic() - started
    if failures.items:
        live.log(f"\n{len(failures.items)} failure(s) in {took:.1f} s:")
        for f in failures.items:
            live.log(" -", f)
        return 1
    live.log(f"PASS in {took:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
