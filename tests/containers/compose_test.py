#!/usr/bin/python3
"""deploy/compose.yaml, run for real with podman-compose.

Starts ingest, insights and Prometheus from the compose file, with the image
built from deploy/Dockerfile (scripts/build-image.sh) and Prometheus from
Debian's package (prometheus.Containerfile). Then, from the host:
  - pushes the sample organisation and its survey rounds (orgpulse-demo, the
    client library) and a CSV file with the `orgpulse` command line, through
    the published loopback ports;
  - reads insights with the command line: a team's execution figures there
    prove insights reads ingest over compose's network with its own token;
  - checks that Prometheus, in its container, scrapes both services (its
    targets API says up, the series are there) as prometheus.yml configures;
  - runs both services' healthchecks;
  - stops everything: both services end their drain with exit code 0, and
    `down -v` leaves no container or volume of the project (nor, after the
    cleanup, its network).

What differs from a user's `docker compose up`, and why: the project name
is unique (orgpulse-test-...); published ports are ephemeral host ports on
127.0.0.1 (tests never take fixed ports); secrets are written to a temporary
directory; Prometheus' image is the Debian-built one (no registry here); the
Grafana service is left out (Grafana is not packaged by Debian). Every
command, mount, secret, healthcheck and the Prometheus configuration are the
file's own.

  compose_test.py --repo REPO --cli build/cli/orgpulse \
      --demo build/tools/orgpulse-demo [--image orgpulse:dev] [--keep]
"""

import argparse
import json
import os
import sys
import time
import urllib.parse

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from container_support import (NAME_PREFIX, Cleanups, Podman, TestFailure,  # noqa: E402
                               cli_json, http_get, log, loopback_compose,
                               make_respondent_key,
                               make_tokens, run, temp_dir, use_built_image,
                               wait_until)

PROMETHEUS_IMAGE = "localhost/orgpulse-test-prometheus:2.42"
SERVICES = ("ingest", "insights", "prometheus")


def test_copy(compose, deploy_dir, secrets_dir, image):
    """The compose file as this test runs it (see the module comment)."""
    compose = loopback_compose(compose, deploy_dir, secrets_dir,
                               PROMETHEUS_IMAGE)
    for name in ("ingest", "insights"):
        use_built_image(compose["services"], name, image)
    return compose


class Compose:
    def __init__(self, podman, project, file):
        self.podman = podman
        self.project = project
        self.file = file

    def __call__(self, *args, check=True):
        return self.podman.run("-p", self.project, "-f", self.file, *args,
                               check=check, program="podman-compose")

    def container(self, service):
        found = self.podman.json(
            "ps", "-a", "--format", "json",
            "--filter", f"label=io.podman.compose.project={self.project}",
            "--filter", f"label=com.docker.compose.service={service}")
        if len(found) != 1:
            raise TestFailure(f"{len(found)} containers for {service}")
        return found[0]["Names"][0]

    def host_port(self, service, port):
        out = self.podman.run("port", self.container(service),
                              f"{port}/tcp").stdout.strip()
        return int(out.rpartition(":")[2])

    def leftovers(self):
        label = f"label=io.podman.compose.project={self.project}"
        found = {
            "container": self.podman.run("ps", "-a", "-q", "--filter", label),
            "volume": self.podman.run("volume", "ls", "-q", "--filter", label),
            "network": self.podman.run("network", "ls", "-q", "--filter",
                                       label),
        }
        return {k: v.stdout.split() for k, v in found.items()
                if v.stdout.split()}

    def purge(self):
        """After a failure: `down -v` races containers that restart."""
        self("down", "-v", check=False)
        left = self.leftovers()
        for kind, ids in left.items():
            rm = ["rm", "-f"] if kind == "container" else [kind, "rm", "-f"]
            self.podman.run(*rm, *ids, check=False)

    def dump_logs(self):
        for service in SERVICES:
            try:
                name = self.container(service)
                logs = self.podman.run("logs", "--tail", "30", name,
                                       check=False)
                log(f"--- {service} ({name}):\n{logs.stdout}{logs.stderr}")
            except TestFailure as e:
                log(f"--- {service}: {e}")


def prometheus_targets(port):
    _, body = http_get(f"http://127.0.0.1:{port}/api/v1/targets")
    return {t["labels"]["job"]: t
            for t in json.loads(body)["data"]["activeTargets"]}


def prometheus_query(port, query):
    _, body = http_get(f"http://127.0.0.1:{port}/api/v1/query?" +
                       urllib.parse.urlencode({"query": query}))
    return json.loads(body)["data"]["result"]


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
    podman.require_image(args.image)
    podman.require_image(PROMETHEUS_IMAGE)

    cleanups = Cleanups()
    started = time.monotonic()
    compose = None
    try:
        work = temp_dir(cleanups, "compose")
        secrets = os.path.join(work, "secrets")
        os.mkdir(secrets)
        _, _, me_token = make_tokens(args.cli, secrets)
        make_respondent_key(os.path.join(secrets, "respondent.key"))
        with open(os.path.join(deploy_dir, "compose.yaml")) as f:
            config = test_copy(yaml.safe_load(f), deploy_dir, secrets,
                               args.image)
        project = f"{NAME_PREFIX}compose-{os.getpid()}"
        config["name"] = project
        file = os.path.join(work, "compose.yaml")
        with open(file, "w") as f:
            yaml.safe_dump(config, f)

        compose = Compose(podman, project, file)
        if not args.keep:
            cleanups.add("compose down", compose.purge)
        compose("up", "-d", *SERVICES)
        ingest = f"127.0.0.1:{compose.host_port('ingest', 50051)}"
        insights = f"127.0.0.1:{compose.host_port('insights', 50052)}"
        prometheus = compose.host_port("prometheus", 9090)
        log(f"{project}: ingest {ingest}, insights {insights}, "
            f"prometheus 127.0.0.1:{prometheus}")

        env = dict(os.environ, ORGPULSE_INGEST=ingest,
                   ORGPULSE_INSIGHTS=insights, ORGPULSE_TOKEN_FILE=me_token)
        # The command line retries while a service is starting (UNAVAILABLE,
        # for up to --retry-for, 60 s): this is the wait for ingest.
        run([args.cli, "teams"], env=env)
        demo = run([args.demo, f"--ingest={ingest}", f"--insights={insights}",
                    f"--token_file={me_token}"])
        log(demo.stdout.splitlines()[0])
        pushed = cli_json(args.cli, [
            "push", "--no-progress",
            os.path.join(repo, "tests/integration/cli/data/events.csv")],
            env=env)
        if pushed["files"][0]["outcome"] != "pushed":
            raise TestFailure(f"orgpulse push: {pushed}")

        teams = {t["team"] for t in cli_json(args.cli, ["teams"],
                                             env=env).get("teams", [])}
        for team in ("eng/payments", "ops/support"):
            if team not in teams:
                raise TestFailure(f"ingest lists no {team}: {sorted(teams)}")

        # insights refreshes ingest's figures every 15 s (its default).
        def payments_joined():
            answer = cli_json(args.cli, ["insights", "eng/payments"], env=env)
            team = answer.get("teams", [{}])[0]
            if not (team.get("has_execution_score") and
                    team.get("has_people_score")):
                raise TestFailure(f"not yet: {answer}")
            return True
        wait_until("insights to join eng/payments' execution and survey "
                   "figures", payments_joined, 60)
        team = cli_json(args.cli, ["insights", "eng/payments"],
                        env=env)["teams"][0]
        log(f"insights eng/payments: quadrant {team.get('quadrant')}, "
            f"execution {team['execution_score']:.0f}, "
            f"people {team['people_score']:.0f}")

        # Prometheus scrapes every 15 s (prometheus.yml).
        def both_up():
            targets = prometheus_targets(prometheus)
            return all(targets.get(job, {}).get("health") == "up"
                       for job in ("orgpulse-ingest", "orgpulse-insights"))
        wait_until("Prometheus to scrape both services", both_up, 60)
        targets = prometheus_targets(prometheus)
        expected = {"orgpulse-ingest": "http://ingest:9464/metrics",
                    "orgpulse-insights": "http://insights:9465/metrics"}
        for job, url in expected.items():
            if targets[job]["scrapeUrl"] != url:
                raise TestFailure(f"{job} scraped at {targets[job]['scrapeUrl']}")
        wait_until("the sample organisation's series in Prometheus",
                   lambda: prometheus_query(
                       prometheus,
                       'orgpulse_team_events{job="orgpulse-ingest"}'), 30)
        wait_until("insights' view of ingest in Prometheus",
                   lambda: [r for r in prometheus_query(
                       prometheus, 'orgpulse_ingest_up{job="orgpulse-insights"}')
                       if r["value"][1] == "1"], 30)

        for service in ("ingest", "insights"):
            check = podman.run("healthcheck", "run",
                               compose.container(service), check=False)
            if check.returncode != 0:
                raise TestFailure(f"{service}'s healthcheck failed: "
                                  f"{check.stdout}{check.stderr}")

        if args.keep:
            log(f"left running: podman-compose -p {project} -f {file} down -v")
            return 0
        compose("stop")
        for service in ("ingest", "insights"):
            state = podman.json("inspect", compose.container(service))[0]
            code = state["State"]["ExitCode"]
            if code != 0:
                raise TestFailure(f"{service} exited {code} on stop, not 0")
        compose("down", "-v")
        left = compose.leftovers()
        # podman-compose 1.0 (Debian 12's) does not remove the project's
        # network on `down`; docker compose does. Removed by the cleanup.
        left.pop("network", None)
        if left:
            raise TestFailure(f"left after down -v: {left}")
        log(f"compose test passed in {time.monotonic() - started:.0f} s")
        return 0
    except TestFailure as e:
        if compose is not None:
            compose.dump_logs()
        log(f"FAIL: {e}")
        return 1
    finally:
        cleanups.run()


if __name__ == "__main__":
    sys.exit(main())
