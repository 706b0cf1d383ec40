"""Protocol files and replay: schema errors, lab-unit conversion, rate tests (independent vs
sequential), failure recording, CV charge balance, GITT, cycling, CLI outputs."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT

import nasim
from nasim.cli import main
from nasim.params.loading import ParameterFileError
from nasim.protocols import RateBlock, load_protocol
from nasim.simulate.replay import SUMMARY_COLUMNS, replay

EXPERIMENTS = ROOT / "experiments"
BUNDLED = [
    "heo_half_first_cycle_0p1C", "heo_half_rate_25C", "nfm_half_rate_25C",
    "heo_half_rate_minus20C", "heo_half_rate_60C", "heo_hc_full_rate_25C", "heo_half_cv",
    "nfm_half_cv", "heo_half_gitt", "heo_half_cycling_10C", "heo_half_cycling_minus20C",
    "heo_half_cycling_60C", "heo_hc_full_cycling", "nfm_half_rate_minus20C",
    "nfm_half_cycling_10C", "chayambuka2022_rate",
]
CELL = "../parameter_sets/cells/heo_half.yaml"


def _write(tmp_path: Path, body: str, name: str = "p.yaml") -> Path:
    """A protocol file in ``experiments/``-like position (cells resolved from the repo)."""
    path = tmp_path / name
    cell = (ROOT / "parameter_sets/cells/heo_half.yaml").as_posix()
    full = (ROOT / "parameter_sets/cells/heo_hc_full.yaml").as_posix()
    path.write_text(body.replace("CELL_FULL", full).replace("CELL", cell))
    return path


HEADER = """kind: protocol
name: test
cell: CELL
source: test
"""


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_protocols_validate_and_plan(name):
    loaded = load_protocol(EXPERIMENTS / f"{name}.yaml")
    plan = loaded.plan()
    assert plan.n_steps > 0


def test_every_paper_measurement_is_attached():
    """The printed measurements of heo_paper_measurements.yaml appear in the protocols."""
    text = "".join(p.read_text() for p in EXPERIMENTS.glob("*.yaml"))
    for value in ("152.27", "0.9871", "150.18", "98.01", "3.205", "482.3", "100.69", "0.7369",
                  "95.57", "0.7516", "85.90", "0.90", "0.6377", "0.6928"):
        assert value in text, value


@pytest.mark.parametrize("step, expected", [
    ("- discharge: {current: 0.2 X}", "unit 'X' is not a current unit"),
    ("- discharge: {current: -1 C}", "a current must be > 0"),
    ("- discharge: {current: 1 C, until_voltage: 2 A}", "not a voltage unit"),
    ("- charge: {current: 1 C}\n  discharge: {current: 1 C}", "exactly one key"),
    ("- sleep: {duration: 1 h}", "unknown step 'sleep'"),
    ("- rest: {duration: 10 parsecs}", "not a time unit"),
    ("- rate_test: {rates: [1 C, 2 C], measured: {capacity_mAh_per_g: [1], source: x}}",
     "1 values for 2 rates"),
    ("- discharge: {current: 1 C, measured: {capacity_retention: 0.9, source: x}}",
     "needs relative_to"),
])
def test_bad_protocol_is_a_clear_error(tmp_path, step, expected):
    path = _write(tmp_path, HEADER + "steps:\n  " + step.replace("\n", "\n  ") + "\n")
    with pytest.raises(ParameterFileError, match=expected) as info:
        load_protocol(path)
    assert "invalid protocol file" in str(info.value) and str(path) in str(info.value)
    assert "field 'steps[0]" in str(info.value)


def test_missing_cell_and_duplicate_labels(tmp_path):
    path = _write(tmp_path, HEADER.replace("CELL", "nowhere.yaml")
                  + "steps:\n  - rest: {duration: 1 min}\n")
    with pytest.raises(ParameterFileError, match="field 'cell': file 'nowhere.yaml' not found"):
        load_protocol(path)
    path = _write(tmp_path, HEADER + "steps:\n  - rest: {duration: 1 min, label: a}\n"
                  "  - rest: {duration: 1 min, label: a}\n")
    with pytest.raises(ParameterFileError, match="labels must be unique; repeated: a"):
        load_protocol(path)
    assert main(["replay", str(path), "--out", str(tmp_path / "o")]) == 2


def test_lab_units_convert_to_the_same_current(tmp_path, heo_half):
    """1C = 150 mA/g = 0.15 A/g = the same current per electrode area and in A."""
    one_c_A = 150.0 * heo_half.design.cathode_active_mass_kg
    per_cm2 = one_c_A * 1e3 / (heo_half.design.area_m2 * 1e4)
    steps = "".join(f"  - discharge: {{current: {c}}}\n" for c in (
        "1 C", "150 mA/g", "0.15 A/g", f"{per_cm2!r} mA/cm2", f"{one_c_A!r} A",
        f"{one_c_A * 1e3!r} mA"))
    plan = load_protocol(_write(tmp_path, HEADER + "steps:\n" + steps)).plan()
    for step in plan.items:
        assert step.current_A == pytest.approx(one_c_A, rel=1e-12)
        assert step.c_rate == pytest.approx(1.0, rel=1e-12)
        assert step.current_mA_per_g == pytest.approx(150.0, rel=1e-12)


def test_rate_test_replays_with_measurements_and_columns():
    result = replay(EXPERIMENTS / "heo_half_rate_25C.yaml", model="DFN")
    summary = result.summary
    assert list(summary.columns) == SUMMARY_COLUMNS
    assert len(result.failed) == 0
    dis = summary[summary.direction == "discharge"]
    assert list(dis.c_rate.round(6)) == [0.2, 0.5, 1.0, 5.0, 10.0, 20.0]
    assert dis.measured_capacity_mAh_per_g.notna().all()
    err = (dis.capacity_mAh_per_g - dis.measured_capacity_mAh_per_g) / \
        dis.measured_capacity_mAh_per_g
    np.testing.assert_allclose(dis.relative_error, err, rtol=1e-12)
    # capacity falls (weakly) with rate; the half cell has no anode-mass figure
    assert np.all(np.diff(dis.capacity_mAh_per_g) < 1e-6)
    assert summary.specific_energy_Wh_per_kg_active.isna().all()


def test_independent_rates_equal_the_sequential_run():
    """The CV hold to C/20 and the rest erase the previous discharge: running every rate from
    one charged state agrees with charging before each rate."""
    fast = replay(EXPERIMENTS / "heo_half_rate_25C.yaml", model="SPMe")
    slow = replay(EXPERIMENTS / "heo_half_rate_25C.yaml", model="SPMe", sequential=True)
    a = fast.summary[fast.summary.direction == "discharge"].capacity_mAh_per_g.to_numpy()
    b = slow.summary[slow.summary.direction == "discharge"].capacity_mAh_per_g.to_numpy()
    assert len(slow.summary) == 12 and len(fast.summary) == 7
    np.testing.assert_allclose(a, b, rtol=2e-3)


def test_failed_step_is_recorded_and_the_run_goes_on(tmp_path):
    path = _write(tmp_path, HEADER.replace("CELL", "CELL_FULL") + """initial_state: charged
steps:
  - discharge: {current: 50 C, label: impossible}
  - discharge: {current: 0.5 C, label: possible}
""")
    result = replay(path, model="DFN")
    steps = result.steps.set_index("label")
    assert steps.loc["impossible", "status"] == "failed"
    assert "cut-off reached at once" in steps.loc["impossible", "termination"] or \
        "solver" in steps.loc["impossible", "termination"]
    assert steps.loc["possible", "status"] == "ok"
    assert steps.loc["possible", "capacity_mAh_per_g"] > 50
    out = tmp_path / "out"
    assert main(["replay", str(path), "--model", "DFN", "--out", str(out), "--quiet"]) == 1
    report = (out / "report.md").read_text()
    assert "## Failed steps" in report and "50 C" in report


def test_cv_anodic_charge_equals_the_window_capacity(heo_half):
    """A 0.1 mV/s sweep from 2.0 to 4.2 V passes (nearly) the cathode's whole window."""
    result = replay(EXPERIMENTS / "heo_half_cv.yaml", model="SPM")
    assert len(result.failed) == 0
    ts = result.timeseries
    up = ts[(ts.kind == "sweep") & (ts.step == result.steps.step[result.steps.direction ==
                                                                 "sweep"].iloc[0])]
    window = heo_half.design.window_capacity_Ah * 1e3 / (heo_half.design.cathode_active_mass_kg
                                                         * 1e3)
    assert up.capacity_mAh_per_g.iloc[-1] == pytest.approx(window, rel=0.03)
    assert up.voltage_V.iloc[-1] == pytest.approx(4.2, abs=1e-6)
    # oxidation on the way up: PyBaMM's current is negative (charging)
    assert (up.current_A.iloc[len(up) // 4:] < 0).all()


def test_cycling_counts_cycles_and_keeps_some_curves(tmp_path):
    path = _write(tmp_path, HEADER + """model: SPM
steps:
  - repeat:
      count: 5
      keep_timeseries_every: 2
      steps:
        - charge: {current: 2 C}
        - discharge: {current: 2 C}
      measured:
        - {cycle: 5, capacity_retention: 0.99, source: made up}
""")
    result = replay(path)
    dis = result.summary[result.summary.direction == "discharge"]
    assert list(dis.cycle) == [1, 2, 3, 4, 5]
    assert dis.retention.iloc[0] == 1.0
    kept = sorted(result.timeseries.cycle.unique())
    assert kept == [1, 2, 4, 5]
    comp = result.comparisons
    assert comp.quantity.tolist() == ["capacity_retention at cycle 5"]
    assert comp.simulated.iloc[0] == pytest.approx(dis.retention.iloc[-1])


def test_gitt_stops_at_the_cut_off(tmp_path):
    path = _write(tmp_path, HEADER + """model: SPM
steps:
  - gitt: {direction: charge, current: 1 C, pulse: 10 min, rest: 10 min, count: 12,
           until_voltage: 4.2 V}
""")
    result = replay(path)
    steps = result.steps
    pulses = steps[steps.direction == "charge"]
    ran = pulses[pulses.status == "ok"]
    assert 5 <= len(ran) < 12  # 1C pulses of 10 min: the window is full after ~6
    assert "Maximum voltage" in ran.termination.iloc[-1]
    assert (steps.status == "skipped").sum() > 0
    assert len(result.failed) == 0


def test_replay_cli_writes_outputs(tmp_path):
    out = tmp_path / "rate"
    assert main(["replay", str(EXPERIMENTS / "heo_half_rate_25C.yaml"), "--model", "SPM",
                 "--out", str(out), "--quiet"]) == 0
    for name in ("summary.csv", "steps.csv", "comparisons.csv", "timeseries.csv", "report.md",
                 "voltage_capacity.png", "rate_capability.png"):
        assert (out / name).is_file(), name
    summary = pd.read_csv(out / "summary.csv")
    assert summary.measured_capacity_mAh_per_g.notna().sum() == 6
    report = (out / "report.md").read_text()
    assert "| capacity_mAh_per_g |" in report and "![rate_capability]" in report
    assert "## Parameter sources" in report
    assert f"nasim_version {nasim.__version__}" in report and "pybamm_version 26." in report


def test_rate_block_shares_the_charge_when_independent():
    plan = load_protocol(EXPERIMENTS / "heo_half_rate_25C.yaml").plan()
    block = plan.items[0]
    assert isinstance(block, RateBlock) and block.independent
    assert all(b is block.before[0] for b in block.before)
    assert [s.kind for s in block.before[0]] == ["charge", "hold", "rest"]


def test_measured_curves_are_compared_by_voltage_rmse():
    result = replay(EXPERIMENTS / "chayambuka2022_rate.yaml", model="SPM")
    comp = result.comparisons
    rmse = comp[comp.quantity == "voltage RMSE vs measured curve [V]"]
    assert len(rmse) == 4 and (rmse.simulated > 0).all() and (rmse.simulated < 1.0).all()
    # the measured curves are unsorted digitized points; the report reads them sorted
    q, v = result.protocol.curve(
        result.protocol.protocol.steps[0].measured.curves[0])
    assert np.all(np.diff(q) >= 0) and len(q) == len(v)


def test_bad_measured_curve_is_a_clear_error(tmp_path):
    csv = tmp_path / "curve.csv"
    csv.write_text("capacity_mAh,voltage_V\n0.1,4.1\n0.2,abc\n")
    body = HEADER + f"""steps:
  - discharge:
      current: 1 C
      measured:
        source: test
        curve: {{file: {csv.as_posix()}, capacity_column: capacity_mAh, voltage_column: volts,
                 capacity_unit: mAh, source: test}}
"""
    with pytest.raises(ParameterFileError,
                       match=r"measured\.curve\.file': curve\.csv: no column 'volts'"):
        load_protocol(_write(tmp_path, body))
    with pytest.raises(ParameterFileError,
                       match=r"curve\.csv: row 3: non-numeric .*'abc' in column 'voltage_V'"):
        load_protocol(_write(tmp_path, body.replace("voltage_column: volts",
                                                    "voltage_column: voltage_V")))


def test_replay_on_another_cell_file(tmp_path):
    """--cell: the same protocol on another parameter set (e.g. a fitted one)."""
    out = tmp_path / "nfm"
    assert main(["replay", str(EXPERIMENTS / "heo_half_rate_25C.yaml"), "--model", "SPM",
                 "--cell", str(ROOT / "parameter_sets/cells/nfm_half.yaml"), "--out", str(out),
                 "--quiet"]) == 0
    assert "NFM || Na half cell" in (out / "report.md").read_text()
    heo = replay(EXPERIMENTS / "heo_half_rate_25C.yaml", model="SPM").summary
    nfm = pd.read_csv(out / "summary.csv")
    assert not np.allclose(heo.capacity_mAh_per_g, nfm.capacity_mAh_per_g)
