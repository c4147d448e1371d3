#!/usr/bin/python3
"""Replaces (or appends) one "## Title" section, or one "### Title" subsection, of BENCHMARKS.md.

Usage: md_section.py BENCHMARKS.md SECTION_FILE [PARENT]
The section file starts with its own heading line.
- "## Title": the old section runs to the next "## " heading. Subsections of the old section that another harness
  writes (a "### " heading naming its script as "(`benchmarks/run-....sh`)") are kept at its end unless the new
  text has the same heading.
- "### Title": the old subsection runs to the next "## " or "### " heading; a new one is appended at the end of the
  PARENT section (its "## " heading line).
"""
import sys


def own_harness(heading):
    return heading.startswith("### ") and "(`benchmarks/run-" in heading


def main():
    target, section_file = sys.argv[1], sys.argv[2]
    parent = sys.argv[3] if len(sys.argv) > 3 else None
    new = open(section_file, encoding="utf-8").read().rstrip("\n") + "\n"
    title = new.splitlines()[0]
    sub = title.startswith("### ")
    if not (title.startswith("## ") or sub):
        sys.exit(f"{section_file} must start with a '## ' or '### ' heading, got {title!r}")
    if sub and not parent:
        sys.exit("a '### ' subsection needs the PARENT '## ' heading")
    try:
        lines = open(target, encoding="utf-8").read().splitlines(keepends=True)
    except FileNotFoundError:
        lines = ["# Benchmarks\n", "\n", "Every figure here is written by a harness under `benchmarks/`; "
                 "each section names its command.\n"]
    new_headings = {l for l in new.splitlines() if l.startswith("### ")}
    out, i, replaced = [], 0, False
    while i < len(lines):
        line = lines[i].rstrip("\n")
        if line == title:
            i += 1
            kept = []
            while i < len(lines) and not lines[i].startswith("## ") and not (sub and lines[i].startswith("### ")):
                h = lines[i].rstrip("\n")
                if not sub and own_harness(h) and h not in new_headings:
                    block = [lines[i]]
                    i += 1
                    while i < len(lines) and not lines[i].startswith("## ") and not lines[i].startswith("### "):
                        block.append(lines[i])
                        i += 1
                    kept.append("".join(block).rstrip("\n") + "\n\n")
                    continue
                i += 1
            out.append(new + "\n" + "".join(kept))
            replaced = True
        elif sub and not replaced and line == parent:
            # Copy the parent section; append the subsection at its end unless it is found inside.
            out.append(lines[i])
            i += 1
            body = []
            while i < len(lines) and not lines[i].startswith("## "):
                body.append(lines[i])
                i += 1
            if any(b.rstrip("\n") == title for b in body):
                lines = lines[:i - len(body)] + body + lines[i:]
                i -= len(body)
                continue
            text = "".join(body).rstrip("\n") + "\n\n" + new + "\n"
            out.append(text)
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
