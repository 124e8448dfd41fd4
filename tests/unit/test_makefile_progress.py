"""`make demo` and `make test` say what they install and do: no silent minutes of `pip --quiet` (issue 19).

`make -n` prints the recipe without running it; -B as on a fresh clone (nothing installed yet).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
@pytest.mark.parametrize("target", ["demo", "test"])
def test_every_step_is_announced_and_pip_lists_what_it_installs(tmp_path, target):
    recipe = subprocess.run(["make", "-n", "-B", target, f"VENV={tmp_path / 'venv'}"], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout.splitlines()
    installs = [i for i, line in enumerate(recipe) if " pip " in line and " install " in line]
    assert installs and all("--quiet" not in recipe[i] and "-q " not in recipe[i] for i in installs)
    assert all(recipe[i - 1].startswith("echo ") for i in installs)  # each pip announced by the line before
    last_step = {"demo": "relance demo", "test": "-m pytest"}[target]
    step = next(i for i, line in enumerate(recipe) if last_step in line and not line.startswith("echo "))
    said = []  # the echo lines just before the step
    for line in reversed(recipe[:step]):
        if not line.startswith("echo "):
            break
        said.append(line)
    assert any("==>" in line for line in said)
