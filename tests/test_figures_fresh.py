"""The committed figures of docs/figures/ are what the current parameter sets give: a few of
each study's points are run again and compared with the committed results.csv beside the
figures (regenerate with ``nasim sweep studies/<name>.yaml --out docs/figures/<name>``)."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from tests.conftest import ROOT

#: study -> a few points (axis values) to run again: the corners that move most when a
#: parameter set changes (highest rate, coldest, thickest)
POINTS = {
    "heo_half_temperature_crate": {"temperature": [-20, 25], "current": [20]},
    "heo_hc_loading_crate": {"cathode.loading": [10], "current": [100, 2000]},
}
COLUMNS = {"capacity_mAh_per_g": 0.005, "median_voltage_V": 0.002}  # relative tolerances


def _axis_column(axis: dict) -> str:
    return {"temperature": f"temperature_{axis['unit']}", "current": "current",
            }.get(axis["parameter"], axis["parameter"])


@pytest.mark.parametrize("name", sorted(POINTS))
def test_committed_figure_results_match_a_fresh_run(name, tmp_path):
    from nasim.sweep import sweep

    study = yaml.safe_load((ROOT / "studies" / f"{name}.yaml").read_text())
    study["cell"] = str((ROOT / "studies" / study["cell"]).resolve())
    for axis in study["axes"]:
        axis["values"] = POINTS[name][axis["parameter"]]
    study.pop("figures", None)
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump(study, sort_keys=False))
    fresh = sweep(path, workers=1)
    committed = pd.read_csv(ROOT / "docs" / "figures" / name / "results.csv")
    assert len(fresh) == 2 and (fresh.status == "ok").all(), fresh.error.tolist()
    for _, row in fresh.iterrows():
        match = committed
        for axis in study["axes"]:
            col = next(c for c in committed.columns
                       if c == axis["parameter"] or c.startswith(
                           axis["parameter"].replace(".", "_")) or c.startswith(
                           f"{axis['parameter']}_"))
            match = match[(match[col] - row[col]).abs() <= 1e-9 * max(1.0, abs(row[col]))]
        assert len(match) == 1, (name, row.to_dict())
        for column, tol in COLUMNS.items():
            assert row[column] == pytest.approx(match[column].iloc[0], rel=tol), (
                f"{name}: {column} at point {match['index'].iloc[0]} is {row[column]:.5g} "
                f"fresh vs {match[column].iloc[0]:.5g} committed: regenerate docs/figures")
