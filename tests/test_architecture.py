"""The floors of ../shared/ARCHITECTURE.md, held by tests: the data floor starts without PyBaMM,
no module imports upward (function-level imports included), no module is over 450 lines."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "nasim"
MAX_LINES = 450

#: floor -> floors of nasim it must never import (ARCHITECTURE.md's table); ``cli`` is imported
#: by nothing, and ``params`` imports only ``params``
FORBIDDEN = {
    "params": {"physics", "protocols", "analysis", "simulate", "interop", "fit", "sweep",
               "uncertainty", "plots", "cli"},
    "physics": {"simulate", "interop", "fit", "sweep", "uncertainty", "cli", "plots"},
    "protocols": {"simulate", "interop", "fit", "sweep", "uncertainty", "cli", "plots"},
    "analysis": {"simulate", "interop", "fit", "sweep", "uncertainty", "plots", "cli"},
    "simulate": {"interop", "fit", "sweep", "uncertainty", "cli"},
    "interop": {"fit", "sweep", "uncertainty", "cli"},
    "fit": {"sweep", "uncertainty", "cli"},
    "sweep": {"fit", "uncertainty", "cli"},
    # many runs of one built model, on the sweep's executors
    "uncertainty": {"fit", "cli"},
    "plots": {"simulate", "interop", "fit", "sweep", "uncertainty", "cli"},
    # output folders (atomic writes, run.json, locks): below every floor, used by all
    "rundir": {"params", "physics", "protocols", "analysis", "simulate", "interop", "fit",
               "sweep", "uncertainty", "plots", "cli"},
}
#: an audit that PyBaMM was never imported, run at interpreter exit
_NO_PYBAMM = ("import atexit, os, sys\n"
              "atexit.register(lambda: 'pybamm' in sys.modules and os._exit(99))\n")


def _run(*args: str, tmp_path: Path) -> subprocess.CompletedProcess:
    """``python <args>`` from the repository root, failing with 99 if PyBaMM got imported
    (a sitecustomize on the path registers the check)."""
    (tmp_path / "sitecustomize.py").write_text(_NO_PYBAMM)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)]),
           "PYBAMM_DISABLE_TELEMETRY": "true"}
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


def test_import_nasim_and_params_without_pybamm():
    code = ("import nasim, nasim.params, sys; nasim.params.load_cell; "
            "assert 'pybamm' not in sys.modules")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("args", [
    ("material", "NaNi0.5Mn0.5O2"),
    ("params", "validate", "parameter_sets/cells/heo_half.yaml"),
])
def test_data_verbs_do_not_import_pybamm(args, tmp_path):
    done = _run("-m", "nasim.cli", *args, tmp_path=tmp_path)
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])


def test_the_audit_sees_pybamm(tmp_path):
    """The sitecustomize audit does fail a process that imports PyBaMM."""
    assert _run("-c", "import pybamm", tmp_path=tmp_path).returncode == 99


def _floor(path: Path) -> str | None:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return parts[0] if parts[0] != "__init__" else None


def _imported_floors(source: str, package: str) -> list[tuple[int, str]]:
    """(line, floor) of every ``nasim.<floor>`` import in ``source`` (a module of
    ``package``), wherever it is written: module level, functions, ``if`` blocks."""
    tree = ast.parse(source)
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this module's package
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            names = [module] + ([f"{module}.{a.name}" for a in node.names]
                                if module == "nasim" else [])
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "nasim" and len(parts) > 1:
                out.append((node.lineno, parts[1]))
    return out


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_no_upward_imports():
    bad = []
    for path in _modules():
        floor = _floor(path)
        package = ".".join(path.relative_to(ROOT).parts[:-1])
        for line, target in _imported_floors(path.read_text(encoding="utf-8"), package):
            if target == "cli" and floor != "cli":
                bad.append(f"{path.relative_to(ROOT)}:{line} imports nasim.cli")
            elif floor in FORBIDDEN and target in FORBIDDEN[floor]:
                bad.append(f"{path.relative_to(ROOT)}:{line} ({floor}) imports nasim.{target}")
    assert not bad, "imports against ARCHITECTURE.md:\n" + "\n".join(bad)


def test_no_module_over_450_lines():
    long = [f"{p.relative_to(ROOT)}: {n} lines" for p in _modules()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES]
    assert not long, "\n".join(long)


def test_the_walk_sees_every_import_form():
    source = ("import nasim.fit\n"
              "def f():\n    from nasim.simulate import simulate\n"
              "if True:\n    from ..sweep import run\n"
              "from nasim import cli\n")
    assert sorted(t for _, t in _imported_floors(source, "nasim.analysis")) == [
        "cli", "fit", "simulate", "sweep"]
