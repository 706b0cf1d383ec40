"""nasim's output columns equal PyBaMM's own processed variables of the same solution, whichever
way nasim evaluates them (numpy code of the expression where it agrees with CasADi)."""

from __future__ import annotations

import numpy as np
import pytest

import nasim
from nasim.simulate import outputs


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
