"""Compiled DFN builds (nasim/simulate/compile.py): when nasim compiles by default, and that a
compiled build takes the cell's values as inputs, so that one library serves every value."""

import hashlib

import numpy as np
import pytest
from pybamm.solvers import idaklu_solver

import nasim
from nasim.simulate import compile as compile_
from nasim.simulate.engine import CellRunner, constant_current_step
from nasim.simulate.mesh import Mesh
from tests.conftest import CELLS

COARSE = Mesh.uniform(6)  # a fast build; the values-as-inputs rule does not depend on it


def test_default_is_the_dfn_where_gcc_is_found(monkeypatch):
    monkeypatch.setenv(compile_.ENV_SWITCH, "1")
    monkeypatch.setattr(compile_.shutil, "which", lambda name: f"/usr/bin/{name}")
    assert compile_.default_for("DFN")
    assert not compile_.default_for("SPMe") and not compile_.default_for("SPM")
    monkeypatch.setenv(compile_.ENV_SWITCH, "0")
    assert not compile_.default_for("DFN")
    monkeypatch.setenv(compile_.ENV_SWITCH, "1")
    monkeypatch.setattr(compile_.shutil, "which", lambda name: None)  # no compiler: no compile
    assert not compile_.default_for("DFN")


def _discharge(cell, c_rate=2.0):
    return constant_current_step(cell, "discharge", cell.current_A(c_rate=c_rate),
                                 cell.cell.ambient_temperature.si)


def test_a_compiled_build_takes_the_values_as_inputs(monkeypatch):
    """Two cells that differ in a scalar value (the separator porosity), a function's value
    (the cathode diffusivity) and the contact resistance hand IDAKLU's compile the same
    functions (one library), and each compiled run gives its own cell's uncompiled result. The
    compile is recorded, not run (no gcc needed)."""
    seen = []

    def record(fns, **kwargs):
        seen.append(hashlib.sha256(b"".join(f.serialize().encode() for f in fns)).hexdigest())
        return fns

    monkeypatch.setattr(idaklu_solver, "aot_compile", record)
    base = nasim.load_cell(CELLS / "heo_half.yaml")
    other = nasim.load_cell(CELLS / "heo_half.yaml", {  # new values, the files' sources kept
        "separator.porosity": {"value": 0.8}, "cathode.material.diffusivity": {"value": 3e-15},
        "contact_resistance": {"value": 20}})
    results = []
    for cell in (base, other):
        runner = CellRunner(cell, "DFN", initial_soc=1.0, mesh_points=COARSE, compiled=True)
        assert "Separator porosity" in runner._value_inputs  # noqa: SLF001
        assert "cathode.diffusivity" in runner._value_inputs  # noqa: SLF001
        compiled = runner.run(_discharge(cell), None).columns
        plain = CellRunner(cell, "DFN", initial_soc=1.0, mesh_points=COARSE).run(
            _discharge(cell), None).columns
        np.testing.assert_allclose(compiled["voltage_V"], plain["voltage_V"], atol=1e-6)
        results.append(compiled["capacity_mAh"][-1])
    assert len(seen) == 2 and seen[0] == seen[1]
    assert abs(results[0] - results[1]) > 1e-3 * results[0]  # the values reached the solver


def test_uncompiled_build_keeps_values_in_the_model():
    runner = CellRunner(nasim.load_cell(CELLS / "heo_half.yaml"), "DFN", mesh_points=COARSE)
    assert runner._value_inputs == {} and not runner.compiled  # noqa: SLF001


@pytest.mark.slow
def test_compiled_equals_uncompiled_with_gcc():
    """gcc builds the library (a few seconds; PyBaMM's disk cache afterwards)."""
    if not compile_.available():
        pytest.skip("no C compiler")
    cell = nasim.load_cell(CELLS / "heo_half.yaml")
    step = _discharge(cell, 5.0)
    a = CellRunner(cell, "DFN", initial_soc=1.0, mesh_points=COARSE, compiled=True)
    b = CellRunner(cell, "DFN", initial_soc=1.0, mesh_points=COARSE)
    ca, cb = a.run(step, None).columns, b.run(step, None).columns
    assert ca["capacity_mAh"][-1] == pytest.approx(cb["capacity_mAh"][-1], rel=1e-6)
