#!/usr/bin/python3
"""Integration test of orgpulse-ingest from Python, as another system uses it.

Generates Python code from the repository's protos (and gRPC's health.proto)
into a temporary directory, starts the real server binary on 127.0.0.1 with
port 0, a fresh data directory and a pinned clock, and talks to it over gRPC.

Run with Debian's /usr/bin/python3 (python3-grpcio, python3-grpc-tools):

  /usr/bin/python3 ingest_client_test.py --server PATH/orgpulse-ingest \
      --proto-dir REPO/proto [unittest args...]
"""

import argparse
import atexit
import ctypes
import importlib
import importlib.resources
import math
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

import hashlib
import secrets

import grpc
from grpc_tools import protoc

HEALTH_PROTO = "/usr/share/grpc-proto/grpc/health/v1/health.proto"

# The server's clock, pinned: figures below are worked out by hand from it.
NOW = "2024-06-16T00:00:00Z"
STARTUP_TIMEOUT_S = 30
SHUTDOWN_TIMEOUT_S = 15
RPC_TIMEOUT_S = 10

ARGS = None  # parsed command line (--server, --proto-dir)

# Generated modules, filled in by generate_code().
pb = None  # orgpulse.ingest.v1.ingest_pb2
pb_grpc = None  # orgpulse.ingest.v1.ingest_pb2_grpc
status_pb2 = None  # google.rpc.status_pb2
error_details_pb2 = None  # google.rpc.error_details_pb2
health_pb2 = None
health_pb2_grpc = None


def run_protoc(include_dirs, out_dir, protos):
    well_known = str(importlib.resources.files("grpc_tools") / "_proto")
    args = ["grpc_tools.protoc"]
    args += ["-I" + d for d in include_dirs] + ["-I" + well_known]
    args += ["--python_out=" + out_dir, "--grpc_python_out=" + out_dir]
    args += protos
    rc = protoc.main(args)
    if rc != 0:
        raise RuntimeError("protoc failed (%d): %s" % (rc, " ".join(args)))


def generate_code(out_dir):
    """Generates and imports the Python code of the protos used here."""
    global pb, pb_grpc, status_pb2, error_details_pb2
    global health_pb2, health_pb2_grpc
    run_protoc([ARGS.proto_dir], out_dir, [
        "orgpulse/ingest/v1/ingest.proto",
        "google/rpc/status.proto",
        "google/rpc/error_details.proto",
    ])
    # health.proto from its own directory: the modules become top-level
    # `health_pb2`/`health_pb2_grpc` (as `grpc.health.v1...` they would
    # collide with the installed grpc package).
    run_protoc([os.path.dirname(HEALTH_PROTO)], out_dir,
               [os.path.basename(HEALTH_PROTO)])
    # `google` is a namespace package on Debian: google.rpc is found here
    # next to the installed google.protobuf.
    sys.path.insert(0, out_dir)
    importlib.invalidate_caches()
    pb = importlib.import_module("orgpulse.ingest.v1.ingest_pb2")
    pb_grpc = importlib.import_module("orgpulse.ingest.v1.ingest_pb2_grpc")
    status_pb2 = importlib.import_module("google.rpc.status_pb2")
    error_details_pb2 = importlib.import_module("google.rpc.error_details_pb2")
    health_pb2 = importlib.import_module("health_pb2")
    health_pb2_grpc = importlib.import_module("health_pb2_grpc")


def _set_parent_death_signal():
    """In the child: get SIGTERM if this test process dies (e.g. killed by a
    CTest timeout), so the server never outlives the test."""
    PR_SET_PDEATHSIG = 1
    _LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


_LIBC = ctypes.CDLL(None, use_errno=True)  # loaded before any fork


# ----------------------------------------------------------------------------
# Building events.


def ts(text):
    from google.protobuf import timestamp_pb2
    t = timestamp_pb2.Timestamp()
    t.FromJsonString(text)
    return t


def event(source, event_id, team, at, **payload):
    e = pb.Event(event_id=event_id, source=source, team=team,
                 occurred_at=ts(at))
    for name, message in payload.items():
        getattr(e, name).CopyFrom(message)
    return e


def build_batch():
    """A realistic batch for two teams, shuffled so that later facts
    sometimes arrive first (figures must not depend on arrival order)."""
    P, S = "eng/payments", "eng/search"
    E = []

    # --- eng/payments: tasks (jira) ---
    def created(team, tid, at, due, est):
        return event("jira", "%s-created" % tid, team, at,
                     task_created=pb.TaskCreated(task_id=tid, due_at=ts(due),
                                                 estimate_hours=est))

    def started(team, tid, at):
        return event("jira", "%s-started" % tid, team, at,
                     task_started=pb.TaskStarted(task_id=tid))

    def completed(team, tid, at):
        return event("jira", "%s-completed" % tid, team, at,
                     task_completed=pb.TaskCompleted(task_id=tid))

    # PAY-1: on time (done 06-05 09:00, due 06-10), cycle 3 days.
    E.append(created(P, "PAY-1", "2024-06-01T09:00:00Z", "2024-06-10T00:00:00Z", 8))
    E.append(started(P, "PAY-1", "2024-06-02T09:00:00Z"))
    E.append(completed(P, "PAY-1", "2024-06-05T09:00:00Z"))
    # PAY-2: late (done 06-07 09:00, due 06-05), cycle 4 days.
    E.append(completed(P, "PAY-2", "2024-06-07T09:00:00Z"))  # arrives first
    E.append(created(P, "PAY-2", "2024-06-01T09:00:00Z", "2024-06-05T00:00:00Z", 5))
    E.append(started(P, "PAY-2", "2024-06-03T09:00:00Z"))
    # PAY-3: open; due moved from 06-20 to 06-12: overdue at 06-16.
    E.append(event("jira", "PAY-3-due-1", P, "2024-06-08T10:00:00Z",
                   task_due_date_changed=pb.TaskDueDateChanged(
                       task_id="PAY-3", due_at=ts("2024-06-12T00:00:00Z"))))
    E.append(created(P, "PAY-3", "2024-06-05T09:00:00Z", "2024-06-20T00:00:00Z", 13))
    E.append(started(P, "PAY-3", "2024-06-06T09:00:00Z"))
    # PAY-4: open, due 06-20: not overdue.
    E.append(created(P, "PAY-4", "2024-06-10T09:00:00Z", "2024-06-20T00:00:00Z", 3))
    # PAY-5: cancelled.
    E.append(created(P, "PAY-5", "2024-06-02T09:00:00Z", "2024-06-08T00:00:00Z", 2))
    E.append(event("jira", "PAY-5-cancelled", P, "2024-06-04T09:00:00Z",
                   task_cancelled=pb.TaskCancelled(task_id="PAY-5")))

    # --- eng/payments: project checkout-v2 (pmo, finance-erp) ---
    # BAC 100,000 from 06-01 to 07-01 (30 days): PV at 06-16 = 50,000.
    E.append(event("pmo", "checkout-v2-plan-1", P, "2024-05-28T00:00:00Z",
                   project_budget_plan=pb.ProjectBudgetPlan(
                       project="checkout-v2", budget_at_completion=100000,
                       planned_start=ts("2024-06-01T00:00:00Z"),
                       planned_end=ts("2024-07-01T00:00:00Z"))))
    # Progress: the latest (45%) arrives before the older one (30%).
    E.append(event("pmo", "checkout-v2-progress-2", P, "2024-06-14T17:00:00Z",
                   project_progress=pb.ProjectProgress(
                       project="checkout-v2", percent_complete=45)))
    E.append(event("pmo", "checkout-v2-progress-1", P, "2024-06-10T17:00:00Z",
                   project_progress=pb.ProjectProgress(
                       project="checkout-v2", percent_complete=30)))
    for i, (at, amount) in enumerate([("2024-06-05T12:00:00Z", 20000),
                                      ("2024-06-10T12:00:00Z", 15000),
                                      ("2024-06-14T12:00:00Z", 5000)]):
        E.append(event("finance-erp", "inv-%04d" % (i + 1), P, at,
                       cost_actual=pb.CostActual(project="checkout-v2",
                                                 amount=amount)))
    # Milestones: beta met; pilot reached 1 day late; ga (re-planned from
    # 06-12 to 06-14) unreached: 2 days late at 06-16; launch pending.
    def due(team, project, ms, at, due_at, n=1):
        return event("pmo", "%s-%s-due-%d" % (project, ms, n), team, at,
                     milestone_due=pb.MilestoneDue(project=project, milestone=ms,
                                                   due_at=ts(due_at)))

    def reached(team, project, ms, at):
        return event("pmo", "%s-%s-reached" % (project, ms), team, at,
                     milestone_reached=pb.MilestoneReached(project=project,
                                                           milestone=ms))

    E.append(due(P, "checkout-v2", "beta", "2024-05-28T00:00:00Z", "2024-06-10T00:00:00Z"))
    E.append(reached(P, "checkout-v2", "beta", "2024-06-09T12:00:00Z"))
    E.append(due(P, "checkout-v2", "pilot", "2024-05-28T00:00:00Z", "2024-06-12T00:00:00Z"))
    E.append(reached(P, "checkout-v2", "pilot", "2024-06-13T00:00:00Z"))
    E.append(due(P, "checkout-v2", "ga", "2024-06-05T00:00:00Z", "2024-06-14T00:00:00Z", 2))
    E.append(due(P, "checkout-v2", "ga", "2024-05-28T00:00:00Z", "2024-06-12T00:00:00Z", 1))
    E.append(due(P, "checkout-v2", "launch", "2024-05-28T00:00:00Z", "2024-06-30T00:00:00Z"))

    # --- eng/payments: procedures (qa-audit) ---
    def check(team, n, procedure, passed, at):
        return event("qa-audit", "%s-check-%d" % (team.split("/")[1], n), team,
                     at, procedure_check=pb.ProcedureCheck(procedure=procedure,
                                                           passed=passed))

    E.append(check(P, 1, "code-review", True, "2024-06-05T10:00:00Z"))
    E.append(check(P, 2, "code-review", False, "2024-06-07T10:00:00Z"))
    E.append(check(P, 3, "code-review", True, "2024-06-12T10:00:00Z"))
    E.append(check(P, 4, "change-approval", True, "2024-06-06T10:00:00Z"))
    E.append(check(P, 5, "change-approval", True, "2024-06-13T10:00:00Z"))

    # --- eng/payments: KPI (bi) ---
    E.append(event("bi", "payments-processed-target-2024-06", P,
                   "2024-05-31T00:00:00Z",
                   kpi_monthly_target=pb.KpiMonthlyTarget(
                       kpi="payments-processed", year=2024, month=6,
                       target=1000, aggregation=pb.KPI_AGGREGATION_SUM)))
    E.append(event("bi", "payments-processed-1", P, "2024-05-20T00:00:00Z",
                   kpi_actual=pb.KpiActual(kpi="payments-processed", value=999)))
    E.append(event("bi", "payments-processed-2", P, "2024-06-07T00:00:00Z",
                   kpi_actual=pb.KpiActual(kpi="payments-processed", value=200)))
    E.append(event("bi", "payments-processed-3", P, "2024-06-14T00:00:00Z",
                   kpi_actual=pb.KpiActual(kpi="payments-processed", value=150)))

    # --- eng/search ---
    # SRCH-1: open, due 06-14: overdue. SRCH-2: done exactly at its due date
    # (on time), never started: cycle = creation to completion = 8 days.
    E.append(created(S, "SRCH-1", "2024-06-03T00:00:00Z", "2024-06-14T00:00:00Z", 5))
    E.append(created(S, "SRCH-2", "2024-06-03T00:00:00Z", "2024-06-11T00:00:00Z", 1))
    E.append(completed(S, "SRCH-2", "2024-06-11T00:00:00Z"))
    # index-rebuild: BAC 50,000 from 06-01 to 06-11: PV = BAC at 06-16.
    E.append(event("pmo", "index-rebuild-plan-1", S, "2024-05-30T00:00:00Z",
                   project_budget_plan=pb.ProjectBudgetPlan(
                       project="index-rebuild", budget_at_completion=50000,
                       planned_start=ts("2024-06-01T00:00:00Z"),
                       planned_end=ts("2024-06-11T00:00:00Z"))))
    E.append(event("pmo", "index-rebuild-progress-1", S, "2024-06-12T09:00:00Z",
                   project_progress=pb.ProjectProgress(
                       project="index-rebuild", percent_complete=80)))
    E.append(event("finance-erp", "inv-0101", S, "2024-06-04T12:00:00Z",
                   cost_actual=pb.CostActual(project="index-rebuild",
                                             amount=12500.25)))
    E.append(event("finance-erp", "inv-0102", S, "2024-06-11T12:00:00Z",
                   cost_actual=pb.CostActual(project="index-rebuild",
                                             amount=17499.75)))
    E.append(due(S, "index-rebuild", "reindex-done", "2024-05-30T00:00:00Z",
                 "2024-06-11T00:00:00Z"))
    E.append(reached(S, "index-rebuild", "reindex-done", "2024-06-10T15:00:00Z"))
    E.append(check(S, 1, "code-review", True, "2024-06-08T10:00:00Z"))
    E.append(check(S, 2, "code-review", False, "2024-06-11T10:00:00Z"))
    E.append(event("bi", "search-uptime-target-2024-06", S, "2024-05-31T00:00:00Z",
                   kpi_monthly_target=pb.KpiMonthlyTarget(
                       kpi="search-uptime", year=2024, month=6, target=99.9,
                       aggregation=pb.KPI_AGGREGATION_LAST)))
    # Readings: the latest (99.95) arrives first.
    E.append(event("bi", "search-uptime-2", S, "2024-06-14T00:00:00Z",
                   kpi_actual=pb.KpiActual(kpi="search-uptime", value=99.95)))
    E.append(event("bi", "search-uptime-1", S, "2024-06-10T00:00:00Z",
                   kpi_actual=pb.KpiActual(kpi="search-uptime", value=99.5)))
    return E


# ----------------------------------------------------------------------------
# The server process.


class Server:
    def __init__(self, binary,
                 security_flags=("--plaintext", "--allow_unauthenticated")):
        self.binary = binary
        self.security_flags = list(security_flags)
        self.tmp = tempfile.mkdtemp(prefix="orgpulse-pytest-")
        self.data_dir = os.path.join(self.tmp, "data")
        self.port_file = os.path.join(self.tmp, "ports")
        self.log_path = os.path.join(self.tmp, "server.log")
        self.proc = None
        self.grpc_port = None

    def start(self):
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [self.binary, "--grpc_address=127.0.0.1:0",
             "--metrics_address=127.0.0.1:0", "--data_dir=" + self.data_dir,
             "--port_file=" + self.port_file, "--now=" + NOW]
            + self.security_flags,
            stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
            preexec_fn=_set_parent_death_signal)
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError("server exited with %d during startup:\n%s"
                                   % (self.proc.returncode, self.log()))
            text = ""
            if os.path.exists(self.port_file):
                with open(self.port_file) as f:
                    text = f.read()
            m = re.search(r"grpc=(\d+) metrics=(\d+)", text)
            if m:
                self.grpc_port = int(m.group(1))
                break
            if time.monotonic() > deadline:
                raise RuntimeError("no port file after %ds:\n%s"
                                   % (STARTUP_TIMEOUT_S, self.log()))
            time.sleep(0.05)
        return deadline

    def wait_serving(self, channel, deadline):
        stub = health_pb2_grpc.HealthStub(channel)
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("server exited with %d:\n%s"
                                   % (self.proc.returncode, self.log()))
            try:
                r = stub.Check(health_pb2.HealthCheckRequest(service=""),
                               timeout=1)
                if r.status == health_pb2.HealthCheckResponse.SERVING:
                    return
                last = r.status
            except grpc.RpcError as e:
                last = e.code()
            time.sleep(0.1)
        raise RuntimeError("health never SERVING (last: %s):\n%s"
                           % (last, self.log()))

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")[-8000:]
        except OSError:
            return "(no log)"

    def stop(self):
        """Kills the server if it still runs (by pid), removes the temp dir."""
        try:
            if self.proc is not None and self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait(timeout=10)
        finally:
            if getattr(self, "_log", None):
                self._log.close()
            shutil.rmtree(self.tmp, ignore_errors=True)


# ----------------------------------------------------------------------------
# The tests. They share one server; each uses its own teams or checks only
# figures no other test changes, except test_90 (shutdown), which runs last.


def bad_request_violations(error):
    """Decodes grpc-status-details-bin into google.rpc.Status and unpacks
    its google.rpc.BadRequest: returns (status, [(field, description)])."""
    raw = None
    for key, value in error.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            raw = value
    if raw is None:
        raise AssertionError("no grpc-status-details-bin trailer")
    status = status_pb2.Status.FromString(raw)
    violations = []
    bad_requests = 0
    for any_msg in status.details:
        br = error_details_pb2.BadRequest()
        if any_msg.Unpack(br):
            bad_requests += 1
            violations += [(v.field, v.description) for v in br.field_violations]
    if bad_requests != 1:
        raise AssertionError("want one google.rpc.BadRequest in %r"
                             % [a.type_url for a in status.details])
    return status, violations


class IngestClientTest(unittest.TestCase):
    server = None
    channel = None

    @classmethod
    def setUpClass(cls):
        cls.gen_dir = tempfile.mkdtemp(prefix="orgpulse-pygen-")
        try:
            generate_code(cls.gen_dir)
            atexit.register(cls._cleanup)  # also when interrupted
            cls.server = Server(ARGS.server)
            deadline = cls.server.start()
            cls.channel = grpc.insecure_channel(
                "127.0.0.1:%d" % cls.server.grpc_port)
            cls.server.wait_serving(cls.channel, deadline)
            cls.stub = pb_grpc.IngestServiceStub(cls.channel)
            cls.batch = build_batch()
            req = pb.PushRequest(events=cls.batch)
            cls.first_push = cls.stub.Push(req, timeout=RPC_TIMEOUT_S)
            cls.second_push = cls.stub.Push(req, timeout=RPC_TIMEOUT_S)
        except BaseException:
            cls._cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        cls._cleanup()

    @classmethod
    def _cleanup(cls):
        try:
            if cls.channel is not None:
                cls.channel.close()
                cls.channel = None
            if cls.server is not None:
                server, cls.server = cls.server, None
                sys.stderr.write("---- server log (tail) ----\n%s\n"
                                 % server.log()[-3000:])
                server.stop()
        finally:
            shutil.rmtree(cls.gen_dir, ignore_errors=True)

    def assertClose(self, got, want, what=""):
        self.assertTrue(math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-9),
                        "%s: got %r, want %r" % (what, got, want))

    def get(self, team):
        return self.stub.GetTeamExecution(pb.GetTeamExecutionRequest(team=team),
                                          timeout=RPC_TIMEOUT_S)

    def assertEarnedValue(self, ev, bac, pv, evv, ac, what):
        self.assertClose(ev.budget_at_completion, bac, what + " BAC")
        self.assertClose(ev.planned_value, pv, what + " PV")
        self.assertClose(ev.earned_value, evv, what + " EV")
        self.assertClose(ev.actual_cost, ac, what + " AC")
        self.assertTrue(ev.has_cpi, what + " has_cpi")
        self.assertClose(ev.cost_performance_index, evv / ac, what + " CPI")
        self.assertTrue(ev.has_spi, what + " has_spi")
        self.assertClose(ev.schedule_performance_index, evv / pv, what + " SPI")
        eac = bac / (evv / ac)
        self.assertClose(ev.estimate_at_completion, eac, what + " EAC")
        self.assertClose(ev.variance_at_completion, bac - eac, what + " VAC")

    # -- Push -----------------------------------------------------------------

    def test_01_push_batch_then_duplicates(self):
        n = len(self.batch)
        self.assertEqual(n, 48)
        self.assertEqual(self.first_push.accepted, n)
        self.assertEqual(self.first_push.duplicates, 0)
        self.assertEqual(self.second_push.accepted, 0)
        self.assertEqual(self.second_push.duplicates, n)

    # -- GetTeamExecution -----------------------------------------------------

    def test_02_team_execution_of_a_leaf_team(self):
        f = self.get("eng/payments")
        self.assertEqual(f.team, "eng/payments")
        self.assertEqual(list(f.teams), ["eng/payments"])
        self.assertEqual(f.as_of.ToJsonString(), NOW)
        self.assertEqual(f.events, 34)

        t = f.tasks
        self.assertEqual(t.open, 2)  # PAY-3, PAY-4
        self.assertEqual(t.overdue, 1)  # PAY-3 (due moved to 06-12)
        self.assertEqual(t.completed_on_time, 1)  # PAY-1
        self.assertEqual(t.completed_late, 1)  # PAY-2
        self.assertTrue(t.has_on_time_ratio)
        self.assertClose(t.on_time_ratio, 0.5, "on_time_ratio")
        self.assertEqual(t.cancelled, 1)  # PAY-5
        self.assertClose(t.cycle_time_p50_seconds, 3 * 86400, "p50")
        self.assertClose(t.cycle_time_p90_seconds, 4 * 86400, "p90")
        self.assertClose(t.weekly_throughput, 2 / 4, "weekly_throughput")

        # PV 50,000 (half-way), EV 45% of 100,000, AC 40,000: CPI 1.125.
        self.assertEarnedValue(f.budget, 100000, 50000, 45000, 40000, "budget")
        self.assertClose(f.budget.cost_performance_index, 1.125, "CPI")
        self.assertClose(f.budget.schedule_performance_index, 0.9, "SPI")
        self.assertEqual(len(f.projects), 1)
        p = f.projects[0]
        self.assertEqual((p.team, p.project, p.has_plan),
                         ("eng/payments", "checkout-v2", True))
        self.assertClose(p.percent_complete, 45, "percent_complete")
        self.assertEarnedValue(p.figures, 100000, 50000, 45000, 40000, "project")

        m = f.milestones
        self.assertEqual((m.met, m.missed, m.pending), (1, 2, 1))
        self.assertClose(m.slip_days, 3.0, "slip_days")  # pilot 1 + ga 2
        self.assertClose(m.max_slip_days, 2.0, "max_slip_days")

        procs = {p.procedure: p for p in f.procedures}
        self.assertEqual(set(procs), {"code-review", "change-approval"})
        self.assertEqual((procs["code-review"].checks,
                          procs["code-review"].passed), (3, 2))
        self.assertClose(procs["code-review"].compliance_ratio, 2 / 3, "cr")
        self.assertEqual((procs["change-approval"].checks,
                          procs["change-approval"].passed), (2, 2))
        self.assertClose(procs["change-approval"].compliance_ratio, 1.0, "ca")

        self.assertEqual(len(f.kpis), 1)
        k = f.kpis[0]
        self.assertEqual((k.team, k.kpi, k.year, k.month),
                         ("eng/payments", "payments-processed", 2024, 6))
        self.assertTrue(k.has_target)
        self.assertEqual(k.aggregation, pb.KPI_AGGREGATION_SUM)
        self.assertClose(k.target, 1000, "target")
        self.assertClose(k.actual, 350, "actual")  # May's 999 not counted
        self.assertClose(k.attainment_ratio, 0.35, "attainment")
        self.assertClose(k.forecast, 700, "forecast")  # half of June elapsed
        self.assertClose(k.forecast_attainment_ratio, 0.7, "forecast ratio")

    def test_03_team_execution_rollup(self):
        f = self.get("eng")
        self.assertEqual(f.team, "eng")
        self.assertEqual(sorted(f.teams), ["eng/payments", "eng/search"])
        self.assertEqual(f.events, 48)

        t = f.tasks
        self.assertEqual(t.open, 3)  # PAY-3, PAY-4, SRCH-1
        self.assertEqual(t.overdue, 2)  # PAY-3, SRCH-1
        self.assertEqual(t.completed_on_time, 2)  # PAY-1, SRCH-2 (at due)
        self.assertEqual(t.completed_late, 1)
        self.assertTrue(t.has_on_time_ratio)
        self.assertClose(t.on_time_ratio, 2 / 3, "on_time_ratio")
        self.assertEqual(t.cancelled, 1)
        # Cycle times 3, 4 and 8 days; nearest rank.
        self.assertClose(t.cycle_time_p50_seconds, 4 * 86400, "p50")
        self.assertClose(t.cycle_time_p90_seconds, 8 * 86400, "p90")
        self.assertClose(t.weekly_throughput, 3 / 4, "weekly_throughput")

        # Sums: BAC 150,000, PV 100,000, EV 85,000, AC 70,000.
        self.assertEarnedValue(f.budget, 150000, 100000, 85000, 70000, "budget")
        self.assertClose(f.budget.cost_performance_index, 85 / 70, "CPI")
        self.assertClose(f.budget.schedule_performance_index, 0.85, "SPI")
        projects = {(p.team, p.project): p for p in f.projects}
        self.assertEqual(set(projects), {("eng/payments", "checkout-v2"),
                                         ("eng/search", "index-rebuild")})
        search = projects[("eng/search", "index-rebuild")]
        self.assertTrue(search.has_plan)
        self.assertEarnedValue(search.figures, 50000, 50000, 40000, 30000,
                               "index-rebuild")

        m = f.milestones
        self.assertEqual((m.met, m.missed, m.pending), (2, 2, 1))
        self.assertClose(m.slip_days, 3.0, "slip_days")
        self.assertClose(m.max_slip_days, 2.0, "max_slip_days")

        procs = {p.procedure: p for p in f.procedures}
        self.assertEqual(set(procs), {"code-review", "change-approval"})
        self.assertEqual((procs["code-review"].checks,
                          procs["code-review"].passed), (5, 3))
        self.assertClose(procs["code-review"].compliance_ratio, 0.6, "cr")
        self.assertEqual((procs["change-approval"].checks,
                          procs["change-approval"].passed), (2, 2))

        kpis = {(k.team, k.kpi): k for k in f.kpis}
        self.assertEqual(set(kpis), {("eng/payments", "payments-processed"),
                                     ("eng/search", "search-uptime")})
        up = kpis[("eng/search", "search-uptime")]
        self.assertTrue(up.has_target)
        self.assertEqual(up.aggregation, pb.KPI_AGGREGATION_LAST)
        self.assertClose(up.actual, 99.95, "uptime actual")  # latest reading
        self.assertClose(up.forecast, 99.95, "uptime forecast")
        self.assertClose(up.attainment_ratio, 99.95 / 99.9, "uptime ratio")
        self.assertClose(kpis[("eng/payments", "payments-processed")].actual,
                         350, "payments actual")

    def test_04_list_teams(self):
        r = self.stub.ListTeams(pb.ListTeamsRequest(prefix="eng"),
                                timeout=RPC_TIMEOUT_S)
        teams = {t.team: t for t in r.teams}
        self.assertEqual(set(teams), {"eng/payments", "eng/search"})
        self.assertEqual(teams["eng/payments"].events, 34)
        self.assertEqual(teams["eng/search"].events, 14)
        self.assertEqual(teams["eng/payments"].last_event_at.ToJsonString(),
                         "2024-06-14T17:00:00Z")
        self.assertEqual(teams["eng/search"].last_event_at.ToJsonString(),
                         "2024-06-14T00:00:00Z")
        everything = self.stub.ListTeams(pb.ListTeamsRequest(),
                                         timeout=RPC_TIMEOUT_S)
        self.assertTrue({"eng/payments", "eng/search"}
                        <= {t.team for t in everything.teams})

    # -- Errors ---------------------------------------------------------------

    def test_05_invalid_batch_is_rejected_whole(self):
        before = {t: self.get(t) for t in ("eng/payments", "eng")}
        bad = pb.PushRequest(events=[
            event("finance-erp", "inv-bad-1", "eng/payments",
                  "2024-06-15T12:00:00Z",
                  cost_actual=pb.CostActual(project="checkout-v2",
                                            amount=float("nan"))),
            event("qa-audit", "bad-check-1", "", "2024-06-15T12:00:00Z",
                  procedure_check=pb.ProcedureCheck(procedure="code-review",
                                                    passed=True)),
            # Valid on their own: must not be stored either.
            event("finance-erp", "inv-bad-2", "eng/payments",
                  "2024-06-15T12:00:00Z",
                  cost_actual=pb.CostActual(project="checkout-v2",
                                            amount=1000)),
            event("qa-audit", "ghost-check-1", "qa/ghost",
                  "2024-06-15T12:00:00Z",
                  procedure_check=pb.ProcedureCheck(procedure="code-review",
                                                    passed=True)),
        ])
        with self.assertRaises(grpc.RpcError) as cm:
            self.stub.Push(bad, timeout=RPC_TIMEOUT_S)
        err = cm.exception
        self.assertEqual(err.code(), grpc.StatusCode.INVALID_ARGUMENT,
                         err.details())
        status, violations = bad_request_violations(err)
        self.assertEqual(status.code, grpc.StatusCode.INVALID_ARGUMENT.value[0])
        self.assertEqual(status.message, err.details())
        self.assertEqual(
            sorted(f for f, _ in violations),
            ["events[0].cost_actual.amount", "events[1].team"],
            "violations: %r" % violations)
        for field, description in violations:
            self.assertTrue(description, "empty description for " + field)

        # Nothing of the batch was stored.
        for team, figures in before.items():
            self.assertEqual(self.get(team), figures, team)
        with self.assertRaises(grpc.RpcError) as cm:
            self.get("qa/ghost")
        self.assertEqual(cm.exception.code(), grpc.StatusCode.NOT_FOUND)
        # The valid event of the rejected batch was not recorded as seen.
        r = self.stub.Push(pb.PushRequest(events=[bad.events[3]]),
                           timeout=RPC_TIMEOUT_S)
        self.assertEqual((r.accepted, r.duplicates), (1, 0))

    def test_06_unknown_team_is_not_found(self):
        for team in ("eng/unknown", "sales", "en"):
            with self.assertRaises(grpc.RpcError) as cm:
                self.get(team)
            self.assertEqual(cm.exception.code(), grpc.StatusCode.NOT_FOUND,
                             "team %r: %s" % (team, cm.exception.details()))

    # -- PushStream -----------------------------------------------------------

    def test_07_push_stream_answers_in_order(self):
        def check(n, passed=True):
            return event("qa-audit", "sre-check-%d" % n, "ops/sre",
                         "2024-06-15T08:00:00Z",
                         procedure_check=pb.ProcedureCheck(
                             procedure="runbook", passed=passed))

        requests = [
            [check(1)],
            [check(2), check(3, False)],
            [check(4), check(5), check(6), check(1)],  # + a dup of request 1
            [check(7), self.batch[0]],  # + a dup of the first batch
            [check(8), check(9), check(10, False), check(11), check(12)],
        ]
        expected = [(1, 0), (2, 0), (3, 1), (1, 1), (5, 0)]

        # Lock-step: each response must come before the next request is sent.
        outbox = queue.Queue()

        def request_iterator():
            while True:
                item = outbox.get()
                if item is None:
                    return
                yield item

        responses = self.stub.PushStream(request_iterator(), timeout=30)
        got = []
        try:
            for events in requests:
                outbox.put(pb.PushRequest(events=events))
                r = next(responses)
                got.append((r.accepted, r.duplicates))
        finally:
            outbox.put(None)
        self.assertEqual(got, expected)
        self.assertEqual(list(responses), [])  # then the stream ends OK
        self.assertEqual(responses.code(), grpc.StatusCode.OK)

        f = self.get("ops/sre")
        procs = {p.procedure: p for p in f.procedures}
        self.assertEqual((procs["runbook"].checks, procs["runbook"].passed),
                         (12, 10))
        self.assertEqual(f.events, 12)

    # -- Shutdown (last) ------------------------------------------------------

    def test_90_sigterm_exits_zero(self):
        proc = self.server.proc
        self.assertIsNone(proc.poll(), "server died early:\n" + self.server.log())
        os.kill(proc.pid, signal.SIGTERM)
        try:
            rc = proc.wait(timeout=SHUTDOWN_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.fail("server still running %ds after SIGTERM:\n%s"
                      % (SHUTDOWN_TIMEOUT_S, self.server.log()))
        self.assertEqual(rc, 0, self.server.log())


class SecureIngestClientTest(unittest.TestCase):
    """TLS and bearer tokens as another system sees them: grpcio's own SSL
    credentials and access-token call credentials, a tokens file written
    with Python's hashlib, a CA made with openssl."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="orgpulse-pytls-")
        cls.server = None
        try:
            os.makedirs(os.path.join(cls.tmp, "gen"))
            generate_code(os.path.join(cls.tmp, "gen"))
            cls.ca, cls.cert, cls.key = make_certificates(cls.tmp)
            cls.pusher = "opk_" + secrets.token_urlsafe(32)
            cls.reader = "opk_" + secrets.token_urlsafe(32)
            tokens = os.path.join(cls.tmp, "tokens")
            with open(tokens, "w") as f:
                for name, scope, token in (("pusher", "ingest:push", cls.pusher),
                                           ("reader", "ingest:read", cls.reader)):
                    digest = hashlib.sha256(token.encode()).hexdigest()
                    f.write("%s %s sha256:%s\n" % (name, scope, digest))
            cls.server = Server(ARGS.server, [
                "--tls_cert_file=" + cls.cert, "--tls_key_file=" + cls.key,
                "--token_file=" + tokens])
            deadline = cls.server.start()
            cls.target = "127.0.0.1:%d" % cls.server.grpc_port
            with open(cls.ca, "rb") as f:
                cls.tls = grpc.ssl_channel_credentials(root_certificates=f.read())
            with grpc.secure_channel(cls.target, cls.tls) as channel:
                cls.server.wait_serving(channel, deadline)  # health: no token
        except BaseException:
            cls._cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        cls._cleanup()

    @classmethod
    def _cleanup(cls):
        try:
            if cls.server is not None:
                server, cls.server = cls.server, None
                server.stop()
        finally:
            shutil.rmtree(cls.tmp, ignore_errors=True)

    def stub(self, token=None):
        creds = self.tls
        if token is not None:
            creds = grpc.composite_channel_credentials(
                self.tls, grpc.access_token_call_credentials(token))
        channel = grpc.secure_channel(self.target, creds)
        self.addCleanup(channel.close)
        return pb_grpc.IngestServiceStub(channel)

    def test_token_with_the_scope_is_served(self):
        batch = build_batch()[:5]
        r = self.stub(self.pusher).Push(pb.PushRequest(events=batch),
                                        timeout=RPC_TIMEOUT_S)
        self.assertEqual(r.accepted + r.duplicates, 5)
        teams = self.stub(self.reader).ListTeams(pb.ListTeamsRequest(),
                                                 timeout=RPC_TIMEOUT_S)
        self.assertGreater(len(teams.teams), 0)

    def test_no_token_unknown_token_and_wrong_scope_are_refused(self):
        cases = [
            (None, grpc.StatusCode.UNAUTHENTICATED, "needs a bearer token"),
            ("opk_" + secrets.token_urlsafe(32), grpc.StatusCode.UNAUTHENTICATED,
             "not known"),
            (self.pusher, grpc.StatusCode.PERMISSION_DENIED,
             "lacks the scope ingest:read"),
        ]
        for token, code, message in cases:
            with self.subTest(message=message):
                with self.assertRaises(grpc.RpcError) as caught:
                    self.stub(token).ListTeams(pb.ListTeamsRequest(),
                                               timeout=RPC_TIMEOUT_S)
                self.assertEqual(caught.exception.code(), code)
                self.assertIn(message, caught.exception.details())
                if token is not None:
                    self.assertNotIn(token, caught.exception.details())

    def test_plaintext_client_is_refused(self):
        channel = grpc.insecure_channel(self.target)
        self.addCleanup(channel.close)
        with self.assertRaises(grpc.RpcError) as caught:
            pb_grpc.IngestServiceStub(channel).ListTeams(
                pb.ListTeamsRequest(), timeout=3,
                metadata=[("authorization", "Bearer " + self.reader)])
        self.assertEqual(caught.exception.code(), grpc.StatusCode.UNAVAILABLE)


def make_certificates(directory):
    """A throwaway CA and a server certificate for 127.0.0.1 (openssl)."""
    ca_key, ca = os.path.join(directory, "ca.key"), os.path.join(directory, "ca.pem")
    key, csr = os.path.join(directory, "server.key"), os.path.join(directory, "server.csr")
    cert, ext = os.path.join(directory, "server.pem"), os.path.join(directory, "server.ext")
    with open(ext, "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    for cmd in (
            ["openssl", "req", "-x509"] + ec + ["-days", "1", "-subj", "/CN=pytest CA",
                                                "-keyout", ca_key, "-out", ca],
            ["openssl", "req"] + ec + ["-subj", "/CN=pytest server",
                                       "-keyout", key, "-out", csr],
            ["openssl", "x509", "-req", "-days", "1", "-in", csr, "-CA", ca,
             "-CAkey", ca_key, "-CAcreateserial", "-extfile", ext, "-out", cert]):
        subprocess.run(cmd, check=True, capture_output=True)
    return ca, cert, key


def main():
    global ARGS
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--server", required=True,
                        help="path of the orgpulse-ingest binary")
    parser.add_argument("--proto-dir", required=True,
                        help="the repository's proto/ directory")
    ARGS, rest = parser.parse_known_args()
    # On SIGTERM (e.g. from a test runner) unwind, so that the server is
    # stopped and the temporary directories removed (atexit).
    def interrupted(signum, frame):
        raise KeyboardInterrupt("SIGTERM")
    signal.signal(signal.SIGTERM, interrupted)
    ARGS.server = os.path.abspath(ARGS.server)
    ARGS.proto_dir = os.path.abspath(ARGS.proto_dir)
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
