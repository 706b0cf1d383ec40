"""nasim sweep: study points, failed-point recording, resume after kill, Dask = local, trends."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest
from conftest import CELLS, ROOT

import nasim
from nasim.params.loading import ParameterFileError
from nasim.sweep import load_study
from nasim.sweep.store import STORE_NAME


def _study(tmp_path, body: str, name: str = "study.yaml"):
    path = tmp_path / name
    path.write_text(f"kind: study\nname: {name}\n{body}")
    return path


HALF = f"cell: {CELLS / 'heo_half.yaml'}\n"
FULL = f"cell: {CELLS / 'heo_hc_full.yaml'}\n"


def test_points_grid_and_samples_are_reproducible(tmp_path):
    grid = load_study(_study(tmp_path, HALF + """model: SPM
axes:
  - {parameter: cathode.loading, unit: mg/cm2, range: {min: 2, max: 8, num: 4}}
  - {parameter: current, unit: C, values: [0.5, 1, 2]}
  - {parameter: temperature, unit: degC, values: [0, 25]}
"""))
    points = grid.points()
    assert len(points) == 24 and len({p.id for p in points}) == 24
    assert len({p.geometry_key(grid) for p in points}) == 4
    assert len({p.group_key(grid) for p in points}) == 1  # loading is an input: one build
    assert [p.id for p in points] == [p.id for p in grid.points()]
    lhs = load_study(_study(tmp_path, HALF + """model: SPM
sampling: {method: lhs, samples: 20, seed: 3}
axes:
  - {parameter: cathode.loading, unit: mg/cm2, values: [2, 4, 6, 8]}
  - {parameter: current, unit: mA/g, range: {min: 10, max: 1000, spacing: log}}
""", "lhs.yaml"))
    a, b = lhs.points(), lhs.points()
    assert [p.inputs for p in a] == [p.inputs for p in b] and len(a) == 20
    loadings = [p.inputs["cathode.loading"] for p in a]
    assert sorted(set(loadings)) == [2, 4, 6, 8]
    assert {loadings.count(v) for v in set(loadings)} == {5}  # stratified over the levels
    currents = np.array([p.inputs["current"] for p in a])
    assert currents.min() >= 10 and currents.max() <= 1000


def test_bad_axis_is_bad_input(tmp_path):
    bad = _study(tmp_path, HALF + """axes:
  - {parameter: cathode.lodaing, unit: mg/cm2, values: [2, 4]}
""")
    with pytest.raises(ParameterFileError, match="lodaing"):
        load_study(bad)
    code = subprocess.run([sys.executable, "-m", "nasim.cli", "sweep", str(bad), "--out",
                           str(tmp_path / "out")], capture_output=True, text=True).returncode
    assert code == 2


def test_failed_point_is_recorded_and_the_rest_completes(tmp_path, monkeypatch):
    """A point whose cell cannot be set up fails with the reason; the others complete, and
    the command line exits 1 naming the count."""
    from nasim.cli import main
    from nasim.sweep import worker

    geometry = worker._geometry

    def fragile(study, task, point):
        if point.inputs["cathode.porosity"] == 0.45:
            raise ValueError("cathode.porosity 0.45: no room for the loading (test)")
        return geometry(study, task, point)

    monkeypatch.setattr(worker, "_geometry", fragile)
    study = _study(tmp_path, HALF + """model: SPM
axes:
  - {parameter: cathode.porosity, unit: "1", values: [0.4, 0.45, 0.5]}
  - {parameter: current, unit: C, values: [1, 5]}
""")
    assert main(["sweep", str(study), "--out", str(tmp_path / "out"), "--workers", "1",
                 "--quiet"]) == 1
    frame = pd.read_csv(tmp_path / "out" / "results.csv", keep_default_na=False)
    assert len(frame) == 6
    failed = frame[frame.status == "failed"]
    assert list(failed["cathode.porosity"]) == [0.45, 0.45]
    assert failed.error.str.contains("cathode.porosity").all()
    ok = frame[frame.status == "ok"]
    assert len(ok) == 4 and (ok.capacity_mAh_per_g.astype(float) > 100).all()
    assert (ok.error == "").all()
    assert json.loads((tmp_path / "out" / "run.json").read_text())["status"] == "failed"


def test_out_of_range_axis_value_is_bad_input(tmp_path):
    study = _study(tmp_path, HALF + """model: SPM
axes:
  - {parameter: cathode.porosity, unit: "1", values: [0.4, 1.2, 0.5]}
""")
    with pytest.raises(ParameterFileError, match=r"axis 'cathode.porosity': value 1.2 1: "
                                                 r"field 'cathode.porosity'.*\(0.0, 1.0\)"):
        load_study(study)


def _assert_same_results(a, b) -> None:
    """Same points, statuses, reasons and metrics; numbers to 1e-5 relative (a worker's
    solver is reused across batches, so the last digits of a point can depend on what that
    worker solved before; the solver's own tolerance is 1e-4)."""
    a, b = a.drop(columns=["solve_time_s", "worker"]), b.drop(columns=["solve_time_s", "worker"])
    assert list(a.columns) == list(b.columns) and list(a.point_id) == list(b.point_id)
    for column in a.columns:
        if a[column].dtype.kind == "f":
            np.testing.assert_allclose(a[column], b[column], rtol=1e-5, err_msg=column)
        elif column in ("termination", "error"):  # texts quote numbers (c_e at the end)
            assert a[column].map(_words).equals(b[column].map(_words)), column
        else:
            assert a[column].equals(b[column]), column


def _words(text) -> str:
    return re.sub(r"-?\d+(\.\d+)?(e[-+]?\d+)?", "#", str(text))


def _stored(path) -> dict[str, float]:
    if not path.exists():
        return {}
    try:
        with sqlite3.connect(path) as conn:
            return dict(conn.execute("SELECT id, finished_at FROM points"))
    except sqlite3.OperationalError:  # the sweep has not created its table yet
        return {}


def test_resume_after_kill_stores_each_point_once(tmp_path):
    # 210 points: four tasks on two workers, so stores are apart by at least a task's time
    # (two tasks alone can finish within one poll of the store)
    study = _study(tmp_path, FULL + """model: SPM
axes:
  - {parameter: cathode.loading, unit: mg/cm2, values: [5, 7, 9, 11, 13, 15, 17, 19, 21, 23]}
  - {parameter: current, unit: mA/g, range: {min: 20, max: 1000, num: 21, spacing: log}}
""")
    out = tmp_path / "out"
    db = out / STORE_NAME
    proc = subprocess.Popen([sys.executable, "-m", "nasim.cli", "sweep", str(study), "--out",
                             str(out), "--workers", "2", "--quiet"], start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    try:
        while len(_stored(db)) == 0 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the sweep and its worker processes
        proc.wait()
    before = _stored(db)
    assert 0 < len(before) < 210, f"{len(before)} points stored when killed"
    print(f"killed with {len(before)} of 210 points stored")
    assert not [p.name for p in out.iterdir() if p.is_file() and p.stat().st_size == 0]
    from nasim.cli import main

    assert main(["sweep", str(study), "--out", str(out), "--quiet"]) == 2  # not without --resume
    assert main(["sweep", str(study), "--out", str(out), "--workers", "2", "--quiet",
                 "--resume"]) == 0
    frame = pd.read_csv(out / "results.csv", keep_default_na=False)
    assert json.loads((out / "run.json").read_text())["status"] == "complete"
    after = _stored(db)
    assert len(after) == 210 and len(frame) == 210 and frame.point_id.is_unique
    assert all(after[k] == v for k, v in before.items())  # stored points were not recomputed
    assert set(frame.status) == {"ok"}
    _assert_same_results(frame, nasim.sweep(study, tmp_path / "fresh", workers=1,
                                            figures=False))  # however the run was split


def test_thicker_cathodes_lose_specific_capacity_at_high_rate(tmp_path):
    study = _study(tmp_path, FULL + """model: DFN
axes:
  - {parameter: cathode.loading, unit: mg/cm2, values: [5, 15, 30]}
  - {parameter: current, unit: mA/g, values: [20, 500]}
""")
    frame = nasim.sweep(study, workers=1)
    assert set(frame.status) == {"ok"}
    fast = frame[frame.current_mA_per_g == 500].sort_values("cathode.loading_mg_per_cm2")
    slow = frame[frame.current_mA_per_g == 20].sort_values("cathode.loading_mg_per_cm2")
    assert np.all(np.diff(fast.capacity_mAh_per_g) < 0)
    assert np.all(np.diff(fast.specific_energy_Wh_per_kg_stack) < 0)
    assert fast.capacity_mAh_per_g.iloc[-1] < 0.5 * fast.capacity_mAh_per_g.iloc[0]
    # at a low rate the loading barely matters: the loss is a rate effect
    assert slow.capacity_mAh_per_g.iloc[-1] > 0.97 * slow.capacity_mAh_per_g.iloc[0]
    assert np.all(np.diff(fast.cathode_thickness_um) > 0)
    # the stack gains from thicker electrodes at low rate (less collector and separator per Wh)
    stack = slow.specific_energy_Wh_per_kg_stack
    assert stack.iloc[-1] > stack.iloc[0]

    from nasim.plots.sweep import heatmap, ragone_families

    fig = heatmap(frame, "cathode.loading_mg_per_cm2", "current_mA_per_g", "capacity_mAh_per_g",
                  log_y=True)
    assert len(fig.axes) == 2  # the map and its colour bar
    fig = ragone_families(frame, "cathode.loading_mg_per_cm2", "stack")
    assert len(fig.axes[0].lines) == 3


def test_dask_local_cluster_equals_local_run(tmp_path):
    pytest.importorskip("distributed")
    study = _study(tmp_path, HALF + """model: SPM
axes:
  - {parameter: cathode.loading, unit: mg/cm2, values: [2, 6]}
  - {parameter: current, unit: C, values: [1, 10]}
  - {parameter: temperature, unit: degC, values: [0, 40]}
""")
    local = nasim.sweep(study, tmp_path / "local", workers=1, figures=False)
    dask = nasim.sweep(study, tmp_path / "dask", workers=2, scheduler="dask-local",
                       figures=False)
    assert set(local.status) == {"ok"}
    _assert_same_results(local, dask)
    assert dask.worker.nunique() == 2


def test_bundled_studies_are_valid():
    for name in ("heo_hc_loading_crate.yaml", "heo_half_temperature_crate.yaml"):
        study = load_study(ROOT / "studies" / name)
        assert len(study.points()) >= 49


def test_protocol_study_replays_the_protocol_on_each_point(tmp_path):
    """``protocol:`` studies: each point's cell (loading axis) and temperature (axis) replace
    the protocol's own; the metrics are those of its last discharge, with retention."""
    protocol = tmp_path / "cycle.yaml"
    protocol.write_text(f"""kind: protocol
name: two cycles at 2C
source: "test protocol"
cell: {CELLS / 'heo_half.yaml'}
model: SPM
temperature: 25 degC
initial_state: discharged
steps:
  - repeat:
      count: 2
      steps:
        - charge: {{current: 2 C, until_voltage: 4.2 V}}
        - discharge: {{current: 2 C, until_voltage: 2.0 V}}
""")
    study = _study(tmp_path, f"""protocol: {protocol.name}
axes:
  - {{parameter: cathode.loading, unit: mg/cm2, values: [2, 8]}}
  - {{parameter: temperature, unit: degC, values: [-10, 25]}}
""")
    loaded = load_study(study)
    assert loaded.model == "SPM" and loaded.cell_path == CELLS / "heo_half.yaml"
    frame = nasim.sweep(study, workers=1)
    assert set(frame.status) == {"ok"} and len(frame) == 4
    assert np.allclose(frame.temperature_C, frame["temperature_degC"])
    assert np.allclose(frame.cathode_loading_mg_per_cm2, frame["cathode.loading_mg_per_cm2"])
    assert (frame.retention > 0.95).all() and (frame.coulombic_efficiency > 0.95).all()
    assert np.allclose(frame.c_rate, 2.0)
    cold = frame[frame.temperature_C < 0].set_index("cathode.loading_mg_per_cm2")
    warm = frame[frame.temperature_C > 0].set_index("cathode.loading_mg_per_cm2")
    assert (cold.capacity_mAh_per_g < warm.capacity_mAh_per_g).all()
    assert (warm.specific_energy_Wh_per_kg_stack.loc[8] >
            warm.specific_energy_Wh_per_kg_stack.loc[2])  # less inactive mass per Wh
    # a protocol study takes its currents from the protocol; a bad protocol is bad input
    bad = tmp_path / "bad_protocol.yaml"
    bad.write_text(protocol.read_text().replace("source: ", "sauce: "))
    with pytest.raises(ParameterFileError, match="bad_protocol.yaml"):
        load_study(_study(tmp_path, "protocol: bad_protocol.yaml\n" + """axes:
  - {parameter: temperature, unit: degC, values: [25]}
""", "bad_protocol_study.yaml"))
    with pytest.raises(ParameterFileError, match="currents from the protocol"):
        load_study(_study(tmp_path, f"""protocol: {protocol.name}
axes:
  - {{parameter: current, unit: C, values: [1, 2]}}
""", "bad.yaml"))


COMPILED_AXES = """model: SPM
axes:
  - {parameter: cathode.loading, unit: mg/cm2, values: [2, 8]}
  - {parameter: current, unit: C, values: [0.5, 2, 8]}
"""


def test_compiled_option_reaches_the_solver_without_compiling(tmp_path):
    """``options: {compiled: true}`` / ``--compiled``: the tasks and IDAKLU get the compile
    option (gcc runs only at a first solve, so nothing here compiles); the point hashes do not
    depend on it; a protocol study (a model per point) refuses it."""
    from nasim.simulate.engine import CellRunner
    from nasim.sweep.run import plan_tasks

    plain = load_study(_study(tmp_path, HALF + COMPILED_AXES))
    compiled = load_study(_study(tmp_path, HALF + "options: {compiled: true}\n" + COMPILED_AXES,
                                 "compiled.yaml"))
    assert compiled.study.options.compiled and not plain.study.options.compiled
    assert [p.id for p in compiled.points()] == [p.id for p in plain.points()]
    assert all(t.compiled for t in plan_tasks(plain, plain.points(), 2, compiled=True))
    assert not any(t.compiled for t in plan_tasks(plain, plain.points(), 2))
    for flag in (True, False):
        solver = CellRunner(plain.base_cell, "SPM", compiled=flag).build().solver
        assert solver._options["compile"] is flag
    protocol = tmp_path / "cc.yaml"
    protocol.write_text(f"""kind: protocol
name: one discharge
source: "test protocol"
cell: {CELLS / 'heo_half.yaml'}
model: SPM
initial_state: charged
steps:
  - discharge: {{current: 1 C, until_voltage: 2.0 V}}
""")
    axes = "axes:\n  - {parameter: temperature, unit: degC, values: [25]}\n"
    with pytest.raises(ParameterFileError, match="compiled"):
        load_study(_study(tmp_path, "protocol: cc.yaml\noptions: {compiled: true}\n" + axes,
                          "p1.yaml"))
    run = subprocess.run([sys.executable, "-m", "nasim.cli", "sweep",
                          str(_study(tmp_path, "protocol: cc.yaml\n" + axes, "p2.yaml")),
                          "--out", str(tmp_path / "p2"), "--compiled", "--quiet"],
                         capture_output=True, text=True)
    assert run.returncode == 2 and "compiled" in run.stderr


@pytest.mark.slow
def test_compiled_sweep_equals_uncompiled(tmp_path):
    """A compiled sweep (gcc -O3 of the model: a few seconds for this SPM half cell, ~1 min
    for a full-cell SPMe; PyBaMM's on-disk cache afterwards) gives the uncompiled results to
    1e-6 relative."""
    study = _study(tmp_path, HALF + COMPILED_AXES)
    plain = nasim.sweep(study, tmp_path / "plain", workers=1, figures=False)
    compiled = nasim.sweep(study, tmp_path / "compiled", workers=1, figures=False,
                           compiled=True)
    assert set(plain.status) == {"ok"}
    a, b = plain.drop(columns=["solve_time_s"]), compiled.drop(columns=["solve_time_s"])
    assert list(a.point_id) == list(b.point_id)
    for column in a.columns:
        if a[column].dtype.kind == "f":
            np.testing.assert_allclose(b[column], a[column], rtol=1e-6, err_msg=column)
