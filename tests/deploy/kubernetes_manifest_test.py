#!/usr/bin/env python3
"""ctest deploy_kubernetes_manifest: deploy/kubernetes/*.yaml hold together.

No API server here, and Debian packages no offline validator (kubeconform is
not packaged; kubectl, even with --dry-run=client, asks a server for its
schema), so this parses the YAML and checks what the deployment depends on:
field names the API knows, host PID namespace and host paths, capabilities
equal to the systemd unit's (and to what the daemon needs), container flags
the daemon accepts and that agree with the mounts and ports, and a
PodMonitor that finds the pods and names the job as the alert rules do.
"""

import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import test_main  # noqa: E402

import yaml  # noqa: E402

import unit_file  # noqa: E402
from required_capabilities import REQUIRED  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DAEMONSET = os.path.join(REPO, "deploy", "kubernetes", "daemonset.yaml")
PODMONITOR = os.path.join(REPO, "deploy", "kubernetes", "podmonitor.yaml")
UNIT = os.path.join(REPO, "deploy", "systemd", "http-statistics.service")
PROMETHEUS_CONFIG = os.path.join(REPO, "deploy", "prometheus", "prometheus.yml")
ARGS = None

# Field names of the Kubernetes API (core/v1, apps/v1) for the objects used.
FIELDS = {
    "PodSpec": {
        "activeDeadlineSeconds",
        "affinity",
        "automountServiceAccountToken",
        "containers",
        "dnsConfig",
        "dnsPolicy",
        "enableServiceLinks",
        "ephemeralContainers",
        "hostAliases",
        "hostIPC",
        "hostNetwork",
        "hostPID",
        "hostUsers",
        "hostname",
        "imagePullSecrets",
        "initContainers",
        "nodeName",
        "nodeSelector",
        "os",
        "overhead",
        "preemptionPolicy",
        "priority",
        "priorityClassName",
        "readinessGates",
        "resourceClaims",
        "restartPolicy",
        "runtimeClassName",
        "schedulerName",
        "schedulingGates",
        "securityContext",
        "serviceAccount",
        "serviceAccountName",
        "setHostnameAsFQDN",
        "shareProcessNamespace",
        "subdomain",
        "terminationGracePeriodSeconds",
        "tolerations",
        "topologySpreadConstraints",
        "volumes",
    },
    "Container": {
        "args",
        "command",
        "env",
        "envFrom",
        "image",
        "imagePullPolicy",
        "lifecycle",
        "livenessProbe",
        "name",
        "ports",
        "readinessProbe",
        "resizePolicy",
        "resources",
        "restartPolicy",
        "securityContext",
        "startupProbe",
        "stdin",
        "stdinOnce",
        "terminationMessagePath",
        "terminationMessagePolicy",
        "tty",
        "volumeDevices",
        "volumeMounts",
        "workingDir",
    },
    "SecurityContext": {
        "allowPrivilegeEscalation",
        "appArmorProfile",
        "capabilities",
        "privileged",
        "procMount",
        "readOnlyRootFilesystem",
        "runAsGroup",
        "runAsNonRoot",
        "runAsUser",
        "seLinuxOptions",
        "seccompProfile",
        "windowsOptions",
    },
    "VolumeMount": {
        "mountPath",
        "mountPropagation",
        "name",
        "readOnly",
        "recursiveReadOnly",
        "subPath",
        "subPathExpr",
    },
    "Probe": {
        "exec",
        "failureThreshold",
        "grpc",
        "httpGet",
        "initialDelaySeconds",
        "periodSeconds",
        "successThreshold",
        "tcpSocket",
        "terminationGracePeriodSeconds",
        "timeoutSeconds",
    },
    "ContainerPort": {"containerPort", "hostIP", "hostPort", "name", "protocol"},
    "DaemonSetSpec": {
        "minReadySeconds",
        "revisionHistoryLimit",
        "selector",
        "template",
        "updateStrategy",
    },
    "ObjectMeta": {"name", "namespace", "labels", "annotations"},
    "Toleration": {"effect", "key", "operator", "tolerationSeconds", "value"},
}
HOST_PATH_TYPES = {
    "",
    "DirectoryOrCreate",
    "Directory",
    "FileOrCreate",
    "File",
    "Socket",
    "CharDevice",
    "BlockDevice",
}
SIZE_UNITS = {
    "K": 1024,
    "M": 1024**2,
    "G": 1024**3,
    "Ki": 1024,
    "Mi": 1024**2,
    "Gi": 1024**3,
}


def load_all(path):
    with open(path, encoding="utf-8") as f:
        return [d for d in yaml.safe_load_all(f) if d]


def size_bytes(text):
    m = re.fullmatch(r"(\d+)([KMG]i?)?", str(text))
    if not m:
        raise ValueError(f"cannot read size {text!r}")
    return int(m.group(1)) * SIZE_UNITS.get(m.group(2) or "", 1)


def flags(args):
    """{--flag: value} of --flag=value arguments."""
    out = {}
    for a in args:
        m = re.fullmatch(r"(--[a-z-]+)=(.*)", a)
        if not m:
            raise ValueError(f"container argument {a!r} is not --flag=value")
        out[m.group(1)] = m.group(2)
    return out


class KubernetesManifest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.docs = load_all(DAEMONSET)
        cls.by_kind = {d["kind"]: d for d in cls.docs}
        cls.ds = cls.by_kind["DaemonSet"]
        cls.pod = cls.ds["spec"]["template"]
        cls.spec = cls.pod["spec"]
        cls.container = cls.spec["containers"][0]
        cls.flags = flags(cls.container["args"])
        cls.volumes = {v["name"]: v for v in cls.spec["volumes"]}
        cls.mounts = {m["mountPath"]: m for m in cls.container["volumeMounts"]}
        cls.help = subprocess.run(
            [ARGS.daemon, "--help"], capture_output=True, text=True, check=True
        ).stdout

    def host_path_mount(self, host_path):
        """The container's mount of a hostPath volume of `host_path`."""
        names = [
            n for n, v in self.volumes.items() if v.get("hostPath", {}).get("path") == host_path
        ]
        self.assertEqual(len(names), 1, f"one hostPath volume of {host_path}")
        mounts = [m for m in self.mounts.values() if m["name"] == names[0]]
        self.assertEqual(len(mounts), 1, f"one mount of the {host_path} volume")
        return mounts[0]

    def assert_fields(self, obj, kind):
        unknown = set(obj) - FIELDS[kind]
        self.assertFalse(unknown, f"fields a {kind} does not have: {sorted(unknown)}")

    def test_documents(self):
        self.assertEqual(sorted(self.by_kind), ["DaemonSet", "Namespace"])
        self.assertEqual(len(self.docs), 2)
        for d in self.docs:
            with self.subTest(d["kind"]):
                self.assertIn("apiVersion", d)
                self.assert_fields(d["metadata"], "ObjectMeta")
        self.assertEqual(self.by_kind["DaemonSet"]["apiVersion"], "apps/v1")
        self.assertEqual(
            self.ds["metadata"]["namespace"], self.by_kind["Namespace"]["metadata"]["name"]
        )

    def test_field_names_are_the_apis(self):
        self.assert_fields(self.ds["spec"], "DaemonSetSpec")
        self.assert_fields(self.pod["metadata"], "ObjectMeta")
        self.assert_fields(self.spec, "PodSpec")
        for t in self.spec.get("tolerations", []):
            self.assert_fields(t, "Toleration")
        self.assertEqual(len(self.spec["containers"]), 1)
        self.assert_fields(self.container, "Container")
        self.assert_fields(self.container["securityContext"], "SecurityContext")
        for m in self.container["volumeMounts"]:
            self.assert_fields(m, "VolumeMount")
        for p in self.container["ports"]:
            self.assert_fields(p, "ContainerPort")
        for probe in ("readinessProbe", "livenessProbe"):
            self.assert_fields(self.container[probe], "Probe")
        for v in self.spec["volumes"]:
            self.assertEqual(set(v), {"name", "hostPath"}, v)
            self.assertIn(v["hostPath"].get("type", ""), HOST_PATH_TYPES)

    def test_selector_matches_the_pods(self):
        selector = self.ds["spec"]["selector"]["matchLabels"]
        self.assertTrue(selector)
        self.assertLessEqual(selector.items(), self.pod["metadata"]["labels"].items())

    def test_host_namespaces(self):
        self.assertIs(self.spec["hostPID"], True)
        # The Scope plugin is a socket in a host directory: no host network.
        self.assertIs(self.spec.get("hostNetwork", False), False)

    def test_capabilities_equal_the_systemd_units(self):
        sc = self.container["securityContext"]
        self.assertIs(sc.get("privileged", False), False)
        self.assertEqual(sc["capabilities"]["drop"], ["ALL"])
        granted = unit_file.capability_set(sc["capabilities"]["add"])
        self.assertEqual(granted, unit_file.bounding_set(unit_file.parse(UNIT)))
        self.assertEqual(granted, set(REQUIRED))
        # The API refuses allowPrivilegeEscalation: false with CAP_SYS_ADMIN.
        self.assertIsNot(sc.get("allowPrivilegeEscalation"), False)
        self.assertIs(sc["readOnlyRootFilesystem"], True)
        self.assertEqual(sc["runAsUser"], 0)
        self.assertEqual(sc["seccompProfile"], {"type": "RuntimeDefault"})

    def test_container_flags_are_the_daemons(self):
        known = set(re.findall(r"^\s+(--[a-z-]+)", self.help, re.M))
        self.assertTrue(known, self.help)
        self.assertLessEqual(set(self.flags), known)
        # The daemon parses every flag before --help ends it: a bad value fails.
        r = subprocess.run(
            [ARGS.daemon, *self.container["args"], "--help"],
            capture_output=True,
            text=True,
            check=False,
        )
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_scope_plugin_directory_is_shared_with_the_host(self):
        default = re.search(r"--scope-plugins-root DIR.*?\(default (\S+)\)", self.help, re.S)
        root = self.flags["--scope-plugins-root"]
        self.assertEqual(root, default.group(1))  # where the Scope probe looks
        mount = self.host_path_mount(root)
        self.assertEqual(mount["mountPath"], root)
        self.assertIs(mount.get("readOnly", False), False)

    def test_attaches_to_the_hosts_cgroup_tree(self):
        mount = self.host_path_mount("/sys/fs/cgroup")
        self.assertEqual(self.flags["--cgroup"], mount["mountPath"])
        self.assertIs(mount.get("readOnly"), True)

    def test_reads_the_hosts_tracefs(self):
        mount = self.host_path_mount("/sys/kernel/tracing")
        self.assertEqual(mount["mountPath"], "/sys/kernel/tracing")
        self.assertIs(mount.get("readOnly"), True)

    def test_reads_the_kubelets_log_directories_read_only(self):
        # Where the daemon looks for pod and container names: its defaults,
        # unless the manifest passes the flags.
        for flag in ("--k8s-pods-dir", "--k8s-containers-dir"):
            default = re.search(flag + r" DIR.*?\(default (\S+)\)", self.help, re.S)
            self.assertIsNotNone(default, f"--help documents {flag}'s default")
            path = self.flags.get(flag, default.group(1))
            mount = self.host_path_mount(path)
            # The symlinks' targets are host paths: the same path inside.
            self.assertEqual(mount["mountPath"], path)
            self.assertIs(mount.get("readOnly"), True, path)
            self.assertNotIn("subPath", mount)
            volume = self.volumes[mount["name"]]
            self.assertIn(volume["hostPath"].get("type"), {"Directory", "DirectoryOrCreate"})
        # Names come without API access: still no token and the same
        # capabilities (test_capabilities_equal_the_systemd_units).
        self.assertIs(self.spec["automountServiceAccountToken"], False)
        self.assertNotIn("serviceAccountName", self.spec)

    def test_every_volume_is_mounted(self):
        self.assertEqual(set(self.volumes), {m["name"] for m in self.mounts.values()})

    def test_metrics_port_agrees_everywhere(self):
        port = int(self.flags["--metrics-address"].rsplit(":", 1)[1])
        named = {p["name"]: p["containerPort"] for p in self.container["ports"]}
        self.assertEqual(named["metrics"], port)
        annotations = self.pod["metadata"]["annotations"]
        self.assertEqual(annotations["prometheus.io/port"], str(port))
        self.assertEqual(annotations["prometheus.io/scrape"], "true")
        for probe in ("readinessProbe", "livenessProbe"):
            self.assertEqual(self.container[probe]["httpGet"]["port"], "metrics")
        with open(PROMETHEUS_CONFIG, encoding="utf-8") as f:
            targets = [
                t
                for job in yaml.safe_load(f)["scrape_configs"]
                for sc in job["static_configs"]
                for t in sc["targets"]
            ]
        self.assertTrue(targets)
        self.assertTrue(all(t.endswith(f":{port}") for t in targets), targets)

    def test_resources(self):
        resources = self.container["resources"]
        self.assertIn("cpu", resources["requests"])
        self.assertLessEqual(
            size_bytes(resources["requests"]["memory"]), size_bytes(resources["limits"]["memory"])
        )
        memory_max = unit_file.value(unit_file.parse(UNIT), "Service", "MemoryMax")
        self.assertEqual(size_bytes(resources["limits"]["memory"]), size_bytes(memory_max))

    def test_podmonitor_finds_the_pods_and_names_the_job(self):
        (monitor,) = load_all(PODMONITOR)
        self.assertEqual(monitor["kind"], "PodMonitor")
        self.assertEqual(monitor["metadata"]["namespace"], self.ds["metadata"]["namespace"])
        pod_labels = self.pod["metadata"]["labels"]
        self.assertLessEqual(monitor["spec"]["selector"]["matchLabels"].items(), pod_labels.items())
        (endpoint,) = monitor["spec"]["podMetricsEndpoints"]
        self.assertIn(endpoint["port"], {p["name"] for p in self.container["ports"]})
        with open(PROMETHEUS_CONFIG, encoding="utf-8") as f:
            job = yaml.safe_load(f)["scrape_configs"][0]["job_name"]
        self.assertEqual(pod_labels[monitor["spec"]["jobLabel"]], job)
        self.assertIn(
            {"sourceLabels": ["__meta_kubernetes_pod_node_name"], "targetLabel": "instance"},
            endpoint["relabelings"],
        )


if __name__ == "__main__":
    ARGS = test_main.arguments("daemon")
    sys.exit(test_main.run())
