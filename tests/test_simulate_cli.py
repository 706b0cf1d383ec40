"""`nasim simulate` outputs, current definitions and failure reporting."""

import json

import pandas as pd
import pytest
from conftest import CELLS

import nasim
from nasim.cli import main
from nasim.simulate import SimulationError
from nasim.simulate.ends import classify_end


def test_cli_simulate_writes_outputs(tmp_path, capsys):
    out = tmp_path / "run"
    code = main(["simulate", str(CELLS / "heo_half.yaml"), "--model", "SPMe", "--c-rate", "1",
                 "--out", str(out), "--json"])
    assert code == 0
    frame = pd.read_csv(out / "timeseries.csv")
    for column in ("time_s", "current_A", "voltage_V", "capacity_mAh_per_g"):
        assert column in frame.columns
    summary = json.loads((out / "summary.json").read_text())
    for key in ("capacity_mAh_per_g", "median_voltage_V", "mean_voltage_V",
                "specific_energy_Wh_per_kg_cathode"):
        assert key in summary
    assert summary["capacity_mAh_per_g"] == pytest.approx(frame.capacity_mAh_per_g.iloc[-1])
    assert (out / "voltage_capacity.png").stat().st_size > 10_000
    # energy = mean voltage x capacity (both per cathode active mass)
    assert summary["specific_energy_Wh_per_kg_cathode"] == pytest.approx(
        summary["mean_voltage_V"] * summary["capacity_mAh_per_g"], rel=1e-9)
    printed = json.loads(capsys.readouterr().out)  # --json: rounded to 6 significant digits,
    # so at most half a unit of the 6th digit (5e-6 relative) from the stored value
    assert printed["capacity_mAh_per_g"] == pytest.approx(summary["capacity_mAh_per_g"],
                                                          rel=5e-6)
    assert printed["capacity_mAh_per_g"] == float(f"{printed['capacity_mAh_per_g']:.6g}")
    # what produced it: nasim's and PyBaMM's versions (the installed ones)
    from importlib.metadata import version

    assert summary["nasim_version"] == nasim.__version__
    assert summary["pybamm_version"] == version("pybamm")


def test_cli_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"nasim {nasim.__version__}"
    assert nasim.__version__.count(".") == 2


def test_current_per_gram_equals_c_rate(heo_half):
    """The paper's 1C = 150 mA/g: --current-mA-per-g 150 is the same run as --c-rate 1."""
    by_rate = nasim.simulate(heo_half, model="SPM", c_rate=1.0)
    by_mass = nasim.simulate(heo_half, model="SPM", current_mA_per_g=150.0)
    assert by_rate.current_A == pytest.approx(by_mass.current_A, rel=1e-12)
    assert by_rate.current_A == pytest.approx(
        0.150 * heo_half.design.cathode_active_mass_kg * 1e3, rel=1e-12)
    assert by_mass.metrics["capacity_mAh_per_g"] == pytest.approx(
        by_rate.metrics["capacity_mAh_per_g"], rel=1e-9)


def test_impossible_current_is_reported_not_returned(heo_hc_full, capsys, tmp_path):
    """50C on the full cell: the voltage leaves the window at once. nasim raises with the
    reason (PyBaMM would only log it); the CLI exits 1 and prints the reason."""
    with pytest.raises(SimulationError, match="cut-off reached at once|solver"):
        nasim.simulate(heo_hc_full, model="DFN", c_rate=50.0)
    code = main(["simulate", str(CELLS / "heo_hc_full.yaml"), "--c-rate", "50", "--out",
                 str(tmp_path / "50C")])
    assert code == 1
    err = capsys.readouterr().err
    assert "simulation failed" in err


def _frame(c_e_min: float) -> pd.DataFrame:
    return pd.DataFrame({"capacity_mAh_per_g": [0.0, 40.0],
                         "electrolyte_concentration_min_mol_per_m3": [1000.0, c_e_min]})


@pytest.mark.parametrize("termination, c_e_min, expected", [
    ("final time", 900.0, "did not reach its cut-off"),
    ("event: Minimum voltage [V]", -50.0, "electrolyte depleted"),
    ("some solver message", 900.0, "solver stopped early"),
])
def test_partial_solutions_raise(heo_half, termination, c_e_min, expected):
    with pytest.raises(SimulationError, match=expected) as info:
        classify_end(termination, _frame(c_e_min), heo_half, "discharge", time_limited=False)
    assert info.value.partial_capacity_mAh_per_g == pytest.approx(40.0)


def test_depletion_at_cut_off_is_named(heo_half):
    end = "event: Minimum voltage [V]"
    text = classify_end(end, _frame(0.5), heo_half, "discharge", time_limited=False)
    assert "electrolyte depleted" in text
    assert classify_end(end, _frame(800.0), heo_half, "discharge", time_limited=False) == end


def test_time_limited_step_ends_properly_at_its_duration(heo_half):
    assert classify_end("final time", _frame(900.0), heo_half, "discharge",
                        time_limited=True) == "time or capacity limit reached"


def test_bad_arguments_are_clear(heo_half):
    with pytest.raises(ValueError, match="exactly one of c_rate"):
        nasim.simulate(heo_half, c_rate=1.0, current_mA_per_g=150.0)
    with pytest.raises(ValueError, match="model 'P2D'"):
        nasim.simulate(heo_half, model="P2D", c_rate=1.0)
    with pytest.raises(ValueError, match="positive"):
        nasim.simulate(heo_half, c_rate=-1.0)
