#!/usr/bin/env bash
# Can this kernel run http-statistics? Checks what the engine actually uses and
# prints PASS/WARN/FAIL with a one-line fix for each failure.
#
#   scripts/kernel-check.sh [--json] [--daemon PATH | --no-daemon]
#                           [--sysfs DIR] [--procfs DIR] [--features-json FILE]
#
# Exit status: 0 when nothing failed, 1 otherwise, 2 on usage errors.
# --sysfs/--procfs/--features-json read a saved system instead of this one
# (used by the tests); the daemon check then does not run.
set -uo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
sysfs=/sys
procfs=/proc
features_json=""
json=0
daemon="$here/build/http-statistics"
run_daemon=1
fake=0

usage() { sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; }
while (($#)); do
  case $1 in
    --json) json=1 ;;
    --daemon) daemon=${2:?--daemon needs a path}; shift ;;
    --no-daemon) run_daemon=0 ;;
    --sysfs) sysfs=${2:?--sysfs needs a directory}; fake=1; shift ;;
    --procfs) procfs=${2:?--procfs needs a directory}; fake=1; shift ;;
    --features-json) features_json=${2:?--features-json needs a file}; fake=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "kernel-check: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done
((fake)) && run_daemon=0

names=() results=() details=() fixes=()
record() { names+=("$1"); results+=("$2"); details+=("$3"); fixes+=("${4:-}"); }

# ---- kernel version: bpf_loop (5.17) is the newest feature the engine needs.
release=$(cat "$procfs/sys/kernel/osrelease" 2>/dev/null || uname -r)
IFS=.- read -r major minor _ <<<"$release"
if ((major > 5 || (major == 5 && minor >= 17))); then
  record "kernel version" PASS "$release"
else
  record "kernel version" FAIL "$release (needs 5.17 or newer for bpf_loop)" \
    "upgrade the kernel to 5.17 or newer"
fi

# ---- BTF: CO-RE relocations need the kernel's own type information.
if [[ -r $sysfs/kernel/btf/vmlinux ]]; then
  record "kernel BTF" PASS "$sysfs/kernel/btf/vmlinux"
else
  record "kernel BTF" FAIL "$sysfs/kernel/btf/vmlinux is missing" \
    "use a kernel built with CONFIG_DEBUG_INFO_BTF=y"
fi

# ---- the bpf() syscall
if [[ -e $procfs/sys/kernel/unprivileged_bpf_disabled ]]; then
  record "bpf() syscall" PASS "CONFIG_BPF_SYSCALL=y"
else
  record "bpf() syscall" FAIL "no bpf() syscall" "use a kernel built with CONFIG_BPF_SYSCALL=y"
fi

# ---- program types, map types and helpers the engine uses
if [[ -z $features_json ]] && command -v bpftool >/dev/null && [[ $(id -u) -eq 0 ]]; then
  features_json=$(mktemp)
  trap 'rm -f "$features_json"' EXIT
  bpftool feature probe kernel --json >"$features_json" 2>/dev/null || : >"$features_json"
fi
if [[ -s ${features_json:-/nonexistent} ]]; then
  probe() { # $1 = python expression over `f` (the probe JSON) giving True/False
    python3 -c "import json,sys; f=json.load(open(sys.argv[1])); print('yes' if ($1) else 'no')" \
      "$features_json" 2>/dev/null
  }
  for t in cgroup_skb sock_ops tracepoint; do
    if [[ $(probe "f['program_types'].get('have_${t}_prog_type')") == yes ]]; then
      record "program type $t" PASS "available"
    else
      record "program type $t" FAIL "not available" "use a kernel with BPF $t programs (CONFIG_CGROUP_BPF=y, CONFIG_BPF_EVENTS=y)"
    fi
  done
  for m in sk_storage ringbuf percpu_hash percpu_array lru_hash; do
    if [[ $(probe "f['map_types'].get('have_${m}_map_type')") == yes ]]; then
      record "map type $m" PASS "available"
    else
      record "map type $m" FAIL "not available" "use a kernel with BPF $m maps (5.8 or newer)"
    fi
  done
  for h in bpf_sk_storage_get bpf_skb_load_bytes bpf_loop bpf_get_socket_cookie; do
    if [[ $(probe "'$h' in f['helpers'].get('cgroup_skb_available_helpers', [])") == yes ]]; then
      record "helper $h" PASS "available to cgroup_skb"
    else
      record "helper $h" FAIL "not available to cgroup_skb programs" "upgrade the kernel (5.17 or newer)"
    fi
  done
else
  record "BPF features" WARN "not probed (needs root and bpftool)" "run as root with bpftool installed"
fi

# ---- cgroup v2: the socket programs attach to its root
cg2=$(awk '$0 ~ / - cgroup2 / {print $5; exit}' "$procfs/self/mountinfo" 2>/dev/null)
if [[ -n $cg2 ]]; then
  record "cgroup v2" PASS "mounted at $cg2"
else
  record "cgroup v2" FAIL "no cgroup2 mount" "mount -t cgroup2 none /sys/fs/cgroup/unified (or boot with systemd.unified_cgroup_hierarchy)"
fi
if awk '$0 ~ / - cgroup / && ($0 ~ /net_cls/ || $0 ~ /net_prio/) {found=1} END {exit !found}' \
  "$procfs/self/mountinfo" 2>/dev/null; then
  record "cgroup v1 net_cls/net_prio" WARN "mounted: sockets of processes using them bypass cgroup v2 programs" \
    "unmount the v1 net_cls/net_prio hierarchies"
fi

# ---- tracefs: the accept tracepoints need it (the daemon mounts it if needed)
if awk '$0 ~ / - tracefs / {found=1} END {exit !found}' "$procfs/self/mountinfo" 2>/dev/null; then
  record "tracefs" PASS "mounted"
elif grep -qw tracefs "$procfs/filesystems" 2>/dev/null; then
  record "tracefs" PASS "supported, not mounted (the daemon mounts it at /sys/kernel/tracing)"
else
  record "tracefs" FAIL "not supported" "use a kernel with CONFIG_TRACING=y"
fi

# ---- lockdown: confidentiality mode forbids reading kernel memory from BPF
lockdown=$(cat "$sysfs/kernel/security/lockdown" 2>/dev/null || true)
case $lockdown in
  *"[confidentiality]"*) record "lockdown" FAIL "confidentiality" "boot with lockdown=integrity or none" ;;
  "") if [[ -d $sysfs/kernel/security && -n $(ls -A "$sysfs/kernel/security" 2>/dev/null) ]]; then
        record "lockdown" PASS "not enabled"
      else
        record "lockdown" WARN "unknown: securityfs is not mounted (integrity is fine, confidentiality is not)" \
          "mount -t securityfs securityfs /sys/kernel/security to check"
      fi ;;
  *) record "lockdown" PASS "$(sed 's/.*\[\(.*\)\].*/\1/' <<<"$lockdown")" ;;
esac

# ---- privileges: root, or CAP_BPF + CAP_PERFMON + CAP_NET_ADMIN + CAP_SYS_RESOURCE
capeff=$(awk '/^CapEff:/ {print $2}' "$procfs/self/status" 2>/dev/null)
if [[ -n $capeff ]]; then
  caps=$((16#$capeff))
  need=$(((1 << 39) | (1 << 38) | (1 << 12)))
  if (((caps & need) == need)) || (((caps >> 21) & 1)); then
    record "privileges" PASS "CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN present"
  else
    record "privileges" FAIL "missing CAP_BPF/CAP_PERFMON/CAP_NET_ADMIN" "run as root (or grant those capabilities)"
  fi
fi

# ---- the daemon's own check: load and attach everything, then detach
if ((run_daemon)); then
  if [[ -x $daemon ]]; then
    if out=$("$daemon" check 2>&1); then
      record "daemon check" PASS "$(tail -n 1 <<<"$out")"
    else
      record "daemon check" FAIL "$(tail -n 1 <<<"$out")" "fix the failures above, or see the message"
    fi
  else
    record "daemon check" WARN "$daemon not built: BPF loading not tried" "build it (scripts/build.sh) and run again"
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
  printf '%-28s %-5s %s\n' CHECK RESULT DETAIL
  for i in "${!names[@]}"; do
    printf '%-28s %-5s %s\n' "${names[$i]}" "${results[$i]}" "${details[$i]}"
    [[ ${results[$i]} != PASS && -n ${fixes[$i]} ]] && printf '%-28s %-5s fix: %s\n' "" "" "${fixes[$i]}"
  done
  ((failed)) && echo "kernel-check: FAIL" || echo "kernel-check: ok"
fi
exit $failed
