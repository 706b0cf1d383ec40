"""Issue 14: ranges as data, sampling, propagation through the sweep's executors, outputs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import nasim
from nasim.params.loading import ParameterFileError, load_cell
from nasim.uncertainty.inputs import NO_INTERVAL, UncertainInput, discover, select
from nasim.uncertainty.sampling import latin_hypercube

ROOT = Path(__file__).resolve().parents[1]
CELLS = ROOT / "parameter_sets" / "cells"
HEO = CELLS / "heo_half.yaml"
FULL = CELLS / "heo_hc_full.yaml"
HC_WINDOW = "anode.material.stoichiometry_window.discharged"


def _copy_without_range(tmp_path: Path) -> Path:
    text = HEO.read_text().replace("kind: assumed, range: [1.5, 5], ", "kind: assumed, ", 1)
    assert text != HEO.read_text()
    path = tmp_path / "cell.yaml"
    path.write_text(text.replace("../", CELLS.parent.as_posix() + "/"))
    return path


def test_assumed_value_without_range_is_rejected_naming_file_and_field(tmp_path):
    path = _copy_without_range(tmp_path)
    with pytest.raises(ParameterFileError) as err:
        load_cell(path)
    assert "cell.yaml" in str(err.value) and "cathode.loading" in str(err.value)
    assert "has no range" in str(err.value)
    done = subprocess.run([sys.executable, "-m", "nasim.cli", "params", "validate", str(path)],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 2
    assert "cell.yaml" in done.stderr and "cathode.loading" in done.stderr


def test_every_bundled_assumed_value_has_a_range_and_fits_carry_intervals():
    for cell in ("heo_half", "nfm_half", "heo_hc_full", "chayambuka2022_full"):
        load_cell(CELLS / f"{cell}.yaml")  # the schema requires the ranges
    fitted = [i for i in discover(HEO) if i.kind == "fitted"]
    names = {i.path for i in fitted}
    assert "cathode.material.diffusivity" in names and "cathode.material.rate_constant" in names
    d = next(i for i in fitted if i.path == "cathode.material.diffusivity")
    assert d.interval_95[0] < d.nominal < d.interval_95[1] and d.log
    assert abs(d.correlation["cathode.rate_constant"]) > 0.5  # fit_report.json: -0.94
    # the electrolyte diffusivity's fitted multiplier is folded into its table: sampled as the
    # table's .scale around 1, its interval that of fit_report.json over the fitted value
    e = next(i for i in fitted if i.path == "electrolyte.diffusivity.scale")
    report = json.loads((ROOT / "fits/heo_rate_25C/out/fit_report.json").read_text())
    p = report["parameters"]["electrolyte.diffusivity.scale"]
    assert e.nominal == 1.0 and e.log and e.fit == "heo_rate_25C"
    assert np.allclose(e.interval_95, np.array(p["ci95"]) / p["value"], rtol=1e-12)
    # every fitted value either carries its fit's interval or is listed with why it is not
    # sampled (hand calibrations without a fit report), never dropped silently
    kept, left = select(discover(HEO), "fitted")
    unsampled = {i.path: why for i, why in left if i.kind == "fitted"}
    assert all(why == NO_INTERVAL for why in unsampled.values())
    assert {i.path for i in kept} | set(unsampled) == names
    assert all(i.interval_95 is not None for i in kept)


def test_params_show_prints_the_range():
    table = nasim.parameter_table(HEO)
    row = table[table.parameter == "cathode.loading"].iloc[0]
    assert row["range"] == "1.5 to 5"


def test_precycled_full_cell_keeps_its_sodium():
    from nasim.params.inventory import sodium_inventory

    pre = sodium_inventory(load_cell(CELLS / "heo_hc_full.yaml"))
    raw = sodium_inventory(load_cell(CELLS / "heo_hc_full.yaml",
                                     {"electrode_preparation.precycled": False}))
    assert pre.first_cycle_loss_mol == 0.0 and raw.first_cycle_loss_mol > 0.0
    assert pre.cyclable_mol == pytest.approx(raw.cyclable_mol + raw.first_cycle_loss_mol)


def _item(kind="assumed", **kw):
    base = dict(path="x", file="f", kind=kind, unit="1", nominal=1.0, low=0.5, high=1.5)
    return UncertainInput(**{**base, **kw})


def test_latin_hypercube_is_stratified_and_seeded():
    items = [_item(), _item(path="y", low=1.0, high=100.0, nominal=10.0, log=True)]
    a = latin_hypercube(items, 50, seed=7)
    assert np.array_equal(a, latin_hypercube(items, 50, seed=7))
    strata = np.floor((a[:, 0] - 0.5) / 1.0 * 50).astype(int)
    assert sorted(strata) == list(range(50))  # one sample per stratum
    assert np.all((a[:, 1] >= 1.0) & (a[:, 1] <= 100.0))


def test_fitted_samples_follow_the_fit_normal_and_correlation():
    a = _item("fitted", path="a", nominal=1e-15, low=1e-18, high=1e-13, log=True,
              interval_95=(1e-15 / 4, 4e-15), fit="f", fit_parameter="pa",
              correlation={"pb": -0.9})
    b = _item("fitted", path="b", nominal=2.0, low=0.0, high=2.5, interval_95=(1.0, 3.0),
              fit="f", fit_parameter="pb", correlation={"pa": -0.9})
    x = latin_hypercube([a, b], 4000, seed=1)
    z = np.log10(x[:, 0])
    assert z.std() == pytest.approx(np.log10(4) / 1.959964, rel=0.05)
    assert x[:, 1].max() <= 2.5  # clipped to the bounds
    assert np.corrcoef(z, x[:, 1])[0, 1] < -0.8


def test_select_vary_and_exclude():
    inputs = discover(HEO)
    assumed, _ = select(inputs, "assumed")
    fitted, _ = select(inputs, "fitted")
    assert all(i.kind == "assumed" for i in assumed) and all(i.kind == "fitted" for i in fitted)
    kept, left = select(inputs, "all", ["cathode.loading", "heo.yaml:*"])
    assert "cathode.loading" not in {i.path for i in kept}
    assert not any(i.file == "heo.yaml" for i in kept)
    with pytest.raises(ValueError):
        select(inputs, "everything")


def test_linear_input_gives_the_analytic_interval():
    """The full cell's 0.1C capacity is linear in the hard carbon's discharged-end
    stoichiometry (assumed, uniform over [0, 0.05]: it sets the cyclable sodium; R^2 0.999 in
    drivers.csv of the DFN run): its percentiles are the capacity at the input's percentiles
    (0.025 and 0.975 of the range), as for any monotone quantity. The sampled interval is
    within 5 % of its width of that answer."""
    r = nasim.simulate(FULL, model="SPM", c_rate=0.1, uncertainty=True, samples=40, seed=3,
                       only=[HC_WINDOW], workers=1)
    assert r.n_failed == 0 and [i.path for i in r.inputs] == [HC_WINDOW]
    assert r.inputs[0].kind == "assumed" and not r.inputs[0].log
    row = r.summary.iloc[0]
    exact = [nasim.simulate(load_cell(FULL, {HC_WINDOW: {"value": v}}), model="SPM",
                            c_rate=0.1).metrics["capacity_mAh_per_g"] for v in (0.00125, 0.04875)]
    width = exact[1] - exact[0]
    assert width > 3.0  # mAh/g
    assert abs(row.capacity_mAh_per_g_p2_5 - exact[0]) < 0.05 * width
    assert abs(row.capacity_mAh_per_g_p97_5 - exact[1]) < 0.05 * width


RATE_25C = "experiments/heo_half_rate_25C.yaml"


@pytest.fixture(scope="module")
def replayed(tmp_path_factory):
    """``nasim replay --uncertainty`` (SPM, 6 samples, seed 1) into a folder."""
    out = tmp_path_factory.mktemp("unc") / "a"
    done = subprocess.run(
        [sys.executable, "-m", "nasim.cli", "replay", RATE_25C, "--model", "SPM",
         "--uncertainty", "--samples", "6", "--seed", "1", "--workers", "1", "--quiet",
         "--out", str(out)], capture_output=True, text=True, cwd=ROOT, timeout=600)
    return done, out


def test_replay_uncertainty_outputs(replayed):
    done, out = replayed
    assert done.returncode == 0, done.stderr[-2000:]
    summary = pd.read_csv(out / "summary.csv")
    dis = summary[summary.direction == "discharge"]
    for column in ("capacity_mAh_per_g", "specific_energy_Wh_per_kg_cathode",
                   "median_voltage_V"):
        lo, hi = dis[f"{column}_p2_5"], dis[f"{column}_p97_5"]
        assert lo.notna().all() and (lo <= hi).all()
    failed = pd.read_csv(out / "uncertainty.csv").status.ne("ok").sum()
    assert dis.samples_ok.max() == 6 and dis.samples_ok.min() >= 6 - failed
    # a half cell has no anode active mass: the column and its interval are there, empty
    assert {"specific_energy_Wh_per_kg_active_p2_5", "specific_energy_Wh_per_kg_active_p97_5"
            } <= set(summary.columns)
    assert len(pd.read_csv(out / "uncertainty.csv")) == 6
    drivers = pd.read_csv(out / "drivers.csv")
    assert {"quantity", "input", "src", "share", "rank"} <= set(drivers.columns)
    assert list(out.glob("tornado_*.png"))
    report = (out / "report.md").read_text()
    assert "inside" in report and "samples failed" in report
    assert (out / "run.json").exists()


def test_same_seed_same_percentiles(replayed):
    """The same seed again (through the API, in this process): the same percentiles."""
    done, out = replayed
    assert done.returncode == 0
    again = nasim.replay(RATE_25C, "SPM", uncertainty=True, samples=6, seed=1, workers=1)
    x, y = pd.read_csv(out / "summary.csv"), again.summary
    cols = [c for c in x.columns if c.endswith(("_p2_5", "_p97_5"))]
    assert cols and list(x.step) == list(y.step)
    np.testing.assert_allclose(x[cols].to_numpy(float), y[cols].to_numpy(float), rtol=1e-9)


def test_energy_uncertainty_varies_the_mass_budget():
    r = nasim.energy(CELLS / "heo_hc_full.yaml", current_mA_per_g=50, model="SPM",
                     uncertainty=True, samples=6, seed=2, workers=1)
    assert r.n_failed == 0
    assert any(i.path.startswith("current_collectors.") for i in r.inputs)
    row = r.summary.iloc[0]
    assert row.specific_energy_Wh_per_kg_stack_p2_5 < row.specific_energy_Wh_per_kg_stack_p97_5


def test_uncertainty_options_need_uncertainty():
    with pytest.raises(TypeError, match="uncertainty=True"):
        nasim.simulate(HEO, model="SPM", c_rate=1, samples=4)


def test_accelerate_reaches_the_samples(tmp_path):
    """``accelerate=True`` (``--accelerate``) jumps cycles in every sample, not only in the
    central run: the samples' aging repeats have skipped (jumped) cycles, and their last
    cycle's retention is reported with its interval."""
    path = tmp_path / "cycling.yaml"
    path.write_text(f"""kind: protocol
name: cycle jumping in samples
cell: {HEO.as_posix()}
model: SPM
aging: {{mechanisms: [phase_strain, dissolution], accelerate: false}}
source: test
steps:
  - repeat:
      count: 60
      keep_timeseries_every: 60
      steps:
        - charge: {{current: 10 C, until_voltage: 4.2 V}}
        - discharge: {{current: 10 C, until_voltage: 2.0 V, label: cycle_discharge}}
""")
    r = nasim.replay(path, uncertainty=True, accelerate=True, samples=2, seed=3, workers=1,
                     only=["*degradation.dissolution_rate"])
    assert r.n_failed == 0 and [i.path for i in r.inputs] == [
        "cathode.material.degradation.dissolution_rate"]
    assert (r.nominal.summary.status == "skipped").sum() > 0
    for record in r.records:
        statuses = [row["status"] for row in record["rows"]]
        assert statuses.count("skipped") > 0 and statuses.count("ok") < len(statuses) / 2


RATE_60C = "experiments/heo_half_rate_60C.yaml"


def _sample_rows(group, values, order: list[int]) -> dict[int, list]:
    """Samples ``order`` run one after another in a fresh worker (no cached model)."""
    from nasim.simulate import cache
    from nasim.uncertainty import worker

    worker._GROUPS.clear()
    cache.clear()
    return {i: worker.run_sample(group, i, tuple(values[i]))["rows"] for i in order}


def test_a_sample_does_not_depend_on_the_samples_before_it():
    """Sample 3 of the 60 degC DFN rate test (seed 1) alone and after sample 2 on the same
    worker's model: the same rows (it failed at its voltage hold after sample 2 when PyBaMM's
    solver state carried over; chunks reach workers in any order, so this is what makes the
    same seed give the same percentiles)."""
    from nasim.uncertainty.worker import probe

    keep, _ = select(discover(HEO), "all")
    group, _ = probe(str(ROOT / RATE_60C), str(HEO), "DFN", None, keep)
    values = latin_hypercube(list(group.inputs), 64, 1)
    alone = _sample_rows(group, values, [3])[3]
    after = _sample_rows(group, values, [2, 3])[3]
    assert [r["status"] for r in alone] == [r["status"] for r in after]
    assert all(r["status"] == "ok" for r in after)
    for a, b in zip(alone, after, strict=True):
        np.testing.assert_allclose([a["capacity_mAh_per_g"], a["median_voltage_V"]],
                                   [b["capacity_mAh_per_g"], b["median_voltage_V"]],
                                   rtol=1e-9, equal_nan=True)


@pytest.mark.slow
def test_same_seed_same_percentiles_60C_dfn(tmp_path):
    """Issue 14's must-show: ``nasim replay experiments/heo_half_rate_60C.yaml --model DFN
    --uncertainty --samples 64 --seed 1`` twice gives identical percentiles (1e-9 relative),
    with the 20C capacity interval."""
    frames = []
    for name in ("a", "b"):
        done = subprocess.run(
            [sys.executable, "-m", "nasim.cli", "replay", RATE_60C, "--model", "DFN",
             "--uncertainty", "--samples", "64", "--seed", "1", "--quiet", "--out",
             str(tmp_path / name)], capture_output=True, text=True, cwd=ROOT, timeout=7200)
        assert done.returncode == 0, done.stderr[-2000:]
        frames.append(pd.read_csv(tmp_path / name / "summary.csv"))
    x, y = frames
    cols = [c for c in x.columns if c.endswith(("_p2_5", "_p97_5"))]
    np.testing.assert_allclose(x[cols].to_numpy(float), y[cols].to_numpy(float), rtol=1e-9)
    at_20C = x[(x.direction == "discharge") & (x.c_rate.round(3) == 20)]
    assert at_20C.capacity_mAh_per_g_p2_5.notna().all()


def test_samples_ended_counts_cycling_that_stopped_early():
    """A sample whose cycling ended by its end-of-life rule has no rows after its end:
    summary.csv counts it in ``samples_ended`` from the next step on, and the interval there
    is over the samples still cycling (a failed sample is not counted as ended)."""
    from types import SimpleNamespace

    import pandas as pd

    from nasim.uncertainty.result import UncertaintyResult

    nominal = pd.DataFrame({"step": [1, 2, 3, 4], "direction": ["charge", "discharge"] * 2,
                            "retention": [np.nan, 1.0, np.nan, 0.9], "status": "ok"})

    def rows(retentions):
        return [{"step": s, "status": "ok", "retention": r}
                for s, r in zip(range(1, len(retentions) + 1), retentions, strict=False)]

    records = [{"sample": 0, "status": "ok", "rows": rows([np.nan, 1.0, np.nan, 0.8])},
               {"sample": 1, "status": "ok", "rows": rows([np.nan, 1.0, np.nan, 0.7])},
               {"sample": 2, "status": "ok", "rows": rows([np.nan, 1.0])},  # ended
               {"sample": 3, "status": "failed", "rows": rows([np.nan, 1.0])}]
    result = UncertaintyResult(SimpleNamespace(summary=nominal), [], [], np.zeros((4, 0)),
                               records, 0, "all", 0.0)
    summary = result.summary.set_index("step")
    assert summary.samples_ended.tolist() == [0, 0, 1, 1]
    assert summary.loc[4, "samples_ok"] == 2
    assert 0.7 <= summary.loc[4, "retention_p2_5"] < summary.loc[4, "retention_p97_5"] <= 0.8
