"""Runs a command RUNS times; prints "<median wall seconds> <peak RSS KiB>".

Usage: python3 measure.py RUNS CMD [ARGS...]
Wall time with perf_counter (microseconds, unlike /usr/bin/time's 10 ms); peak RSS of each run
from wait4's rusage of that child. The exit code is ignored: linters exit non-zero on findings.
"""

import os
import statistics
import subprocess
import sys
import time

runs, cmd = int(sys.argv[1]), sys.argv[2:]
times, peak = [], 0
for _ in range(runs):
    start = time.perf_counter()
    child = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, _, usage = os.wait4(child.pid, 0)
    times.append(time.perf_counter() - start)
    peak = max(peak, usage.ru_maxrss)
print(f"{statistics.median(times):.6f} {peak}")
