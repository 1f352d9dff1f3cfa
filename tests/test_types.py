"""mypy --strict over what pyproject's [tool.mypy] lists (rules, services, models, bot, app.py...)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_mypy_strict_passes(tmp_path: Path) -> None:
    # a cache of its own: a stale or shared one (two suites at once) cannot hide or invent errors
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "mypy_cache")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, f"mypy failed:\n{done.stdout}{done.stderr}"
