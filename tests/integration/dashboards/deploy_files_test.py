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
    ports, gRPC probes, flags, scrape annotations and volumes agree; the
    Kubernetes Prometheus config scrapes the Services' metrics ports;
  - Dockerfile: Debian 12 bases, COPY sources exist, the build packages are
    among scripts/install-deps.sh's, the binaries are CMake targets.

Uses Debian's python3-yaml (scripts/install-deps.sh).

  /usr/bin/python3 deploy_files_test.py --repo REPO
"""

import argparse
import glob
import importlib.util
import json
import os
import re
import sys
import unittest

import yaml

REPO = None


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
                               "service"))
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
                for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
                    self.assertEqual(c[probe]["grpc"]["port"], ports["grpc"], probe)
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

    def test_kubernetes_prometheus_config_scrapes_the_services(self):
        prom = load_yaml("deploy", "prometheus", "prometheus-kubernetes.yml")
        ns = self.kust["namespace"]
        targets = {c["job_name"]: c["static_configs"][0]["targets"]
                   for c in prom["scrape_configs"]}
        for name in ("orgpulse-ingest", "orgpulse-insights"):
            svc = self.by_kind["Service"][name]
            metrics = next(p["port"] for p in svc["spec"]["ports"] if p["name"] == "metrics")
            self.assertEqual(targets[name], [f"{name}.{ns}.svc:{metrics}"])


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

    def test_binaries_are_cmake_targets(self):
        for binary in ("orgpulse-ingest", "orgpulse-insights"):
            self.assertIn(binary, self.text)
            found = False
            for f in glob.glob(path("services", "**", "CMakeLists.txt"), recursive=True):
                with open(f) as fh:
                    if re.search(rf"add_executable\(\s*{binary}\b", fh.read()):
                        found = True
            self.assertTrue(found, binary)


def main():
    global REPO
    ap = argparse.ArgumentParser()
    ap.add_argument("--repo", required=True)
    args, rest = ap.parse_known_args()
    REPO = os.path.abspath(args.repo)
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
