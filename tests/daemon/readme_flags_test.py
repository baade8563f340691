#!/usr/bin/env python3
"""ctest readme_flags: the flags README.md documents are exactly the flags
`http-statistics --help` and `http-statistics top --help` print, and the
commands in --help are the ones README's "Running" block shows.

README keeps each flag table right after a marker line
`<!-- flags: http-statistics -->` (or `... top -->`); its first column holds
each spelling in backticks, with the value's name: `--limit N`, `-h`, `--help`.

    readme_flags_test.py --daemon PATH --readme README.md
"""

import argparse
import re
import subprocess
import sys

# "  --flag VALUE, -x   text" in --help: the spellings before the text.
HELP_FLAG = re.compile(r"^  (-[^\s,]+(?: [A-Z][A-Z0-9:_]*)?(?:, -[^\s,]+(?: [A-Z][A-Z0-9:_]*)?)*)(?: {2,}|$)")
HELP_COMMAND = re.compile(r"^  ([a-z][a-z-]*) {2,}")


def help_text(daemon, args):
    r = subprocess.run([daemon] + args + ["--help"], capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise SystemExit(f"FAIL: {' '.join(args + ['--help'])} exited {r.returncode}: {r.stderr}")
    return r.stdout


def help_sections(text):
    """{section title: [lines]} for "Options:", "Commands:", ..."""
    sections, current = {}, None
    for line in text.splitlines():
        if re.match(r"^[A-Z][A-Za-z ]*:$", line):
            current = sections.setdefault(line[:-1], [])
        elif current is not None and line.strip():
            current.append(line)
    return sections


def help_flags(text):
    flags = set()
    for line in help_sections(text).get("Options", []):
        m = HELP_FLAG.match(line)
        if m:
            flags.update(m.group(1).split(", "))
    return flags


def help_commands(text):
    return {m.group(1) for line in help_sections(text).get("Commands", [])
            if (m := HELP_COMMAND.match(line))}


def readme_flags(readme, name):
    lines = readme.splitlines()
    marker = f"<!-- flags: {name} -->"
    if marker not in lines:
        raise SystemExit(f"FAIL: README.md has no '{marker}' line before a flag table")
    flags, rows = set(), 0
    for line in lines[lines.index(marker) + 1:]:
        if not line.startswith("|"):
            break
        first = line.split("|")[1]
        if re.fullmatch(r"\s*-+\s*", first) or first.strip() == "flag":
            continue  # separator or header
        rows += 1
        spellings = re.findall(r"`([^`]+)`", first)
        if not spellings:
            raise SystemExit(f"FAIL: README flag row without a `flag`: {line}")
        flags.update(spellings)
    if not rows:
        raise SystemExit(f"FAIL: the table after '{marker}' is empty")
    return flags


def readme_commands(readme):
    running = readme.split("\n## Running\n", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^build/http-statistics ([a-z][a-z-]*)\b", running, re.M))


def compare(what, in_help, in_readme):
    problems = []
    for f in sorted(in_help - in_readme):
        problems.append(f"{what}: '{f}' is in --help but not in README.md")
    for f in sorted(in_readme - in_help):
        problems.append(f"{what}: '{f}' is in README.md but not in --help")
    return problems


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--daemon", required=True)
    parser.add_argument("--readme", required=True)
    args = parser.parse_args()
    with open(args.readme, encoding="utf-8") as f:
        readme = f.read()

    daemon_help = help_text(args.daemon, [])
    top_help = help_text(args.daemon, ["top"])
    checks = [
        ("http-statistics flags", help_flags(daemon_help), readme_flags(readme, "http-statistics")),
        ("http-statistics top flags", help_flags(top_help),
         readme_flags(readme, "http-statistics top")),
        ("commands", help_commands(daemon_help), readme_commands(readme)),
    ]
    problems = []
    for what, in_help, in_readme in checks:
        # A parser that finds nothing would make the comparison pass vacuously.
        if len(in_help) < 2:
            problems.append(f"{what}: found only {sorted(in_help)} in --help; has its format changed?")
        problems += compare(what, in_help, in_readme)
        print(f"{what}: {len(in_help)} in --help, {len(in_readme)} in README.md")
    for p in problems:
        print(f"FAIL: {p}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
