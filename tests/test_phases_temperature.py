"""Phase-dependent OCV, phase outputs and Arrhenius temperature laws (HEO and NFM)."""

import math

import numpy as np
import pytest
from conftest import CELLS

import nasim
from nasim.params.quantities import GAS_CONSTANT
from nasim.physics.phases import phase_fractions, volume_change
from nasim.physics.state import cathode_stoichiometry_at
from nasim.physics.values import evaluate_state

T_COLD, T_REF = 253.15, 298.15


@pytest.mark.parametrize("cell, sequence, dv", [
    ("heo_half.yaml", ["O3", "P3", "OP2"], 0.054),
    ("nfm_half.yaml", ["O3", "O'3", "P3", "O3'"], 0.142),
])
def test_phase_path_on_0p2C_charge(cell, sequence, dv):
    result = nasim.simulate(CELLS / cell, model="DFN", c_rate=0.2, direction="charge")
    summary = result.summary()
    assert summary["phase_sequence"] == sequence
    assert summary["max_volume_change"] == pytest.approx(dv, abs=0.01)
    frame = result.timeseries
    fractions = frame.filter(regex=r"^phase_fraction_")
    np.testing.assert_allclose(fractions.sum(axis=1), 1.0, atol=1e-9)
    assert {f"phase_fraction_{p}" for p in sequence} == set(fractions.columns)
    assert {f"surface_phase_fraction_{p}" for p in sequence} <= set(frame.columns)


def test_nfm_breathes_more_than_heo_at_every_na_content():
    heo = nasim.load_cell(CELLS / "heo_half.yaml").cathode
    nfm = nasim.load_cell(CELLS / "nfm_half.yaml").cathode
    x = np.linspace(0.39, 0.45, 7)
    assert np.all(np.abs(volume_change(nfm.phase_map, x))
                  > 2 * np.abs(volume_change(heo.phase_map, x)))
    f = phase_fractions(heo.phase_map, np.array([0.95, 0.695, 0.55, 0.35]))
    assert f["O3"][0] == 1.0 and f["P3"][2] == 1.0 and f["OP2"][3] == 1.0
    assert f["O3"][1] == pytest.approx(0.5, abs=0.01)  # lever rule mid-way through O3+P3


@pytest.mark.parametrize("cell", ["heo_half.yaml", "nfm_half.yaml"])
def test_ocv_and_derivative_finite_over_window(cell):
    loaded = nasim.load_cell(CELLS / cell)
    x = np.linspace(cathode_stoichiometry_at(loaded, 4.2), cathode_stoichiometry_at(loaded, 2.0),
                    2001)
    u = evaluate_state(loaded.cathode.open_circuit_potential, "stoichiometry", x)
    du = np.gradient(u, x)
    assert np.all(np.isfinite(u)) and np.all(np.isfinite(du))
    assert np.all(np.diff(u) < 0)  # decreasing in Na content
    assert u[0] == pytest.approx(4.2, abs=1e-6) and u[-1] == pytest.approx(2.0, abs=1e-6)
    # and the window the OCV spans is the one the file declares (within 0.002 in x)
    w = loaded.cathode.stoichiometry_window
    assert x[0] == pytest.approx(w.charged.si, abs=2e-3)
    assert x[-1] == pytest.approx(w.discharged.si, abs=2e-3)


def _dqdv_peak(loaded, lo_V, hi_V):
    """Largest -dx/dU of the OCV isotherm in [lo_V, hi_V] (per V)."""
    ocp = loaded.cathode.open_circuit_potential.closed_form
    u = np.linspace(lo_V, hi_V, 4001)
    return np.max(-np.gradient(ocp.stoichiometry(u), u))


def test_dqdv_features_nfm_vs_heo():
    heo = nasim.load_cell(CELLS / "heo_half.yaml")
    nfm = nasim.load_cell(CELLS / "nfm_half.yaml")
    # NFM: a sharp Na+/vacancy-ordering peak near 3.4 V that HEO lacks
    nfm_34 = _dqdv_peak(nfm, 3.3, 3.5)
    heo_34 = _dqdv_peak(heo, 3.3, 3.5)
    assert nfm_34 > 2 * heo_34
    # a sharper 4.0-4.2 V feature for NFM
    assert _dqdv_peak(nfm, 4.0, 4.2) > 2 * _dqdv_peak(heo, 4.0, 4.2)


def _arrhenius_quantities(loaded):
    yield "cathode diffusivity", loaded.cathode.diffusivity
    yield "cathode rate constant", loaded.cathode.rate_constant
    yield "Na metal exchange current", loaded.counter_electrode.exchange_current_density
    yield "electrolyte diffusivity", loaded.electrolyte.diffusivity
    yield "electrolyte conductivity", loaded.electrolyte.conductivity


def test_arrhenius_ratio_between_253_and_298_K(heo_half):
    full = nasim.load_cell(CELLS / "heo_hc_full.yaml")
    quantities = list(_arrhenius_quantities(heo_half))
    quantities += [("HC diffusivity", full.anode.diffusivity),
                   ("HC rate constant", full.anode.rate_constant)]
    for name, fn in quantities:
        assert fn.arrhenius is not None, name
        ea = fn.arrhenius.activation_energy.si
        expected = math.exp(ea / GAS_CONSTANT * (1 / 298.15 - 1 / 253.15))
        ratio = fn.arrhenius.factor(T_COLD) / fn.arrhenius.factor(T_REF)
        assert ratio == pytest.approx(expected, rel=1e-12), name
        assert ratio < 1.0, name


def test_arrhenius_reaches_the_pybamm_model(heo_half):
    """The factor is in the expressions PyBaMM evaluates, not only in nasim's schema."""
    import pybamm

    from nasim.physics.values import to_parameter_values

    values = to_parameter_values(heo_half)
    d_fn = values["Positive particle diffusivity [m2.s-1]"]
    d_cold = values.evaluate(d_fn(pybamm.Scalar(0.6), pybamm.Scalar(T_COLD)))
    d_ref = values.evaluate(d_fn(pybamm.Scalar(0.6), pybamm.Scalar(T_REF)))
    ea = heo_half.cathode.diffusivity.arrhenius.activation_energy.si
    assert d_cold / d_ref == pytest.approx(
        math.exp(ea / GAS_CONSTANT * (1 / T_REF - 1 / T_COLD)), rel=1e-9)


def test_cold_lowers_4C_capacity(heo_half):
    warm = nasim.simulate(heo_half, model="DFN", c_rate=4.0, temperature_C=25.0)
    cold = nasim.simulate(heo_half, model="DFN", c_rate=4.0, temperature_C=-20.0)
    assert cold.metrics["capacity_mAh_per_g"] < warm.metrics["capacity_mAh_per_g"] - 5.0


def test_hot_raises_20C_capacity(heo_half):
    warm = nasim.simulate(heo_half, model="DFN", c_rate=20.0, temperature_C=25.0)
    hot = nasim.simulate(heo_half, model="DFN", c_rate=20.0, temperature_C=60.0)
    assert hot.metrics["capacity_mAh_per_g"] > warm.metrics["capacity_mAh_per_g"] + 5.0


def test_dfn_20C_at_minus_20C_completes_or_fails_with_reason(heo_half):
    try:
        result = nasim.simulate(heo_half, model="DFN", c_rate=20.0, temperature_C=-20.0)
    except nasim.SimulationError as exc:
        assert exc.reason
        return
    assert "Minimum voltage" in result.termination
    assert result.timeseries.voltage_V.iloc[-1] == pytest.approx(2.0, abs=1e-3)
    assert result.metrics["capacity_mAh_per_g"] > 0
