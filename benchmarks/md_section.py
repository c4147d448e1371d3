#!/usr/bin/python3
"""Replaces (or appends) one "## Title" section of BENCHMARKS.md with the markdown in SECTION_FILE.

Usage: md_section.py BENCHMARKS.md SECTION_FILE
The section file starts with its own "## Title" line; the old section runs to the next "## " heading.
"""
import sys


def main():
    target, section_file = sys.argv[1], sys.argv[2]
    new = open(section_file, encoding="utf-8").read().rstrip("\n") + "\n"
    title = new.splitlines()[0]
    if not title.startswith("## "):
        sys.exit(f"{section_file} must start with a '## ' heading, got {title!r}")
    try:
        lines = open(target, encoding="utf-8").read().splitlines(keepends=True)
    except FileNotFoundError:
        lines = ["# Benchmarks\n", "\n", "Every figure here is written by a harness under `benchmarks/`; "
                 "each section names its command.\n"]
    out, i, replaced = [], 0, False
    while i < len(lines):
        if lines[i].rstrip("\n") == title:
            i += 1
            while i < len(lines) and not lines[i].startswith("## "):
                i += 1
            out.append(new + "\n")
            replaced = True
        else:
            out.append(lines[i])
            i += 1
    if not replaced:
        if out and out[-1].strip():
            out.append("\n")
        out.append(new)
    open(target, "w", encoding="utf-8").write("".join(out).rstrip("\n") + "\n")


if __name__ == "__main__":
    main()
