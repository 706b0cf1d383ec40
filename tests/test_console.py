"""A quiet terminal: solver C output and PyBaMM warnings go to OUT/solver.log, one summary line
is printed instead; --quiet prints nothing but errors; failure hints name the likely cause."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from nasim.simulate.ends import likely_cause

ROOT = Path(__file__).resolve().parent.parent
NOISE = ("[ERROR]", "SolverWarning", "site-packages")


def _nasim(*args: str) -> subprocess.CompletedProcess:
    """The command as a user runs it: its own process, so C output to fd 2 is seen too."""
    env = {**os.environ, "PYBAMM_DISABLE_TELEMETRY": "true"}
    return subprocess.run([sys.executable, "-m", "nasim.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)


def test_quiet_replay_prints_no_solver_noise(tmp_path):
    out = tmp_path / "D"
    done = _nasim("replay", "experiments/heo_half_rate_25C.yaml", "--model", "DFN", "--quiet",
                  "--out", str(out))
    assert done.returncode == 0, done.stderr[-3000:]
    text = done.stdout + done.stderr
    assert not [line for line in text.splitlines() if any(n in line for n in NOISE)], text
    assert text.strip() == ""
    log = (out / "solver.log").read_text()
    assert "SolverWarning" in log  # PyBaMM's conductivity-table warning went there


def test_solver_failure_is_logged_and_blames_the_temperature(tmp_path):
    out = tmp_path / "cold"
    done = _nasim("simulate", "parameter_sets/cells/heo_half.yaml", "--model", "DFN",
                  "--c-rate", "1", "--temperature-C", "-60", "--out", str(out))
    assert done.returncode == 1
    assert "[ERROR]" not in done.stderr + done.stdout
    assert "likely cause: the temperature" in done.stderr
    assert "current" not in done.stderr.split("likely cause")[1].split("\n")[0]
    assert "1 failures" in done.stderr and str(out / "solver.log") in done.stderr
    assert "[ERROR]" in (out / "solver.log").read_text()


def test_verbose_shows_the_solver(tmp_path):
    done = _nasim("simulate", "parameter_sets/cells/heo_half.yaml", "--model", "DFN",
                  "--c-rate", "1", "--temperature-C", "-60", "--verbose", "--out",
                  str(tmp_path / "v"))
    assert done.returncode == 1 and "[ERROR]" in done.stderr


@pytest.mark.parametrize(("temperature_C", "c_rate", "cause"), [
    (-60, 1, "temperature"), (-60, 20, "temperature"), (25, 20, "current"),
    (25, 1, "table"), (None, None, "table")])
def test_likely_cause(temperature_C, c_rate, cause):
    assert cause in likely_cause(temperature_C, c_rate)
