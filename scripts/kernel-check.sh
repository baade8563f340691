#!/usr/bin/env bash
# Can this kernel run http-statistics? Checks what the engine actually uses and
# prints PASS/WARN/FAIL with a one-line fix for each failure or warning.
#
#   scripts/kernel-check.sh [--json] [--daemon PATH | --no-daemon]
#                           [--sysfs DIR] [--procfs DIR] [--features-json FILE]
#
#   --json               print the checks as JSON instead of a table
#   --daemon PATH        the http-statistics binary whose `check` command runs
#                        last (default: build/http-statistics, when built)
#   --no-daemon          do not run the daemon's check
#   --sysfs, --procfs    read a saved /sys or /proc instead of this machine's
#                        (on a saved /proc, the system's libssl.so.3 is looked
#                        for under DIR/1/root, the host's root)
#   --features-json FILE `bpftool feature probe kernel --json` output to use
#                        instead of probing this kernel
#
# Exit status: 0 when nothing failed, 1 when something did, 2 on usage errors.
# HTTPS (uprobes on OpenSSL 3) is optional: the engine counts plaintext HTTP
# without it, so what only HTTPS needs is a warning at worst, never a failure.
# With --sysfs/--procfs/--features-json the script describes another system,
# so the daemon check (which can only test this one) does not run.
set -uo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
sysfs=/sys
procfs=/proc
features_json=""
json=0
daemon="$here/build/http-statistics"
daemon_given=0
run_daemon=1
fake=0

usage() { sed -n '2,/^set -uo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }
usage_error() {
  echo "kernel-check: $1 (see --help)" >&2
  exit 2
}

while (($#)); do
  arg=$1 value="" inline=0
  shift
  # Both "--opt value" and "--opt=value".
  if [[ $arg == --*=* ]]; then
    value=${arg#*=} arg=${arg%%=*} inline=1
  fi
  case $arg in
    --json | --no-daemon | -h | --help)
      ((inline)) && usage_error "$arg takes no value" ;;
    --daemon | --sysfs | --procfs | --features-json)
      if ((!inline)); then
        if ((!$#)) || [[ $1 == --* ]]; then usage_error "$arg needs a value"; fi
        value=$1
        shift
      fi
      [[ -n $value ]] || usage_error "$arg needs a value" ;;
    *) usage_error "unknown argument '$arg'" ;;
  esac
  case $arg in
    --json) json=1 ;;
    --no-daemon) run_daemon=0 ;;
    --daemon) daemon=$value daemon_given=1 ;;
    --sysfs) sysfs=$value fake=1 ;;
    --procfs) procfs=$value fake=1 ;;
    --features-json) features_json=$value fake=1 ;;
    -h | --help) usage; exit 0 ;;
  esac
done

[[ -d $sysfs ]] || usage_error "--sysfs: '$sysfs' is not a directory"
[[ -d $procfs ]] || usage_error "--procfs: '$procfs' is not a directory"
if [[ -n $features_json ]]; then
  [[ -r $features_json ]] || usage_error "--features-json: cannot read '$features_json'"
  python3 -c 'import json, sys; assert isinstance(json.load(open(sys.argv[1])), dict)' \
    "$features_json" 2>/dev/null ||
    usage_error "--features-json: '$features_json' is not bpftool's JSON feature probe output"
fi
if ((daemon_given)); then
  ((run_daemon)) || usage_error "--daemon and --no-daemon contradict each other"
  ((fake)) && usage_error "--daemon tests this machine: it cannot be combined with --sysfs/--procfs/--features-json"
  [[ -x $daemon && ! -d $daemon ]] || usage_error "--daemon: '$daemon' is not an executable"
fi
((fake)) && run_daemon=0

names=() results=() details=() fixes=()
# record NAME PASS|WARN|FAIL DETAIL [FIX]
record() { names+=("$1") results+=("$2") details+=("$3") fixes+=("${4:-}"); }

mountinfo="$procfs/self/mountinfo"
# Mount point of the first mount of filesystem type $1 ("" when none).
# mountinfo: "id parent major:minor root mount-point options... - fstype source ...".
mount_point_of() {
  awk -v type="$1" '{
    for (i = 7; i < NF; i++) if ($i == "-") break
    if ($(i + 1) == type) { print $5; exit }
  }' "$mountinfo" 2>/dev/null
}

# Kernel build option $1 as y, m, n, or "" when the configuration is not
# available (/proc/config.gz, /boot/config-*, or bpftool's system_config).
kconfig() {
  local config=""
  if [[ -r $procfs/config.gz ]]; then
    config=$(gzip -dc "$procfs/config.gz" 2>/dev/null)
  elif ((!fake)) && [[ -r /boot/config-$release ]]; then
    config=$(cat "/boot/config-$release")
  fi
  if [[ -n $config ]]; then
    if grep -q "^$1=y" <<<"$config"; then echo y
    elif grep -q "^$1=m" <<<"$config"; then echo m
    else echo n
    fi
    return
  fi
  [[ -s $features_json ]] && python3 - "$features_json" "$1" <<'EOF' 2>/dev/null
import json, sys
config = json.load(open(sys.argv[1])).get("system_config", {})
if sys.argv[2] in config:
    print(config[sys.argv[2]] or "n")
EOF
}

# ---- kernel version: information only. What decides is what the kernel
# offers, probed below and proven by the daemon's own check: distributions
# backport BPF (RHEL 9 says 5.14 on every minor release, with bpf_loop from
# 9.2), so a version number can neither pass nor refuse a kernel.
release=$(cat "$procfs/sys/kernel/osrelease" 2>/dev/null)
[[ -z $release ]] && ((!fake)) && release=$(uname -r)
if [[ -n $release ]]; then
  record "kernel version" PASS "$release (information: the rows below decide)"
else
  record "kernel version" WARN "cannot read the release from $procfs/sys/kernel/osrelease" \
    "check that procfs is mounted at $procfs"
fi

# ---- BTF: CO-RE relocations need the kernel's own type information.
btf="$sysfs/kernel/btf/vmlinux"
if [[ -r $btf ]]; then
  record "kernel BTF" PASS "$btf"
else
  record "kernel BTF" FAIL "$btf is missing" "use a kernel built with CONFIG_DEBUG_INFO_BTF=y"
fi

# ---- the bpf() syscall: its sysctl exists exactly when it is built in.
if [[ -e $procfs/sys/kernel/unprivileged_bpf_disabled ]]; then
  record "bpf() syscall" PASS "CONFIG_BPF_SYSCALL=y"
else
  record "bpf() syscall" FAIL "no bpf() syscall" "use a kernel built with CONFIG_BPF_SYSCALL=y"
fi

# ---- program types, map types and helpers of kernel/http_statistics.bpf.c
# (FAIL when missing) and of kernel/http_statistics_tls.bpf.c (HTTPS: WARN)
probe_note=""
if [[ -z $features_json ]] && ((!fake)); then
  if ! command -v bpftool >/dev/null; then
    probe_note="bpftool is not installed|apt-get install bpftool"
  elif [[ $(id -u) -ne 0 ]]; then
    probe_note="probing needs root|run as root (sudo scripts/kernel-check.sh)"
  else
    features_json=$(mktemp)
    trap 'rm -f "$features_json"' EXIT
    bpftool feature probe kernel --json >"$features_json" 2>/dev/null || : >"$features_json"
    [[ -s $features_json ]] || probe_note="bpftool feature probe failed|run bpftool feature probe kernel to see why"
  fi
elif [[ -z $features_json ]]; then
  probe_note="no --features-json given for this system|pass bpftool's JSON probe output with --features-json"
fi

if [[ -s $features_json ]]; then
  # One row per line: name, result, detail, fix (tab-separated).
  while IFS=$'\t' read -r n r d f; do record "$n" "$r" "$d" "$f"; done < <(
    python3 - "$features_json" <<'EOF'
import json, sys

f = json.load(open(sys.argv[1]))
progs, maps, helpers = (f.get(k) or {} for k in ("program_types", "map_types", "helpers"))

# What only HTTPS needs is a warning: plaintext HTTP is counted without it.
HTTPS_MISSING = "not available: HTTPS will not be counted"
HTTPS_FIX = "; HTTP without TLS is counted regardless"

def row(name, ok, fix, https=False):
    if ok:
        print("\t".join([name, "PASS", "available (HTTPS)" if https else "available", ""]))
    elif https:
        print("\t".join([name, "WARN", HTTPS_MISSING, fix + HTTPS_FIX]))
    else:
        print("\t".join([name, "FAIL", "not available", fix]))

# Program types by bpftool's name. The TLS side's uprobes and uretprobes are
# kprobe programs (BPF_PROG_TYPE_KPROBE).
for t, config, https in (("sock_ops", "CONFIG_CGROUP_BPF=y", False),
                         ("cgroup_skb", "CONFIG_CGROUP_BPF=y", False),
                         ("tracepoint", "CONFIG_BPF_EVENTS=y", False),
                         ("kprobe", "CONFIG_BPF_EVENTS=y and CONFIG_UPROBE_EVENTS=y", True)):
    row(f"program type {t}", progs.get(f"have_{t}_prog_type") is True,
        f"use a kernel built with {config}", https)
# HASH, LRU_HASH, PERCPU_HASH, PERCPU_ARRAY, RINGBUF, SK_STORAGE maps,
# PROG_ARRAY (hs_ingress tail-calls hs_handshake), and ARRAY for the
# programs' global variables (.bss, .rodata). The TLS object
# shares most of its maps with the socket side: a map type only it uses
# (CGROUP_ARRAY, for --cgroup) is a warning.
plaintext_maps = ["hash", "array", "lru_hash", "percpu_hash", "percpu_array", "ringbuf",
                  "sk_storage", "prog_array"]
tls_maps = ["hash", "array", "lru_hash", "percpu_hash", "percpu_array", "ringbuf",
            "cgroup_array"]
for m in plaintext_maps + [m for m in tls_maps if m not in plaintext_maps]:
    row(f"map type {m}", maps.get(f"have_{m}_map_type") is True,
        "use a kernel 5.15 or newer built with CONFIG_BPF_SYSCALL=y", m not in plaintext_maps)

# Helpers each program type calls (map lookups/updates are everywhere).
# BPF_CORE_READ reads through bpf_probe_read_kernel.
uses = {
    "cgroup_skb": ["bpf_skb_load_bytes", "bpf_loop", "bpf_sk_fullsock", "bpf_sk_storage_get",
                   "bpf_get_socket_cookie", "bpf_ktime_get_ns", "bpf_tail_call"],
    "sock_ops": ["bpf_sk_storage_get", "bpf_get_socket_cookie"],
    "tracepoint": ["bpf_get_current_task", "bpf_probe_read_kernel", "bpf_get_current_pid_tgid",
                   "bpf_get_current_comm", "bpf_ringbuf_reserve", "bpf_ringbuf_submit"],
    # SSL_read/SSL_write's buffers are user memory; the parser loops with
    # bpf_loop where there is one; a new server is announced through the ring buffer; with
    # --cgroup below the root, only that cgroup's tasks count.
    "kprobe": ["bpf_probe_read_user", "bpf_loop", "bpf_get_current_pid_tgid",
               "bpf_get_current_task", "bpf_probe_read_kernel", "bpf_ktime_get_ns",
               "bpf_get_current_comm", "bpf_ringbuf_reserve", "bpf_ringbuf_submit",
               "bpf_current_task_under_cgroup"],
}
for t, names in uses.items():
    available = set(helpers.get(f"{t}_available_helpers") or [])
    for h in names:
        if h == "bpf_loop" and h not in available:
            # The engine then loads its *_steps programs, which run the same
            # parser steps through global functions: exact, a little dearer.
            print("\t".join([f"helper {h} ({t})", "PASS",
                              "not available: the parser steps through global functions instead"
                              + (" (HTTPS)" if t == "kprobe" else ""), ""]))
            continue
        row(f"helper {h} ({t})", h in available,
            f"use a kernel that offers {h} to {t} programs", t == "kprobe")
EOF
  )
else
  record "BPF features" WARN "program, map and helper types not probed: ${probe_note%%|*}" "${probe_note#*|}"
fi

# ---- cgroup v2: the socket programs attach to its root. (A mounted cgroup v1
# net_cls/net_prio hierarchy no longer hides sockets from v2 programs since 5.15.)
cg2=$(mount_point_of cgroup2)
if [[ -n $cg2 ]]; then
  record "cgroup v2" PASS "mounted at $cg2"
elif [[ -n $(mount_point_of cgroup) ]]; then
  record "cgroup v2" FAIL "only cgroup v1 is mounted" \
    "mkdir -p /sys/fs/cgroup/unified && mount -t cgroup2 none /sys/fs/cgroup/unified"
else
  record "cgroup v2" FAIL "no cgroup2 mount" "mount -t cgroup2 none /sys/fs/cgroup"
fi

# ---- tracefs: the accept tracepoints attach through it. The daemon looks in
# the same two places and mounts it at /sys/kernel/tracing when it is absent.
tracing=""
for d in "$sysfs/kernel/tracing" "$sysfs/kernel/debug/tracing"; do
  [[ -e $d/events ]] && { tracing=$d; break; }
done
tracefs_mounted=$(mount_point_of tracefs)
need_mount=0
if [[ -n $tracing ]]; then
  record "tracefs" PASS "mounted at $tracing"
elif [[ -n $tracefs_mounted ]]; then
  record "tracefs" PASS "mounted at $tracefs_mounted (not readable by this user)"
elif grep -qw tracefs "$procfs/filesystems" 2>/dev/null; then
  need_mount=1
  record "tracefs" PASS "not mounted: the daemon mounts it at /sys/kernel/tracing while it attaches"
else
  record "tracefs" FAIL "the kernel has no tracefs" "use a kernel built with CONFIG_TRACING=y"
fi

# ---- tracepoints the engine attaches to. tracepoint_row NAME CONFIG EVENT...
# looks for each EVENT (group/name) in tracefs, or else asks the kernel
# configuration whether CONFIG makes them.
tracepoint_row() {
  local name=$1 config=$2 e
  shift 2
  if [[ -n $tracing ]]; then
    local missing=() found=()
    for e in "$@"; do
      if [[ -e $tracing/events/$e ]]; then found+=("${e#*/}"); else missing+=("${e#*/}"); fi
    done
    if ((${#missing[@]} == 0)); then
      record "$name" PASS "$(printf '%s, ' "${found[@]}" | sed 's/, $//')"
    else
      record "$name" FAIL "missing: ${missing[*]}" "use a kernel built with $config=y"
    fi
    return
  fi
  case $(kconfig "$config") in
    y) record "$name" PASS "$config=y" ;;
    n | m) record "$name" FAIL "$config is not set" "use a kernel built with $config=y" ;;
    *) record "$name" WARN "unknown: tracefs is not readable and the kernel config is not available" \
      "run as root, or rely on the daemon check" ;;
  esac
}
# Which process owns an accepted connection.
tracepoint_row "syscall tracepoints" CONFIG_FTRACE_SYSCALLS syscalls/sys_exit_accept4 syscalls/sys_exit_accept
# A counted process is gone.
tracepoint_row "exit tracepoint" CONFIG_TRACEPOINTS sched/sched_process_exit

# ---- lockdown: confidentiality mode takes bpf_probe_read_kernel away, which
# the accept tracepoints need; integrity is fine.
lockdown_file="$sysfs/kernel/security/lockdown"
cmdline=$(cat "$procfs/cmdline" 2>/dev/null)
lockdown_fail() { record "lockdown" FAIL "$1 (no bpf_probe_read_kernel)" "boot with lockdown=integrity or lockdown=none"; }
if [[ -r $lockdown_file ]]; then
  level=$(sed -n 's/.*\[\(.*\)\].*/\1/p' "$lockdown_file")
  if [[ $level == confidentiality ]]; then lockdown_fail "confidentiality"
  else record "lockdown" PASS "${level:-none}"
  fi
elif [[ " $cmdline " == *" lockdown=confidentiality "* ]]; then
  lockdown_fail "confidentiality (kernel command line)"
else
  # Without securityfs the level can only be what the build and the command
  # line set (raising it at run time needs securityfs).
  case $(kconfig CONFIG_LOCK_DOWN_KERNEL_FORCE_CONFIDENTIALITY)/$(kconfig CONFIG_SECURITY_LOCKDOWN_LSM) in
    y/*) lockdown_fail "confidentiality (forced by the kernel build)" ;;
    */n) record "lockdown" PASS "not built into this kernel" ;;
    */y) record "lockdown" PASS "integrity at most (kernel build and command line)" ;;
    *) record "lockdown" WARN "unknown: securityfs is not mounted and the kernel config is not available" \
      "mount -t securityfs securityfs /sys/kernel/security and run again" ;;
  esac
fi

# ---- privileges: CAP_BPF + CAP_PERFMON (or CAP_SYS_ADMIN, which implies
# both), CAP_NET_ADMIN (or CAP_SYS_ADMIN) for the socket programs, and
# CAP_SYS_ADMIN when tracefs has to be mounted. Root has them all.
capeff=$(awk '/^CapEff:/ {print $2}' "$procfs/self/status" 2>/dev/null)
if [[ $capeff =~ ^[0-9a-fA-F]+$ ]]; then
  caps=$((16#$capeff))
  has() { (((caps >> $1) & 1)); }
  lacking=()
  if ! has 21; then
    has 39 || lacking+=(CAP_BPF)
    has 38 || lacking+=(CAP_PERFMON)
    has 12 || lacking+=(CAP_NET_ADMIN)
    ((need_mount)) && lacking+=("CAP_SYS_ADMIN (to mount tracefs)")
  fi
  if ((${#lacking[@]} == 0)); then
    record "privileges" PASS "$(has 21 && echo CAP_SYS_ADMIN || echo CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN) (CapEff $capeff)"
  else
    missing_caps=$(printf '%s, ' "${lacking[@]}")
    record "privileges" FAIL "missing ${missing_caps%, } (effective uid $(awk '/^Uid:/ {print $3}' "$procfs/self/status"))" \
      "run as root (sudo scripts/kernel-check.sh)"
  fi
else
  record "privileges" WARN "cannot read CapEff from $procfs/self/status" "run as root"
fi

# ---- HTTPS: uprobes. libbpf creates them through the uprobe PMU
# (perf_event_open), or without one through tracefs's uprobe_events. Both
# exist exactly when the kernel is built with CONFIG_UPROBE_EVENTS=y (which
# needs CONFIG_UPROBES=y).
https_fix="; HTTP without TLS is counted regardless"
uprobes_fix="use a kernel built with CONFIG_UPROBES=y and CONFIG_UPROBE_EVENTS=y$https_fix"
pmus="$sysfs/bus/event_source/devices"
if [[ -r $pmus/uprobe/type ]]; then
  record "uprobes" PASS "uprobe PMU in $pmus (HTTPS)"
elif [[ -n $tracing && -e $tracing/uprobe_events ]]; then
  record "uprobes" PASS "uprobe_events in $tracing (HTTPS)"
elif [[ -n $(ls -A "$pmus" 2>/dev/null) ]]; then
  record "uprobes" WARN "HTTPS will not be counted: no uprobe PMU in $pmus" "$uprobes_fix"
else
  case $(kconfig CONFIG_UPROBES)/$(kconfig CONFIG_UPROBE_EVENTS) in
    y/y) record "uprobes" PASS "CONFIG_UPROBES=y, CONFIG_UPROBE_EVENTS=y (HTTPS)" ;;
    [nm]/* | */[nm]) record "uprobes" WARN \
      "HTTPS will not be counted: CONFIG_UPROBES or CONFIG_UPROBE_EVENTS is not set" "$uprobes_fix" ;;
    *) record "uprobes" WARN "unknown: $pmus is not readable and the kernel config is not available" \
      "check that sysfs is mounted at $sysfs, or rely on the daemon check" ;;
  esac
fi

# ---- HTTPS: the OpenSSL 3 libraries the uprobes attach to, found where the
# daemon looks (userspace/libssl_files.cpp): the system's own, and those that
# processes map, also inside containers. On a saved system its root is seen
# through $procfs/1/root.
system_libssl=(
  /usr/lib/x86_64-linux-gnu/libssl.so.3
  /usr/lib/aarch64-linux-gnu/libssl.so.3
  /usr/lib64/libssl.so.3
  /usr/lib/libssl.so.3
  /lib/libssl.so.3
  /usr/local/lib64/libssl.so.3
  /usr/local/lib/libssl.so.3
)
root_dir=""
((fake)) && root_dir="$procfs/1/root"
libssl=()
for p in "${system_libssl[@]}"; do
  [[ -f $root_dir$p ]] && libssl+=("$p")
done
# A mapping's path runs from its first '/' to the end of the line; a deleted
# file ends in " (deleted)" and is left out, as the daemon cannot open it.
# Processes of other users are not readable without root: they are skipped.
while IFS= read -r p; do
  [[ -n $p && " ${libssl[*]} " != *" $p "* ]] && libssl+=("$p")
done < <(sed -n 's|^[^/]*\(/.*/libssl\.so\.3\)$|\1|p' "$procfs"/[0-9]*/maps 2>/dev/null | sort -u)
if ((${#libssl[@]})); then
  found=$(printf '%s, ' "${libssl[@]:0:3}")
  found=${found%, }
  ((${#libssl[@]} > 3)) && found+=" and $((${#libssl[@]} - 3)) more"
  record "libssl.so.3" PASS "$found (HTTPS)"
else
  record "libssl.so.3" WARN "HTTPS will not be counted: no libssl.so.3 (OpenSSL 3) on this system" \
    "install OpenSSL 3 (apt-get install libssl3) if servers here use it$https_fix"
fi

# ---- the daemon's own check: load and attach everything, then detach
if ((run_daemon)); then
  if [[ -x $daemon ]]; then
    if out=$(timeout 120 "$daemon" check 2>&1); then
      record "daemon check" PASS "$(tail -n 1 <<<"$out")"
      # Its TLS side loads after the rest and may go without failing the
      # check: one line says what became of it.
      tls_line=$(grep -m 1 -e '^attached hs_ssl_' -e '^attached nothing for HTTPS' <<<"$out")
      case $tls_line in
        "attached hs_ssl_"*) record "daemon check (HTTPS)" PASS "${tls_line#attached }" ;;
        "attached nothing for HTTPS"*)
          record "daemon check (HTTPS)" WARN "${tls_line#attached }" \
            "fix the HTTPS warnings above, or see the message$https_fix" ;;
      esac
      # How near the largest program is to the verifier's limit here.
      largest=$(sed -n 's/^verified \([a-z0-9_]*\): \([0-9]*\) instructions processed (limit \([0-9]*\)).*/\2 \3 \1/p' <<<"$out" |
        sort -n | tail -n 1)
      if [[ -n $largest ]]; then
        read -r insns limit prog <<<"$largest"
        detail="largest program $prog: $insns of the $limit instructions the verifier processes at most"
        if ((insns * 2 > limit)); then
          record "verifier margin" WARN "$detail" "a later kernel or engine change may cross the limit: report it"
        else
          record "verifier margin" PASS "$detail"
        fi
      fi
    else
      # The daemon's message, whole: a verifier refusal names the program
      # and quotes the verifier's last lines.
      message=$(grep -v '^attached \|^verified \|^ok: \|^ *(see scripts/kernel-check.sh)$' <<<"$out" |
        sed 's/^http-statistics: //' | sed 's/^ *//' | paste -sd '|' | sed 's/|/ | /g')
      record "daemon check" FAIL "${message:-$(tail -n 1 <<<"$out")}" "fix the failures above, or see the message"
    fi
  else
    record "daemon check" WARN "$daemon is not built: loading not tried" "build it (scripts/build.sh) and run again"
  fi
fi

failed=0
for r in "${results[@]}"; do [[ $r == FAIL ]] && failed=1; done

if ((json)); then
  python3 - "$failed" "${#names[@]}" "${names[@]}" "${results[@]}" "${details[@]}" "${fixes[@]}" <<'EOF'
import json, sys
failed, n = int(sys.argv[1]), int(sys.argv[2])
a = sys.argv[3:]
checks = [{"check": a[i], "result": a[n + i], "detail": a[2 * n + i], "fix": a[3 * n + i]}
          for i in range(n)]
print(json.dumps({"ok": not failed, "checks": checks}, indent=2))
EOF
else
  width=5
  for n in "${names[@]}"; do ((${#n} > width)) && width=${#n}; done
  printf "%-${width}s  %-6s %s\n" CHECK RESULT DETAIL
  for i in "${!names[@]}"; do
    printf "%-${width}s  %-6s %s\n" "${names[$i]}" "${results[$i]}" "${details[$i]}"
    if [[ ${results[$i]} != PASS && -n ${fixes[$i]} ]]; then
      printf "%-${width}s  %-6s fix: %s\n" "" "" "${fixes[$i]}"
    fi
  done
  ((failed)) && echo "kernel-check: FAIL" || echo "kernel-check: ok"
fi
exit $failed
