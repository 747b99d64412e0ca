#!/usr/bin/python3
"""Abuse test: both services keep serving well-behaved clients while others
misbehave at the HTTP/2 level, within bounded memory.

Starts the real orgpulse-ingest and orgpulse-insights binaries on 127.0.0.1
(port 0), keeps a well-behaved grpcio client calling each of them all along,
and runs against each server in turn:

  - rapid reset: a raw HTTP/2 client (python3-h2) opens a stream and resets
    it at once, in a tight bounded loop;
  - ping flood: a raw HTTP/2 client pings far more often than allowed and
    must get GOAWAY ENHANCE_YOUR_CALM;
  - oversize: a request message past the cap gets RESOURCE_EXHAUSTED, and
    request headers past the metadata cap fail the call, not the server;
  - many connections: 1,000 HTTP/2 connections held open at once;
  - silent connections: TCP connections that never speak HTTP/2 are closed
    after the handshake timeout (opened first, checked last).

After each attack every call of the well-behaved client must have succeeded
within LATENCY_BOUND_S, the server must still run, and its resident memory
(VmRSS) must have grown by less than RSS_GROWTH_BOUND_MB. docs/hardening.md
has the figures and the reasoning for the bounds.

Run with Debian's /usr/bin/python3 (python3-grpcio, python3-grpc-tools,
python3-h2):

  /usr/bin/python3 abuse_test.py --ingest PATH/orgpulse-ingest \
      --insights PATH/orgpulse-insights --proto-dir REPO/proto [-v]
"""

import argparse
import atexit
import ctypes
import importlib
import importlib.resources
import itertools
import os
import re
import resource
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import grpc
import h2.config
import h2.connection
import h2.errors
import h2.events
import h2.exceptions
from grpc_tools import protoc

HEALTH_PROTO = "/usr/share/grpc-proto/grpc/health/v1/health.proto"
NOW = "2024-06-16T00:00:00Z"
STARTUP_TIMEOUT_S = 30

# Every call of the well-behaved client must finish within this; it is also
# the call's deadline. Unloaded, calls take about a millisecond; the bound
# leaves room for a shared 2-core machine where the attacker itself takes a
# core.
LATENCY_BOUND_S = 2.0
# Resident memory may grow by at most this much across one attack. The
# servers start at about 20 MB; measured growth is 0-17 MB per attack.
RSS_GROWTH_BOUND_MB = 64

# gRPC 1.51 frees a stream's slot as soon as the client resets it, but its
# call (a ~12 KB arena plus handler state, measured with heaptrack) lives
# until the server has worked through it; while the attacker outpaces the
# server those calls pile up, and nothing configurable in 1.51 caps them
# (docs/hardening.md). So the attack is bounded by a stream count and RSS
# may grow by at most 32 KiB per stream on top of the usual bound (the worst
# seen is 19 KiB, with heap fragmentation): that catches a leak or a
# per-call cost gone up, not the pile-up itself.
RAPID_RESET_SECONDS = 4.0
RAPID_RESET_MAX_STREAMS = 10_000
RAPID_RESET_RSS_BOUND_MB = RSS_GROWTH_BOUND_MB + RAPID_RESET_MAX_STREAMS / 32
PING_FLOOD_MAX_PINGS = 10_000
CONNECTIONS = 1_000
CONNECTIONS_HOLD_SECONDS = 3.0
# TCP connections that never send the HTTP/2 preface (slowloris) must be
# closed within the servers' handshake timeout (AbuseLimits, 10 s), plus
# this margin for a loaded machine. gRPC's own default would be 120 s.
SILENT_CONNECTIONS = 20
SILENT_CLOSE_BOUND_S = 10 + 5
MAX_MESSAGE_BYTES = 16 << 20  # the servers' default --max_message_bytes

ARGS = None
pb = pb_grpc = ipb = ipb_grpc = health_pb2 = health_pb2_grpc = None

_LIBC = ctypes.CDLL(None, use_errno=True)  # loaded before any fork


def _set_parent_death_signal():
    """In the child: SIGTERM if the test dies, so no server outlives it."""
    PR_SET_PDEATHSIG = 1
    _LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def run_protoc(include_dirs, out_dir, protos):
    well_known = str(importlib.resources.files("grpc_tools") / "_proto")
    args = ["grpc_tools.protoc"] + ["-I" + d for d in include_dirs]
    args += ["-I" + well_known, "--python_out=" + out_dir,
             "--grpc_python_out=" + out_dir] + protos
    if protoc.main(args) != 0:
        raise RuntimeError("protoc failed: " + " ".join(args))


def generate_code(out_dir):
    global pb, pb_grpc, ipb, ipb_grpc, health_pb2, health_pb2_grpc
    run_protoc([ARGS.proto_dir], out_dir, [
        "orgpulse/ingest/v1/ingest.proto",
        "orgpulse/insights/v1/insights.proto",
    ])
    run_protoc([os.path.dirname(HEALTH_PROTO)], out_dir,
               [os.path.basename(HEALTH_PROTO)])
    sys.path.insert(0, out_dir)
    importlib.invalidate_caches()
    pb = importlib.import_module("orgpulse.ingest.v1.ingest_pb2")
    pb_grpc = importlib.import_module("orgpulse.ingest.v1.ingest_pb2_grpc")
    ipb = importlib.import_module("orgpulse.insights.v1.insights_pb2")
    ipb_grpc = importlib.import_module("orgpulse.insights.v1.insights_pb2_grpc")
    health_pb2 = importlib.import_module("health_pb2")
    health_pb2_grpc = importlib.import_module("health_pb2_grpc")


# ----------------------------------------------------------------------------
# The servers.


def server_command(binary, tmp, ingest_address=None):
    """The command line of a server under test: the one place to change
    flags. `ingest_address` set means insights (which reads from ingest)."""
    cmd = [binary, "--grpc_address=127.0.0.1:0",
           "--metrics_address=127.0.0.1:0",
           "--data_dir=" + os.path.join(tmp, "data"),
           "--port_file=" + os.path.join(tmp, "ports"), "--now=" + NOW,
           # The attacks speak HTTP/2 in the clear; the limits sit below TLS
           # and tokens, in gRPC's transport, and are the same either way.
           "--plaintext", "--allow_unauthenticated"]
    if ingest_address is not None:
        key_file = os.path.join(tmp, "respondent.key")
        with open(key_file, "w") as f:
            f.write("abuse-test-secret-0123456789abcdef\n")
        cmd += ["--ingest_address=" + ingest_address, "--ingest_plaintext",
                "--respondent_key_file=" + key_file]
    return cmd


class Server:
    def __init__(self, name, binary, ingest_address=None):
        self.name = name
        self.tmp = tempfile.mkdtemp(prefix="orgpulse-abuse-%s-" % name)
        self.log_path = os.path.join(self.tmp, "server.log")
        self.cmd = server_command(binary, self.tmp, ingest_address)
        self.proc = None
        self.port = None
        self._log = None

    def start(self):
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            self.cmd, stdin=subprocess.DEVNULL, stdout=self._log,
            stderr=subprocess.STDOUT, preexec_fn=_set_parent_death_signal)
        port_file = os.path.join(self.tmp, "ports")
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while self.port is None:
            if self.proc.poll() is not None:
                raise RuntimeError("%s exited with %d:\n%s" % (
                    self.name, self.proc.returncode, self.log()))
            if time.monotonic() > deadline:
                raise RuntimeError("%s: no port file:\n%s" % (self.name,
                                                               self.log()))
            if os.path.exists(port_file):
                with open(port_file) as f:
                    m = re.search(r"grpc=(\d+) metrics=(\d+)", f.read())
                if m:
                    self.port = int(m.group(1))
                    break
            time.sleep(0.05)
        channel = grpc.insecure_channel(self.address())
        try:
            stub = health_pb2_grpc.HealthStub(channel)
            while True:
                try:
                    r = stub.Check(health_pb2.HealthCheckRequest(), timeout=1)
                    if r.status == health_pb2.HealthCheckResponse.SERVING:
                        return
                except grpc.RpcError:
                    pass
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError("%s never SERVING:\n%s" % (self.name,
                                                                  self.log()))
                time.sleep(0.05)
        finally:
            channel.close()

    def address(self):
        return "127.0.0.1:%d" % self.port

    def rss_mb(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
        raise RuntimeError("no VmRSS")

    def running(self):
        return self.proc.poll() is None

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")[-4000:]
        except OSError:
            return "(no log)"

    def stop(self):
        try:
            if self.proc is not None and self.proc.poll() is None:
                self.proc.kill()  # by pid: only the process we started
                self.proc.wait(timeout=10)
        finally:
            if self._log:
                self._log.close()
            shutil.rmtree(self.tmp, ignore_errors=True)


# ----------------------------------------------------------------------------
# The well-behaved client: real calls in a loop on its own channel, each
# timed. The test reads and resets its record around every attack.


def ts(text):
    from google.protobuf import timestamp_pb2
    t = timestamp_pb2.Timestamp()
    t.FromJsonString(text)
    return t


def own_channel(server):
    """A channel on its own connection: grpcio otherwise shares one
    connection among channels to the same target, and an attack would then
    hit the well-behaved client's connection too."""
    return grpc.insecure_channel(server.address(),
                                 options=[("grpc.use_local_subchannel_pool", 1)])


def good_event(n):
    return pb.Event(event_id="good-%d" % n, source="abuse-test",
                    team="eng/good", occurred_at=ts("2024-06-15T12:00:00Z"),
                    procedure_check=pb.ProcedureCheck(procedure="review",
                                                      passed=True))


class GoodClient(threading.Thread):
    def __init__(self, server, kind):
        super().__init__(daemon=True)
        self.server = server
        self.kind = kind
        self.channel = own_channel(server)
        self.stop_event = threading.Event()
        self.lock = threading.Lock()
        self.pushes = itertools.count()  # new event ids: every Push stores
        self.reset()

    def reset(self):
        with self.lock:
            self.calls = 0
            self.failures = []
            self.latencies = []

    def record(self):
        with self.lock:
            lat = sorted(self.latencies)
            return {
                "calls": self.calls,
                "failures": list(self.failures),
                "p50_ms": 1000 * lat[len(lat) // 2] if lat else None,
                "max_ms": 1000 * lat[-1] if lat else None,
            }

    def calls_to_make(self):
        health = health_pb2_grpc.HealthStub(self.channel)
        yield "Health.Check", lambda: health.Check(
            health_pb2.HealthCheckRequest(), timeout=LATENCY_BOUND_S)
        if self.kind == "ingest":
            stub = pb_grpc.IngestServiceStub(self.channel)
            n = next(self.pushes)
            yield "Push", lambda: stub.Push(
                pb.PushRequest(events=[good_event(n)]), timeout=LATENCY_BOUND_S)
            yield "GetTeamExecution", lambda: stub.GetTeamExecution(
                pb.GetTeamExecutionRequest(team="eng/good"),
                timeout=LATENCY_BOUND_S)
        else:
            stub = ipb_grpc.InsightsServiceStub(self.channel)
            yield "ListTeamInsights", lambda: stub.ListTeamInsights(
                ipb.ListTeamInsightsRequest(), timeout=LATENCY_BOUND_S)

    def run(self):
        while not self.stop_event.is_set():
            for name, call in self.calls_to_make():
                start = time.monotonic()
                try:
                    call()
                    error = None
                except grpc.RpcError as e:
                    error = "%s: %s %s" % (name, e.code(), e.details())
                elapsed = time.monotonic() - start
                with self.lock:
                    self.calls += 1
                    self.latencies.append(elapsed)
                    if error is None and elapsed > LATENCY_BOUND_S:
                        error = "%s took %.2fs" % (name, elapsed)
                    if error is not None:
                        self.failures.append(error)
            self.stop_event.wait(0.01)

    def stop(self):
        self.stop_event.set()
        self.join(timeout=2 * LATENCY_BOUND_S + 5)
        self.channel.close()


# ----------------------------------------------------------------------------
# Raw HTTP/2 clients (python3-h2).


def h2_connect(port, timeout=5.0):
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    conn = h2.connection.H2Connection(h2.config.H2Configuration(
        client_side=True, header_encoding="utf-8"))
    conn.initiate_connection()
    sock.sendall(conn.data_to_send())
    return sock, conn


def grpc_request_headers(port, path):
    return [(":method", "POST"), (":scheme", "http"), (":path", path),
            (":authority", "127.0.0.1:%d" % port),
            ("content-type", "application/grpc"), ("te", "trailers")]


def drain(sock, conn):
    """Reads what the server sent so far without blocking and answers it.
    Returns (h2 events, whether the server closed the connection)."""
    events, closed = [], False
    sock.setblocking(False)
    try:
        while not closed:
            try:
                data = sock.recv(1 << 16)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                closed = True
                break
            if not data:
                closed = True
                break
            try:
                events += conn.receive_data(data)
            except h2.exceptions.ProtocolError:
                closed = True
    finally:
        sock.setblocking(True)
    out = conn.data_to_send()
    if out and not closed:
        try:
            sock.sendall(out)
        except OSError:
            closed = True
    return events, closed


def goaway_of(events):
    """The (error code, debug data) of a GOAWAY among `events`, or None."""
    for e in events:
        if isinstance(e, h2.events.ConnectionTerminated):
            return e.error_code, e.additional_data or b""
    return None


def rapid_reset(port, path, seconds, max_streams):
    """CVE-2023-44487: opens a stream (HEADERS) and resets it (RST_STREAM) at
    once, in bursts, for `seconds` or `max_streams` streams. Returns (streams
    opened, GOAWAY error code or None, closed by the server)."""
    sock, conn = h2_connect(port)
    headers = grpc_request_headers(port, path)
    opened, goaway, closed = 0, None, False
    deadline = time.monotonic() + seconds
    try:
        while opened < max_streams and time.monotonic() < deadline:
            for _ in range(min(100, max_streams - opened)):  # one write
                sid = conn.get_next_available_stream_id()
                conn.send_headers(sid, headers)
                conn.reset_stream(sid, h2.errors.ErrorCodes.CANCEL)
                opened += 1
            try:
                sock.sendall(conn.data_to_send())
            except OSError:
                closed = True
                break
            events, closed = drain(sock, conn)
            if goaway_of(events):
                goaway = goaway_of(events)[0]
            if closed or goaway is not None:
                break
    finally:
        sock.close()
    return opened, goaway, closed


def ping_flood(port, max_pings):
    """Pings back to back: each PING as soon as the previous one is answered
    (thousands a second on loopback). Lock-step, so that the server has read
    everything when it closes and its GOAWAY is not lost to a TCP reset.
    Returns (pings sent, GOAWAY error code, GOAWAY debug data, closed)."""
    sock, conn = h2_connect(port)
    sock.settimeout(5)
    sent, goaway, debug, closed = 0, None, b"", False
    try:
        while sent < max_pings and not closed and goaway is None:
            conn.ping(struct.pack(">Q", sent))
            sent += 1
            try:
                sock.sendall(conn.data_to_send())
            except OSError:
                pass  # closed: what it sent before (GOAWAY) is still read
            answered = False
            while not (answered or closed or goaway):  # each wait bounded
                try:
                    data = sock.recv(1 << 16)
                except OSError:
                    data = b""
                if not data:
                    closed = True
                    break
                try:
                    events = conn.receive_data(data)
                except h2.exceptions.ProtocolError:
                    closed = True
                    break
                try:
                    sock.sendall(conn.data_to_send())  # e.g. SETTINGS ACK
                except OSError:
                    pass
                for e in events:
                    answered |= isinstance(e, h2.events.PingAckReceived)
                if goaway_of(events):
                    goaway, debug = goaway_of(events)
        while not closed:  # after GOAWAY the server must close, within 5 s
            try:
                closed = not sock.recv(1 << 16)
            except OSError:
                closed = True
    finally:
        sock.close()
    return sent, goaway, debug, closed


def open_connections(port, n):
    """Opens n HTTP/2 connections (preface and SETTINGS sent), held open."""
    conn = h2.connection.H2Connection(h2.config.H2Configuration(
        client_side=True))
    conn.initiate_connection()
    preface = conn.data_to_send()
    socks = []
    try:
        for _ in range(n):
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(preface)
            socks.append(s)
    except BaseException:
        for s in socks:
            s.close()
        raise
    return socks


def open_silent_connections(port, n):
    """Opens n TCP connections that send nothing at all."""
    return [socket.create_connection(("127.0.0.1", port), timeout=5)
            for _ in range(n)]


def still_open(sock):
    """True if the server has not closed this connection."""
    sock.setblocking(False)
    try:
        while True:
            data = sock.recv(1 << 16)
            if not data:
                return False
    except (BlockingIOError, InterruptedError):
        return True
    except OSError:
        return False


# ----------------------------------------------------------------------------
# The tests.


def raise_fd_limit(want):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE,
                           (min(want, hard), hard))  # children inherit it


class AbuseTest(unittest.TestCase):
    ingest = insights = None
    clients = {}
    figures = []  # one line per attack, printed at the end

    @classmethod
    def setUpClass(cls):
        raise_fd_limit(4 * CONNECTIONS)
        cls.gen_dir = tempfile.mkdtemp(prefix="orgpulse-abuse-gen-")
        atexit.register(cls._cleanup)
        generate_code(cls.gen_dir)
        cls.ingest = Server("ingest", ARGS.ingest)
        cls.ingest.start()
        cls.insights = Server("insights", ARGS.insights,
                              ingest_address=cls.ingest.address())
        cls.insights.start()
        cls.silent = {s.name: (open_silent_connections(s.port,
                                                       SILENT_CONNECTIONS),
                               time.monotonic())
                      for s in (cls.ingest, cls.insights)}
        cls.clients = {"ingest": GoodClient(cls.ingest, "ingest"),
                       "insights": GoodClient(cls.insights, "insights")}
        for c in cls.clients.values():
            c.start()

    @classmethod
    def tearDownClass(cls):
        cls._cleanup()
        for line in cls.figures:
            sys.stderr.write("FIGURES %s\n" % line)

    @classmethod
    def _cleanup(cls):
        for c in cls.clients.values():
            c.stop()
        cls.clients = {}
        for s in (cls.insights, cls.ingest):
            if s is not None:
                s.stop()
        cls.insights = cls.ingest = None
        for socks, _ in getattr(cls, "silent", {}).values():
            for sock in socks:
                sock.close()
        cls.silent = {}
        shutil.rmtree(cls.gen_dir, ignore_errors=True)

    def servers(self):
        return [self.ingest, self.insights]

    def under_attack(self, server, attack_name, attack,
                     rss_bound_mb=RSS_GROWTH_BOUND_MB):
        """Runs attack() with the well-behaved client calling throughout,
        then checks the server and that client."""
        client = self.clients[server.name]
        time.sleep(0.2)  # a few good calls before
        client.reset()
        rss_before = server.rss_mb()
        start = time.monotonic()
        detail = attack()
        seconds = time.monotonic() - start
        time.sleep(0.3)  # and a few after
        rss_after = server.rss_mb()
        good = client.record()
        line = ("%s %s: %s; %.1fs; RSS %.1f -> %.1f MB; good client %d calls,"
                " p50 %s ms, max %s ms, %d failed" % (
                    server.name, attack_name, detail, seconds, rss_before,
                    rss_after, good["calls"], _ms(good["p50_ms"]),
                    _ms(good["max_ms"]), len(good["failures"])))
        self.figures.append(line)
        self.assertTrue(server.running(), "%s died:\n%s" % (server.name,
                                                            server.log()))
        self.assertGreater(good["calls"], 0, line)
        self.assertEqual(good["failures"], [], line)
        self.assertLess(rss_after - rss_before, rss_bound_mb, line)
        return detail

    def test_rapid_reset(self):
        paths = {"ingest": "/orgpulse.ingest.v1.IngestService/Push",
                 "insights": "/orgpulse.insights.v1.InsightsService/"
                             "ListTeamInsights"}
        for server in self.servers():
            with self.subTest(server=server.name):
                opened, goaway, closed = self.under_attack(
                    server, "rapid reset", lambda: rapid_reset(
                        server.port, paths[server.name], RAPID_RESET_SECONDS,
                        RAPID_RESET_MAX_STREAMS),
                    rss_bound_mb=RAPID_RESET_RSS_BOUND_MB)
                self.assertGreater(opened, 1000)

    def test_ping_flood(self):
        for server in self.servers():
            with self.subTest(server=server.name):
                sent, goaway, debug, closed = self.under_attack(
                    server, "ping flood",
                    lambda: ping_flood(server.port, PING_FLOOD_MAX_PINGS))
                self.assertEqual(goaway, h2.errors.ErrorCodes.ENHANCE_YOUR_CALM,
                                 "after %d pings" % sent)
                self.assertIn(b"too_many_pings", debug)
                self.assertTrue(closed)
                self.assertLess(sent, PING_FLOOD_MAX_PINGS)

    def test_oversize_message(self):
        big = "x" * (MAX_MESSAGE_BYTES + 1024)
        requests = {
            "ingest": lambda ch: pb_grpc.IngestServiceStub(ch).Push(
                pb.PushRequest(events=[pb.Event(event_id=big)]), timeout=30),
            "insights": lambda ch: ipb_grpc.InsightsServiceStub(
                ch).SubmitSurveyResponses(ipb.SubmitSurveyResponsesRequest(
                    responses=[ipb.SurveyResponse(response_id=big)]),
                    timeout=30),
        }
        for server in self.servers():
            with self.subTest(server=server.name):
                def attack():
                    with own_channel(server) as ch:
                        with self.assertRaises(grpc.RpcError) as cm:
                            requests[server.name](ch)
                    return cm.exception.code()

                code = self.under_attack(server, "oversize message", attack)
                self.assertEqual(code, grpc.StatusCode.RESOURCE_EXHAUSTED)

    def test_oversize_metadata(self):
        for server in self.servers():
            with self.subTest(server=server.name):
                def attack():
                    with own_channel(server) as ch:
                        with self.assertRaises(grpc.RpcError) as cm:
                            health_pb2_grpc.HealthStub(ch).Check(
                                health_pb2.HealthCheckRequest(), timeout=10,
                                metadata=[("x-bloat", "y" * (64 << 10))])
                    return cm.exception.code()

                code = self.under_attack(server, "oversize metadata", attack)
                self.assertEqual(code, grpc.StatusCode.RESOURCE_EXHAUSTED)

    def test_many_connections(self):
        for server in self.servers():
            with self.subTest(server=server.name):
                def attack():
                    socks = open_connections(server.port, CONNECTIONS)
                    try:
                        time.sleep(CONNECTIONS_HOLD_SECONDS)
                        open_now = sum(still_open(s) for s in socks)
                        rss_held = server.rss_mb()
                    finally:
                        for s in socks:
                            s.close()
                    return open_now, round(rss_held, 1)

                open_now, _ = self.under_attack(
                    server, "%d connections" % CONNECTIONS, attack)
                self.assertEqual(open_now, CONNECTIONS)

    # Named to run last: the other tests give the timeout time to pass.
    def test_silent_connections_are_closed(self):
        for server in self.servers():
            with self.subTest(server=server.name):
                socks, opened_at = self.silent[server.name]
                deadline = opened_at + SILENT_CLOSE_BOUND_S
                while True:
                    open_now = sum(still_open(s) for s in socks)
                    if open_now == 0 or time.monotonic() > deadline:
                        break
                    time.sleep(0.2)
                after = time.monotonic() - opened_at
                self.figures.append(
                    "%s silent connections: %d of %d open after %.1fs" % (
                        server.name, open_now, len(socks), after))
                self.assertEqual(open_now, 0, "after %.1fs" % after)
                self.assertTrue(server.running())


def _ms(v):
    return "-" if v is None else "%.0f" % v


def main():
    global ARGS
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ingest", required=True)
    parser.add_argument("--insights", required=True)
    parser.add_argument("--proto-dir", required=True)
    ARGS, rest = parser.parse_known_args()

    def interrupted(signum, frame):
        raise KeyboardInterrupt("SIGTERM")
    signal.signal(signal.SIGTERM, interrupted)
    ARGS.ingest = os.path.abspath(ARGS.ingest)
    ARGS.insights = os.path.abspath(ARGS.insights)
    ARGS.proto_dir = os.path.abspath(ARGS.proto_dir)
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
