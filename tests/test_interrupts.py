"""Interrupts and lost workers: a fit stopped by Ctrl-C (exit 130, a partial report, the
finished starts kept) and finished by --resume as the uninterrupted fit; a Dask sweep whose
workers are all gone stops after --worker-timeout, keeping what was stored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import CELLS

from nasim.cli import main

PROTOCOL = f"""kind: protocol
name: one discharge
cell: {CELLS / 'heo_half.yaml'}
model: SPM
initial_state: charged
source: synthetic
steps:
  - discharge:
      label: d
      current: 2 C
      measured: {{capacity_mAh_per_g: 120, source: synthetic}}
"""

FIT = f"""kind: fit
name: tiny
cell: {CELLS / 'heo_half.yaml'}
model: SPM
parameters:
  - {{path: cathode.diffusivity, initial: 1.0e-15, bounds: [1.0e-17, 1.0e-13], unit: m2/s,
     scale: log}}
data:
  - {{protocol: protocol.yaml, targets: measured}}
options: {{starts: 3, max_evaluations: 3}}
"""


@pytest.fixture(scope="module")
def fit_file(tmp_path_factory) -> Path:
    """A one-parameter SPM fit of one capacity: three starts of three evaluations."""
    d = tmp_path_factory.mktemp("fit")
    (d / "protocol.yaml").write_text(PROTOCOL)
    (d / "fit.yaml").write_text(FIT)
    return d / "fit.yaml"


def _json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def test_fit_ctrl_c_partial_report_and_resume(fit_file, tmp_path, capsys, monkeypatch):
    from nasim.fit.problem import FitProblem

    out = tmp_path / "out"
    evaluate = FitProblem.evaluate

    def interrupted_after_the_first_start(self, values):  # Ctrl-C during the second start
        if (out / "fit_state.json").exists():
            raise KeyboardInterrupt
        return evaluate(self, values)

    monkeypatch.setattr(FitProblem, "evaluate", interrupted_after_the_first_start)
    argv = ["fit", str(fit_file), "--out", str(out), "--quiet"]
    assert main(argv) == 130
    err = capsys.readouterr().err.strip()
    assert err == (f"interrupted: best point so far in {out / 'fit_report_partial.md'}; add "
                   "--resume to the same command to finish the fit")
    partial = _json(out / "fit_report_partial.json")
    state = _json(out / "fit_state.json")
    assert partial["status"] == "interrupted" and partial["starts_total"] == 3
    assert len(state["starts"]) == 1 and partial["best_cost"] <= state["starts"][0]["cost"]
    assert "cathode.diffusivity" in (out / "fit_report_partial.md").read_text()
    assert _json(out / "run.json")["status"] == "interrupted"
    assert not (out / "fit_report.json").exists()
    assert main(argv) == 2  # the folder holds an interrupted run: --resume or --overwrite
    assert "--resume to continue it" in capsys.readouterr().err

    monkeypatch.setattr(FitProblem, "evaluate", evaluate)
    assert main([*argv, "--resume"]) == 0
    resumed = _json(out / "fit_report.json")
    assert [s["start"] for s in resumed["starts"]] == [1, 2, 3]
    assert resumed["starts"][0] == state["starts"][0]  # not run again
    record = _json(out / "run.json")
    assert record["status"] == "complete" and record["resumed"]
    assert not (out / "fit_report_partial.md").exists()  # the partial report is replaced

    whole = tmp_path / "whole"
    assert main(["fit", str(fit_file), "--out", str(whole), "--quiet"]) == 0
    uninterrupted = _json(whole / "fit_report.json")
    assert [s["cost"] for s in resumed["starts"]] == pytest.approx(
        [s["cost"] for s in uninterrupted["starts"]], rel=1e-9)


STUDY = f"""kind: study
name: two rates
cell: {CELLS / 'heo_half.yaml'}
model: SPM
axes:
  - {{parameter: current, unit: C, values: [1, 2]}}
"""


def test_dask_sweep_without_workers_stops_after_the_timeout(tmp_path, capsys):
    """A scheduler on loopback with no worker: exit 1 after --worker-timeout, one line with
    what was stored; the folder is kept (failed) and --resume may continue it."""
    pytest.importorskip("dask.distributed")
    import time

    from dask.distributed import LocalCluster

    study, out = tmp_path / "s.yaml", tmp_path / "out"
    study.write_text(STUDY)
    with LocalCluster(n_workers=0, processes=False, protocol="tcp", host="127.0.0.1",
                      dashboard_address=None) as cluster:
        tic = time.perf_counter()
        code = main(["sweep", str(study), "--out", str(out), "--scheduler",
                     cluster.scheduler_address, "--worker-timeout", "1", "--quiet"])
        elapsed = time.perf_counter() - tic
    err = capsys.readouterr().err.strip()
    assert code == 1, err
    assert elapsed < 30, elapsed
    assert err.splitlines() == [
        f"error: no Dask worker alive at {cluster.scheduler_address} for 1 s; 0 of 1 tasks "
        "stored (start workers and run again with --resume)"], err
    assert (out / "sweep.sqlite").is_file()
    assert _json(out / "run.json")["status"] == "failed"


def _gone(pid: str) -> bool:
    try:
        return "zombie" in Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True


def test_ctrl_c_during_a_two_worker_sweep(tmp_path):
    """Ctrl-C to the process group (as a terminal sends it) while two workers solve: exit
    130 with one line, no worker traceback, no worker left (resuming is tested in
    test_sweep.py)."""
    import os
    import signal
    import subprocess
    import sys
    import time

    study, out = tmp_path / "s.yaml", tmp_path / "out"
    study.write_text(STUDY.replace("model: SPM", "model: DFN").replace(
        "values: [1, 2]}", "values: [0.2, 0.5, 1, 2, 3, 5]}\n"
        "  - {parameter: cathode.loading, unit: mg/cm2, values: [2, 3, 4, 5, 6]}"))
    argv = [sys.executable, "-m", "nasim.cli", "sweep", str(study), "--out", str(out),
            "--workers", "2", "--quiet", "--no-mesh-check"]  # Ctrl-C, not the mesh, here
    env = {**os.environ, "PYBAMM_DISABLE_TELEMETRY": "true"}
    sweep = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env=env, start_new_session=True)
    children = Path(f"/proc/{sweep.pid}/task/{sweep.pid}/children")
    deadline = time.monotonic() + 60
    workers: list[str] = []
    while len(workers) < 2 and time.monotonic() < deadline and sweep.poll() is None:
        time.sleep(0.05)
        workers = children.read_text().split() if children.exists() else []
    assert len(workers) >= 2, "the sweep started no workers"
    time.sleep(1.0)  # the workers are solving
    os.killpg(sweep.pid, signal.SIGINT)
    stdout, stderr = sweep.communicate(timeout=60)
    assert sweep.returncode == 130, stderr
    assert stderr.strip().splitlines() == [
        f"interrupted: finished points are in {out / 'sweep.sqlite'}; add --resume to the "
        "same command to compute the rest"], stderr
    assert all(map(_gone, workers)), "a worker is still running"
    assert _json(out / "run.json")["status"] == "interrupted"
