#!/usr/bin/env python3
"""Prints p50/p99 per-iteration times from Criterion's raw samples (target/criterion/*/new/sample.json).

Criterion reports means and confidence intervals; the issue's target is a p99, so this reads the
per-sample averages (each sample is many iterations) and reports their percentiles.
"""
import json
import pathlib
import sys

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "target/criterion")
for sample in sorted(root.glob("verify_3kb_*/new/sample.json")):
    data = json.loads(sample.read_text())
    per_iter = sorted(t / n for t, n in zip(data["times"], data["iters"]))
    def pct(p):
        return per_iter[min(len(per_iter) - 1, round(p / 100 * (len(per_iter) - 1)))]
    name = sample.parent.parent.name
    print(f"{name}: p50 {pct(50) / 1e3:.1f} µs, p99 {pct(99) / 1e3:.1f} µs ({len(per_iter)} samples)")
