"""Cross-check against an independent implementation: nasim's DFN (PyBaMM's lithium_ion.DFN fed
by nasim's schema and conversion) on chayambuka2022_full.yaml vs pybamm.sodium_ion.BasicDFN with
PyBaMM's own Chayambuka2022 parameter set."""

import csv
from pathlib import Path

import numpy as np
import pybamm
import pytest
from conftest import CELLS, ROOT

import nasim

TABLES = ROOT / "parameter_sets" / "materials" / "chayambuka2022"
PYBAMM_TABLES = Path(pybamm.__file__).parent / "input/parameters/sodium_ion/data"


def _basic_dfn_voltage(c_rate: float):
    values = pybamm.ParameterValues("Chayambuka2022")
    values["Current function [A]"] = c_rate * values["Nominal cell capacity [A.h]"]
    sim = pybamm.Simulation(pybamm.sodium_ion.BasicDFN(), parameter_values=values,
                            solver=pybamm.IDAKLUSolver())
    t_end = 3600 * 1.2 / c_rate
    sol = sim.solve([0, t_end], t_interp=np.linspace(0, t_end, 4000))
    return sol["Time [s]"].entries, sol["Voltage [V]"], str(sol.termination)


@pytest.mark.parametrize("c_rate", [0.1, 1.0])
def test_dfn_matches_basic_dfn_within_2_mV(c_rate):
    # the model and parameters are compared, on PyBaMM's default mesh on both sides (the cell
    # file's own mesh differs from it by discretisation error: 16 mV RMS at 1.4C)
    result = nasim.simulate(CELLS / "chayambuka2022_full.yaml", model="DFN", c_rate=c_rate,
                            mesh_points=20)
    t_ref, v_ref, term_ref = _basic_dfn_voltage(c_rate)
    assert "Minimum voltage" in term_ref and "Minimum voltage" in result.termination
    frame = result.timeseries
    # the last 0.5 % of the run (the knee at the cut-off, where a 0.01 % shift in time moves the
    # voltage by mV) is covered by the end-time check below
    common = frame[frame.time_s <= 0.995 * min(t_ref[-1], frame.time_s.iloc[-1])]
    # both solutions at nasim's output times, the reference through PyBaMM's own interpolant
    dv = common.voltage_V.to_numpy() - v_ref(common.time_s.to_numpy())
    assert len(common) > 100
    assert np.max(np.abs(dv)) <= 2e-3
    # same delivered capacity (end times within 0.5 %)
    assert abs(frame.time_s.iloc[-1] - t_ref[-1]) / t_ref[-1] < 5e-3


@pytest.mark.parametrize("side, c_max", [("n", 14540.0), ("p", 15320.0)])
def test_derived_chayambuka_tables_follow_pybamm_files(side, c_max):
    """The k/2 and stoichiometry columns nasim added equal PyBaMM's data transformed."""
    with open(PYBAMM_TABLES / f"k_{side}.csv") as fh:
        original = [(float(r[0]), float(r[1])) for r in list(csv.reader(fh))[1:]]
    with open(TABLES / f"k_{side}_half.csv") as fh:
        derived = [tuple(map(float, r)) for r in list(csv.reader(fh))[1:]]
    assert len(original) == len(derived)
    for (c, k), (c2, sto, k_half) in zip(original, derived, strict=True):
        assert c2 == c and sto == pytest.approx(c / c_max, rel=1e-12)
        assert k_half == pytest.approx(k / 2, rel=1e-12)
