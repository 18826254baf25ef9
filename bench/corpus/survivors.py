"""Which corpus templates a peer linter gets through, for scripts/bench-corpus.sh (not timed).

Usage: python3 survivors.py MODE FILES_LIST -- CMD [ARGS...]

cfn-guard and checkov stop a whole multi-template run at the first template they cannot handle
(cfn-guard: a parser error, exit 255; checkov 3.3.30: no JSON report, a Python exception, on
some templates), so each is timed over the templates it gets through, found here:

- `each`: CMD FILE per template; a template is read when the exit code is 0 or 19 (cfn-guard:
  pass, or rules failed).
- `bisect`: CMD FILE... on chunks of 40, halving a chunk whose run gives no JSON report until
  the templates that stop it are found (checkov). Templates checkov skips as unparsable
  (its summary's `parsing_errors`) do not stop it; their number is reported.

Prints JSON: {"read": [...], "stopped": [...], "parsing_errors": N}.
"""

import json
import subprocess
import sys

mode, listing = sys.argv[1], sys.argv[2]
cmd = sys.argv[sys.argv.index("--") + 1 :]
files = [line.strip() for line in open(listing) if line.strip()]
read, stopped, parsing_errors = [], [], 0


def report(chunk):
    """checkov's JSON report over `chunk`, or None when the run stopped without one."""
    out = subprocess.run(cmd + chunk, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        data = json.loads(out.stdout)
    except ValueError:
        return None
    return data[0] if isinstance(data, list) else data


def bisect(chunk):
    global parsing_errors
    data = report(chunk)
    if data is not None:
        read.extend(chunk)
        # A run with no results prints the summary alone.
        parsing_errors += data.get("summary", data).get("parsing_errors", 0)
    elif len(chunk) == 1:
        stopped.append(chunk[0])
    else:
        half = len(chunk) // 2
        bisect(chunk[:half])
        bisect(chunk[half:])


if mode == "each":
    for f in files:
        code = subprocess.run(cmd + [f], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
        (read if code in (0, 19) else stopped).append(f)
elif mode == "bisect":
    for i in range(0, len(files), 40):
        bisect(files[i : i + 40])
else:
    sys.exit(f"unknown mode {mode}")
print(json.dumps({"read": read, "stopped": stopped, "parsing_errors": parsing_errors}))
