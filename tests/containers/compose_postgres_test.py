#!/usr/bin/python3
"""deploy/compose-postgres.yaml, run for real with podman-compose.

Starts PostgreSQL (deploy/postgres/Containerfile's image), two replicas of
ingest and two of insights on it, and Prometheus, from the compose file,
with the image built from deploy/Dockerfile. Then, from the host:
  - every replica reports gRPC health SERVING, and its healthcheck (the
    caught-up flag on /metrics) passes, and so does the readiness probe of
    deploy/k8s/postgres/ (the same image and ports) run inside it;
  - the sample organisation and its survey rounds (orgpulse-demo) and a CSV
    file (`orgpulse push`) go through the FIRST ingest and insights
    replicas; the SECOND ones serve them: the same teams and the same
    figures of a team from both ingest replicas, and insights' joined view
    of a team (its survey responses came through the other replica; its
    execution figures from ingest, reached by the service name);
  - Prometheus scrapes all four replicas (two targets up per job, found by
    the service names);
  - stop: every service replica ends its drain with exit code 0; started
    again, each is SERVING only with the stored figures folded (readiness
    means caught up);
  - PostgreSQL stopped: every replica turns NOT_SERVING and its healthcheck
    and the Kubernetes readiness probe fail; started again: SERVING and
    passing, by themselves;
  - `down -v` leaves no container or volume of the project.

What differs from a user's `docker compose up`, and why: the project name
is unique; secrets are in a temporary directory; Prometheus' image is the
Debian-built one and Grafana is left out (no registry here, as in
compose_test.py); PostgreSQL is started first and awaited (podman-compose
1.0 ignores `condition: service_healthy`; without the wait a replica that
starts first exits and is restarted by its restart policy).

  compose_postgres_test.py --repo REPO --cli build/cli/orgpulse \
      --demo build/tools/orgpulse-demo [--image localhost/orgpulse:dev]
"""

import argparse
import json
import os
import sys
import time

import grpc
import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compose_test import Compose  # noqa: E402
from container_support import (NAME_PREFIX, Cleanups, Podman, TestFailure,  # noqa: E402
                               cli_json, http_get, log, loopback_compose,
                               make_respondent_key,
                               make_tokens, run, temp_dir, use_built_image,
                               wait_until)

PROMETHEUS_IMAGE = "localhost/orgpulse-test-prometheus:2.42"
POSTGRES_IMAGE = "localhost/orgpulse-postgres:15"
SERVICES = ("postgres", "ingest", "insights", "prometheus")
REPLICATED = {"ingest": 50051, "insights": 50052}  # service: gRPC port


def test_copy(compose, deploy_dir, secrets_dir, image):
    """The compose file as this test runs it (see the module comment)."""
    compose = loopback_compose(compose, deploy_dir, secrets_dir,
                               PROMETHEUS_IMAGE)
    services = compose["services"]
    services["postgres"]["image"] = POSTGRES_IMAGE
    services["postgres"].pop("build")
    for name in REPLICATED:
        use_built_image(services, name, image)
    return compose


def health(address):
    """grpc.health.v1 Check of the whole server ("" service): the raw
    HealthCheckResponse decoded by hand (field 1, a varint: 1 SERVING,
    2 NOT_SERVING); the health service needs no token."""
    with grpc.insecure_channel(address) as channel:
        check = channel.unary_unary("/grpc.health.v1.Health/Check")
        answer = check(b"", timeout=5)
    if answer[:1] != b"\x08" or len(answer) != 2:
        raise TestFailure(f"unexpected health answer {answer!r} from {address}")
    return {1: "SERVING", 2: "NOT_SERVING"}.get(answer[1], f"status {answer[1]}")


class Replicas:
    def __init__(self, podman, compose):
        self.podman = podman
        self.compose = compose

    def containers(self, service):
        found = self.podman.json(
            "ps", "-a", "--format", "json",
            "--filter", f"label=io.podman.compose.project={self.compose.project}",
            "--filter", f"label=com.docker.compose.service={service}")
        return sorted(c["Names"][0] for c in found)

    def addresses(self, service):
        """127.0.0.1:PORT of each replica, in container-number order."""
        out = []
        for name in self.containers(service):
            port = self.podman.run("port", name, f"{REPLICATED[service]}/tcp").stdout
            out.append(f"127.0.0.1:{port.strip().rpartition(':')[2]}")
        return out

    def healthcheck(self, name):
        return self.podman.run("healthcheck", "run", name,
                               check=False).returncode == 0


def kube_readiness(repo):
    """{compose service: the exec readiness probe of its Deployment in
    deploy/k8s/postgres/}: the same image and metrics ports, so the command
    runs as the kubelet would run it, inside a replica here."""
    probes = {}
    for service in REPLICATED:
        with open(os.path.join(repo, "deploy", "k8s", "postgres",
                               f"{service}.yaml")) as f:
            for doc in yaml.safe_load_all(f):
                if doc and doc["kind"] == "Deployment":
                    (c,) = doc["spec"]["template"]["spec"]["containers"]
                    probes[service] = c["readinessProbe"]["exec"]["command"]
    return probes


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repo", required=True)
    parser.add_argument("--cli", required=True)
    parser.add_argument("--demo", required=True)
    parser.add_argument("--image", default="localhost/orgpulse:dev")
    parser.add_argument("--keep", action="store_true",
                        help="leave everything running (for debugging)")
    args = parser.parse_args()
    repo = os.path.abspath(args.repo)
    deploy_dir = os.path.join(repo, "deploy")
    podman = Podman(repo)
    for image in (args.image, POSTGRES_IMAGE, PROMETHEUS_IMAGE):
        podman.require_image(image)

    cleanups = Cleanups()
    started = time.monotonic()
    compose = None
    try:
        work = temp_dir(cleanups, "compose-postgres")
        secrets = os.path.join(work, "secrets")
        os.mkdir(secrets)
        _, _, me_token = make_tokens(args.cli, secrets)
        make_respondent_key(os.path.join(secrets, "respondent.key"))
        with open(os.path.join(secrets, "db_password"), "w") as f:
            f.write(os.urandom(18).hex() + "\n")
        os.chmod(os.path.join(secrets, "db_password"), 0o644)
        with open(os.path.join(deploy_dir, "compose-postgres.yaml")) as f:
            config = test_copy(yaml.safe_load(f), deploy_dir, secrets,
                               args.image)
        project = f"{NAME_PREFIX}compose-pg-{os.getpid()}"
        config["name"] = project
        file = os.path.join(work, "compose.yaml")
        with open(file, "w") as f:
            yaml.safe_dump(config, f)

        compose = Compose(podman, project, file)
        replicas = Replicas(podman, compose)
        if not args.keep:
            cleanups.add("compose down", compose.purge)
        compose("up", "-d", "postgres")
        (pg,) = replicas.containers("postgres")
        wait_until("PostgreSQL's healthcheck (first start: initdb, the role)",
                   lambda: replicas.healthcheck(pg), 120)
        compose("up", "-d", *SERVICES)

        ingest = replicas.addresses("ingest")
        insights = replicas.addresses("insights")
        if len(ingest) != 2 or len(insights) != 2:
            raise TestFailure(f"replicas: ingest {ingest}, insights {insights}")
        log(f"{project}: ingest {ingest}, insights {insights}")
        containers = replicas.containers("ingest") + replicas.containers("insights")

        def all_serving():
            states = {a: health(a) for a in ingest + insights}
            return all(s == "SERVING" for s in states.values()) or \
                log(f"health: {states}")
        wait_until("every replica SERVING", all_serving, 120, interval_s=1)
        probes = kube_readiness(repo)

        def ready_everywhere(expected):
            """Each replica's healthcheck, and the Kubernetes readiness probe
            of its service run in it, give `expected`."""
            for service in REPLICATED:
                for name in replicas.containers(service):
                    if replicas.healthcheck(name) != expected:
                        return f"{name}'s healthcheck"
                    probe = podman.run("exec", name, *probes[service],
                                       check=False)
                    if (probe.returncode == 0) != expected:
                        return f"the Kubernetes readiness probe in {name}"
            return None

        if (wrong := ready_everywhere(True)) is not None:
            raise TestFailure(f"{wrong} fails while SERVING")

        # Everything goes in through the first replicas ...
        env1 = dict(os.environ, ORGPULSE_INGEST=ingest[0],
                    ORGPULSE_INSIGHTS=insights[0], ORGPULSE_TOKEN_FILE=me_token)
        env2 = dict(env1, ORGPULSE_INGEST=ingest[1],
                    ORGPULSE_INSIGHTS=insights[1])
        demo = run([args.demo, f"--ingest={ingest[0]}",
                    f"--insights={insights[0]}", f"--token_file={me_token}"])
        log(demo.stdout.splitlines()[0])
        pushed = cli_json(args.cli, [
            "push", "--no-progress",
            os.path.join(repo, "tests/integration/cli/data/events.csv")],
            env=env1)
        if pushed["files"][0]["outcome"] != "pushed":
            raise TestFailure(f"orgpulse push: {pushed}")

        # ... and comes out of the second ones.
        def teams(env):
            return sorted(t["team"] for t in
                          cli_json(args.cli, ["teams"], env=env).get("teams", []))
        first = teams(env1)
        for team in ("eng/payments", "ops/support"):
            if team not in first:
                raise TestFailure(f"ingest lists no {team}: {first}")

        def stored_figures(env):
            """A team's figures that do not move with the clock (planned
            value, forecasts and `as_of` do, between two calls)."""
            f = cli_json(args.cli, ["execution", "ops/support"], env=env)
            return (f["events"], f["tasks"]["open"], f["tasks"]["completed"],
                    f["budget"]["earned_value"], f["budget"]["actual_cost"],
                    f["procedures"])

        def same_on_both():
            if teams(env2) != first:
                return False
            a, b = stored_figures(env1), stored_figures(env2)
            return a == b or log(f"replicas differ:\n{a}\n{b}")
        wait_until("the second ingest replica to serve the same teams and "
                   "figures", same_on_both, 30)

        def payments_joined():
            answer = cli_json(args.cli, ["insights", "eng/payments"], env=env2)
            team = answer.get("teams", [{}])[0]
            if not (team.get("has_execution_score") and
                    team.get("has_people_score")):
                raise TestFailure(f"not yet: {answer}")
            return team
        # insights refreshes ingest's figures every 15 s (its default).
        team = wait_until("the second insights replica to join eng/payments' "
                          "execution and survey figures", payments_joined, 60)
        log(f"insights (2nd replica) eng/payments: quadrant "
            f"{team.get('quadrant')}, execution {team['execution_score']:.0f},"
            f" people {team['people_score']:.0f}")
        one = cli_json(args.cli, ["insights"], env=env1)
        two = cli_json(args.cli, ["insights"], env=env2)
        if [t.get("people_score") for t in one.get("teams", [])] != \
                [t.get("people_score") for t in two.get("teams", [])]:
            raise TestFailure(f"insights replicas differ:\n{one}\n{two}")

        # Prometheus scrapes every 15 s; DNS discovery refreshes as often.
        def four_up():
            targets = prometheus_targets_all(compose.host_port("prometheus", 9090))
            ups = {job: sorted(t["scrapeUrl"] for t in ts if t["health"] == "up")
                   for job, ts in targets.items()}
            return (len(ups.get("orgpulse-ingest", [])) == 2 and
                    len(ups.get("orgpulse-insights", [])) == 2) and ups
        ups = wait_until("Prometheus to scrape all four replicas", four_up, 90)
        log(f"Prometheus targets up: {ups}")

        # SIGTERM ends every replica's drain with exit code 0 within the
        # file's stop_grace_period (-t: podman-compose 1.0 ignores it); then
        # started again, each folds the whole log before it is ready.
        grace = str(int(config["services"]["ingest"]["stop_grace_period"][:-1]))
        stop_begun = time.monotonic()
        compose("stop", "-t", grace, "ingest", "insights")
        log(f"replicas stopped in {time.monotonic() - stop_begun:.1f} s")
        for name in containers:
            code = podman.json("inspect", name)[0]["State"]["ExitCode"]
            if code != 0:
                logs = podman.run("logs", "--tail", "10", name, check=False)
                raise TestFailure(f"{name} exited {code} on stop, not 0:\n"
                                  f"{logs.stdout}{logs.stderr}")
        compose("start", "ingest", "insights")
        ingest = replicas.addresses("ingest")  # new host ports
        insights = replicas.addresses("insights")
        env1.update(ORGPULSE_INGEST=ingest[0], ORGPULSE_INSIGHTS=insights[0])
        env2.update(ORGPULSE_INGEST=ingest[1], ORGPULSE_INSIGHTS=insights[1])
        wait_until("every replica SERVING after a restart", all_serving, 120,
                   interval_s=1)
        # SERVING means caught up: the figures are there at once.
        if teams(env1) != first or teams(env2) != first or \
                stored_figures(env1) != stored_figures(env2):
            raise TestFailure("a restarted replica reports SERVING before "
                              "serving the stored figures")

        # Readiness follows the database.
        podman.run("stop", pg)

        def none_serving():
            states = {a: health(a) for a in ingest + insights}
            return all(s == "NOT_SERVING" for s in states.values())
        wait_until("every replica NOT_SERVING with PostgreSQL stopped",
                   none_serving, 30)
        if (wrong := ready_everywhere(False)) is not None:
            raise TestFailure(f"{wrong} passes while NOT_SERVING")
        podman.run("start", pg)
        wait_until("every replica SERVING again by itself", all_serving, 60,
                   interval_s=1)
        if (wrong := ready_everywhere(True)) is not None:
            raise TestFailure(f"{wrong} fails after the database came back")

        if args.keep:
            log(f"left running: podman-compose -p {project} -f {file} down -v")
            return 0
        compose("down", "-v")
        left = compose.leftovers()
        left.pop("network", None)  # podman-compose 1.0: see compose_test.py
        if left:
            raise TestFailure(f"left after down -v: {left}")
        log(f"compose PostgreSQL test passed in "
            f"{time.monotonic() - started:.0f} s")
        return 0
    except TestFailure as e:
        if compose is not None:
            for service in SERVICES:
                for name in Replicas(podman, compose).containers(service):
                    logs = podman.run("logs", "--tail", "30", name, check=False)
                    log(f"--- {name}:\n{logs.stdout}{logs.stderr}")
        log(f"FAIL: {e}")
        return 1
    finally:
        cleanups.run()


def prometheus_targets_all(port):
    """{job: [active targets]} (compose_test's prometheus_targets keeps one
    per job)."""
    _, body = http_get(f"http://127.0.0.1:{port}/api/v1/targets")
    jobs = {}
    for t in json.loads(body)["data"]["activeTargets"]:
        jobs.setdefault(t["labels"]["job"], []).append(t)
    return jobs


if __name__ == "__main__":
    sys.exit(main())
