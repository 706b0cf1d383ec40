"""dQ/dV from simulated C/20 discharges: NFM's 3.4 V ordering peak and its sharp 4.0-4.2 V
peak, which HEO lacks (the paper's CV: Huo et al. 2026), seen through the whole model rather
than through the OCV alone (tests/test_phases_temperature.py checks the isotherm)."""

import numpy as np
import pandas as pd
import pytest
from conftest import CELLS

import nasim
from nasim.analysis.metrics import differential_capacity

BIN_V = 0.01


@pytest.fixture(scope="module")
def dqdv():
    out = {}
    for name in ("heo", "nfm"):
        result = nasim.simulate(CELLS / f"{name}_half.yaml", model="DFN", c_rate=0.05)
        curve = differential_capacity(result.timeseries, bin_V=BIN_V)
        out[name] = (result, curve)
    return out


def _window(curve: pd.DataFrame, lo: float, hi: float) -> tuple[np.ndarray, np.ndarray]:
    inside = curve[(curve.voltage_V > lo) & (curve.voltage_V < hi)]
    return inside.voltage_V.to_numpy(), inside.dQdV_mAh_per_g_per_V.to_numpy()


def _half_max_width_V(v: np.ndarray, y: np.ndarray) -> float:
    """Width of the contiguous run of bins at or above half the maximum, around the maximum."""
    i = int(np.argmax(y))
    above = y >= 0.5 * y[i]
    lo = i
    while lo > 0 and above[lo - 1]:
        lo -= 1
    hi = i
    while hi < len(y) - 1 and above[hi + 1]:
        hi += 1
    return float(v[hi] - v[lo] + BIN_V)


def test_differential_capacity_keeps_the_capacity(dqdv):
    for result, curve in dqdv.values():
        area = float(np.sum(curve.dQdV_mAh_per_g_per_V) * BIN_V)
        assert area == pytest.approx(result.metrics["capacity_mAh_per_g"], rel=1e-9)
        assert np.all(curve.dQdV_mAh_per_g_per_V >= 0)
        assert np.allclose(np.diff(curve.voltage_V), BIN_V)


def test_nfm_has_a_3p4V_peak_that_heo_lacks(dqdv):
    v_nfm, y_nfm = _window(dqdv["nfm"][1], 3.3, 3.5)
    v_heo, y_heo = _window(dqdv["heo"][1], 3.3, 3.5)
    i = int(np.argmax(y_nfm))
    # NFM: a peak inside the window, well above the window's edges
    assert 0 < i < len(y_nfm) - 1
    assert y_nfm[i] > 2.0 * max(y_nfm[0], y_nfm[-1])
    # HEO: no peak inside the window (its largest values are the tails at the edges) and,
    # at NFM's peak voltage, far below NFM
    assert int(np.argmax(y_heo)) in (0, len(y_heo) - 1)
    assert np.all(np.diff(y_heo[: int(np.argmin(y_heo)) + 1]) <= 0)
    assert np.all(np.diff(y_heo[int(np.argmin(y_heo)):]) >= 0)
    at_peak = float(np.interp(v_nfm[i], v_heo, y_heo))
    assert at_peak < 0.5 * y_nfm[i]
    assert y_heo.max() < 0.5 * y_nfm[i]


def test_nfm_4V_peak_is_higher_and_sharper_than_heo(dqdv):
    v_nfm, y_nfm = _window(dqdv["nfm"][1], 4.0, 4.2)
    assert y_nfm.max() > 2.0 * _window(dqdv["heo"][1], 4.0, 4.2)[1].max()
    # sharper: NFM's peak sits inside 4.0-4.2 V and is narrow; HEO's highest-voltage peak
    # (P3 -> OP2 with Fe3+/4+, just below 4.0 V) is broader
    i = int(np.argmax(y_nfm))
    assert 0 < i < len(y_nfm) - 1
    v_heo, y_heo = _window(dqdv["heo"][1], 3.8, 4.2)
    assert 0 < int(np.argmax(y_heo)) < len(y_heo) - 1  # HEO's own peak lies in 3.8-4.2 V
    assert _half_max_width_V(v_nfm, y_nfm) < 0.5 * _half_max_width_V(v_heo, y_heo)
