#!/usr/bin/env python3
"""Fails when a crate's top-level modules import each other in a circle.

Reads every `crate::<module>` path (and `use crate::{a, b::c}` groups) in each crate's `src/`,
unit tests included, and draws an edge from the file's top-level module to each other
top-level module it names. Comment lines do not count; neither does the crate's `error`
module (every module may name it, and it names the types its variants carry: see
docs/architecture.md, "Module circles"). Prints each crate with its number of circles and the
files behind the first few; exits 1 when any crate has one.

Usage: scripts/module-circles.py [CRATE_DIR ...]   (default: every workspace crate)
"""

import collections
import os
import re
import sys

CRATES = ["runtime", "resources", "lint", "pip", "testkit", "iam", "cli", "tests"]


def code(text):
    return "\n".join(l for l in text.split("\n") if not l.lstrip().startswith("//"))


def edges_of(crate):
    src = os.path.join(crate, "src")
    tops = {f.removesuffix(".rs") for f in os.listdir(src) if f not in ("lib.rs", "main.rs")}
    edges, why = collections.defaultdict(set), {}
    for root, _, files in os.walk(src):
        for f in files:
            if not f.endswith(".rs"):
                continue
            path = os.path.join(root, f)
            top = os.path.relpath(path, src).split(os.sep)[0].removesuffix(".rs")
            if top in ("lib", "main"):
                continue
            with open(path, encoding="utf-8") as fh:
                text = code(fh.read())
            named = set(re.findall(r"crate::(\w+)", text))
            for group in re.finditer(r"use crate::\{(.*?)\};", text, re.S):
                named |= set(re.findall(r"(?:^|[,{\s])(\w+)(?=::|\s*[,}])", group.group(1)))
            for other in named:
                if other in tops and other not in (top, "error"):
                    edges[top].add(other)
                    why.setdefault((top, other), path)
    return edges, why


def circles(edges):
    found = set()

    def walk(node, path):
        for nxt in edges[node]:
            if nxt in path:
                cycle = path[path.index(nxt):]
                k = cycle.index(min(cycle))
                found.add(tuple(cycle[k:] + cycle[:k]))
            elif len(path) < 10:
                walk(nxt, path + [nxt])

    for node in list(edges):
        walk(node, [node])
    return found


def main():
    crates = sys.argv[1:] or CRATES
    failed = False
    for crate in crates:
        edges, why = edges_of(crate)
        found = circles(edges)
        print(f"{crate}: {len(found)} module circle(s)")
        for cycle in sorted(found, key=len)[:5]:
            hops = [why[(cycle[i], cycle[(i + 1) % len(cycle)])] for i in range(len(cycle))]
            print("  " + " -> ".join(cycle) + "  (" + ", ".join(hops) + ")")
        failed |= bool(found)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
