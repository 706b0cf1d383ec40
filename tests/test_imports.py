"""Importing nasim changes nothing in the user's process: no environment variable is set and
matplotlib's backend stays the one the user chose (the command line chooses its own)."""

from __future__ import annotations

import json
import subprocess
import sys

CHECK = """
import json, os
import matplotlib
matplotlib.use("svg")
def changed(before):
    return sorted(k for k in set(before) | set(os.environ) if before.get(k) != os.environ.get(k))
before = dict(os.environ)
import nasim
import nasim.plots
import nasim.plots.report, nasim.plots.sweep, nasim.plots.energy
cell = nasim.load_cell("parameter_sets/cells/heo_half.yaml")
lazy = changed(before)
import pybamm  # casadi sets CASADIPATH for itself: not nasim's doing
before = dict(os.environ)
import nasim.simulate, nasim.fit, nasim.sweep
print(json.dumps({"backend": matplotlib.get_backend(), "lazy": lazy,
                  "simulate": changed(before)}))
"""


def _run(env_extra: dict | None = None) -> dict:
    import os
    from pathlib import Path

    env = {k: v for k, v in os.environ.items() if k not in ("MPLBACKEND",)}
    env.update(env_extra or {})
    out = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True,
                         env=env, cwd=Path(__file__).resolve().parent.parent, timeout=120,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_import_keeps_backend_and_environment():
    seen = _run({"PYBAMM_DISABLE_TELEMETRY": "true"})
    assert seen["backend"] == "svg"
    assert seen["lazy"] == [] and seen["simulate"] == []


def test_cli_sets_its_own_environment(monkeypatch, capsys):
    """The command line (not the package) switches telemetry off and draws with Agg."""
    import os

    import matplotlib

    from nasim.cli import main

    monkeypatch.delenv("PYBAMM_DISABLE_TELEMETRY", raising=False)
    assert main(["material", "NaFeO2"]) == 0
    assert os.environ["PYBAMM_DISABLE_TELEMETRY"] == "true"
    assert matplotlib.get_backend().lower() == "agg"
    capsys.readouterr()
