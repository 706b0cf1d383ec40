"""nasim fit: synthetic recovery with confidence intervals, bad fit files, the bundled fits'
accuracy through nasim replay with the committed parameter sets."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import ROOT

CELL = ROOT / "parameter_sets" / "cells" / "heo_half.yaml"


def constant_d_cell(directory: Path) -> Path:
    """The bundled HEO half cell with a constant solid diffusivity (no stoichiometry factor):
    the synthetic problem's cell, so that its three parameters are the whole transport."""
    import yaml

    materials = ROOT / "parameter_sets" / "materials"
    heo = yaml.safe_load((materials / "heo.yaml").read_text())
    del heo["diffusivity"]["stoichiometry_factor"]
    (directory / "heo.yaml").write_text(yaml.safe_dump(heo, sort_keys=False))
    cell = yaml.safe_load(CELL.read_text())
    cell["cathode"]["material"] = "heo.yaml"
    cell["counter_electrode"]["material"] = str(materials / "na_metal.yaml")
    cell["electrolyte"] = str(ROOT / "parameter_sets" / "electrolytes" / "napf6_ecpc.yaml")
    (directory / "heo_half.yaml").write_text(yaml.safe_dump(cell, sort_keys=False))
    return directory / "heo_half.yaml"

TRUTH = {"cathode.diffusivity": 3e-15, "cathode.rate_constant": 2e-11,
         "contact_resistance": 2e-3}  # SI: m2/s, m/s, Ohm m2 (= 20 Ohm cm2)

PROTOCOL = """kind: protocol
name: synthetic discharges
cell: heo_half.yaml
model: SPMe
initial_state: charged
source: synthetic data of tests/test_fit.py
steps:
  - rate_test:
      label: rate
      rates: [0.5 C, 3 C]
      step: {direction: discharge}
"""

FIT = """kind: fit
name: synthetic
cell: heo_half.yaml
model: SPMe
parameters:
  - {path: cathode.diffusivity, initial: 1.0e-14, bounds: [1.0e-16, 1.0e-12], unit: m2/s,
     scale: log}
  - {path: cathode.rate_constant, initial: 1.0e-10, bounds: [1.0e-13, 1.0e-8], unit: m/s,
     scale: log}
  - {path: contact_resistance, initial: 5, bounds: [0, 100], unit: Ohm.cm2}
data:
  - protocol: protocol.yaml
    curves:
      - {step: rate 0.5 C, file: rate_0p5C.csv, x_column: capacity (mAh/g), x_unit: mAh/g,
         voltage_column: voltage (V), sigma_V: 0.005}
      - {step: rate 3 C, file: rate_3C.csv, x_column: capacity (mAh/g), x_unit: mAh/g,
         voltage_column: voltage (V), sigma_V: 0.005}
options: {starts: 2, max_evaluations: 30}
"""


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> Path:
    """Two SPMe discharges at known parameters with 5 mV Gaussian noise, rows shuffled."""
    from nasim.protocols import load_protocol
    from nasim.simulate.engine import CellRunner

    d = tmp_path_factory.mktemp("synthetic")
    constant_d_cell(d)
    (d / "protocol.yaml").write_text(PROTOCOL)
    (d / "fit.yaml").write_text(FIT)
    protocol = load_protocol(d / "protocol.yaml")
    runner = CellRunner(protocol.cell, "SPMe", initial_soc=1.0, inputs=TRUTH)
    rng = np.random.default_rng(1)
    for step, name in zip(protocol.plan("SPMe").items[0].rate_steps, ("rate_0p5C", "rate_3C"),
                          strict=True):
        frame = runner.run(step, None).frame
        idx = np.linspace(0, len(frame) - 1, 60).astype(int)
        q = frame.capacity_mAh_per_g.to_numpy()[idx]
        v = frame.voltage_V.to_numpy()[idx] + rng.normal(0.0, 0.005, len(idx))
        rows = [f"{q[i]:.4f},{v[i]:.5f}" for i in rng.permutation(len(idx))]
        (d / f"{name}.csv").write_text("capacity (mAh/g),voltage (V)\n" + "\n".join(rows))
    return d


def test_synthetic_recovery_with_intervals(synthetic):
    """3-parameter SPMe fit from a perturbed start (x3.3, x5, x0.25): every value within 5 %
    of the truth, each 95 % interval covers it, the written set validates with fitted
    sources."""
    import nasim

    result = nasim.fit(synthetic / "fit.yaml", out=synthetic / "out")
    frame = result.to_frame().set_index("parameter")
    truth_units = {"cathode.diffusivity": 3e-15, "cathode.rate_constant": 2e-11,
                   "contact_resistance": 20.0}
    for name, true in truth_units.items():
        row = frame.loc[name]
        assert abs(row.value / true - 1) < 0.05, (name, row.value)
        assert row.ci95_low <= true <= row.ci95_high, (name, row.ci95_low, row.ci95_high)
        assert row.identifiable
    report = json.loads((synthetic / "out" / "fit_report.json").read_text())
    assert report["rmse_V"] < 0.0065  # the 5 mV noise
    for key in ("parameters", "relative_errors", "correlation", "n_evaluations",
                "wall_time_s", "identifiable"):
        assert key in report
    for start in report["starts"]:  # each evaluation's cost, the best one the start's
        assert len(start["costs"]) == start["n_evaluations"]
        assert min(start["costs"]) == pytest.approx(start["cost"])
    cell = nasim.load_cell(synthetic / "out" / "fitted" / "heo_half.yaml")
    assert cell.cathode.diffusivity.source.kind == "fitted"
    unc = cell.cathode.diffusivity.source.uncertainty  # for --uncertainty (issue 14)
    assert unc.interval_95[0] <= cell.cathode.diffusivity.value <= unc.interval_95[1]
    assert "contact_resistance" in unc.correlation
    assert math.isclose(cell.cell.contact_resistance.si, result.values["contact_resistance"])
    assert cell.cathode.particle_radius.source.kind != "fitted"
    assert (synthetic / "out" / "fit_report.md").read_text().count("![") >= 1
    # the final evaluation's PyBaMM solutions, by (dataset, step label)
    steps = result.optimum.evaluation.steps
    assert result.solutions and len(result.solution) == len(result.solutions)
    for key, sol in result.solutions.items():
        assert sol["Voltage [V]"].entries[-1] == pytest.approx(steps[key].voltage_V[-1])


def test_input_parameters_reproduce_file_values(heo_half):
    """A runner with file values as input parameters gives the same discharge as without."""
    from nasim.physics.values import input_paths
    from nasim.simulate.engine import CellRunner, constant_current_step

    paths = input_paths(heo_half)
    inputs = {k: paths[k][1] for k in ("cathode.diffusivity", "electrolyte.diffusivity.scale",
                                       "cathode.rate_constant.arrhenius.activation_energy")}
    step = constant_current_step(heo_half, "discharge", 2e-4, 273.15)
    plain = CellRunner(heo_half, "SPM", initial_soc=1.0).run(step, None).frame
    fitted = CellRunner(heo_half, "SPM", initial_soc=1.0, inputs=inputs
                        ).run(step, None).frame
    assert fitted.capacity_mAh_per_g.iloc[-1] == pytest.approx(
        plain.capacity_mAh_per_g.iloc[-1], rel=1e-6)


# ----------------------------------------------------------------------------- bad input

def _write(tmp_path: Path, fit: str, csv: str = "capacity,voltage\n0,4.1\n50,3.6\n100,3.2\n"):
    (tmp_path / "protocol.yaml").write_text(PROTOCOL.replace("heo_half.yaml", str(CELL)))
    (tmp_path / "curve.csv").write_text(csv)
    (tmp_path / "fit.yaml").write_text(fit)
    return tmp_path / "fit.yaml"


def _fit(parameter: str = "{path: cathode.diffusivity, initial: 1.0e-14, "
                          "bounds: [1.0e-16, 1.0e-12], scale: log}",
         curve: str = "{step: rate 3 C, file: curve.csv, x_column: capacity, x_unit: mAh/g, "
                      "voltage_column: voltage}") -> str:
    return (f"kind: fit\nname: bad\ncell: {CELL}\nmodel: SPM\nparameters:\n  - {parameter}\n"
            f"data:\n  - protocol: protocol.yaml\n    curves:\n      - {curve}\n")


@pytest.mark.parametrize("fit, csv, expected", [
    (_fit(parameter="{path: cathode.difusivity, initial: 1, bounds: [0, 2]}"), None,
     ["parameters[0].path", "cathode.difusivity", "cathode.diffusivity"]),
    (_fit(parameter="{path: cathode.diffusivity, initial: 1.0e-14, bounds: [1.0e-12, 1.0e-16]}"),
     None, ["parameters[0].bounds", "inverted"]),
    (_fit(parameter="{path: cathode.diffusivity, initial: 1.0, bounds: [0.5, 2], unit: mV}"),
     None, ["parameters[0].unit", "mV"]),
    (_fit(), "capacity,volts\n0,4.1\n50,3.6\n100,3.2\n",
     ["data[0].curves[0].file", "curve.csv", "'voltage'", "volts"]),
    (_fit(), "capacity,voltage\n0,4.1\n50,abc\n100,3.2\n",
     ["data[0].curves[0].file", "row 3", "non-numeric", "'abc'"]),
    (_fit(), "capacity,voltage\n0,4.1\n50,3600\n100,3.2\n",
     ["data[0].curves[0].file", "3600 V", "outside the cell's window", "2-4.2 V"]),
    (_fit(curve="{step: rate 7 C, file: curve.csv, x_column: capacity, x_unit: mAh/g, "
                "voltage_column: voltage}"), None,
     ["data[0].curves[0].step", "rate 7 C", "rate 3 C"]),
])
def test_bad_fit_files_are_rejected(tmp_path, fit, csv, expected):
    from nasim.fit import load_fit
    from nasim.params.loading import ParameterFileError

    path = _write(tmp_path, fit, *(() if csv is None else (csv,)))
    with pytest.raises(ParameterFileError) as info:
        load_fit(path)
    text = str(info.value)
    assert str(path) in text
    for piece in expected:
        assert piece in text, (piece, text)


def test_cli_fit_bad_input_exit_2(tmp_path, capsys):
    from nasim.cli import main

    path = _write(tmp_path, _fit(parameter="{path: nope, initial: 1, bounds: [0, 2]}"))
    assert main(["fit", str(path), "--out", str(tmp_path / "o"), "--quiet"]) == 2
    assert "unknown parameter path 'nope'" in capsys.readouterr().err


# ----------------------------------------------------------------------------- bundled fits

def test_bundled_fit_outputs_meet_targets():
    """The committed fit reports hold the accuracy the fits were run for."""
    fits = ROOT / "fits"
    rate = json.loads((fits / "heo_rate_25C" / "out" / "fit_report.json").read_text())
    for name, err in rate["relative_errors"].items():
        limit = 0.015 if "first_discharge" in name else (0.020 / 3.205 if "median" in name
                                                         else 0.03)
        assert abs(err) <= limit, (name, err)
    # NVPF diffusivity and rate constant alone cannot bring the published model to the measured
    # curves (0.29 V at PyBaMM's values, 0.21 V fitted, the rate constant at its bound; README)
    chay = json.loads((fits / "chayambuka_curves" / "out" / "fit_report.json").read_text())
    assert chay["rmse_V"] < 0.25
    assert not chay["parameters"]["cathode.rate_constant.scale"]["identifiable"]
    # with transport and window placement free the published OCPs still leave ~70 mV, and the
    # NVPF transport comes back from its x3 / /3 start to within 2x of the published values
    window = json.loads((fits / "chayambuka_curves_window" / "out" / "fit_report.json")
                        .read_text())
    assert window["rmse_V"] < 0.5 * chay["rmse_V"]
    for name in ("cathode.diffusivity.scale", "cathode.rate_constant.scale"):
        assert 0.5 < window["parameters"][name]["value"] < 2.0, name
    from nasim.params.loading import load_cell

    placed = load_cell(fits / "chayambuka_curves_window" / "out" / "fitted"
                       / "chayambuka2022_full.yaml")
    assert placed.cell.cathode.loading.source.kind == "fitted"
    assert placed.cell.initial_stoichiometry.anode.source.kind == "fitted"
    assert placed.cell.initial_stoichiometry.anode.si == pytest.approx(
        window["parameters"]["initial_stoichiometry.anode"]["value"])
    cold = json.loads((fits / "heo_temperature" / "out" / "fit_report.json").read_text())
    four_c = [e for n, e in cold["relative_errors"].items() if "4 C" in n]
    assert four_c and abs(four_c[0]) <= 0.05


def test_replay_with_committed_set_25C_and_minus20C():
    """nasim replay with the bundled (fitted) parameter set: every 25 °C rate within 3 % (DFN)
    and the -20 °C 4C capacity within 5 % of 85.90 mAh/g."""
    import nasim

    run = nasim.replay(ROOT / "experiments" / "heo_half_rate_25C.yaml", model="DFN")
    errors = run.summary.relative_error.dropna()
    assert len(errors) == 6 and (errors.abs() <= 0.03).all(), errors.tolist()
    cold = nasim.replay(ROOT / "experiments" / "heo_half_rate_minus20C.yaml")
    four = cold.summary[(cold.summary.c_rate.round(3) == 4) & (cold.summary.temperature_C < 0)]
    assert abs(four.capacity_mAh_per_g.iloc[0] / 85.90 - 1) <= 0.05


# ----------------------------------------------------------------------------- cell values

CHAY = ROOT / "parameter_sets" / "cells" / "chayambuka2022_full.yaml"


def test_window_placing_inputs_of_a_published_full_cell():
    """A full cell at a published charged state offers its start stoichiometries and electrode
    loadings as input parameters: at the file values the discharge is unchanged, and moving the
    anode's start (the anode-limited end) changes the capacity by its share of the anode."""
    from nasim.params.loading import load_cell
    from nasim.params.quantities import FARADAY
    from nasim.physics.values import input_paths
    from nasim.simulate.engine import CellRunner, constant_current_step

    cell = load_cell(CHAY)
    paths = input_paths(cell)
    assert paths["initial_stoichiometry.anode"][1] == pytest.approx(13520 / 14540)
    assert paths["cathode.loading"][1] == pytest.approx(11.9119e-2)  # kg/m2
    keys = ("initial_stoichiometry.cathode", "initial_stoichiometry.anode", "cathode.loading",
            "anode.loading")
    files = {k: paths[k][1] for k in keys}
    step = constant_current_step(cell, "discharge", 0.1e-3, 298.15)
    plain = CellRunner(cell, "SPM", initial_soc=1.0).run(step, None).frame
    runner = CellRunner(cell, "SPM", initial_soc=1.0, inputs=files)
    same = runner.run(step, None).frame
    assert same.capacity_mAh.iloc[-1] == pytest.approx(plain.capacity_mAh.iloc[-1], rel=1e-6)
    assert same.voltage_V.iloc[0] == pytest.approx(plain.voltage_V.iloc[0], abs=1e-6)
    anode_mAh = cell.design.anode.sites_mol_per_m2 * cell.design.area_m2 * FARADAY / 3.6
    runner.set_inputs({"initial_stoichiometry.anode": files[keys[1]] - 0.02})
    lower = runner.run(step, None).frame
    drop = plain.capacity_mAh.iloc[-1] - lower.capacity_mAh.iloc[-1]
    assert drop == pytest.approx(0.02 * anode_mAh, rel=0.05)
    # and no other state: these values place the windows at the published charged state
    with pytest.raises(ValueError, match="initial_state: charged"):
        CellRunner(cell, "SPM", initial_soc=0.0, inputs={keys[0]: files[keys[0]]})
    assert "cathode.loading" not in input_paths(load_cell(CELL))  # a half cell: no such value


def test_fitted_cell_values_are_written_to_the_cell_file(tmp_path):
    from nasim.fit.loading import ResolvedParameter
    from nasim.fit.output import _apply
    from nasim.params.loading import read_yaml

    raw = read_yaml(CHAY)
    source = {"kind": "fitted", "data": "d", "method": "m", "cost": 1.0, "date": "2026-11-27",
              "note": "n"}
    for path, dim, unit, factor, si in (("cathode.loading", "areal_mass", "mg/cm2", 1e-2, 0.125),
                                        ("initial_stoichiometry.anode", "dimensionless", "1", 1.0,
                                         0.95)):
        p = ResolvedParameter(path, dim, unit, factor, si, (0.0, 1.0), "linear", si)
        unc = {"fit": "f", "parameter": path, "interval_95": [0.1, 0.15], "scale": "linear",
               "bounds": [0.0, 1.0], "correlation": {}}
        assert _apply(raw, p, si, {**source, "uncertainty_si": unc}, tmp_path, "cell.yaml") == []
    assert raw["cathode"]["loading"]["value"] == pytest.approx(12.5)
    written = raw["cathode"]["loading"]["source"]["uncertainty"]  # in the file's unit
    assert written["interval_95"] == pytest.approx([10.0, 15.0])
    assert raw["cathode"]["loading"]["source"]["kind"] == "fitted"
    assert raw["initial_stoichiometry"]["anode"]["value"] == pytest.approx(0.95)


@pytest.mark.parametrize("parameter, x_unit, expected", [
    ("{path: anode.loading, initial: 6, bounds: [5, 6.1], unit: mg/cm2}", "mAh/g",
     ["data[0]", "anode.loading", "per gram", "mAh"]),
    ("{path: initial_stoichiometry.cathode, initial: 0.22, bounds: [0.21, 0.3]}", "mAh",
     ["data[0].protocol", "initial_state: charged"]),
    ("{path: anode.loading, initial: 6, bounds: [5, 7], unit: mg/cm2}", "mAh",
     ["parameters[0].bounds", "7 mg/cm2", "porosity 0.51", "at most 6.115 mg/cm2"]),
])
def test_window_placing_fit_files_are_checked(tmp_path, parameter, x_unit, expected):
    from nasim.fit import load_fit
    from nasim.params.loading import ParameterFileError

    protocol = (ROOT / "experiments" / "chayambuka2022_rate.yaml").read_text()
    if "stoichiometry" in parameter:  # the same protocol from the discharged state
        protocol = protocol.replace("initial_state: charged", "initial_state: discharged")
    protocol = protocol.replace("../parameter_sets/", f"{ROOT}/parameter_sets/").replace(
        "../data/", f"{ROOT}/data/")
    (tmp_path / "protocol.yaml").write_text(protocol)
    fit = (f"kind: fit\nname: bad\ncell: {CHAY}\nmodel: SPM\nparameters:\n  - {parameter}\n"
           "data:\n  - protocol: protocol.yaml\n    curves:\n      - {step: chayambuka 0.1 C, "
           f"file: {ROOT}/data/chayambuka2022/discharge_01C.csv, x_column: capacity_mAh, "
           f"x_unit: {x_unit}, voltage_column: voltage_V}}\n")
    (tmp_path / "fit.yaml").write_text(fit)
    with pytest.raises(ParameterFileError) as info:
        load_fit(tmp_path / "fit.yaml")
    for piece in expected:
        assert piece in str(info.value), (piece, str(info.value))


def test_published_ocps_bound_the_chayambuka_curves():
    """The published NVPF and HC OCP tables, at the best placement of both windows with a free
    constant + linear overpotential, stay > 20 mV from the measured C/20 and C/10 curves: the
    reason the curve fits cannot reach 20 mV by transport (fits/chayambuka_curves_window)."""
    import runpy

    script = ROOT / "fits" / "chayambuka_curves_window" / "ocv_alignment.py"
    table = runpy.run_path(str(script))["main"]().set_index("curve")
    assert (table.rmse_best_placement_mV < table.rmse_published_placement_mV).all()
    assert table.loc["C/20", "rmse_best_placement_mV"] > 20.0
    assert table.loc["C/10", "rmse_best_placement_mV"] > 20.0


def test_points_beyond_the_simulated_end_see_the_shortfall(synthetic):
    """A model that ends before the measured curve does: each point beyond its end t* has the
    residual V(t*) - V_measured(t*) (bounded, zero once the model gets there) and a Jacobian row
    that follows t* (finite differences agree), not the flat zero of a clamped voltage."""
    from nasim.fit import load_fit
    from nasim.fit.problem import FitProblem

    fit = load_fit(synthetic / "fit.yaml")
    problem = FitProblem(fit)
    slow = np.array([1e-16, 2e-11, 2e-3])  # D 30x below the truth: the 3C curve ends early
    ev = problem.evaluate(slow)
    rows = np.array([i for i, r in enumerate(ev.rows)
                     if r["kind"] == "curve" and r["step"] == "rate 3 C"])
    curve = next(c for c in fit.datasets[0].curves if c.step == "rate 3 C")
    step = ev.steps[(0, "rate 3 C")]
    t_end = step.time_s[-1]
    beyond = curve.time_s > t_end
    assert 3 <= beyond.sum() < len(beyond)
    w = 1.0 / curve.sigma_V
    expected = w * (step.voltage_V[-1] - np.interp(t_end, curve.time_s, curve.voltage_V))
    assert np.allclose(ev.residuals[rows][beyond], expected)
    analytic = ev.jacobian[rows[beyond][0], 0]
    h = 1e-3 * slow[0]
    shifted = FitProblem(fit, sensitivities=False).evaluate(slow + [h, 0.0, 0.0])
    numeric = (shifted.residuals[rows[beyond][0]] - ev.residuals[rows[beyond][0]]) / h
    assert analytic != 0.0 and np.sign(analytic) == np.sign(numeric)
    assert analytic == pytest.approx(numeric, rel=0.3)



def test_energy_and_median_targets_agree_with_the_replay_and_their_gradients(synthetic):
    """The fit's specific energy of a discharge (per gram of cathode active mass) is the
    replay's ``specific_energy_Wh_per_kg_cathode``, and its sensitivity to a series resistance
    is negative (a resistance lowers every voltage) and matches a central difference."""
    import nasim
    from nasim.fit import load_fit
    from nasim.fit.problem import FitProblem

    text = (synthetic / "fit.yaml").read_text()
    targets = ("    targets:\n"
               "      - {step: rate 3 C, quantity: specific_energy_Wh_per_kg_cathode, "
               "value: 300}\n"
               "      - {step: rate 3 C, quantity: median_voltage_V, value: 3.0}\n")
    head = text[:text.index("    curves:")]
    (synthetic / "energy_fit.yaml").write_text(
        head + targets + "options: {starts: 1, max_evaluations: 5}\n")
    fit = load_fit(synthetic / "energy_fit.yaml")
    problem = FitProblem(fit)
    x = np.array([p.file_value_si for p in fit.parameters])  # the files' values, as replayed
    ev = problem.evaluate(x)
    run = nasim.replay(synthetic / "protocol.yaml", model="SPMe")
    replayed = run.summary.set_index("label").loc["rate 3 C"]
    assert ev.rows[0]["simulated"] == pytest.approx(
        replayed.specific_energy_Wh_per_kg_cathode, rel=0.005)
    assert ev.rows[1]["simulated"] == pytest.approx(replayed.median_voltage_V, abs=0.003)
    j = [p.path for p in fit.parameters].index("contact_resistance")
    x[j] = TRUTH["contact_resistance"]
    ev = problem.evaluate(x)
    analytic = ev.jacobian[0, j]
    h = 0.2 * x[j]
    fd = FitProblem(fit, sensitivities=False)
    up = fd.evaluate(x + h * np.eye(len(x))[j]).residuals[0]
    down = fd.evaluate(x - h * np.eye(len(x))[j]).residuals[0]
    numeric = (up - down) / (2 * h)
    assert analytic < 0.0 and analytic == pytest.approx(numeric, rel=0.1)


def test_two_processes_solve_the_same_problem(synthetic):
    """A finite-difference Jacobian's columns solved on a worker process and this one
    (nasim.fit.parallel) equal those solved here alone, and the final evaluation keeps every
    step's PyBaMM solution."""
    from nasim.fit import load_fit
    from nasim.fit.problem import FitProblem

    fit = load_fit(synthetic / "fit.yaml")
    x = np.array([1e-15, 5e-11, 1e-3])
    alone = FitProblem(fit, sensitivities=False, processes=1)
    shared = FitProblem(fit, sensitivities=False, processes=2)
    ev1, ev2 = alone.evaluate(x), shared.evaluate(x, local=True)
    try:
        j1, j2 = alone.fd_jacobian(x, ev1), shared.fd_jacobian(x, ev2)
        assert shared.workers._pool is not None  # the columns went to a worker too
    finally:
        shared.workers.close()
    assert np.array_equal(ev1.residuals, ev2.residuals)
    assert np.abs(j1).max() > 0 and np.allclose(j1, j2, rtol=1e-9, atol=0)
    assert all(s.solution is not None for s in ev2.steps.values())


def test_broyden_steps_reach_the_same_optimum(synthetic):
    """Finite differences with Broyden updates between them (options.broyden_steps) recover
    the synthetic truth within 5 %, as the sensitivity fit does."""
    import nasim

    text = (synthetic / "fit.yaml").read_text().replace(
        "options: {starts: 2, max_evaluations: 30}",
        "options: {starts: 1, max_evaluations: 30, jacobian: finite_differences, "
        "broyden_steps: 2}")
    (synthetic / "broyden_fit.yaml").write_text(text)
    result = nasim.fit(synthetic / "broyden_fit.yaml")
    for name, true in TRUTH.items():
        assert result.values[name] == pytest.approx(true, rel=0.05), name
    start = result.optimum.starts[0]
    assert start.n_evaluations <= 30 and min(start.costs) == pytest.approx(start.cost)


def test_mechanism_h1_cell_is_heo_half_without_its_series_resistance():
    """fits/heo_rate_25C_h1 fits the rate loss without a series resistance: its cell is
    parameter_sets/cells/heo_half.yaml (where H2 wrote one) with only that value left out."""
    import yaml

    h1_dir, cells = ROOT / "fits" / "heo_rate_25C_h1", ROOT / "parameter_sets" / "cells"
    h1 = yaml.safe_load((h1_dir / "heo_half_h1.yaml").read_text())
    cell = yaml.safe_load((cells / "heo_half.yaml").read_text())
    assert "contact_resistance" not in h1 and cell.pop("contact_resistance")
    for section in (h1, cell):  # the files they name, as resolved paths
        for role in ("cathode", "counter_electrode"):
            base = h1_dir if section is h1 else cells
            section[role]["material"] = (base / section[role]["material"]).resolve()
        section["electrolyte"] = ((h1_dir if section is h1 else cells)
                                  / section["electrolyte"]).resolve()
    assert h1 == cell
