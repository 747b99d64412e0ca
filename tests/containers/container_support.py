"""What the container tests share: podman with the repository's settings,
cleanup of what a test made, tokens and certificates from the host's
command line and openssl, and polling with a deadline.

Everything a test creates is named with NAME_PREFIX and a per-run suffix, and
removed by the cleanups it registers (in reverse order), also when it fails.
"""

import base64
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request

NAME_PREFIX = "orgpulse-test-"


class TestFailure(Exception):
    pass


def log(message):
    print(message, file=sys.stderr, flush=True)


class Podman:
    """podman with scripts/podman/containers.conf (runc, cgroupfs, limits)."""

    def __init__(self, repo):
        self.env = dict(os.environ)
        self.env.setdefault(
            "CONTAINERS_CONF",
            os.path.join(repo, "scripts", "podman", "containers.conf"))

    def run(self, *args, check=True, program="podman"):
        done = subprocess.run([program, *args], env=self.env,
                              capture_output=True, text=True)
        if check and done.returncode != 0:
            raise TestFailure(
                f"{program} {' '.join(args)} exited {done.returncode}:\n"
                f"{done.stdout}{done.stderr}")
        return done

    def json(self, *args):
        return json.loads(self.run(*args).stdout or "null")

    def require_image(self, image):
        if self.run("image", "exists", image, check=False).returncode != 0:
            raise TestFailure(
                f"no image {image}: build it first (scripts/test-containers.sh "
                "does, or the containers_images CTest fixture)")


class Cleanups:
    """Runs registered cleanups in reverse order; reports, never raises."""

    def __init__(self):
        self._steps = []

    def add(self, what, fn):
        self._steps.append((what, fn))

    def run(self):
        while self._steps:
            what, fn = self._steps.pop()
            try:
                fn()
            except Exception as e:  # keep cleaning up the rest
                log(f"cleanup '{what}' failed: {e}")


def loopback_compose(compose, deploy_dir, secrets_dir, prometheus_image):
    """A deep copy of a compose file, as the compose tests run it: without
    Grafana, with the test's Prometheus image, every port published on a
    free loopback port (refusing one published beyond loopback), relative
    volumes and secrets resolved against the test's directories."""
    compose = json.loads(json.dumps(compose))  # deep copy, anchors expanded
    services = compose["services"]
    del services["grafana"]
    compose["volumes"].pop("grafana-data")
    services["prometheus"]["image"] = prometheus_image
    for name, service in services.items():
        ports = []
        for port in service.get("ports", []):
            host, _, container = port.rpartition(":")
            if not host.startswith("127.0.0.1:"):
                raise TestFailure(f"{name} publishes {port} beyond loopback")
            ports.append(f"127.0.0.1::{container}")
        service["ports"] = ports
        volumes = []
        for volume in service.get("volumes", []):
            source, _, rest = volume.partition(":")
            if source.startswith("./"):
                source = os.path.join(deploy_dir, source[2:])
            volumes.append(f"{source}:{rest}")
        service["volumes"] = volumes
    for secret in compose["secrets"].values():
        secret["file"] = os.path.join(secrets_dir,
                                      os.path.basename(secret["file"]))
    return compose


def use_built_image(services, name, image):
    """Runs service `name` on `image` (built already, by build-image.sh),
    refusing a compose file whose service is not the Dockerfile's image."""
    if services[name]["image"] != "orgpulse:dev":
        raise TestFailure(f"{name} runs {services[name]['image']}, "
                          "not the image built from deploy/Dockerfile")
    services[name]["image"] = image
    services[name].pop("build", None)


def wait_until(what, fn, timeout_s, interval_s=0.5):
    """Polls fn() until it returns a true value (returned); raises with the
    last value or error once timeout_s has passed."""
    deadline = time.monotonic() + timeout_s
    last = None
    while True:
        try:
            value = fn()
            if value:
                return value
            last = value
        except Exception as e:  # not ready yet: keep polling
            last = e
        if time.monotonic() > deadline:
            raise TestFailure(f"timed out after {timeout_s}s waiting for {what}"
                              f" (last: {last!r})")
        time.sleep(interval_s)


def http_get(url, timeout_s=5):
    with urllib.request.urlopen(url, timeout=timeout_s) as response:
        return response.status, response.read().decode()


def run(args, check=True, **kwargs):
    done = subprocess.run(args, capture_output=True, text=True, **kwargs)
    if check and done.returncode != 0:
        raise TestFailure(f"{' '.join(args)} exited {done.returncode}:\n"
                          f"{done.stdout}{done.stderr}")
    return done


def make_tokens(cli, directory):
    """As deploy/README.md: a tokens file with insights' token (ingest:read)
    and a user's (every scope). Returns (tokens file, insights token file,
    user token file)."""
    tokens = os.path.join(directory, "tokens")
    insights_token = os.path.join(directory, "insights.token")
    me_token = os.path.join(directory, "me.token")
    lines = run([cli, "token", "new", "insights", "--scopes=ingest:read",
                 f"--secret-file={insights_token}"]).stdout
    lines += run([cli, "token", "new", "me",
                  "--scopes=ingest:push,ingest:read,survey:submit,insights:read",
                  f"--secret-file={me_token}"]).stdout
    with open(tokens, "w") as f:
        f.write(lines)
    os.chmod(tokens, 0o644)
    # The services run as uid 10001 (deploy/README.md: chmod 0644).
    os.chmod(insights_token, 0o644)
    return tokens, insights_token, me_token


def make_respondent_key(path):
    with open(path, "w") as f:
        f.write(base64.b64encode(os.urandom(32)).decode() + "\n")
    os.chmod(path, 0o644)


def make_tls(directory, extra_names=()):
    """The throwaway CA and one certificate per service of deploy/README.md
    (same subject names), plus extra_names. Returns the directory."""
    def openssl(*args):
        run(["openssl", *args], cwd=directory)

    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt",
            "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
            "-subj", "/CN=orgpulse test CA", "-keyout", "ca.key",
            "-out", "ca.crt")
    for svc in ("ingest", "insights"):
        n = f"orgpulse-{svc}"
        names = [n, f"{n}.orgpulse", f"{n}.orgpulse.svc",
                 f"{n}.orgpulse.svc.cluster.local", *extra_names]
        ext = os.path.join(directory, f"{svc}.ext")
        with open(ext, "w") as f:
            f.write("subjectAltName=" + ",".join(f"DNS:{x}" for x in names) +
                    "\nextendedKeyUsage=serverAuth,clientAuth\n")
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                "-nodes", "-subj", f"/CN={n}", "-keyout", f"{svc}.key",
                "-out", f"{svc}.csr")
        openssl("x509", "-req", "-in", f"{svc}.csr", "-CA", "ca.crt",
                "-CAkey", "ca.key", "-CAcreateserial", "-days", "2",
                "-out", f"{svc}.crt", "-extfile", ext)
    return directory


def temp_dir(cleanups, name):
    path = tempfile.mkdtemp(prefix=f"{NAME_PREFIX}{name}.")
    cleanups.add(f"remove {path}",
                 lambda: subprocess.run(["rm", "-rf", path], check=False))
    return path


def cli_json(cli, args, env=None, prefix=()):
    """Runs `orgpulse ARGS --json` (optionally under `prefix`, e.g. nsenter)
    and returns the parsed answer."""
    done = run([*prefix, cli, *args, "--json"], env=env)
    return json.loads(done.stdout)
