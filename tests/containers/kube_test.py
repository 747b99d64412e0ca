#!/usr/bin/python3
"""deploy/k8s/, run for real with `podman kube play`.

Creates the Secrets deploy/README.md lists (a throwaway CA and certificates,
tokens from the host's `orgpulse token new`, a respondent key) as podman
secrets, plays ingest.yaml and insights.yaml (PersistentVolumeClaim,
Deployment, Service) with the image built from deploy/Dockerfile, and checks:
  - both pods start, and their startup, readiness and liveness probes pass,
    run as the kubelet runs them (from outside the pod, at the pod's IP);
  - the host's `orgpulse` pushes a CSV file to ingest and reads it back from
    insights, over TLS with tokens; insights' figures for the team prove it
    reached ingest over TLS (verified with ca.crt) with its own token;
  - ingest killed (SIGKILL) is restarted by its restart policy with its
    data, and ingest's pod removed and played again finds its data on the
    volume (the PersistentVolumeClaim).

What podman kube play (4.3, Debian 12) does not do, and what stands in:
  - Kustomization and Namespace: not podman kinds. The test applies what
    kustomization.yaml sets (the image tag) itself; podman has no
    namespaces.
  - Service: ignored, so `orgpulse-ingest` resolves to nothing. The insights
    pod gets a hostAliases entry naming ingest's pod IP instead.
  - Probes: podman turns livenessProbe into a healthcheck that runs curl
    inside the container (not in the image) and ignores the startup and
    readiness probes; the test runs all three as the kubelet would.
  - Secret volumes: without `optional` podman 4.3 crashes (containers/podman
    issue 16636), hence `optional: false` in the manifests; it writes a
    Secret's `data` undecoded (issue 16625), so the test creates the podman
    secrets with the contents themselves; it ignores `items` and
    `defaultMode` (every key is mounted, mode 0644), and fills a volume
    once, so a changed Secret is not seen.
Names are prefixed with orgpulse-test-<pid>- (pods, volumes, secrets, the
network), so nothing else on the machine is touched.

  kube_test.py --repo REPO --cli build/cli/orgpulse [--image orgpulse:dev]
"""

import argparse
import json
import os
import signal
import socket
import sys
import time

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from container_support import (NAME_PREFIX, Cleanups, Podman, TestFailure,  # noqa: E402
                               cli_json, http_get, log, make_respondent_key,
                               make_tokens, make_tls, temp_dir,
                               wait_until)


class Names:
    """orgpulse-X -> orgpulse-test-<pid>-X for everything podman creates."""

    def __init__(self):
        self.prefix = f"{NAME_PREFIX}{os.getpid()}-"

    def __call__(self, name):
        return self.prefix + name.removeprefix("orgpulse-")


def load_manifests(k8s_dir):
    with open(os.path.join(k8s_dir, "kustomization.yaml")) as f:
        kustomization = yaml.safe_load(f)
    docs = []
    for resource in kustomization["resources"]:
        with open(os.path.join(k8s_dir, resource)) as f:
            docs += [d for d in yaml.safe_load_all(f) if d]
    return kustomization, docs


def kustomized_image(kustomization, name):
    for image in kustomization.get("images", []):
        if image["name"] == name:
            return f"{image.get('newName', name)}:{image.get('newTag', 'latest')}"
    return name


def test_copy(docs, names, image_for, extra_hosts=None):
    """The Deployments and claims, renamed, with kustomize's image set."""
    out = []
    for doc in docs:
        if doc["kind"] == "PersistentVolumeClaim":
            doc["metadata"]["name"] = names(doc["metadata"]["name"])
            out.append(doc)
        elif doc["kind"] == "Deployment":
            doc["metadata"]["name"] = names(doc["metadata"]["name"])
            spec = doc["spec"]["template"]["spec"]
            for container in spec["containers"]:
                container["image"] = image_for(container["image"])
            for volume in spec["volumes"]:
                if "persistentVolumeClaim" in volume:
                    claim = volume["persistentVolumeClaim"]
                    claim["claimName"] = names(claim["claimName"])
                if "secret" in volume:
                    volume["secret"]["secretName"] = names(
                        volume["secret"]["secretName"])
            if extra_hosts:
                spec["hostAliases"] = [{"ip": ip, "hostnames": [host]}
                                       for host, ip in extra_hosts.items()]
            out.append(doc)
    return out


def secret_doc(name, files):
    """A Secret as podman 4.3 reads it for a volume: it writes each `data`
    value to its file without decoding it (containers/podman issue 16625),
    so the values here are the files' contents, not their base64."""
    return {"apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": name},
            "data": {key: open(path).read() for key, path in files.items()}}


def write_yaml(path, docs):
    with open(path, "w") as f:
        yaml.safe_dump_all(docs, f)
    return path


class Pod:
    def __init__(self, podman, deployment, network):
        self.podman = podman
        self.deployment = deployment
        self.network = network
        self.name = deployment["metadata"]["name"] + "-pod-0"
        self.container = deployment["spec"]["template"]["spec"]["containers"][0]
        self.container_name = f"{self.name}-{self.container['name']}"

    def inspect(self):
        return self.podman.json("inspect", self.container_name)[0]

    def ip(self):
        infra = self.podman.json("pod", "inspect", self.name)["InfraContainerID"]
        networks = self.podman.json("inspect", infra)[0]["NetworkSettings"]["Networks"]
        return networks[self.network]["IPAddress"]

    def netns(self):
        """Runs a host command in the pod's network namespace, where the
        pod's ports are on localhost."""
        infra = self.podman.json("pod", "inspect", self.name)["InfraContainerID"]
        pid = self.podman.json("inspect", infra)[0]["State"]["Pid"]
        return ["nsenter", f"--net=/proc/{pid}/ns/net", "--"]

    def port(self, ref):
        for p in self.container["ports"]:
            if ref in (p.get("name"), p["containerPort"]):
                return p["containerPort"]
        raise TestFailure(f"{self.name}: no port {ref}")

    def probe(self, kind):
        """One run of the container's probe, as the kubelet runs it."""
        spec = self.container[kind]
        ip = self.ip()
        if "tcpSocket" in spec:
            port = self.port(spec["tcpSocket"]["port"])
            with socket.create_connection((ip, port), timeout=2):
                return True
        if "httpGet" in spec:
            get = spec["httpGet"]
            status, _ = http_get(
                f"http://{ip}:{self.port(get['port'])}{get.get('path', '/')}",
                timeout_s=spec.get("timeoutSeconds", 1))
            return 200 <= status < 400
        raise TestFailure(f"{self.name}: {kind} of an unknown kind: {spec}")

    def wait_probes(self):
        """Startup first (within its failureThreshold x periodSeconds, as
        Kubernetes allows), then readiness and liveness."""
        startup = self.container["startupProbe"]
        budget = startup["periodSeconds"] * startup["failureThreshold"]
        wait_until(f"{self.name}'s startup probe",
                   lambda: self.probe("startupProbe"), budget)
        for kind in ("readinessProbe", "livenessProbe"):
            if not self.probe(kind):
                raise TestFailure(f"{self.name}: {kind} failed")

    def logs(self):
        out = self.podman.run("logs", "--tail", "30", self.container_name,
                              check=False)
        return out.stdout + out.stderr


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repo", required=True)
    parser.add_argument("--cli", required=True)
    parser.add_argument("--image", default="localhost/orgpulse:dev")
    args = parser.parse_args()
    repo = os.path.abspath(args.repo)
    podman = Podman(repo)
    podman.require_image(args.image)
    kustomization, docs = load_manifests(os.path.join(repo, "deploy", "k8s"))

    def image_for(name):
        image = kustomized_image(kustomization, name)
        if image != "orgpulse:dev":
            raise TestFailure(f"kustomization sets {image}, not orgpulse:dev")
        return args.image

    names = Names()
    cleanups = Cleanups()
    pods = []
    started = time.monotonic()
    try:
        work = temp_dir(cleanups, "kube")
        # localhost too: the host's command line reaches each pod from
        # inside its network namespace.
        tls = os.path.join(work, "tls")
        os.mkdir(tls)
        make_tls(tls, extra_names=["localhost"])
        tokens, insights_token, me_token = make_tokens(args.cli, work)
        respondent_key = os.path.join(work, "respondent.key")
        make_respondent_key(respondent_key)

        # The Secrets of deploy/README.md, as podman secrets.
        secrets = {
            "orgpulse-respondent-key": {"respondent.key": respondent_key},
            "orgpulse-tokens": {"tokens": tokens},
            "orgpulse-insights-ingest-token": {"token": insights_token},
        }
        for svc in ("ingest", "insights"):
            secrets[f"orgpulse-{svc}-tls"] = {
                "tls.crt": f"{tls}/{svc}.crt", "tls.key": f"{tls}/{svc}.key",
                "ca.crt": f"{tls}/ca.crt"}
        # podman keeps each secret volume as a named volume of the secret's
        # name, filled once: remove those too.
        for n, files in secrets.items():
            cleanups.add(f"secret {names(n)}", lambda n=n: (
                podman.run("secret", "rm", names(n), check=False),
                podman.run("volume", "rm", "-f", names(n), check=False)))
            podman.run("secret", "create", names(n), write_yaml(
                os.path.join(work, f"{n}.yaml"), [secret_doc(names(n), files)]))

        network = names("orgpulse-net")
        podman.run("network", "create", network)
        cleanups.add("network", lambda: podman.run("network", "rm", "-f",
                                                   network, check=False))

        def play(docs, what):
            path = write_yaml(os.path.join(work, f"{what}.yaml"), docs)
            podman.run("kube", "play", "--network", network, path)
            return path

        def remove(pod, claims):
            podman.run("pod", "rm", "-f", pod.name, check=False)
            for claim in claims:
                podman.run("volume", "rm", "-f", claim, check=False)

        def by_service(svc):
            return [d for d in docs
                    if d["metadata"].get("labels", {}).get(
                        "app.kubernetes.io/name") == f"orgpulse-{svc}"]

        # ingest, then insights with ingest's address standing in for the
        # Service (see the module comment).
        ingest_docs = test_copy(json.loads(json.dumps(by_service("ingest"))),
                                names, image_for)
        ingest = Pod(podman, next(d for d in ingest_docs
                                  if d["kind"] == "Deployment"), network)
        ingest_claims = [d["metadata"]["name"] for d in ingest_docs
                         if d["kind"] == "PersistentVolumeClaim"]
        cleanups.add("ingest", lambda: remove(ingest, ingest_claims))
        play(ingest_docs, "ingest")
        pods.append(ingest)
        ingest.wait_probes()

        insights_docs = test_copy(
            json.loads(json.dumps(by_service("insights"))), names, image_for,
            extra_hosts={"orgpulse-ingest": ingest.ip()})
        insights = Pod(podman, next(d for d in insights_docs
                                    if d["kind"] == "Deployment"), network)
        insights_claims = [d["metadata"]["name"] for d in insights_docs
                           if d["kind"] == "PersistentVolumeClaim"]
        cleanups.add("insights", lambda: remove(insights, insights_claims))
        play(insights_docs, "insights")
        pods.append(insights)
        insights.wait_probes()
        log(f"pods up, probes pass ({time.monotonic() - started:.0f} s)")

        state = ingest.inspect()
        if state["Config"]["User"] != "10001:10001":
            raise TestFailure(f"ingest runs as {state['Config']['User']}")
        if not state["HostConfig"]["ReadonlyRootfs"]:
            raise TestFailure("ingest's root file system is writable")

        env = dict(os.environ, ORGPULSE_TOKEN_FILE=me_token,
                   ORGPULSE_CA_FILE=f"{tls}/ca.crt",
                   ORGPULSE_INGEST="localhost:50051",
                   ORGPULSE_INSIGHTS="localhost:50052")
        pushed = cli_json(args.cli, [
            "push", "--no-progress",
            os.path.join(repo, "tests/integration/cli/data/events.csv")],
            env=env, prefix=ingest.netns())
        if pushed["files"][0]["outcome"] != "pushed":
            raise TestFailure(f"orgpulse push: {pushed}")

        def teams():
            answer = cli_json(args.cli, ["teams"], env=env,
                              prefix=ingest.netns())
            return {t["team"]: t["events"] for t in answer.get("teams", [])}
        before = teams()
        if "ops/support" not in before:
            raise TestFailure(f"ingest lists no ops/support: {before}")

        # insights refreshes ingest's figures every 15 s (its default).
        def support_joined():
            answer = cli_json(args.cli, ["insights", "ops/support"], env=env,
                              prefix=insights.netns())
            team = answer.get("teams", [{}])[0]
            if not team.get("execution", {}).get("available"):
                raise TestFailure(f"not yet: {answer}")
            return True
        wait_until("insights to read ops/support's figures from ingest",
                   support_joined, 60)

        # Killed (SIGKILL from outside, as the OOM killer would; `podman
        # kill` counts as stopped by the user, which no policy restarts): the
        # restart policy (Always) brings the container back in the same
        # pod, with the data of its volume.
        state = ingest.inspect()
        restarts = state["RestartCount"]
        os.kill(state["State"]["Pid"], signal.SIGKILL)
        wait_until("ingest to be restarted",
                   lambda: ingest.inspect()["RestartCount"] > restarts and
                   ingest.inspect()["State"]["Running"], 60)
        ingest.wait_probes()
        if teams() != before:
            raise TestFailure(f"after the kill ingest has {teams()}, "
                              f"before {before}")

        # Removed and played again (as a Deployment replaces a deleted pod):
        # only the volume keeps the data.
        podman.run("pod", "rm", "-f", ingest.name)
        play([d for d in ingest_docs if d["kind"] == "Deployment"],
             "ingest-again")
        ingest.wait_probes()
        if teams() != before:
            raise TestFailure(f"after the pod was replaced ingest has "
                              f"{teams()}, before {before}")
        log(f"kube test passed in {time.monotonic() - started:.0f} s")
        return 0
    except TestFailure as e:
        for pod in pods:
            log(f"--- {pod.container_name}:\n{pod.logs()}")
        log(f"FAIL: {e}")
        return 1
    finally:
        cleanups.run()


if __name__ == "__main__":
    sys.exit(main())
