"""``python -m bench --compare REV NAME...``: the current tree and a git revision, in one run.

Machines here differ by 2x, so a figure from another day says little. Running the same
benchmark on the current tree and on ``REV`` (checked out in a temporary git worktree) one
after the other, on the same machine under the same load, makes a regression visible
whatever the machine: each figure is printed for both trees with the ratio current / REV.

Lines are paired by their text with the numbers taken out ("in-memory snapshot N
decisions/s"), so every benchmark's own output works unchanged; the first number of a line
is the one compared.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?")


def run_in(tree: Path, names: list[str], quick: bool) -> str:
    """One benchmark run with ``tree``'s code (its templates and migrations too)."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    command = [sys.executable, "-m", "bench", *names, *(["--quick"] if quick else [])]
    done = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"benchmark failed in {tree}:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def figures(output: str) -> dict[str, float]:
    """Each line's first number, keyed by the line with its numbers blanked out."""
    found: dict[str, float] = {}
    for line in output.splitlines():
        match = _NUMBER.search(line)
        if match:
            # Spaces collapsed too: a figure's padding changes with its width.
            label = " ".join(_NUMBER.sub("#", line).split())
            found.setdefault(label, float(match.group().replace(",", "")))
    return found


def compare(revision: str, names: list[str], quick: bool) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-compare-") as folder:
        tree = Path(folder) / "tree"
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), revision],
            check=True,
            capture_output=True,
        )
        try:
            before = run_in(tree, names, quick)
            current = run_in(ROOT, names, quick)
        finally:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)],
                check=False,
                capture_output=True,
            )
    print(f"== {revision}\n{before}\n== current tree\n{current}")
    old, new = figures(before), figures(current)
    print(f"{'figure':<60} {revision[:12]:>14} {'current':>14}  current/{revision[:12]}")
    for label, value in new.items():
        if label in old and old[label]:
            ratio = value / old[label]
            print(f"{label[:60]:<60} {old[label]:>14,.1f} {value:>14,.1f}  {ratio:.2f}x")
