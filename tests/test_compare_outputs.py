"""benchmarks/compare_outputs.py (the outputs-unchanged check of a replay folder) on two tiny
synthetic replay output folders: equal ones pass, differing ones fail with the differences."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "compare_outputs.py"
_spec = importlib.util.spec_from_file_location("compare_outputs", SCRIPT)
compare_outputs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(compare_outputs)

ROWS = {"step": [1, 2], "direction": ["charge", "discharge"],
        "capacity_mAh_per_g": [151.72020852, 149.86334206], "retention": [None, 1.0],
        "termination": ["event: Maximum voltage [V]", "event: Minimum voltage [V]"],
        "solve_time_s": [0.21, 0.02]}


def _folder(root: Path, **changes) -> Path:
    frame = pd.DataFrame({**ROWS, **changes})
    (root / "rate_test").mkdir(parents=True)
    frame.to_csv(root / "rate_test" / "summary.csv", index=False)
    return root


def test_equal_folders_pass(tmp_path, capsys):
    a = _folder(tmp_path / "a")
    b = _folder(tmp_path / "b", capacity_mAh_per_g=[151.72020852 * (1 + 5e-7), 149.86334206],
                solve_time_s=[9.0, 9.0])  # within rtol; wall times are not compared
    assert compare_outputs.main([str(a), str(b)]) == 0
    assert "1 protocols: every summary.csv equal" in capsys.readouterr().out


def test_differing_folders_fail_with_each_difference(tmp_path, capsys):
    a = _folder(tmp_path / "a")
    b = _folder(tmp_path / "b", capacity_mAh_per_g=[151.72020852, 149.0],
                retention=[0.5, 1.0], termination=["event: Maximum voltage [V]", "failed"])
    (tmp_path / "b" / "extra").mkdir()
    (tmp_path / "b" / "extra" / "summary.csv").write_text("step\n1\n")
    assert compare_outputs.main([str(a), str(b), "--rtol", "1e-6"]) == 1
    out = capsys.readouterr().out
    assert "4 difference(s)" in out
    assert "rate_test: row 2, column 'capacity_mAh_per_g'" in out
    assert "rate_test: row 1, column 'retention': nan != 0.5" in out
    assert "column 'termination'" in out and "extra: summary.csv only in" in out
    differences, _ = compare_outputs.compare_folders(a, _folder(tmp_path / "c", step=[1, 3]))
    assert differences == ["rate_test: row 2, column 'step': 2.0 != 3.0 (relative difference "
                           "0.333)"]
