"""Reads a systemd unit file: sections of (key, value) in file order."""

CAPABILITY_PREFIX = "CAP_"


def parse(path):
    sections = {}
    current = None
    pending = ""
    with open(path, encoding="utf-8") as f:
        for raw in f:
            line = pending + raw.rstrip("\n")
            pending = ""
            stripped = line.strip()
            if stripped.endswith("\\"):  # continued on the next line
                pending = stripped[:-1] + " "
                continue
            if not stripped or stripped[0] in "#;":
                continue
            if stripped.startswith("[") and stripped.endswith("]"):
                current = sections.setdefault(stripped[1:-1], [])
                continue
            key, _, value = stripped.partition("=")
            current.append((key.strip(), value.strip()))
    return sections


def values(sections, section, key):
    return [v for k, v in sections.get(section, []) if k == key]


def value(sections, section, key):
    """The last value of `key` (the one systemd applies), or None."""
    found = values(sections, section, key)
    return found[-1] if found else None


def capability_set(names):
    """Capability names without the CAP_ prefix, upper case: {"BPF", ...}."""
    out = set()
    for n in names:
        n = n.upper()
        out.add(n[len(CAPABILITY_PREFIX) :] if n.startswith(CAPABILITY_PREFIX) else n)
    return out


def bounding_set(sections):
    caps = []
    for v in values(sections, "Service", "CapabilityBoundingSet"):
        caps += v.split()
    return capability_set(caps)
