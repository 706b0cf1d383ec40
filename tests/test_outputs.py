"""nasim's output columns equal PyBaMM's own processed variables of the same solution, whichever
way nasim evaluates them (numpy code of the expression where it agrees with CasADi)."""

from __future__ import annotations

import numpy as np
import pytest

import nasim
from nasim.simulate import outputs
from tests.conftest import ROOT

FULL = (ROOT / "parameter_sets" / "cells" / "heo_hc_full.yaml").as_posix()


@pytest.mark.parametrize("name, model", [("heo_half", "SPMe"), ("heo_hc_full", "SPM")])
def test_columns_equal_pybamms_processed_variables(name, model) -> None:
    result = nasim.simulate(name, model=model, c_rate=1.0)
    sol, frame = result.solution, result.timeseries
    names = dict(outputs._OUTPUTS)
    if result.cell.configuration == "full":
        names.update(outputs._ANODE_OUTPUTS)
    for column, var in names.items():
        expected = np.asarray(sol[var].entries)
        if expected.ndim > 1:
            expected = expected.min(axis=0)
        if column == "time_s":
            expected = expected - expected[0]
        np.testing.assert_allclose(frame[column].to_numpy(), expected, rtol=1e-9, atol=1e-12,
                                   err_msg=f"{name} {model} {column}")
    # the voltage (interpolants, Arcsinh2) is evaluated by numpy, not CasADi
    chosen = outputs._NUMPY[sol.all_models[-1]]
    assert chosen["Voltage [V]"] is not None


def test_extrapolation_warnings_are_pybamms(tmp_path) -> None:
    """nasim's solvers leave PyBaMM's extrapolation check to outputs.warn_extrapolation: with
    PyBaMM's own check switched back on, every step warns twice with the same text (a
    full cell whose fast SEI drives the hard carbon below its OCP and rate tables)."""
    import warnings

    import pybamm

    from nasim.protocols import load_protocol
    from nasim.simulate.engine import CellRunner
    from nasim.simulate.replay import replay_on

    path = tmp_path / "cycles.yaml"
    path.write_text(f"""kind: protocol
name: extrapolating cycles
cell: {FULL}
model: SPMe
initial_state: discharged
aging: [phase_strain, dissolution, sei]
source: test
steps:
  - repeat:
      count: 3
      steps:
        - charge: {{current: 100 mA/g, until_voltage: 4.2 V}}
        - discharge: {{current: 100 mA/g, until_voltage: 2.0 V}}
""")
    cell = nasim.load_cell("heo_hc_full",
                           {"anode.material.sei.open_circuit_potential": {"value": 0.76}})
    loaded = load_protocol(path, cell)
    plan = loaded.plan(None)
    aging = ("phase_strain", "dissolution", "sei")
    runner = CellRunner(loaded.cell, plan.model, aging=aging)
    solver = runner.build("current").solver
    assert solver.on_extrapolation == "ignore"
    solver.on_extrapolation = "warn"
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            replay_on(loaded, plan, runner, aging)
    finally:
        solver.on_extrapolation = "ignore"
    texts = [(w.filename.endswith("base_solver.py"), str(w.message)) for w in caught
             if issubclass(w.category, pybamm.SolverWarning)]
    theirs = sorted(t for pybamms, t in texts if pybamms)
    ours = sorted(t for pybamms, t in texts if not pybamms)
    assert theirs and ours == theirs
