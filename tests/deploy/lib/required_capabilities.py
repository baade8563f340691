"""The capabilities the daemon needs to start and count everything it can,
without the CAP_ prefix, and why. deploy_capabilities shows each is needed;
the systemd unit and the Kubernetes DaemonSet must grant exactly these."""

REQUIRED = {
    "BPF": "create maps and load programs",
    "PERFMON": "load tracing programs and attach the tracepoints",
    "NET_ADMIN": "load and attach the cgroup socket programs",
    "SYS_RESOURCE": "raise RLIMIT_MEMLOCK on kernels that charge BPF memory to it",
    "SYS_ADMIN": "attach the libssl uprobes (HTTPS) and mount tracefs when it is not mounted",
    "SYS_PTRACE": "read other users' /proc/PID/maps and /proc/PID/root to find their libssl",
    "SETPCAP": "empty its own bounding set when it drops every capability",
}

# Bit numbers (linux/capability.h), to read /proc/PID/status masks.
NUMBERS = {
    "SETPCAP": 8,
    "NET_ADMIN": 12,
    "SYS_PTRACE": 19,
    "SYS_ADMIN": 21,
    "SYS_RESOURCE": 24,
    "PERFMON": 38,
    "BPF": 39,
}


def mask(names):
    return sum(1 << NUMBERS[n] for n in names)
