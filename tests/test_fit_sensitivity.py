"""Sensitivities of the fit's end-of-discharge targets against finite differences, and the
leave-one-out prediction interval (nasim.fit.validate) against the prediction's actual
response to its training datum."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.conftest import ROOT

CELL = ROOT / "parameter_sets" / "cells" / "heo_half.yaml"
D_TRUE = 4e-15  # m2/s: the synthetic data's cathode diffusivity
SIGMA = 1.0  # mAh/g: both targets' sigma

PROTOCOL = f"""kind: protocol
name: two discharges
cell: {CELL}
model: SPM
initial_state: charged
source: synthetic data of tests/test_fit_sensitivity.py
steps:
  - rate_test:
      label: rate
      rates: [2 C, 5 C]
      step: {{direction: discharge}}
"""


def _fit_file(directory: Path, at_2C: float, at_5C: float) -> Path:
    text = f"""kind: fit
name: loo
cell: {CELL}
model: SPM
parameters:
  - {{path: cathode.diffusivity, initial: 1.0e-15, bounds: [1.0e-17, 1.0e-12], unit: m2/s,
     scale: log}}
data:
  - protocol: protocol.yaml
    name: two_C
    targets:
      - {{step: rate 2 C, quantity: capacity_mAh_per_g, value: {at_2C}, sigma: {SIGMA}}}
  - protocol: protocol.yaml
    name: five_C
    targets:
      - {{step: rate 5 C, quantity: capacity_mAh_per_g, value: {at_5C}, sigma: {SIGMA}}}
options: {{starts: 1, max_evaluations: 30, processes: 1}}
"""
    (directory / "protocol.yaml").write_text(PROTOCOL)
    path = directory / "fit.yaml"
    path.write_text(text)
    return path


def _held_out_5C(path: Path) -> dict:
    from nasim.fit import load_fit
    from nasim.fit.validate import leave_one_out

    (entry,) = leave_one_out(load_fit(path), held_out=["five_C"])
    assert entry["fitted_on"] == ["two_C"]
    return entry["targets"][0]


def test_held_out_interval_is_the_response_to_the_training_datum(tmp_path):
    """With one parameter fitted to one datum, the prediction's standard deviation is its
    response to a one-sigma change of that datum: refit with the datum moved by sigma and
    compare (the interval is the linearisation by central differences, the response a refit)."""
    from nasim.fit import load_fit
    from nasim.fit.problem import FitProblem

    truth = FitProblem(load_fit(_fit_file(tmp_path, 100.0, 100.0)), sensitivities=False
                       ).evaluate(np.array([D_TRUE]))
    at_2C, at_5C = (row["simulated"] for row in truth.rows)
    assert at_5C < at_2C - 5  # the two rates see the diffusivity
    offset = 3.0  # mAh/g: the 5C datum misses the truth by 3 sigma
    base = _held_out_5C(_fit_file(tmp_path, at_2C, at_5C + offset))
    assert base["predicted"] == pytest.approx(at_5C, abs=0.2)  # the 2C datum is fitted
    assert base["error"] == pytest.approx(-offset, abs=0.2)
    moved = tmp_path / "moved"
    moved.mkdir()
    response = _held_out_5C(_fit_file(moved, at_2C + SIGMA, at_5C + offset))
    change = response["predicted"] - base["predicted"]
    assert change > 0.5  # a larger 2C capacity: a larger diffusivity, more at 5C
    assert base["prediction_sd"] == pytest.approx(change, rel=0.15)
    lo, hi = base["interval_95"]
    assert (hi - lo) == pytest.approx(2 * 1.96 * base["prediction_sd"])
    assert base["z"] == pytest.approx(base["error"] / np.hypot(base["prediction_sd"], SIGMA))


def test_end_capacity_sensitivity_matches_finite_differences(tmp_path):
    """dQ/dp of a discharge that ends at its cut-off (dQ/dp = -(dV/dp)/(dV/dt) x current):
    at 5C the SPM's voltage plunges in the last 0.01 s, where a coarse dV/dt was 7.7x off."""
    from dataclasses import replace

    from nasim.fit import load_fit
    from nasim.fit.problem import FitProblem

    fit = load_fit(_fit_file(tmp_path, 140.0, 130.0))
    for dataset in fit.datasets:
        problem = FitProblem(replace(fit, datasets=[dataset]), sensitivities=True)
        p = np.array([D_TRUE])
        (at_p,) = problem.evaluate(p, local=True).steps.values()
        (at_dp,) = problem.evaluate(p * 1.001, local=True).steps.values()
        assert at_p.termination == "event: Minimum voltage [V]"
        finite = (at_dp.capacity_mAh_per_g - at_p.capacity_mAh_per_g) / (0.001 * D_TRUE)
        assert at_p.dQ_dp[0] == pytest.approx(finite, rel=0.02)


def test_held_out_names_must_be_datasets_of_the_fit(tmp_path):
    from nasim.fit import load_fit
    from nasim.fit.validate import leave_one_out

    with pytest.raises(ValueError, match=r"held_out: no dataset named \['ten_C'\]"):
        leave_one_out(load_fit(_fit_file(tmp_path, 140.0, 130.0)), held_out=["ten_C"])
