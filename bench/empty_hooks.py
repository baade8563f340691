"""Programs that do nothing, on packet hooks: what a hook costs before any work.

bench/overhead.py's variant E: `return 1` (let the packet through) on cgroup_skb
ingress and egress of the cgroup v2 root, attached through BPF links as the daemon
attaches hs_ingress and hs_egress. What nginx pays under them is what any design on
these hooks pays before it does any work: the floor under the engine's overhead.

Variant T: the same on the other hook a packet design could use, tc (tcx ingress and
egress of an interface; the benchmark's traffic is all on lo).

Two instructions need no compiler and no object file: they are loaded with the bpf()
system call, and the links hold them only as long as this process holds their file
descriptors. Nothing outlives the benchmark, not even after a kill -9.
"""

import contextlib
import ctypes
import errno
import os
import platform
import re
import socket
import struct

# bpf() commands, program types and attach types (include/uapi/linux/bpf.h).
BPF_PROG_LOAD = 5
BPF_LINK_CREATE = 28
BPF_PROG_TYPE_SCHED_CLS = 3
BPF_PROG_TYPE_CGROUP_SKB = 8
BPF_CGROUP_INET_INGRESS = 0
BPF_CGROUP_INET_EGRESS = 1
BPF_TCX_INGRESS = 46
BPF_TCX_EGRESS = 47
SYSCALL_NUMBERS = {"x86_64": 321, "aarch64": 280}


def _return(value):
    """r0 = value (BPF_ALU64 | BPF_MOV | BPF_K); exit (BPF_JMP | BPF_EXIT)."""
    return struct.pack("<BBhi", 0xB7, 0, 0, value) + struct.pack("<BBhi", 0x95, 0, 0, 0)


# (program name, program type, attach type, what it returns: let the packet through)
CGROUP_SKB = (
    ("hs_empty_in", BPF_PROG_TYPE_CGROUP_SKB, BPF_CGROUP_INET_INGRESS, 1),
    ("hs_empty_out", BPF_PROG_TYPE_CGROUP_SKB, BPF_CGROUP_INET_EGRESS, 1),
)
TCX = (
    ("hs_empty_tc_in", BPF_PROG_TYPE_SCHED_CLS, BPF_TCX_INGRESS, 0),  # TCX_PASS
    ("hs_empty_tc_out", BPF_PROG_TYPE_SCHED_CLS, BPF_TCX_EGRESS, 0),
)
ATTR_SIZE = 128  # larger than every field used; the kernel wants the rest zero


class EmptyHooksError(Exception):
    """The programs could not be loaded or attached."""


def _bpf(cmd, attr, what):
    nr = SYSCALL_NUMBERS.get(platform.machine())
    if nr is None:
        raise EmptyHooksError(f"no bpf() system call number known for {platform.machine()}")
    libc = ctypes.CDLL(None, use_errno=True)
    # syscall() is variadic: every argument must be passed as a full long.
    fd = libc.syscall(
        ctypes.c_long(nr), ctypes.c_long(cmd), ctypes.byref(attr), ctypes.c_long(ATTR_SIZE)
    )
    if fd < 0:
        err = ctypes.get_errno()
        raise EmptyHooksError(f"{what}: {os.strerror(err)} ({errno.errorcode.get(err, err)})")
    return fd


def _load(name, prog_type, attach_type, value):
    code = _return(value)
    insns = ctypes.create_string_buffer(code, len(code))
    license_ = ctypes.create_string_buffer(b"GPL")
    attr = ctypes.create_string_buffer(ATTR_SIZE)
    struct.pack_into("<II", attr, 0, prog_type, len(code) // 8)
    struct.pack_into("<QQ", attr, 8, ctypes.addressof(insns), ctypes.addressof(license_))
    struct.pack_into("16s", attr, 48, name.encode())  # prog_name
    struct.pack_into("<I", attr, 68, attach_type)  # expected_attach_type
    return _bpf(BPF_PROG_LOAD, attr, f"loading {name}")


def _link(prog_fd, target, attach_type, what):
    """target: a cgroup directory's fd, or an interface index for tcx."""
    attr = ctypes.create_string_buffer(ATTR_SIZE)
    struct.pack_into("<III", attr, 0, prog_fd, target, attach_type)
    return _bpf(BPF_LINK_CREATE, attr, what)


def prog_id(fdinfo_path):
    """The id of the BPF program an fd (its /proc/<pid>/fdinfo/<fd>) refers to, or
    None when it is no program's fd or is gone."""
    try:
        with open(fdinfo_path, encoding="ascii", errors="replace") as f:
            m = re.search(r"^prog_id:\s+(\d+)", f.read(), re.M)
    except OSError:
        return None
    return int(m.group(1)) if m else None


class EmptyHooks(contextlib.AbstractContextManager):
    """Empty programs attached for the duration of a with-block: on cgroup_skb of a
    cgroup v2 directory (cgroup=PATH), or on tcx of an interface (interface=NAME)."""

    def __init__(self, cgroup=None, interface=None):
        assert (cgroup is None) != (interface is None)
        self.cgroup = cgroup
        self.interface = interface
        self.fds = []
        self.prog_ids = {}  # name -> id

    def __enter__(self):
        try:
            if self.cgroup is not None:
                programs, where = CGROUP_SKB, f"cgroup v2 directory {self.cgroup}"
                target = os.open(self.cgroup, os.O_RDONLY | os.O_DIRECTORY)
                self.fds.append(target)
            else:
                programs, where = TCX, self.interface
                target = socket.if_nametoindex(self.interface)
            for name, prog_type, attach_type, value in programs:
                prog_fd = _load(name, prog_type, attach_type, value)
                self.fds.append(prog_fd)
                self.prog_ids[name] = prog_id(f"/proc/self/fdinfo/{prog_fd}")
                self.fds.append(_link(prog_fd, target, attach_type, f"attaching {name} to {where}"))
        except OSError as e:
            self.close()
            raise EmptyHooksError(str(e)) from e
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def close(self):
        """Closing the links detaches the programs; closing the programs frees them."""
        while self.fds:
            with contextlib.suppress(OSError):
                os.close(self.fds.pop())

    def ids(self):
        return set(self.prog_ids.values())
