"""One benchmark, run against an earlier revision and this checkout, in turns.

A change's effect on this shared, noisy machine is only visible side by
side: the same script, the code before and after, one after the other,
several times. This does that::

    python bench/ab.py --base 3cb1883 --rounds 3 bench_proxy.py --changing

``--base``'s files are written to a temporary directory (``git archive``;
``_version.py``, which the build writes, is copied from this checkout), and
each round runs the named script of each revision in turn (the base first,
then this checkout, swapped every other round, so neither always runs on a
machine the other warmed), with that revision's directory as the working
directory and first on ``PYTHONPATH``: the benchmark, its Jupyter server
(which ``tests/live_server.py`` starts in a directory of its own, so the
checkout cannot shadow it) and the code they run are that revision's. The
scripts' own output is printed, each under a line naming the revision and
the load average; the ratios to read are the ones each script prints
against its own baseline, compared between revisions.

Run from the repository root with the project's environment active. The
base must have the script (and the options given).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _loadavg() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def export(revision: str, into: Path) -> str:
    """Write ``revision``'s tracked files into ``into``; its short hash."""
    commit = subprocess.run(
        ["git", "rev-parse", "--short", f"{revision}^{{commit}}"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    archive = subprocess.Popen(["git", "archive", commit], cwd=ROOT, stdout=subprocess.PIPE)
    subprocess.run(["tar", "-x", "-C", str(into)], stdin=archive.stdout, check=True)
    if archive.wait() != 0:
        raise SystemExit(f"git archive {commit} failed")
    version = ROOT / "jupyter_notebook_remote" / "_version.py"
    if version.exists():
        shutil.copy(version, into / "jupyter_notebook_remote" / "_version.py")
    return commit


def run(name: str, tree: Path, script: str, args: list[str]) -> int:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(tree), os.environ.get("PYTHONPATH", "")]),
    }
    print(f"\n=== {name}, load average {_loadavg()}", flush=True)
    return subprocess.run(
        [sys.executable, str(tree / "bench" / script), *args], cwd=tree, env=env
    ).returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", required=True, help="the earlier revision (a commit, a tag)")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each revision")
    parser.add_argument("script", help="a script in bench/, e.g. bench_proxy.py")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="the script's own options")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    if "/" in args.script or not (ROOT / "bench" / args.script).is_file():
        parser.error(f"no script {args.script!r} in bench/")
    with tempfile.TemporaryDirectory(prefix="notebook-remote-ab-") as tmp:
        base_tree = Path(tmp)
        commit = export(args.base, base_tree)
        if not (base_tree / "bench" / args.script).is_file():
            parser.error(f"{args.base} has no bench/{args.script}")
        sides = [(f"base {commit}", base_tree), ("this checkout", ROOT)]
        for number in range(args.rounds):
            for name, tree in sides if number % 2 == 0 else sides[::-1]:
                if run(f"round {number + 1}: {name}", tree, args.script, args.args) != 0:
                    print(f"{name}: {args.script} failed", file=sys.stderr)
                    return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
