#!/usr/bin/env python3
"""Builds tests/corpus/: real public CloudFormation templates from pinned commits of several
repositories, each repository's licence beside its files, and tests/corpus/manifest.json
recording repository, commit, original path and whether cfn-lint parses it.

    scripts/corpus-build.py MIRROR_DIR

MIRROR_DIR holds one bare git directory per repository as `<owner>+<name>/repo` (a clone with
`git clone --bare https://github.com/<owner>/<name> <owner>+<name>/repo` at the commit below
gives the same files). The selection is deterministic: per source, the files matching its
pattern that look like a template (a top-level `Resources` key), sorted by path, then `limit`
of them evenly spaced, plus the few named in EXTRA. `cfn_lint_parses` is computed with cfn-lint 1.58.0 (what CI installs):
`cfnlint.decode.decode` returns a mapping and no error. The corpus test
(lint/tests/corpus.rs) reads the manifest; it never runs cfn-lint itself.
"""

import json
import os
import re
import subprocess
import sys
import tempfile

SOURCES = [
    # (repository, commit, path prefixes, limit, licence file)
    ("aws-cloudformation/aws-cloudformation-templates", "142ce6f283d285fa370adb7f9d332d7f46dac5fc",
     [""], 400, "LICENSE.txt"),
    ("aws-samples/serverless-patterns", "fb7b5d06c27d8abb1bd35e52ab7523acf4baab7b",
     [""], 100, "LICENSE"),
    ("aws/serverless-application-model", "7000d0a3b0e5e0d9fca014ce135850718aad1290",
     ["tests/translator/input/"], 60, "LICENSE"),
    ("aws-cloudformation/cfn-lint", "217397c819d2cebe4c1e836c9ab18fafd0e10135",
     ["test/fixtures/templates/good/", "test/fixtures/templates/quickstart/",
      "test/fixtures/templates/public/"], 60, "LICENSE"),
    ("bridgecrewio/checkov", "03d5fdad8d6154b1565799a7b1fb8070c158866f",
     ["tests/cloudformation/"], 50, "LICENSE"),
    ("stelligent/cfn_nag", "8b5f03da74202ba323a145e9d037ddce6cab9dec",
     ["spec/test_templates/"], 60, "LICENSE.md"),
]

# Added on purpose: every template of these repositories (2,837 that cfn-lint parses) that
# saphyr refuses, all for flow collections whose lines sit left of their key (PyYAML accepts
# them); measured with the same selection rules over each repository in full.
EXTRA = {
    "aws-samples/serverless-patterns": [
        "apigw-lambda-rust/template.yml",
        "apigw-ses-transformation/template.yaml",
        "appsync-lambda-sfn-sam/template.yaml",
        "lambda-iot-sam/template.yaml",
        "systems-manager-automation-to-stepfunctions/template.yaml",
    ],
    "bridgecrewio/checkov": [
        "tests/cloudformation/graph/graph_runner/resources/complex_jsonpath_if_condition/example.yaml",
    ],
}

EXTENSIONS = (".yaml", ".yml", ".json", ".template")
MAX_BYTES = 300_000
TEMPLATE = re.compile(rb'(^Resources\s*:)|("Resources"\s*:)', re.MULTILINE)


def git(gitdir, *args):
    return subprocess.run(["git", "--git-dir", gitdir, *args], check=True,
                          capture_output=True).stdout


def wanted(repo, path):
    if not path.lower().endswith(EXTENSIONS):
        return False
    if repo == "aws-samples/serverless-patterns":
        # Each pattern's own SAM or CloudFormation template, not its dependencies.
        return re.fullmatch(r"[^/]+/template\.ya?ml", path) is not None
    return not path.startswith(".github/")


def evenly(items, limit):
    if len(items) <= limit:
        return items
    return [items[(i * len(items)) // limit] for i in range(limit)]


def cfn_lint_parses(path):
    from cfnlint.decode import decode  # cfn-lint 1.58.0

    template, errors = decode(path)
    return isinstance(template, dict) and not errors


def main():
    import cfnlint.version

    if cfnlint.version.__version__ != "1.58.0":
        sys.exit(f"cfn-lint 1.58.0 is required, found {cfnlint.version.__version__}")
    mirror = sys.argv[1]
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "corpus")
    entries = []
    for repo, commit, prefixes, limit, licence in SOURCES:
        gitdir = os.path.join(mirror, repo.replace("/", "+"), "repo")
        owner_name = repo.replace("/", "+")
        paths = sorted(
            p for p in git(gitdir, "ls-tree", "-r", "--name-only", commit).decode().splitlines()
            if any(p.startswith(x) for x in prefixes) and wanted(repo, p)
        )
        candidates = []
        for path in paths:
            blob = git(gitdir, "show", f"{commit}:{path}")
            if len(blob) <= MAX_BYTES and TEMPLATE.search(blob):
                candidates.append((path, blob))
        chosen = evenly(candidates, limit)
        chosen += [c for c in candidates if c[0] in EXTRA.get(repo, []) and c not in chosen]
        for path, blob in chosen:
            out = os.path.join(root, owner_name, path)
            os.makedirs(os.path.dirname(out), exist_ok=True)
            with open(out, "wb") as f:
                f.write(blob)
            entries.append({
                "repository": repo,
                "commit": commit,
                "path": path,
                "file": f"{owner_name}/{path}",
                "cfn_lint_parses": cfn_lint_parses(out),
            })
        with open(os.path.join(root, owner_name, "LICENSE"), "wb") as f:
            f.write(git(gitdir, "show", f"{commit}:{licence}"))
    with open(os.path.join(root, "manifest.json"), "w") as f:
        json.dump({"cfn_lint_version": "1.58.0", "templates": entries}, f, indent=1)
        f.write("\n")
    parses = sum(e["cfn_lint_parses"] for e in entries)
    print(f"{len(entries)} templates, {parses} parsed by cfn-lint")


if __name__ == "__main__":
    main()
