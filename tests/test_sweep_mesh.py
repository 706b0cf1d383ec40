"""The sweep's mesh check at the study's corner (issue 19, "sweep mesh trap";
nasim.sweep.mesh_guard): the most demanding point, checked against the 2x mesh before the
points, written to mesh_check.json, a warning naming the study's mesh: setting, an opt-out."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings

import pytest
from conftest import CELLS, ROOT

import nasim
from nasim.simulate import mesh as simulate_mesh
from nasim.sweep import load_study, mesh_guard
from nasim.sweep.mesh_guard import (
    MESH_CHECK_FILE,
    MeshNotConverged,
    corner,
    guard,
)
from nasim.sweep.run import run_study


def _study(tmp_path, body: str, name: str = "study.yaml"):
    path = tmp_path / name
    path.write_text(f"kind: study\nname: {name}\n{body}")
    return path


#: a study far from the half cell's design (2.5 mg/cm2) on a coarse study mesh: 4 points per
#: domain and particle are 2.8 % / 22 mV from 8 points at 8 mg/cm2 and 5C (SPM)
FAR = f"""cell: {CELLS / 'heo_half.yaml'}
model: SPM
mesh_points: 4
axes:
  - {{parameter: cathode.loading, unit: mg/cm2, values: [8, 2]}}
  - {{parameter: current, unit: C, values: [5, 1]}}
"""


def test_corner_is_the_largest_of_every_axis_and_the_coldest(tmp_path):
    study = load_study(_study(tmp_path, f"""cell: {CELLS / 'heo_half.yaml'}
model: SPM
axes:
  - {{parameter: cathode.loading, unit: mg/cm2, range: {{min: 2, max: 8, num: 4}}}}
  - {{parameter: current, unit: C, values: [2, 0.5, 1]}}
  - {{parameter: temperature, unit: degC, values: [25, -10, 40]}}
"""))
    assert corner(study).inputs == {"cathode.loading": 8, "current": 2, "temperature": -10}


def test_unconverged_corner_warns_naming_the_mesh_setting_and_is_recorded(tmp_path):
    out = tmp_path / "out"
    with pytest.warns(MeshNotConverged, match="set a finer 'mesh:' in the study file") as seen:
        frame, run = run_study(_study(tmp_path, FAR), out, workers=1)
    assert "mesh_points: 4" in str(seen[0].message)  # where the mesh in use comes from
    assert set(frame.status) == {"ok"} and len(frame) == 4  # the check does not stop it
    record = json.loads((out / MESH_CHECK_FILE).read_text())
    assert record == run.mesh_check
    assert record["corner"] == {"cathode.loading_mg_per_cm2": 8, "c_rate": 5}
    assert record["c_rate"] == pytest.approx(5.0) and record["mesh_points"]["r_p"] == 4
    assert record["status"] == "not converged"
    assert (record["capacity_rel_diff"] > record["capacity_bound"]
            or record["voltage_rms_diff_mV"] > record["voltage_bound_mV"])
    # nothing left to compute: no check; the same study again in the folder: the record is
    # reused, not recomputed (and still warned about)
    _, again = run_study(_study(tmp_path, FAR), out, workers=1)
    assert again.n_computed == 0 and again.mesh_check is None
    study = load_study(_study(tmp_path, FAR))

    def no_recompute(_study):
        raise AssertionError("the stored check of the same study is reused")

    with pytest.MonkeyPatch.context() as mp, pytest.warns(MeshNotConverged):
        mp.setattr(mesh_guard, "check_corner", no_recompute)
        assert guard(study, out) == record


def test_a_cell_mesh_that_is_converged_at_the_corner_is_quiet(tmp_path):
    # the NFM half cell's SPMe mesh is chosen at 10C (parameter_sets/cells/nfm_half.yaml)
    study = load_study(_study(tmp_path, f"""cell: {CELLS / 'nfm_half.yaml'}
model: SPMe
axes:
  - {{parameter: current, unit: C, values: [1, 10]}}
"""))
    with warnings.catch_warnings():
        warnings.simplefilter("error", MeshNotConverged)
        record = guard(study, None)
    assert record["status"] == "converged", record["message"]
    assert record["voltage_rms_diff_mV"] < 1.5 and record["c_rate"] == pytest.approx(10)
    assert "cell file's mesh" in record["mesh_setting"]


def test_protocol_study_corner_runs_at_the_protocols_highest_rate(tmp_path, monkeypatch):
    """A protocol study's corner takes the protocol's highest constant-current rate (20C for
    the HEO rate test) and the coldest temperature of its axis."""
    seen = {}

    def fake_check(cell, model, *, c_rate, temperature_C, mesh):
        seen.update(c_rate=c_rate, temperature_C=temperature_C, model=model,
                    loading=cell.design.cathode.loading_kg_per_m2 * 100)
        raise nasim.SimulationError("stop here")

    monkeypatch.setattr(simulate_mesh, "mesh_check", fake_check)
    study = load_study(_study(tmp_path, f"""protocol: {ROOT / 'experiments/heo_half_rate_25C.yaml'}
axes:
  - {{parameter: cathode.loading, unit: mg/cm2, values: [2, 6]}}
  - {{parameter: temperature, unit: degC, values: [25, 0]}}
"""))
    with pytest.warns(MeshNotConverged, match="did not solve: stop here"):
        record = guard(study, None)
    assert seen == pytest.approx({"c_rate": 20.0, "temperature_C": 0.0, "model": "DFN",
                                  "loading": 6.0})
    assert record["status"] == "failed"


def test_opt_out_by_study_option_and_command_line_flag(tmp_path):
    quiet = _study(tmp_path, FAR + "options: {mesh_check: false}\n", "quiet.yaml")
    with warnings.catch_warnings():
        warnings.simplefilter("error", MeshNotConverged)
        _, run = run_study(quiet, tmp_path / "a", workers=1)
    assert run.mesh_check is None and not (tmp_path / "a" / MESH_CHECK_FILE).exists()
    study = _study(tmp_path, FAR)

    def cli(out, *flags):
        done = subprocess.run([sys.executable, "-m", "nasim.cli", "sweep", str(study), "--out",
                               str(tmp_path / out), "--workers", "1", "--json", *flags],
                              capture_output=True, text=True, cwd=ROOT)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)["mesh_check"], done.stderr

    record, stderr = cli("b")
    assert record["status"] == "not converged" and "MeshNotConverged" in stderr
    assert "set a finer 'mesh:' in the study file" in stderr
    record, stderr = cli("c", "--no-mesh-check")
    assert record is None and "MeshNotConverged" not in stderr
    assert not (tmp_path / "c" / MESH_CHECK_FILE).exists()
