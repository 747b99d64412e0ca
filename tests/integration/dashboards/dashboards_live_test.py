#!/usr/bin/python3
"""The shipped Prometheus rules and Grafana dashboards, against live data.

Grafana cannot be installed here, so this is the proof instead: it starts the
real orgpulse-ingest and orgpulse-insights on free loopback ports, their
/metrics over TLS only (--metrics_tls_cert_file, a throwaway certificate made
with openssl; a plain HTTP request must get no answer) and behind basic auth
(--metrics_basic_auth_file; a request without the password must get 401),
and a real Prometheus (Debian's binary) with the shipped configuration and
rules (made to scrape every second, its commented basic_auth, scheme and
tls_config turned on), feeds the sample organisation with orgpulse-demo,
waits for the scrapes, then

  - checks the dashboards' structure (unique uids, the datasource variable,
    panel ids and positions, every target bound to the datasource variable);
  - resolves every dashboard variable through Prometheus, as Grafana would
    (label_values queries, the variable's regex), twice: with one real team
    (eng/payments) and with "All";
  - evaluates every query of every panel of every dashboard with those
    values through Prometheus's HTTP API, and fails on any error or empty
    result (all failures listed);
  - checks that every rule loaded and evaluates without error, that every
    recording rule has data, that the alerts the sample organisation should
    raise are pending or firing (and no service alert is), and that the
    privacy-suppressed teams have no survey series.

Every process it starts is stopped by its pid, on failure too.

  /usr/bin/python3 dashboards_live_test.py --ingest BIN --insights BIN \
      --demo BIN --deploy-dir REPO/deploy [--prometheus /usr/bin/prometheus]

Standard library only (Debian's /usr/bin/python3).
"""

import argparse
import base64
import ctypes
import glob
import hashlib
import http.client
import json
import math
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

STARTUP_TIMEOUT_S = 30
SCRAPE_TIMEOUT_S = 30
QUERY_RETRY_S = 15

# Values for the variables in the "one team" pass (else the first value).
PREFERRED = {"department": "eng", "team": "eng/payments"}
# Multi-value variables given all their values in the "one team" pass
# (one instance alone would empty the other service's panels, by design).
ALL_VALUES_IN_ONE_PASS = {"instance"}
# Grafana's built-in variables.
BUILTINS = {
    "__rate_interval": "1m",
    "__interval": "15s",
    "__range": "5m",
    "__range_s": "300",
}

# What the sample organisation must raise (docs and README of the demo):
# (alertname, team), pending or firing.
EXPECTED_ALERTS = [
    ("OrgpulseProjectOverBudget", "eng/search"),
    ("OrgpulseProjectBehindSchedule", "eng/search"),
    ("OrgpulseTeamBurnoutRisk", "eng/payments"),
    ("OrgpulseTeamExecutionGap", "eng/search"),
    ("OrgpulseTurnoverRiskHigh", "eng/payments"),
]
# Healthy services raise none of these.
SERVICE_ALERTS = {
    "OrgpulseServiceDown", "OrgpulseServiceAbsent", "OrgpulseStorageErrors",
    "OrgpulseGrpcErrors", "OrgpulseInsightsCannotReadIngest", "OrgpulseInputRejected",
}
# The sample's teams whose survey figures are suppressed (README): ops/support
# is too small, ops/sre would give it away, and sales/na never gathers a
# release step of its own (docs/decisions/0003-release-model.md).
SUPPRESSED_TEAMS = ["ops/support", "ops/sre", "sales/na"]

_LIBC = ctypes.CDLL(None, use_errno=True)  # loaded before any fork


def _set_parent_death_signal():
    # If this test is killed (CTest timeout), the children go with it.
    _LIBC.prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG


def log(*args):
    print(*args, flush=True)


class Failures:
    def __init__(self):
        self.items = []

    def add(self, what):
        self.items.append(what)
        log("FAIL:", what)


# ---------------------------------------------------------------- processes


class Processes:
    def __init__(self, work):
        self.work = work
        self.procs = []  # (name, Popen, log path)

    def start(self, name, argv):
        log_path = os.path.join(self.work, name + ".log")
        with open(log_path, "wb") as out:
            p = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL,
                                 preexec_fn=_set_parent_death_signal)
        self.procs.append((name, p, log_path))
        log(f"started {name} (pid {p.pid})")
        return p

    def check_alive(self):
        for name, p, log_path in self.procs:
            if p.poll() is not None:
                raise RuntimeError(f"{name} exited with {p.returncode}:\n"
                                   + tail(log_path))

    def stop_all(self):
        for name, p, _ in reversed(self.procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for name, p, _ in reversed(self.procs):
            try:
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log(f"{name} (pid {p.pid}) ignored SIGTERM; SIGKILL")
                p.kill()
                p.wait()

    def dump_logs(self):
        for name, _, log_path in self.procs:
            log(f"--- {name} log (tail) ---\n" + tail(log_path))


def tail(path, lines=30):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError as e:
        return f"({e})"


def start_service(procs, work, name, binary, extra):
    port_file = os.path.join(work, name + ".ports")
    p = procs.start(name, [binary, "--grpc_address=127.0.0.1:0",
                           "--metrics_address=127.0.0.1:0",
                           "--data_dir=" + os.path.join(work, name),
                           "--port_file=" + port_file,
                           "--plaintext", "--allow_unauthenticated"] + extra)
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if os.path.exists(port_file):
            with open(port_file) as f:
                text = f.read()
            fields = dict(kv.split("=", 1) for kv in text.split())
            if "grpc" in fields and "metrics" in fields:
                return int(fields["grpc"]), int(fields["metrics"])
        if p.poll() is not None:
            break
        time.sleep(0.05)
    procs.check_alive()
    raise RuntimeError(f"{name} did not write its port file")


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------- Prometheus


class Prometheus:
    def __init__(self, port):
        self.base = f"http://127.0.0.1:{port}"

    def get(self, path, params=None, timeout=10):
        url = self.base + path
        if params:
            url += "?" + urllib.parse.urlencode(params, doseq=True)
        try:
            with urllib.request.urlopen(url, timeout=timeout) as r:
                return json.load(r)
        except urllib.error.HTTPError as e:
            body = e.read().decode(errors="replace")
            try:
                return json.loads(body)
            except ValueError:
                return {"status": "error", "error": f"HTTP {e.code}: {body[:300]}"}

    def query(self, expr, t=None):
        params = {"query": expr}
        if t is not None:
            params["time"] = f"{t:.3f}"
        return self.get("/api/v1/query", params)

    def query_range(self, expr, start, end, step):
        return self.get("/api/v1/query_range", {
            "query": expr, "start": f"{start:.3f}", "end": f"{end:.3f}", "step": step})

    def vector(self, expr):
        r = self.query(expr)
        if r.get("status") != "success":
            raise RuntimeError(f"{expr}: {r.get('error')}")
        return r["data"]["result"]

    def ready(self):
        try:
            with urllib.request.urlopen(self.base + "/-/ready", timeout=2) as r:
                return r.status == 200
        except (urllib.error.URLError, OSError):
            return False


def test_config(deploy_dir, ingest_metrics, insights_metrics, prom_port,
                password_file, ca_file):
    """The shipped prometheus.yml, made to scrape the test's ports every
    second, with the shipped rules by absolute path, and its commented
    basic_auth (with `password_file`) and https scheme (verifying with
    `ca_file`) for both services turned on."""
    with open(os.path.join(deploy_dir, "prometheus", "prometheus.yml")) as f:
        text = f.read()
    rules_dir = os.path.join(deploy_dir, "prometheus", "rules")
    for old, new in [
        ("scrape_interval: 15s", "scrape_interval: 1s"),
        ("evaluation_interval: 15s", "evaluation_interval: 1s"),
        ('"ingest:9464"', f'"127.0.0.1:{ingest_metrics}"'),
        ('"insights:9465"', f'"127.0.0.1:{insights_metrics}"'),
        ('"localhost:9090"', f'"127.0.0.1:{prom_port}"'),
        ("- rules/", f"- {rules_dir}/"),
        ("    # basic_auth:\n", "    basic_auth:\n"),
        ("    #   username: prometheus\n", "      username: prometheus\n"),
        ("    #   password_file: /etc/prometheus/metrics-password\n",
         f"      password_file: {password_file}\n"),
        ("    # scheme: https\n", "    scheme: https\n"),
        ("    # tls_config:\n", "    tls_config:\n"),
        ("    #   ca_file: /etc/prometheus/metrics-ca.pem\n",
         f"      ca_file: {ca_file}\n"),
    ]:
        if old not in text:
            raise RuntimeError(f"prometheus.yml no longer contains {old!r}: "
                               "update the test's substitutions")
        text = text.replace(old, new)
    return text


def write_metrics_auth(work):
    """A --metrics_basic_auth_file for the user "prometheus" with a random
    password, and the password alone for Prometheus' password_file."""
    password = os.urandom(24).hex()
    users = os.path.join(work, "metrics-users")
    with open(users, "w") as f:
        f.write("# user:sha256 of the password\n")
        f.write("prometheus:" + hashlib.sha256(password.encode()).hexdigest() + "\n")
    password_file = os.path.join(work, "metrics-password")
    with open(password_file, "w") as f:
        f.write(password)
    return users, password_file


def write_metrics_certificate(work):
    """A self-signed certificate for 127.0.0.1 and its key (openssl), for
    --metrics_tls_cert_file/--metrics_tls_key_file and Prometheus' ca_file."""
    cert = os.path.join(work, "metrics.pem")
    key = os.path.join(work, "metrics.key")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
         "ec_paramgen_curve:P-256", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return cert, key


def metrics_status(port, ca_file, auth=None, scheme="https"):
    """The HTTP status of GET /metrics, with basic auth (user, password);
    None when no HTTP answer came (a plain request to the TLS port)."""
    request = urllib.request.Request(f"{scheme}://127.0.0.1:{port}/metrics")
    if auth:
        request.add_header("Authorization", "Basic " + base64.b64encode(
            f"{auth[0]}:{auth[1]}".encode()).decode())
    context = ssl.create_default_context(cafile=ca_file)
    try:
        with urllib.request.urlopen(request, timeout=5, context=context) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except (urllib.error.URLError, OSError, http.client.HTTPException):
        return None


def wait_for(what, predicate, timeout_s, procs):
    deadline = time.monotonic() + timeout_s
    last = None
    while time.monotonic() < deadline:
        procs.check_alive()
        try:
            last = predicate()
            if last is True:
                return
        except (RuntimeError, urllib.error.URLError, OSError) as e:
            last = e
        time.sleep(0.25)
    raise RuntimeError(f"timed out waiting for {what} (last: {last})")


# --------------------------------------------------------------- dashboards


def load_dashboards(deploy_dir):
    out = []
    for path in sorted(glob.glob(os.path.join(deploy_dir, "grafana", "dashboards", "*.json"))):
        with open(path) as f:
            out.append((os.path.basename(path), json.load(f)))
    return out


def all_panels(dashboard):
    for p in dashboard.get("panels", []):
        yield p
        for q in p.get("panels", []) or []:  # panels of collapsed rows
            yield q


VAR_RE = re.compile(r"\$\{(\w+)(?::\w+)?\}|\[\[(\w+)\]\]|\$(\w+)")


def referenced_variables(text):
    return {a or b or c for a, b, c in VAR_RE.findall(text)}


def check_structure(dashboards, failures):
    uids, titles = {}, {}
    for name, d in dashboards:
        where = name
        for key in ("uid", "title", "schemaVersion", "panels", "templating"):
            if key not in d:
                failures.add(f"{where}: no {key}")
        uid, title = d.get("uid"), d.get("title")
        if not uid or len(uid) > 40:
            failures.add(f"{where}: uid {uid!r} empty or longer than 40 characters")
        if uid in uids:
            failures.add(f"{where}: uid {uid} also in {uids[uid]}")
        uids[uid] = name
        if title in titles:
            failures.add(f"{where}: title {title!r} also in {titles[title]}")
        titles[title] = name
        if d.get("id") is not None:
            failures.add(f"{where}: id must be null for provisioning")

        variables = {v.get("name"): v for v in d.get("templating", {}).get("list", [])}
        ds = variables.get("datasource")
        if not ds or ds.get("type") != "datasource" or ds.get("query") != "prometheus":
            failures.add(f"{where}: no datasource variable of type prometheus")
        for v in variables.values():
            if v.get("type") == "query" and \
                    v.get("datasource", {}).get("uid") != "${datasource}":
                failures.add(f"{where}: variable {v.get('name')} not on ${{datasource}}")
        if name != "orgpulse-service-health.json" and "team" not in variables:
            failures.add(f"{where}: no team variable")
        known = set(variables) | set(BUILTINS)

        ids = set()
        cells = {}
        for p in all_panels(d):
            pid, ptitle = p.get("id"), p.get("title", "?")
            pw = f"{where} panel {pid} {ptitle!r}"
            if not isinstance(pid, int):
                failures.add(f"{pw}: id is not an integer")
            elif pid in ids:
                failures.add(f"{pw}: id {pid} used twice")
            ids.add(pid)
            g = p.get("gridPos", {})
            if not all(isinstance(g.get(k), int) for k in "hwxy"):
                failures.add(f"{pw}: gridPos {g}")
            elif g["x"] < 0 or g["x"] + g["w"] > 24:
                failures.add(f"{pw}: gridPos {g} outside the 24 columns")
            else:
                for x in range(g["x"], g["x"] + g["w"]):
                    for y in range(g["y"], g["y"] + g["h"]):
                        if (x, y) in cells:
                            failures.add(f"{pw}: overlaps panel {cells[(x, y)]}")
                            break
                        cells[(x, y)] = pid
                    else:
                        continue
                    break
            if p.get("type") in ("row", "text"):
                continue
            if p.get("datasource", {}).get("uid") != "${datasource}":
                failures.add(f"{pw}: datasource is not ${{datasource}}")
            targets = p.get("targets") or []
            if not targets:
                failures.add(f"{pw}: no targets")
            refs = [t.get("refId") for t in targets]
            if len(set(refs)) != len(refs) or None in refs:
                failures.add(f"{pw}: refIds {refs} not unique")
            for t in targets:
                if not t.get("expr"):
                    failures.add(f"{pw} {t.get('refId')}: no expr")
                if t.get("datasource", {}).get("uid") != "${datasource}":
                    failures.add(f"{pw} {t.get('refId')}: datasource is not ${{datasource}}")
                unknown = referenced_variables(t.get("expr", "")) - known
                if unknown:
                    failures.add(f"{pw} {t.get('refId')}: unknown variables {unknown}")


# ---------------------------------------------------------------- variables


def regex_escape(value):
    """As Grafana's Prometheus datasource escapes a multi-value or "All"
    capable variable's values in a query."""
    value = value.replace("\\", "\\\\\\\\")
    return re.sub(r"[$^*{}\[\]'+?.()|]", lambda m: "\\\\" + m.group(0), value)


def interpolate(expr, values):
    def sub(m):
        name = m.group(1) or m.group(2) or m.group(3)
        if name in BUILTINS:
            return BUILTINS[name]
        if name in values:
            return values[name]
        return m.group(0)
    return VAR_RE.sub(sub, expr)


LABEL_VALUES_RE = re.compile(r"^\s*label_values\((.*),\s*(\w+)\s*\)\s*$")


def variable_values(prom, var, values, start, end):
    """Resolves a query variable as Grafana does; returns its values."""
    q = var.get("query")
    q = q.get("query") if isinstance(q, dict) else q
    m = LABEL_VALUES_RE.match(q or "")
    if not m:
        raise RuntimeError(f"unsupported variable query {q!r}")
    selector, label = interpolate(m.group(1), values), m.group(2)
    r = prom.get(f"/api/v1/label/{label}/values",
                 {"match[]": selector, "start": f"{start:.3f}", "end": f"{end:.3f}"})
    if r.get("status") != "success":
        raise RuntimeError(f"variable {var['name']}: {selector}: {r.get('error')}")
    out = []
    regex = var.get("regex") or ""
    pattern = re.compile(regex[1:-1]) if regex.startswith("/") and regex.endswith("/") \
        else (re.compile(regex) if regex else None)
    for v in r["data"]:
        if pattern:
            mm = pattern.search(v)
            if not mm:
                continue
            v = mm.group(1) if mm.groups() else mm.group(0)
        if v not in out:
            out.append(v)
    return out


def resolve_variables(prom, dashboard, mode, start, end, failures, where):
    """mode "one": one real value per variable (PREFERRED, else the first);
    mode "all": every variable at its "All" value. Returns name -> text."""
    values = {"datasource": "prometheus"}
    for var in dashboard.get("templating", {}).get("list", []):
        if var.get("type") != "query":
            continue
        name = var["name"]
        try:
            options = variable_values(prom, var, values, start, end)
        except RuntimeError as e:
            failures.add(f"{where}: {e}")
            options = []
        if not options:
            failures.add(f"{where}: variable {name} ({mode}) has no values")
            values[name] = ".*"
            continue
        escape = var.get("multi") or var.get("includeAll")
        if mode == "all" and var.get("includeAll"):
            values[name] = var.get("allValue") or \
                "(" + "|".join(regex_escape(o) for o in options) + ")"
        elif mode == "one" and name in ALL_VALUES_IN_ONE_PASS and var.get("multi"):
            values[name] = "(" + "|".join(regex_escape(o) for o in options) + ")"
        else:
            pick = PREFERRED.get(name)
            value = pick if pick in options else options[0]
            values[name] = regex_escape(value) if escape else value
    return values


# ------------------------------------------------------------------ queries


def result_problem(r):
    """None if the answer has data, else what is wrong with it."""
    if r.get("status") != "success":
        return f"error: {r.get('errorType')}: {r.get('error')}"
    data = r["data"]
    if data["resultType"] in ("scalar", "string"):
        return None
    if not data["result"]:
        return "empty result"
    return None


def all_nan(r):
    try:
        data = r["data"]
        if data["resultType"] == "vector":
            vals = [s["value"][1] for s in data["result"]]
        elif data["resultType"] == "matrix":
            vals = [v[1] for s in data["result"] for v in s["values"]]
        else:
            return False
        return bool(vals) and all(v.lower() == "nan" for v in vals)
    except (KeyError, TypeError):
        return False


def evaluate_panels(prom, dashboards, t0, failures):
    """Every target of every panel, in both variable passes. Returns the
    number of queries evaluated."""
    jobs = []  # (label, expr, instant)
    for name, d in dashboards:
        for mode in ("one", "all"):
            now = time.time()
            values = resolve_variables(prom, d, mode, t0, now, failures, name)
            for p in all_panels(d):
                for t in p.get("targets") or []:
                    expr = interpolate(t["expr"], values)
                    label = (f"{name} panel {p['id']} {p.get('title')!r} "
                             f"{t.get('refId')} [{mode}: "
                             + ", ".join(f"{k}={v}" for k, v in sorted(values.items())
                                         if k != "datasource") + "]")
                    jobs.append((label, expr, bool(t.get("instant"))))

    def run(job):
        label, expr, instant = job
        if instant:
            r = prom.query(expr)
        else:
            end = time.time()
            r = prom.query_range(expr, max(t0, end - 120), end, "2s")
        return r

    pending = list(jobs)
    nan_only = []
    deadline = time.monotonic() + QUERY_RETRY_S
    while True:
        still = []
        for job in pending:
            r = run(job)
            problem = result_problem(r)
            if problem:
                still.append((job, problem))
            elif all_nan(r):
                nan_only.append(job[0])
        if not still or time.monotonic() > deadline:
            break
        pending = [job for job, _ in still]
        time.sleep(1)
    for (label, expr, _), problem in still:
        failures.add(f"{label}: {problem}\n    {expr}")
    for label in nan_only:
        log(f"note: only NaN (no calls in the rate window): {label}")
    return len(jobs)


# -------------------------------------------------------------------- rules


def rule_names(deploy_dir):
    alerts, records = [], []
    for path in sorted(glob.glob(os.path.join(deploy_dir, "prometheus", "rules", "*.yml"))):
        with open(path) as f:
            for line in f:
                m = re.match(r"^\s*- (alert|record):\s*(\S+)", line)
                if m:
                    (alerts if m.group(1) == "alert" else records).append(m.group(2))
    return alerts, records


def check_rules(prom, deploy_dir, failures):
    alerts, records = rule_names(deploy_dir)

    def all_evaluated():
        r = prom.get("/api/v1/rules")
        rules = [rule for g in r["data"]["groups"] for rule in g["rules"]]
        return len(rules) == len(alerts) + len(records) and \
            all(rule.get("health") != "unknown" for rule in rules) or \
            f"{len(rules)} rules, health {[x.get('health') for x in rules]}"

    deadline = time.monotonic() + 10
    while all_evaluated() is not True and time.monotonic() < deadline:
        time.sleep(0.5)
    r = prom.get("/api/v1/rules")
    rules = [rule for g in r["data"]["groups"] for rule in g["rules"]]
    loaded_alerts = [x["name"] for x in rules if x["type"] == "alerting"]
    loaded_records = [x["name"] for x in rules if x["type"] == "recording"]
    if sorted(loaded_alerts) != sorted(alerts):
        failures.add(f"alerting rules loaded {sorted(loaded_alerts)} != files {sorted(alerts)}")
    if sorted(loaded_records) != sorted(records):
        failures.add(f"recording rules loaded {sorted(loaded_records)} != files {sorted(records)}")
    for rule in rules:
        if rule.get("health") != "ok":
            failures.add(f"rule {rule['name']}: health {rule.get('health')} "
                         f"{rule.get('lastError', '')}")
    log(f"rules: {len(loaded_alerts)} alerting, {len(loaded_records)} recording, "
        f"all evaluated")

    for record in sorted(set(records)):
        res = prom.query(record)
        problem = result_problem(res)
        if problem:
            failures.add(f"recording rule {record}: {problem}")

    active = prom.get("/api/v1/alerts")["data"]["alerts"]
    seen = {(a["labels"]["alertname"], a["labels"].get("team")): a["state"] for a in active}
    for name, team in EXPECTED_ALERTS:
        state = seen.get((name, team))
        if state not in ("pending", "firing"):
            failures.add(f"alert {name} for {team} is not pending or firing "
                         f"(active: {sorted(seen)})")
    for (name, team), state in sorted(seen.items()):
        if name in SERVICE_ALERTS:
            failures.add(f"service alert {name} is {state} for healthy services")
    log("alerts pending or firing: " + ", ".join(
        f"{n}{{team={t}}}" if t else n for n, t in sorted(seen)))


def check_privacy(prom, failures):
    """Suppressed groups simply have no survey series (the Leader view
    relies on it)."""
    for team in SUPPRESSED_TEAMS:
        for metric in ("orgpulse_morale_score", "orgpulse_enps",
                       "orgpulse_survey_respondents", "orgpulse_people_score",
                       "orgpulse_burnout_risk_ratio", "orgpulse_turnover_risk_ratio"):
            if prom.vector(f'{metric}{{team="{team}"}}'):
                failures.add(f"{metric} has a series for suppressed team {team}")
        if not prom.vector(f'orgpulse_team_quadrant{{team="{team}",quadrant="insufficient_data"}} == 1'):
            failures.add(f"suppressed team {team} is not INSUFFICIENT_DATA")


# --------------------------------------------------------------------- main


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ingest", required=True)
    ap.add_argument("--insights", required=True)
    ap.add_argument("--demo", required=True)
    ap.add_argument("--deploy-dir", required=True)
    ap.add_argument("--prometheus", default="/usr/bin/prometheus")
    ap.add_argument("--keep", action="store_true",
                    help="keep the temporary directory (logs, data)")
    args = ap.parse_args()
    args.deploy_dir = os.path.abspath(args.deploy_dir)

    started = time.monotonic()
    failures = Failures()
    work = tempfile.mkdtemp(prefix="orgpulse-dashboards-")
    procs = Processes(work)

    def on_signal(signum, _frame):
        raise SystemExit(f"signal {signum}")
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    ok = False
    try:
        dashboards = load_dashboards(args.deploy_dir)
        if len(dashboards) < 4:
            failures.add(f"expected 4 dashboards, found {[n for n, _ in dashboards]}")
        check_structure(dashboards, failures)
        panels = sum(1 for _, d in dashboards for p in all_panels(d))
        log(f"dashboards: {len(dashboards)}, panels: {panels}, structure checked")

        users, password_file = write_metrics_auth(work)
        cert, key_file = write_metrics_certificate(work)
        protect = [f"--metrics_basic_auth_file={users}",
                   f"--metrics_tls_cert_file={cert}",
                   f"--metrics_tls_key_file={key_file}"]
        ingest_grpc, ingest_metrics = start_service(procs, work, "ingest", args.ingest,
                                                    protect)
        key = os.path.join(work, "respondent.key")
        with open(key, "wb") as f:
            f.write(os.urandom(32).hex().encode())
        insights_grpc, insights_metrics = start_service(
            procs, work, "insights", args.insights,
            [f"--ingest_address=127.0.0.1:{ingest_grpc}", "--ingest_plaintext",
             "--ingest_refresh=1s",
             f"--respondent_key_file={key}"] + protect)
        with open(password_file) as f:
            password = f.read()
        for name, port in [("ingest", ingest_metrics), ("insights", insights_metrics)]:
            statuses = (metrics_status(port, cert),
                        metrics_status(port, cert, ("prometheus", "wrong")),
                        metrics_status(port, cert, ("prometheus", password), scheme="http"),
                        metrics_status(port, cert, ("prometheus", password)))
            if statuses != (401, 401, None, 200):
                failures.add(f"{name} /metrics (https without credentials, with a wrong "
                             f"password, plain http with the right one, https with the "
                             f"right one): HTTP {statuses}, expected (401, 401, None, 200)")
        log("/metrics is TLS only and refuses requests without the right basic auth")

        prom_port = free_port()
        config = os.path.join(work, "prometheus.yml")
        with open(config, "w") as f:
            f.write(test_config(args.deploy_dir, ingest_metrics, insights_metrics,
                                prom_port, password_file, cert))
        procs.start("prometheus", [
            args.prometheus, f"--config.file={config}",
            f"--storage.tsdb.path={os.path.join(work, 'tsdb')}",
            f"--web.listen-address=127.0.0.1:{prom_port}",
            "--storage.tsdb.retention.time=1h"])
        prom = Prometheus(prom_port)
        t0 = time.time()
        wait_for("Prometheus ready", prom.ready, STARTUP_TIMEOUT_S, procs)

        def both_up():
            up = {s["metric"]["job"]: s["value"][1]
                  for s in prom.vector('up{job=~"orgpulse-.*"}')}
            return up == {"orgpulse-ingest": "1", "orgpulse-insights": "1"} or up
        wait_for("up == 1 for both jobs", both_up, SCRAPE_TIMEOUT_S, procs)
        log(f"both services scraped by Prometheus on 127.0.0.1:{prom_port}")

        demo = subprocess.run(
            [args.demo, f"--ingest=127.0.0.1:{ingest_grpc}",
             f"--insights=127.0.0.1:{insights_grpc}"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60,
            preexec_fn=_set_parent_death_signal)
        if demo.returncode != 0:
            raise RuntimeError("orgpulse-demo failed:\n" + demo.stdout.decode(errors="replace"))
        log("sample organisation and survey rounds pushed")

        def sample_scraped():
            teams = prom.vector("count(team:orgpulse_team_quadrant:code)")
            scored = prom.vector("count(orgpulse_people_score)")
            executed = prom.vector("count(orgpulse_execution_score)")
            rate = prom.vector('job:orgpulse_ingest_events:rate5m{result="accepted"} > 0')
            n = lambda v: int(float(v[0]["value"][1])) if v else 0
            return (n(teams) == 7 and n(scored) == 4 and n(executed) == 7 and bool(rate)) \
                or f"teams {n(teams)}, people scores {n(scored)}, " \
                   f"execution scores {n(executed)}, push rate {bool(rate)}"
        wait_for("the sample organisation in Prometheus", sample_scraped,
                 SCRAPE_TIMEOUT_S, procs)
        # A few more scrapes, so that rates have several points after the pushes.
        time.sleep(3)
        log("sample organisation scraped")

        queries = evaluate_panels(prom, dashboards, t0, failures)
        log(f"panel queries evaluated: {queries}")
        check_rules(prom, args.deploy_dir, failures)
        check_privacy(prom, failures)
        procs.check_alive()
        ok = not failures.items
    except Exception as e:  # noqa: BLE001 - report, clean up, fail
        failures.add(f"{type(e).__name__}: {e}")
    except SystemExit as e:
        failures.add(f"interrupted: {e}")
    finally:
        procs.stop_all()
        if not ok:
            procs.dump_logs()
        if args.keep or not ok:
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)

    took = time.monotonic() - started
    if failures.items:
        log(f"\n{len(failures.items)} failure(s) in {took:.1f} s:")
        for f in failures.items:
            log(" -", f)
        return 1
    log(f"PASS in {took:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
