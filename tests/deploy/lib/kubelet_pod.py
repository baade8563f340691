"""One Kubernetes pod as a node shows it, for tests of the k8s_* labels: a
real cgroup named as the kubelet's systemd driver and containerd name it
(created under this machine's cgroup v2 mount) and the kubelet's log
directory for the pod's container (/var/log/pods/<ns>_<pod>_<uid>/<c>/)
and its /var/log/containers symlink, in a temp dir. Processes enter the cgroup before exec (`preexec`)."""

import os
import shutil
import tempfile
import time


def cgroup2_mount():
    with open("/proc/self/mounts", encoding="utf-8") as f:
        for line in f:
            fields = line.split()
            if len(fields) > 2 and fields[2] == "cgroup2":
                return fields[1]
    raise RuntimeError("no cgroup v2 mount")


class KubeletPod:
    def __init__(self, namespace, pod, uid, container, container_id):
        # The pods dir holds the containers dir too: one temp dir to remove.
        self.namespace, self.pod, self.container = namespace, pod, container
        self.pods_dir = tempfile.mkdtemp(prefix="hs-deploy-pods-")
        log_dir = os.path.join(self.pods_dir, f"{namespace}_{pod}_{uid}", container)
        os.makedirs(log_dir)
        log = os.path.join(log_dir, "0.log")
        with open(log, "w", encoding="utf-8") as f:
            f.write("2024-01-01T00:00:00.000000000Z stdout F started\n")
        # The kubelet's symlink that ties the container id to its name.
        self.containers_dir = os.path.join(self.pods_dir, "containers")
        os.makedirs(self.containers_dir)
        os.symlink(
            log,
            os.path.join(self.containers_dir, f"{pod}_{namespace}_{container}-{container_id}.log"),
        )
        slice_uid = uid.replace("-", "_")
        parts = [
            "kubepods.slice",
            "kubepods-besteffort.slice",
            f"kubepods-besteffort-pod{slice_uid}.slice",
            f"cri-containerd-{container_id}.scope",
        ]
        root = cgroup2_mount()
        self.cgroups = [os.path.join(root, *parts[: i + 1]) for i in range(len(parts))]
        self.created = []
        for path in self.cgroups:
            if not os.path.isdir(path):
                os.mkdir(path)
                self.created.append(path)

    def preexec(self):
        """For subprocess.Popen(preexec_fn=...): the child joins the container."""
        with open(os.path.join(self.cgroups[-1], "cgroup.procs"), "w") as f:
            f.write(str(os.getpid()))

    def holds(self, pid):
        with open(os.path.join(self.cgroups[-1], "cgroup.procs"), encoding="utf-8") as f:
            return str(pid) in f.read().split()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        # Deepest first; a cgroup empties a moment after its last process exits.
        for path in reversed(self.created):
            for _ in range(50):
                try:
                    os.rmdir(path)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.1)
        shutil.rmtree(self.pods_dir, ignore_errors=True)
