#!/usr/bin/python3
"""Static checks of deploy/: what can be validated without Docker, Kubernetes
or Grafana (none of them runs here).

  - every YAML file parses;
  - the dashboards are exactly what deploy/grafana/generate_dashboards.py
    writes (edit the generator, then run it);
  - every alert has severity, category, summary, description and a `for:`,
    and a promtool unit test in which it fires;
  - compose.yaml: the services, the mounted paths exist, Prometheus' targets
    are the services' metrics ports, Grafana mounts the dashboards where the
    provisioning looks for them;
  - k8s/: kustomization resources exist; each Deployment's selector, Service,
    ports, probes, flags, scrape annotations and volumes agree; the
    Kubernetes Prometheus config scrapes the Services' metrics ports;
  - security wiring (docs/security.md): each service passes exactly one of
    --plaintext / the TLS pair and one of --token_file /
    --allow_unauthenticated; Kubernetes runs TLS with tokens, insights reaches
    ingest over TLS verified with ingest's CA and with its own token; every
    flag naming a file points at a mounted secret (compose: declared and
    git-ignored; Kubernetes: read-only directory mount of a Secret key that
    deploy/README.md tells how to create); no grpc probe on a TLS port;
  - the PostgreSQL mode (compose-postgres.yaml, k8s/postgres/): at least two
    replicas of each service, no volume on them, the same flags as the
    embedded mode with --postgres in place of --data_dir, no password in a
    file (PGPASSWORD from a secret), readiness that means caught up (the
    orgpulse_store_writable flag gRPC health reports, not an open port),
    Prometheus finding every replica, PostgreSQL's password from the same
    secret;
  - every flag any deploy file passes exists in that binary's --help;
  - Dockerfile: Debian 12 bases, COPY sources exist and cover the top-level
    CMakeLists' subdirectories, the build packages are among
    scripts/install-deps.sh's, the binaries (services and the orgpulse command
    line) are CMake targets and installed, the default command is secure.

Uses Debian's python3-yaml (scripts/install-deps.sh).

  /usr/bin/python3 deploy_files_test.py --repo REPO \
      --ingest build/services/ingest/orgpulse-ingest \
      --insights build/services/insights/orgpulse-insights
"""

import argparse
import fnmatch
import glob
import importlib.util
import json
import os
import re
import subprocess
import sys
import unittest

import yaml

REPO = None
BINARIES = {}  # program name -> path of the built binary


def path(*parts):
    return os.path.join(REPO, *parts)


def load_yaml(*parts):
    with open(path(*parts)) as f:
        return yaml.safe_load(f)


def load_yaml_all(*parts):
    with open(path(*parts)) as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


def flag(args, name):
    """Value of --name=VALUE in a list of arguments, or None."""
    for a in args:
        if a.startswith(f"--{name}="):
            return a.split("=", 1)[1]
    return None


def port_of(address):
    return int(address.rsplit(":", 1)[1])


def bool_flag(args, name):
    """True if --name or --name=true is among the arguments."""
    return any(a == f"--{name}" or a == f"--{name}=true" for a in args)


# The flags whose value is a file the service reads (a secret or a
# certificate): each must point at something mounted.
FILE_FLAGS = ("tls_cert_file", "tls_key_file", "tls_client_ca_file", "token_file",
              "ingest_token_file", "ingest_ca_file", "ingest_cert_file",
              "ingest_key_file", "respondent_key_file")


def file_flags(args):
    """{flag name: path} of FILE_FLAGS present in `args`."""
    return {n: flag(args, n) for n in FILE_FLAGS if flag(args, n) is not None}


def check_security_flags(tc, args):
    """Exactly one transport and one caller choice, as the services demand
    (docs/security.md). Returns (tls, tokens)."""
    plaintext = bool_flag(args, "plaintext")
    cert, key = flag(args, "tls_cert_file"), flag(args, "tls_key_file")
    tc.assertEqual(cert is None, key is None, "--tls_cert_file and --tls_key_file go together")
    tls = cert is not None
    tc.assertNotEqual(plaintext, tls, "exactly one of --plaintext and TLS")
    if plaintext:
        tc.assertIsNone(flag(args, "tls_client_ca_file"))
    tokens = flag(args, "token_file") is not None
    unauthenticated = bool_flag(args, "allow_unauthenticated")
    tc.assertNotEqual(tokens, unauthenticated,
                      "exactly one of --token_file and --allow_unauthenticated")
    if flag(args, "ingest_address") is not None:  # insights' client side
        if bool_flag(args, "ingest_plaintext"):
            for n in ("ingest_ca_file", "ingest_cert_file", "ingest_key_file"):
                tc.assertIsNone(flag(args, n), f"--ingest_plaintext excludes --{n}")
        tc.assertEqual(flag(args, "ingest_cert_file") is None,
                       flag(args, "ingest_key_file") is None)
    return tls, tokens


def gitignore_patterns():
    with open(path("deploy", ".gitignore")) as f:
        return [l.strip() for l in f if l.strip() and not l.startswith("#")]


def git_ignored(relpath, patterns):
    """Whether deploy/.gitignore ignores deploy/RELPATH (the simple patterns
    used there: names, globs, a leading / anchoring, a trailing / for
    directories)."""
    parts = os.path.normpath(relpath).split(os.sep)
    for p in patterns:
        if p.startswith("!"):
            continue
        anchored = p.startswith("/")
        p = p.strip("/")
        candidates = ([parts[0]] if anchored else parts) if "/" not in p else [relpath]
        if any(fnmatch.fnmatchcase(c, p) for c in candidates):
            return True
    return False


def readme_secrets():
    """{Secret name: set of keys} from the table of Secrets in
    deploy/README.md (rows "| `NAME` ... | `KEY`, `KEY` | ...")."""
    with open(path("deploy", "README.md")) as f:
        text = f.read()
    secrets = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and re.match(r"`orgpulse-[a-z-]+`", cells[0]):
            name = re.match(r"`([^`]+)`", cells[0]).group(1)
            secrets[name] = set(re.findall(r"`([^`]+)`", cells[1]))
    return secrets, text


class YamlFiles(unittest.TestCase):
    def test_every_yaml_file_parses(self):
        files = [f for ext in ("yml", "yaml")
                 for f in glob.glob(path("deploy", "**", f"*.{ext}"), recursive=True)]
        self.assertGreaterEqual(len(files), 10, files)
        for f in files:
            with self.subTest(file=os.path.relpath(f, REPO)):
                with open(f) as fh:
                    docs = [d for d in yaml.safe_load_all(fh) if d is not None]
                self.assertTrue(docs, "empty")


class Dashboards(unittest.TestCase):
    def test_json_files_are_the_generators_output(self):
        spec = importlib.util.spec_from_file_location(
            "generate_dashboards", path("deploy", "grafana", "generate_dashboards.py"))
        gen = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(gen)
        rendered = gen.render()
        on_disk = {os.path.basename(f) for f in
                   glob.glob(path("deploy", "grafana", "dashboards", "*.json"))}
        self.assertEqual(on_disk, set(rendered),
                         "dashboards/ and the generator disagree on the files")
        for name, text in rendered.items():
            with self.subTest(dashboard=name):
                with open(path("deploy", "grafana", "dashboards", name)) as f:
                    self.assertEqual(
                        f.read(), text,
                        f"{name} differs from the generator's output: run "
                        "/usr/bin/python3 deploy/grafana/generate_dashboards.py")

    def test_provisioning(self):
        ds = load_yaml("deploy", "grafana", "provisioning", "datasources", "orgpulse.yml")
        (source,) = ds["datasources"]
        self.assertEqual(source["type"], "prometheus")
        self.assertTrue(source["isDefault"])
        self.assertEqual(source["url"], "${PROMETHEUS_URL}")
        prov = load_yaml("deploy", "grafana", "provisioning", "dashboards", "orgpulse.yml")
        (provider,) = prov["providers"]
        self.assertEqual(provider["type"], "file")
        compose = load_yaml("deploy", "compose.yaml")
        mounts = compose["services"]["grafana"]["volumes"]
        self.assertIn(f"./grafana/dashboards:{provider['options']['path']}:ro", mounts)
        self.assertIn("./grafana/provisioning:/etc/grafana/provisioning:ro", mounts)
        self.assertEqual(compose["services"]["grafana"]["environment"]["PROMETHEUS_URL"],
                         "http://prometheus:9090")


class Rules(unittest.TestCase):
    def setUp(self):
        self.alerts = []
        for f in sorted(glob.glob(path("deploy", "prometheus", "rules", "*.yml"))):
            with open(f) as fh:
                groups = yaml.safe_load(fh)["groups"]
            for g in groups:
                self.alerts += [r for r in g["rules"] if "alert" in r]
        self.tests = []
        for f in sorted(glob.glob(path("deploy", "prometheus", "tests", "*.test.yml"))):
            with open(f) as fh:
                self.tests += yaml.safe_load(fh)["tests"]

    def test_every_alert_is_labelled_and_described(self):
        self.assertGreaterEqual(len(self.alerts), 10)
        for r in self.alerts:
            with self.subTest(alert=r["alert"]):
                self.assertIn(r["labels"]["severity"], ("info", "warning", "critical"))
                self.assertIn(r["labels"]["category"],
                              ("budget", "schedule", "delivery", "people", "sources",
                               "service", "security"))
                self.assertTrue(r["annotations"]["summary"])
                self.assertTrue(r["annotations"]["description"])
                self.assertIn("for", r)

    def test_every_alert_rule_fires_in_a_unit_test(self):
        fired = set()  # (alertname, job label of the rule or None)
        for t in self.tests:
            for a in t.get("alert_rule_test", []):
                for e in a.get("exp_alerts") or []:
                    fired.add((a["alertname"], e["exp_labels"].get("job")))
        for r in self.alerts:
            with self.subTest(alert=r["alert"], job=r["labels"].get("job")):
                if "job" in r["labels"]:
                    self.assertIn((r["alert"], r["labels"]["job"]), fired)
                else:
                    self.assertIn(r["alert"], {n for n, _ in fired})


class Compose(unittest.TestCase):
    def setUp(self):
        self.compose = load_yaml("deploy", "compose.yaml")
        self.services = self.compose["services"]

    def test_services(self):
        self.assertEqual(set(self.services), {"ingest", "insights", "prometheus", "grafana"})
        self.assertEqual(self.services["ingest"]["build"]["dockerfile"], "deploy/Dockerfile")
        self.assertTrue(os.path.isfile(path("deploy", "Dockerfile")))

    def test_mounted_paths_exist(self):
        for name, s in self.services.items():
            for v in s.get("volumes", []):
                src = v.split(":")[0]
                if src.startswith("."):
                    with self.subTest(service=name, volume=v):
                        self.assertTrue(os.path.exists(path("deploy", src)), src)
                else:
                    self.assertIn(src, self.compose["volumes"])

    def test_prometheus_scrapes_the_services_metrics_ports(self):
        prom = load_yaml("deploy", "prometheus", "prometheus.yml")
        targets = {c["job_name"]: c["static_configs"][0]["targets"]
                   for c in prom["scrape_configs"]}
        for svc, job in (("ingest", "orgpulse-ingest"), ("insights", "orgpulse-insights")):
            metrics = flag(self.services[svc]["command"], "metrics_address")
            self.assertEqual(targets[job], [f"{svc}:{port_of(metrics)}"])
        self.assertEqual(self.services["prometheus"]["volumes"][0], "./prometheus:/etc/prometheus:ro")

    def test_insights_reaches_ingest_and_reads_its_key(self):
        ingest_grpc = port_of(flag(self.services["ingest"]["command"], "grpc_address"))
        cmd = self.services["insights"]["command"]
        self.assertEqual(flag(cmd, "ingest_address"), f"ingest:{ingest_grpc}")
        self.assertEqual(flag(cmd, "respondent_key_file"), "/run/secrets/respondent_key")
        self.assertEqual(self.compose["secrets"]["respondent_key"]["file"], "./respondent.key")
        with open(path("deploy", ".gitignore")) as f:
            self.assertIn("respondent.key", f.read().split())

    def test_ports_only_on_loopback(self):
        for name, s in self.services.items():
            for p in s.get("ports", []):
                with self.subTest(service=name, port=p):
                    self.assertTrue(p.startswith("127.0.0.1:"), p)

    def test_security_flags(self):
        # Plaintext is acceptable only because every port is on loopback
        # (test_ports_only_on_loopback); callers always need a token.
        for svc in ("ingest", "insights"):
            with self.subTest(service=svc):
                cmd = self.services[svc]["command"]
                check_security_flags(self, cmd)
                self.assertIsNotNone(flag(cmd, "token_file"))
                self.assertFalse(bool_flag(cmd, "allow_unauthenticated"))

    def test_file_flags_point_at_declared_git_ignored_secrets(self):
        patterns = gitignore_patterns()
        for svc in ("ingest", "insights"):
            s = self.services[svc]
            mounted = {m if isinstance(m, str) else m.get("target", m["source"]):
                       m if isinstance(m, str) else m["source"]
                       for m in s.get("secrets", [])}
            used = set()
            for name, value in file_flags(s["command"]).items():
                with self.subTest(service=svc, flag=name):
                    self.assertEqual(os.path.dirname(value), "/run/secrets", value)
                    target = os.path.basename(value)
                    self.assertIn(target, mounted, f"{svc} does not mount the secret {target}")
                    source = mounted[target]
                    used.add(target)
                    decl = self.compose["secrets"][source]
                    self.assertTrue(git_ignored(decl["file"], patterns),
                                    f"deploy/{decl['file']} is not git-ignored")
            self.assertEqual(set(mounted), used, f"{svc} mounts secrets it does not use")

    def test_insights_reaches_ingest_like_ingest_serves(self):
        ingest = self.services["ingest"]["command"]
        insights = self.services["insights"]["command"]
        self.assertEqual(bool_flag(insights, "ingest_plaintext"), bool_flag(ingest, "plaintext"))
        if flag(ingest, "token_file") is not None:
            self.assertEqual(flag(insights, "ingest_token_file"), "/run/secrets/insights_token")

    def test_setup_commands_make_every_secret_file(self):
        # The comment at the top says how to make each git-ignored file.
        with open(path("deploy", "compose.yaml")) as f:
            header = "".join(l for l in f if l.startswith("#"))
        for name, decl in self.compose["secrets"].items():
            with self.subTest(secret=name):
                self.assertIn(f"deploy/{os.path.basename(decl['file'])}", header)
        self.assertIn("token new insights --scopes=ingest:read", header)


class Kubernetes(unittest.TestCase):
    def setUp(self):
        self.kust = load_yaml("deploy", "k8s", "kustomization.yaml")
        self.objects = []
        for r in self.kust["resources"]:
            self.assertTrue(os.path.isfile(path("deploy", "k8s", r)), r)
            self.objects += load_yaml_all("deploy", "k8s", r)
        self.by_kind = {}
        for o in self.objects:
            self.assertIn("apiVersion", o)
            self.by_kind.setdefault(o["kind"], {})[o["metadata"]["name"]] = o

    def test_every_manifest_file_is_in_the_kustomization(self):
        files = {os.path.basename(f) for f in glob.glob(path("deploy", "k8s", "*.yaml"))}
        self.assertEqual(files - {"kustomization.yaml"}, set(self.kust["resources"]))

    def test_deployments(self):
        deployments = self.by_kind["Deployment"]
        self.assertEqual(set(deployments), {"orgpulse-ingest", "orgpulse-insights"})
        for name, d in deployments.items():
            with self.subTest(deployment=name):
                spec = d["spec"]
                tpl = spec["template"]
                labels = tpl["metadata"]["labels"]
                for k, v in spec["selector"]["matchLabels"].items():
                    self.assertEqual(labels[k], v)
                self.assertEqual(spec["replicas"], 1)
                self.assertEqual(spec["strategy"]["type"], "Recreate")
                (c,) = tpl["spec"]["containers"]
                ports = {p["name"]: p["containerPort"] for p in c["ports"]}
                self.assertEqual(port_of(flag(c["args"], "grpc_address")), ports["grpc"])
                self.assertEqual(port_of(flag(c["args"], "metrics_address")), ports["metrics"])
                self.assertEqual(c["args"][0], name)
                tls, _ = check_security_flags(self, c["args"])
                for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
                    (kind,) = set(c[probe]) & {"grpc", "tcpSocket", "httpGet", "exec"}
                    if kind == "grpc":
                        # Kubernetes' grpc probes do not speak TLS.
                        self.assertFalse(tls, f"{probe}: grpc probe on a TLS port")
                    if kind != "exec":
                        port = c[probe][kind]["port"]
                        self.assertIn(port, list(ports) + list(ports.values()), probe)
                    if kind == "httpGet":
                        self.assertEqual(c[probe]["httpGet"]["path"], "/metrics")
                        self.assertIn(c[probe]["httpGet"]["port"], ("metrics", ports["metrics"]))
                # Not ready while the gRPC port is not open.
                ready = c["readinessProbe"]
                handler = ready.get("tcpSocket") or ready.get("grpc")
                self.assertIsNotNone(handler, "readiness must check the gRPC port")
                self.assertIn(handler["port"], ("grpc", ports["grpc"]))
                ann = tpl["metadata"]["annotations"]
                self.assertEqual(ann["prometheus.io/scrape"], "true")
                self.assertEqual(int(ann["prometheus.io/port"]), ports["metrics"])
                self.assertEqual(ann["prometheus.io/path"], "/metrics")
                volumes = {v["name"]: v for v in tpl["spec"]["volumes"]}
                for m in c["volumeMounts"]:
                    self.assertIn(m["name"], volumes)
                data_mount = next(m for m in c["volumeMounts"] if m["name"] == "data")
                self.assertTrue(flag(c["args"], "data_dir").startswith(data_mount["mountPath"] + "/"))
                claim = volumes["data"]["persistentVolumeClaim"]["claimName"]
                self.assertIn(claim, self.by_kind["PersistentVolumeClaim"])
                self.assertTrue(tpl["spec"]["securityContext"]["runAsNonRoot"])
                self.assertTrue(c["securityContext"]["readOnlyRootFilesystem"])
                # A Service selects the pods, with the container's named ports.
                svc = self.by_kind["Service"][name]
                for k, v in svc["spec"]["selector"].items():
                    self.assertEqual(labels[k], v)
                for p in svc["spec"]["ports"]:
                    self.assertIn(p["targetPort"], ports)
                    self.assertEqual(p["port"], ports[p["targetPort"]])

    def test_insights_reaches_ingest_and_reads_its_key(self):
        ingest = self.by_kind["Service"]["orgpulse-ingest"]
        grpc = next(p["port"] for p in ingest["spec"]["ports"] if p["name"] == "grpc")
        d = self.by_kind["Deployment"]["orgpulse-insights"]
        (c,) = d["spec"]["template"]["spec"]["containers"]
        self.assertEqual(flag(c["args"], "ingest_address"), f"orgpulse-ingest:{grpc}")
        key = flag(c["args"], "respondent_key_file")
        mount = next(m for m in c["volumeMounts"] if m["name"] == "respondent-key")
        self.assertEqual(os.path.dirname(key), mount["mountPath"])
        volume = next(v for v in d["spec"]["template"]["spec"]["volumes"]
                      if v["name"] == "respondent-key")
        self.assertEqual([i["path"] for i in volume["secret"]["items"]],
                         [os.path.basename(key)])

    def container(self, name):
        d = self.by_kind["Deployment"][name]
        (c,) = d["spec"]["template"]["spec"]["containers"]
        return d, c

    def test_tls_and_tokens_only(self):
        for name in ("orgpulse-ingest", "orgpulse-insights"):
            with self.subTest(deployment=name):
                _, c = self.container(name)
                self.assertEqual(check_security_flags(self, c["args"]), (True, True))
                self.assertFalse(bool_flag(c["args"], "plaintext"))
                self.assertFalse(bool_flag(c["args"], "allow_unauthenticated"))
        _, c = self.container("orgpulse-insights")
        self.assertFalse(bool_flag(c["args"], "ingest_plaintext"))
        self.assertIsNotNone(flag(c["args"], "ingest_ca_file"))
        self.assertIsNotNone(flag(c["args"], "ingest_token_file"))

    def secret_files(self, name):
        """{flag: (Secret name, key)} for the file flags of a Deployment,
        checking each points into a read-only directory mount of a Secret
        that projects that key."""
        d, c = self.container(name)
        volumes = {v["name"]: v for v in d["spec"]["template"]["spec"]["volumes"]}
        mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
        found = {}
        for f, value in file_flags(c["args"]).items():
            with self.subTest(deployment=name, flag=f):
                mount = mounts.get(os.path.dirname(value))
                self.assertIsNotNone(mount, f"--{f}={value} is not in a mounted directory")
                self.assertTrue(mount.get("readOnly"), f"{mount['mountPath']} is not read-only")
                # The kubelet never updates a subPath mount.
                self.assertNotIn("subPath", mount)
                secret = volumes[mount["name"]].get("secret")
                self.assertIsNotNone(secret, f"--{f} is not read from a Secret")
                items = {i["path"]: i["key"] for i in secret["items"]}
                self.assertIn(os.path.basename(value), items)
                found[f] = (secret["secretName"], items[os.path.basename(value)])
        # Every Secret mounted is read through some flag.
        for m in c["volumeMounts"]:
            if "secret" in volumes[m["name"]]:
                self.assertTrue(any(os.path.dirname(v) == m["mountPath"]
                                    for v in file_flags(c["args"]).values()),
                                f"{name} mounts {m['name']} but no flag reads it")
        return found

    def test_every_file_flag_reads_a_mounted_secret(self):
        ingest = self.secret_files("orgpulse-ingest")
        insights = self.secret_files("orgpulse-insights")
        self.assertEqual(ingest["tls_cert_file"][1], "tls.crt")
        self.assertEqual(ingest["tls_key_file"][1], "tls.key")
        # insights verifies ingest with the CA of ingest's own TLS Secret,
        # and calls it with a token of its own (not its tokens file).
        self.assertEqual(insights["ingest_ca_file"], (ingest["tls_cert_file"][0], "ca.crt"))
        self.assertNotEqual(insights["ingest_token_file"][0], insights["token_file"][0])
        self.assertNotEqual(insights["tls_cert_file"][0], ingest["tls_cert_file"][0])

    def test_the_readme_creates_every_secret(self):
        documented, text = readme_secrets()
        self.assertNotIn("Secret", self.by_kind, "Secrets are made by the operator, not shipped")
        for name in ("orgpulse-ingest", "orgpulse-insights"):
            for f, (secret, key) in self.secret_files(name).items():
                with self.subTest(deployment=name, flag=f, secret=secret):
                    self.assertIn(secret, documented, "not in deploy/README.md's table of Secrets")
                    self.assertIn(key, documented[secret])
                    created = secret in re.findall(r"create secret \S+ (\S+)", text) or (
                        re.sub(r"-(ingest|insights)-", "-$svc-", secret)
                        in re.findall(r"create secret \S+ (\S+)", text))
                    self.assertTrue(created, f"deploy/README.md never creates {secret}")

    def test_kubernetes_prometheus_config_scrapes_the_services(self):
        prom = load_yaml("deploy", "prometheus", "prometheus-kubernetes.yml")
        ns = self.kust["namespace"]
        targets = {c["job_name"]: c["static_configs"][0]["targets"]
                   for c in prom["scrape_configs"]}
        for name in ("orgpulse-ingest", "orgpulse-insights"):
            svc = self.by_kind["Service"][name]
            metrics = next(p["port"] for p in svc["spec"]["ports"] if p["name"] == "metrics")
            self.assertEqual(targets[name], [f"{name}.{ns}.svc:{metrics}"])


# ---- the PostgreSQL mode ----------------------------------------------------

def conninfo(args):
    """{keyword: value} of the libpq connection string in --postgres."""
    value = flag(args, "postgres")
    return dict(kv.split("=", 1) for kv in value.split()) if value else None


def without_storage(args):
    """The arguments minus the storage choice (--data_dir, --postgres)."""
    return [a for a in args if not a.startswith(("--data_dir=", "--postgres="))]


def reads_caught_up_flag(tc, command, metrics_port):
    """A readiness check (a shell line) that fetches /metrics on the
    service's own metrics port and requires orgpulse_store_writable 1: the
    flag gRPC health reports (SERVING once caught up and writable)."""
    tc.assertIn(f"/dev/tcp/127.0.0.1/{metrics_port}", command)
    tc.assertIn("GET /metrics", command)
    tc.assertRegex(command, r"grep -q ['\"]\^orgpulse_store_writable 1['\"]")


class PostgresCompose(unittest.TestCase):
    def setUp(self):
        self.compose = load_yaml("deploy", "compose-postgres.yaml")
        self.services = self.compose["services"]
        self.embedded = load_yaml("deploy", "compose.yaml")["services"]

    def test_services(self):
        self.assertEqual(set(self.services),
                         {"postgres", "ingest", "insights", "prometheus", "grafana"})
        self.assertEqual(self.services["ingest"]["build"]["dockerfile"], "deploy/Dockerfile")
        pg = self.services["postgres"]["build"]
        self.assertTrue(os.path.isfile(path("deploy", pg["context"], pg["dockerfile"])))
        self.assertEqual(self.services["ingest"]["image"], self.embedded["ingest"]["image"])
        self.assertEqual(self.services["insights"]["image"], self.embedded["ingest"]["image"])

    def test_at_least_two_replicas_of_each_service_without_volumes(self):
        for svc in ("ingest", "insights"):
            with self.subTest(service=svc):
                s = self.services[svc]
                self.assertGreaterEqual(s["deploy"]["replicas"], 2)
                self.assertNotIn("volumes", s)
                self.assertIsNone(flag(s["command"], "data_dir"))
                # One fixed host port cannot serve two replicas.
                for p in s["ports"]:
                    self.assertRegex(p, r"^127\.0\.0\.1::\d+$")

    def test_same_flags_as_the_embedded_mode_but_the_store(self):
        for svc in ("ingest", "insights"):
            with self.subTest(service=svc):
                self.assertEqual(without_storage(self.services[svc]["command"]),
                                 without_storage(self.embedded[svc]["command"]))
                self.assertEqual(conninfo(self.services[svc]["command"]),
                                 {"host": "postgres", "dbname": "orgpulse", "user": "orgpulse"})

    def test_the_password_comes_from_the_secret_postgres_reads(self):
        pg = self.services["postgres"]
        password_file = pg["environment"]["ORGPULSE_DB_PASSWORD_FILE"]
        self.assertEqual(password_file, "/run/secrets/db_password")
        self.assertIn("db_password", pg["secrets"])
        self.assertTrue(git_ignored(self.compose["secrets"]["db_password"]["file"],
                                    gitignore_patterns()))
        with open(path("deploy", "postgres", "entrypoint.sh")) as f:
            self.assertIn("ORGPULSE_DB_PASSWORD_FILE", f.read())
        for svc in ("ingest", "insights"):
            with self.subTest(service=svc):
                s = self.services[svc]
                self.assertIn("db_password", s["secrets"])
                self.assertNotIn("environment", s)
                self.assertNotIn("password", conninfo(s["command"]))
                bash, dash_c, script, argv0 = s["entrypoint"]
                self.assertEqual((bash, dash_c), ("bash", "-c"))
                # Compose turns $$ into $: PGPASSWORD from the secret, then
                # the command (exec: the service stays PID 1, for signals).
                self.assertIn("PGPASSWORD=$$(head -n 1 /run/secrets/db_password)", script)
                self.assertIn("export PGPASSWORD", script)
                self.assertTrue(script.endswith('exec "$$@"'), script)

    def test_security_flags_and_secrets(self):
        patterns = gitignore_patterns()
        for svc in ("ingest", "insights"):
            with self.subTest(service=svc):
                s = self.services[svc]
                check_security_flags(self, s["command"])
                self.assertIsNotNone(flag(s["command"], "token_file"))
                used = {"db_password"}
                for name, value in file_flags(s["command"]).items():
                    self.assertEqual(os.path.dirname(value), "/run/secrets", value)
                    self.assertIn(os.path.basename(value), s["secrets"])
                    used.add(os.path.basename(value))
                self.assertEqual(set(s["secrets"]), used)
                for secret in s["secrets"]:
                    self.assertTrue(git_ignored(self.compose["secrets"][secret]["file"],
                                                patterns), secret)

    def test_ports_only_on_loopback(self):
        for name, s in self.services.items():
            for p in s.get("ports", []):
                with self.subTest(service=name, port=p):
                    self.assertTrue(p.startswith("127.0.0.1:"), p)

    def test_insights_reaches_every_ingest_replica_by_the_service_name(self):
        ingest = self.services["ingest"]["command"]
        insights = self.services["insights"]["command"]
        self.assertEqual(flag(insights, "ingest_address"),
                         f"ingest:{port_of(flag(ingest, 'grpc_address'))}")
        self.assertEqual(bool_flag(insights, "ingest_plaintext"), bool_flag(ingest, "plaintext"))

    def test_healthchecks_mean_caught_up(self):
        for svc in ("ingest", "insights"):
            with self.subTest(service=svc):
                s = self.services[svc]
                test = s["healthcheck"]["test"]
                # A string: podman-compose 1.0 pops a list's first item, once
                # for all replicas sharing it.
                self.assertIsInstance(test, str)
                reads_caught_up_flag(self, test, port_of(flag(s["command"], "metrics_address")))
                self.assertEqual(s["depends_on"]["postgres"]["condition"], "service_healthy")
        self.assertIn("pg_isready", self.services["postgres"]["healthcheck"]["test"])
        self.assertIn("-h 127.0.0.1", self.services["postgres"]["healthcheck"]["test"])

    def test_prometheus_scrapes_every_replica(self):
        prom = self.services["prometheus"]
        self.assertIn("./prometheus:/etc/prometheus:ro", prom["volumes"])
        config = flag(prom["command"], "config.file")
        self.assertEqual(os.path.dirname(config), "/etc/prometheus")
        scrape = load_yaml("deploy", "prometheus", os.path.basename(config))["scrape_configs"]
        jobs = {c["job_name"]: c for c in scrape}
        for svc, job in (("ingest", "orgpulse-ingest"), ("insights", "orgpulse-insights")):
            with self.subTest(service=svc):
                (sd,) = jobs[job]["dns_sd_configs"]
                self.assertEqual(sd["names"], [svc])
                self.assertEqual(sd["type"], "A")
                self.assertEqual(sd["port"],
                                 port_of(flag(self.services[svc]["command"], "metrics_address")))
        self.assertEqual(self.services["grafana"], load_yaml("deploy", "compose.yaml")["services"]["grafana"])

    def test_setup_commands_make_every_secret_file(self):
        with open(path("deploy", "compose-postgres.yaml")) as f:
            header = "".join(l for l in f if l.startswith("#"))
        for name, decl in self.compose["secrets"].items():
            with self.subTest(secret=name):
                self.assertIn(f"deploy/{os.path.basename(decl['file'])}", header)
        self.assertIn("token new insights --scopes=ingest:read", header)


class PostgresKubernetes(unittest.TestCase):
    def setUp(self):
        self.kust = load_yaml("deploy", "k8s", "postgres", "kustomization.yaml")
        self.by_kind = {}
        for r in self.kust["resources"]:
            for o in load_yaml_all("deploy", "k8s", "postgres", r):
                self.assertIn("apiVersion", o)
                self.by_kind.setdefault(o["kind"], {})[o["metadata"]["name"]] = o
        self.embedded = {}
        for r in load_yaml("deploy", "k8s", "kustomization.yaml")["resources"]:
            for o in load_yaml_all("deploy", "k8s", r):
                self.embedded.setdefault(o["kind"], {})[o["metadata"]["name"]] = o

    def container(self, name, objects=None):
        d = (objects or self.by_kind)["Deployment"][name]
        (c,) = d["spec"]["template"]["spec"]["containers"]
        return d, c

    def test_every_manifest_file_is_in_the_kustomization(self):
        files = {os.path.basename(f)
                 for f in glob.glob(path("deploy", "k8s", "postgres", "*.yaml"))}
        self.assertEqual(files - {"kustomization.yaml"}, set(self.kust["resources"]))
        self.assertEqual(self.kust["namespace"],
                         load_yaml("deploy", "k8s", "kustomization.yaml")["namespace"])
        self.assertEqual({i["name"] for i in self.kust["images"]}, {"orgpulse", "orgpulse-postgres"})

    def test_at_least_two_replicas_of_each_service_without_volumes(self):
        self.assertEqual(set(self.by_kind["Deployment"]), {"orgpulse-ingest", "orgpulse-insights"})
        self.assertNotIn("PersistentVolumeClaim", self.by_kind)
        for name in ("orgpulse-ingest", "orgpulse-insights"):
            with self.subTest(deployment=name):
                d, c = self.container(name)
                self.assertGreaterEqual(d["spec"]["replicas"], 2)
                self.assertEqual(d["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"], 0)
                for v in d["spec"]["template"]["spec"]["volumes"]:
                    self.assertEqual(set(v) - {"name"}, {"secret"}, f"volume {v['name']}")
                for m in c["volumeMounts"]:
                    self.assertTrue(m.get("readOnly"), m["name"])
                self.assertIsNone(flag(c["args"], "data_dir"))
                pdb = self.by_kind["PodDisruptionBudget"][name]
                self.assertEqual(pdb["spec"]["selector"], d["spec"]["selector"])
                self.assertLess(pdb["spec"]["minAvailable"], d["spec"]["replicas"])

    def test_same_as_the_embedded_mode_but_the_store(self):
        for name in ("orgpulse-ingest", "orgpulse-insights"):
            with self.subTest(deployment=name):
                d, c = self.container(name)
                e, ec = self.container(name, self.embedded)
                self.assertEqual(without_storage(c["args"]), without_storage(ec["args"]))
                self.assertEqual(c["ports"], ec["ports"])
                self.assertEqual(c["securityContext"], ec["securityContext"])
                self.assertEqual(d["spec"]["template"]["spec"]["securityContext"],
                                 e["spec"]["template"]["spec"]["securityContext"])
                self.assertEqual(d["spec"]["template"]["metadata"],
                                 e["spec"]["template"]["metadata"])
                secret_mounts = [m for m in ec["volumeMounts"] if m["name"] not in ("data", "tmp")]
                self.assertEqual(c["volumeMounts"], secret_mounts)
                self.assertEqual(self.by_kind["Service"][name], self.embedded["Service"][name])

    def test_the_database(self):
        svc = self.by_kind["Service"]["orgpulse-postgres"]
        sts = self.by_kind["StatefulSet"]["orgpulse-postgres"]
        self.assertEqual(sts["spec"]["replicas"], 1)
        tpl = sts["spec"]["template"]
        for k, v in svc["spec"]["selector"].items():
            self.assertEqual(tpl["metadata"]["labels"][k], v)
        (c,) = tpl["spec"]["containers"]
        self.assertEqual(c["image"], "orgpulse-postgres")
        (port,) = svc["spec"]["ports"]
        self.assertEqual(port["port"], 5432)
        self.assertIn(port["targetPort"], {p["name"] for p in c["ports"]})
        env = {e["name"]: e["value"] for e in c["env"]}
        (claim,) = sts["spec"]["volumeClaimTemplates"]
        data = next(m for m in c["volumeMounts"] if m["name"] == claim["metadata"]["name"])
        # initdb wants a directory it owns: below the volume's root.
        self.assertTrue(env["PGDATA"].startswith(data["mountPath"] + "/"))
        password = env["ORGPULSE_DB_PASSWORD_FILE"]
        mount = next(m for m in c["volumeMounts"] if m["mountPath"] == os.path.dirname(password))
        self.assertTrue(mount["readOnly"])
        volume = next(v for v in tpl["spec"]["volumes"] if v["name"] == mount["name"])
        self.assertEqual(volume["secret"]["secretName"], "orgpulse-db")
        self.assertEqual({i["key"]: i["path"] for i in volume["secret"]["items"]},
                         {"password": os.path.basename(password)})
        # The password file is readable through the group fsGroup sets.
        self.assertEqual(tpl["spec"]["securityContext"]["fsGroup"],
                         tpl["spec"]["securityContext"]["runAsGroup"])
        self.assertTrue(tpl["spec"]["securityContext"]["runAsNonRoot"])
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            self.assertEqual(c[probe]["exec"]["command"][0], "pg_isready")
            self.assertIn("127.0.0.1", c[probe]["exec"]["command"])
        self.assertIn("-m", c["lifecycle"]["preStop"]["exec"]["command"])

    def test_services_reach_the_database_with_the_secret_password(self):
        pg = self.by_kind["Service"]["orgpulse-postgres"]
        (port,) = pg["spec"]["ports"]
        for name in ("orgpulse-ingest", "orgpulse-insights"):
            with self.subTest(deployment=name):
                _, c = self.container(name)
                info = conninfo(c["args"])
                self.assertEqual(info["host"], pg["metadata"]["name"])
                self.assertEqual(int(info.get("port", 5432)), port["port"])
                self.assertEqual((info["dbname"], info["user"]), ("orgpulse", "orgpulse"))
                self.assertNotIn("password", info)
                (env,) = c["env"]
                self.assertEqual(env["name"], "PGPASSWORD")
                self.assertEqual(env["valueFrom"]["secretKeyRef"],
                                 {"name": "orgpulse-db", "key": "password"})

    def test_readiness_means_caught_up(self):
        for name in ("orgpulse-ingest", "orgpulse-insights"):
            with self.subTest(deployment=name):
                _, c = self.container(name)
                ports = {p["name"]: p["containerPort"] for p in c["ports"]}
                tls, _ = check_security_flags(self, c["args"])
                self.assertTrue(tls)
                # The gRPC port opens before the replica has folded the log:
                # an open port is not readiness here, nor can a grpc probe
                # speak TLS.
                ready = c["readinessProbe"]
                self.assertEqual(set(ready) & {"grpc", "tcpSocket", "httpGet", "exec"}, {"exec"})
                bash, dash_c, line = ready["exec"]["command"]
                self.assertEqual((bash, dash_c), ("bash", "-c"))
                reads_caught_up_flag(self, line, ports["metrics"])
                self.assertIn(c["startupProbe"]["tcpSocket"]["port"], ("grpc", ports["grpc"]))
                self.assertEqual(c["livenessProbe"]["httpGet"]["path"], "/metrics")
                self.assertIn(c["livenessProbe"]["httpGet"]["port"], ("metrics", ports["metrics"]))

    def test_prometheus_finds_every_replica(self):
        prom = load_yaml("deploy", "prometheus", "prometheus-kubernetes-postgres.yml")
        jobs = {c["job_name"]: c for c in prom["scrape_configs"]}
        ns = self.kust["namespace"]
        for name in ("orgpulse-ingest", "orgpulse-insights"):
            with self.subTest(deployment=name):
                d, c = self.container(name)
                metrics = next(p["containerPort"] for p in c["ports"] if p["name"] == "metrics")
                (sd,) = jobs[name]["dns_sd_configs"]
                (dns,) = sd["names"]
                svc_name, svc_ns, _ = dns.split(".", 2)
                self.assertEqual(svc_ns, ns)
                svc = self.by_kind["Service"][svc_name]
                self.assertEqual(svc["spec"]["clusterIP"], "None")
                self.assertTrue(svc["spec"]["publishNotReadyAddresses"])
                self.assertEqual(svc["spec"]["selector"], d["spec"]["selector"]["matchLabels"])
                self.assertEqual(sd["port"], metrics)

    def test_the_readme_creates_every_secret(self):
        documented, text = readme_secrets()
        created = re.findall(r"create secret \S+ (\S+)", text)
        self.assertNotIn("Secret", self.by_kind, "Secrets are made by the operator, not shipped")
        used = set()
        for kind in ("Deployment", "StatefulSet"):
            for o in self.by_kind[kind].values():
                spec = o["spec"]["template"]["spec"]
                for v in spec.get("volumes", []):
                    if "secret" in v:
                        used |= {(v["secret"]["secretName"], i["key"]) for i in v["secret"]["items"]}
                for c in spec["containers"]:
                    for e in c.get("env", []):
                        ref = e.get("valueFrom", {}).get("secretKeyRef")
                        if ref:
                            used.add((ref["name"], ref["key"]))
        self.assertIn(("orgpulse-db", "password"), used)
        for secret, key in sorted(used):
            with self.subTest(secret=secret, key=key):
                self.assertIn(secret, documented, "not in deploy/README.md's table of Secrets")
                self.assertIn(key, documented[secret])
                self.assertTrue(secret in created or
                                re.sub(r"-(ingest|insights)-", "-$svc-", secret) in created,
                                f"deploy/README.md never creates {secret}")


def help_flags(binary):
    """The flags `binary --help` lists."""
    done = subprocess.run([binary, "--help"], capture_output=True, text=True)
    return set(re.findall(r"^\s+--([a-z0-9_]+) \(", done.stdout + done.stderr, re.M))


class FlagsExist(unittest.TestCase):
    """Every flag a deploy file passes to a binary is one it knows (a typo
    would stop the container at start)."""

    def commands(self):
        found = []  # (where, argv)
        for f in ("compose.yaml", "compose-postgres.yaml"):
            for name, s in load_yaml("deploy", f)["services"].items():
                if isinstance(s.get("command"), list) and s["command"][0].startswith("orgpulse"):
                    found.append((f"{f} {name}", s["command"]))
        for d in (("k8s",), ("k8s", "postgres")):
            for r in load_yaml("deploy", *d, "kustomization.yaml")["resources"]:
                for o in load_yaml_all("deploy", *d, r):
                    if o["kind"] == "Deployment":
                        for c in o["spec"]["template"]["spec"]["containers"]:
                            found.append((f"{'/'.join(d)}/{r}", c["args"]))
        with open(path("deploy", "Dockerfile")) as f:
            cmd = json.loads(re.search(r"^CMD\s+(\[.*?\])", f.read(), re.M | re.S)
                             .group(1).replace("\\\n", ""))
        found.append(("Dockerfile CMD", cmd))
        return found

    def test_every_flag_is_in_the_binarys_help(self):
        self.assertEqual(set(BINARIES), {"orgpulse-ingest", "orgpulse-insights"},
                         "pass --ingest and --insights")
        known = {name: help_flags(b) for name, b in BINARIES.items()}
        for name, flags in known.items():
            self.assertIn("postgres", flags, f"{name} --help lists no --postgres")
        commands = self.commands()
        self.assertGreaterEqual(len(commands), 9)
        for where, argv in commands:
            with self.subTest(file=where, program=argv[0]):
                self.assertIn(argv[0], known)
                for a in argv[1:]:
                    self.assertTrue(a.startswith("--"), a)
                    self.assertIn(a[2:].split("=", 1)[0], known[argv[0]], a)


class Dockerfile(unittest.TestCase):
    def setUp(self):
        with open(path("deploy", "Dockerfile")) as f:
            self.text = f.read()

    def test_debian_12_stages(self):
        froms = re.findall(r"^FROM\s+(\S+)", self.text, re.M)
        self.assertEqual(froms, ["debian:12", "debian:12-slim"])

    def test_copied_sources_exist(self):
        for src in re.findall(r"^COPY\s+(?!--from)(\S+)\s", self.text, re.M):
            with self.subTest(src=src):
                self.assertTrue(os.path.exists(path(src)), src)

    def test_build_packages_are_the_projects(self):
        build_stage = self.text.split("FROM debian:12-slim")[0]
        install = re.search(r"apt-get install[^\n]*\n(.*?)&& rm", build_stage, re.S).group(1)
        packages = set(re.findall(r"[a-z0-9][a-z0-9+.-]+", install.replace("\\", " ")))
        with open(path("scripts", "install-deps.sh")) as f:
            deps = f.read()
        for p in packages:
            with self.subTest(package=p):
                self.assertRegex(deps, rf"(?<![\w-]){re.escape(p)}(?![\w-])")

    def test_binaries_are_cmake_targets_built_and_installed(self):
        targets = re.search(r"cmake --build build[^\n]*--target ([^\\\n]+)", self.text).group(1).split()
        # The install command, with its continuation lines.
        install = re.search(r"install -m(?:[^\n]*\\\n)*[^\n]*", self.text).group(0).split()
        for binary in ("orgpulse-ingest", "orgpulse-insights", "orgpulse"):
            with self.subTest(binary=binary):
                where = None
                for top in ("services", "cli", "tools"):
                    for f in glob.glob(path(top, "**", "CMakeLists.txt"), recursive=True):
                        with open(f) as fh:
                            if re.search(rf"add_executable\(\s*{re.escape(binary)}\s", fh.read()):
                                where = os.path.relpath(os.path.dirname(f), REPO)
                self.assertIsNotNone(where, f"no add_executable({binary})")
                self.assertIn(binary, targets)
                self.assertIn(f"build/{where}/{binary}", install)

    def test_copies_every_top_level_cmake_subdirectory(self):
        with open(path("CMakeLists.txt")) as f:
            subdirs = re.findall(r"^add_subdirectory\((\S+?)\)", f.read(), re.M)
        copied = set(re.findall(r"^COPY\s+(?!--from)(\S+)\s", self.text, re.M))
        self.assertTrue(subdirs)
        for d in subdirs:
            with self.subTest(subdirectory=d):
                self.assertIn(d.split("/")[0], copied)

    def test_copies_every_file_the_build_names_by_its_source_path(self):
        # e.g. ${PROJECT_SOURCE_DIR}/cmake/embed_file.cmake: an include or a
        # script the build runs from outside the add_subdirectory() trees.
        copied = set(re.findall(r"^COPY\s+(?!--from)(\S+)\s", self.text, re.M))
        named = set()
        built = [path("CMakeLists.txt")] + [
            f for d in copied if os.path.isdir(path(d))
            for f in glob.glob(path(d, "**", "CMakeLists.txt"), recursive=True)]
        for f in built:
            with open(f) as fh:
                named.update(re.findall(r"\$\{PROJECT_SOURCE_DIR\}/([\w.-]+)", fh.read()))
        self.assertTrue(named)
        for top in named:
            with self.subTest(path=top):
                self.assertIn(top, copied)

    # Fails while deploy/Dockerfile.dockerignore keeps cli/ and clients/ out of
    # the build context (add "!clients/" and "!cli/" there, then remove this
    # decorator): `docker build` then stops at `COPY clients clients`.
    def test_build_context_lets_every_copied_source_through(self):
        with open(path("deploy", "Dockerfile.dockerignore")) as f:
            patterns = [l.strip() for l in f if l.strip() and not l.startswith("#")]

        def excluded(p):
            result = False
            for pat in patterns:
                negate = pat.startswith("!")
                pat = os.path.normpath(pat.lstrip("!").strip("/"))
                rx = re.escape(pat).replace(r"\*\*", ".*").replace(r"\*", "[^/]*")
                parts = p.split("/")
                if any(re.fullmatch(rx, "/".join(parts[:i])) for i in range(1, len(parts) + 1)):
                    result = not negate
            return result

        for src in re.findall(r"^COPY\s+(?!--from)(\S+)\s", self.text, re.M):
            with self.subTest(src=src):
                self.assertFalse(excluded(src), f"{src} is not in the build context")
                if os.path.isdir(path(src)):
                    self.assertFalse(excluded(f"{src}/CMakeLists.txt"), src)

    def test_default_command_is_tls_with_tokens(self):
        cmd = json.loads(re.search(r"^CMD\s+(\[.*?\])", self.text, re.M | re.S)
                         .group(1).replace("\\\n", ""))
        self.assertEqual(cmd[0], "orgpulse-ingest")
        self.assertEqual(check_security_flags(self, cmd), (True, True))
        with open(path("deploy", "README.md")) as f:
            readme = f.read()
        for f, value in file_flags(cmd).items():
            with self.subTest(flag=f):
                self.assertTrue(value.startswith("/etc/orgpulse/"), value)
                # The paths an operator must mount are documented.
                self.assertIn(os.path.dirname(value), self.text)
                self.assertIn(os.path.dirname(value), readme)


def main():
    global REPO
    ap = argparse.ArgumentParser()
    ap.add_argument("--repo", required=True)
    ap.add_argument("--ingest", help="the built orgpulse-ingest")
    ap.add_argument("--insights", help="the built orgpulse-insights")
    args, rest = ap.parse_known_args()
    REPO = os.path.abspath(args.repo)
    for name, binary in (("orgpulse-ingest", args.ingest),
                         ("orgpulse-insights", args.insights)):
        if binary:
            BINARIES[name] = binary
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
