"""Running one task of a sweep: points of one model group, on one built model per worker.

Current and temperature are input parameters of :class:`nasim.simulate.engine.CellRunner`, and
so are the scalar PyBaMM values that the cell file's own fields set (loading, porosity,
thickness, particle radius, N/P, separator: thicknesses and radii through PyBaMM's symbolic
meshes, the start state through the initial concentrations). Points that differ only in those
form one group and share one built model (PyBaMM-named ``CellRunner`` inputs); axes on the
material or electrolyte files change PyBaMM's functions and make groups of their own. The worker
keeps its built models in a small per-process cache, so a group split into several tasks is
built once per worker. Each geometry (cell) of a task gets its values and charged start state
(for a full cell PyBaMM's electrode-SOH solve), then its discharges are solved in batches
(``CellRunner.run_parallel``). A point that fails, or a geometry whose cell cannot be loaded,
is returned with ``status = "failed"`` and the reason; nothing raises.

This module is imported by local worker processes and by Dask workers; the task carries the
study file's path, so every worker must see the same files (one machine, or a shared
filesystem).
"""

from __future__ import annotations

import math
import os
import socket
import time
import warnings
from collections import OrderedDict
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from nasim.analysis.energy import level_metrics
from nasim.analysis.metrics import step_metrics
from nasim.params.budget import MassBudget, mass_budget
from nasim.params.loading import LoadedCell, ParameterFileError, load_cell
from nasim.params.plausible import ImplausibleValue
from nasim.sweep.study import LoadedStudy, Point, load_study

#: points solved together in one IDAKLU call (a DFN batch keeps every state at every output
#: time in memory: 962 states x 500 times x 8 bytes = 3.8 MB per point)
BATCH_POINTS = {"SPM": 50, "SPMe": 50, "DFN": 16}
RUNNER_CACHE_SIZE = 4  # built models kept per worker process
ROUNDING = 1e-12  # relative difference below which two parameter values count as equal


@dataclass(frozen=True)
class Task:
    """Batches of points of one model group of the study at ``study_path``.

    A batch holds points of one geometry solved together; batches are cut from the whole
    study (not from what is left to compute) and the group's model is built from ``base``,
    the group's first point, so a point's result does not depend on how a run was split or
    resumed (the batch's longest step sets the output times of all its points)."""

    study_path: str
    group: tuple[tuple[str, float], ...]
    base: Point
    batches: tuple[tuple[Point, ...], ...]
    compiled: bool = False  # IDAKLU's compile option (``Study.options.compiled``)

    @property
    def points(self) -> tuple[Point, ...]:
        return tuple(p for b in self.batches for p in b)


@dataclass
class _Geometry:
    """One cell geometry of a task: the cell, the runner that solves it, its mass budget."""

    cell: LoadedCell
    runner: object  # nasim.simulate.engine.CellRunner
    budget: MassBudget
    one_c_A: float


_GROUPS: OrderedDict = OrderedDict()


@lru_cache(maxsize=8)
def _study(path: str, mtime: float) -> LoadedStudy:
    return load_study(path)


def _worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def design_columns(cell: LoadedCell) -> dict[str, float]:
    """Derived design values every row carries: cathode loading [mg/cm2] and thickness [um],
    anode thickness [um] and N/P (full cells)."""
    d = cell.design
    out = {"cathode_loading_mg_per_cm2": d.cathode.loading_kg_per_m2 * 100.0,
           "cathode_thickness_um": d.cathode.thickness_m * 1e6}
    if d.anode is not None:
        out["anode_thickness_um"] = d.anode.thickness_m * 1e6
        out["np_ratio"] = d.np_ratio
    return out


def discharge_metrics(frame, cell: LoadedCell, budget: MassBudget) -> dict[str, float]:
    """Capacity, median/mean voltage, duration and the per-level energy metrics of one
    discharge time series (time_s, current_A, voltage_V)."""
    m = step_metrics(frame, cell.design.cathode_active_mass_kg,
                     cell.design.anode_active_mass_kg)
    energy_Wh = m["specific_energy_Wh_per_kg_cathode"] * cell.design.cathode_active_mass_kg
    power_W = m["specific_power_W_per_kg_cathode"] * cell.design.cathode_active_mass_kg
    return {"capacity_mAh": m["capacity_mAh"], "capacity_mAh_per_g": m["capacity_mAh_per_g"],
            "median_voltage_V": m["median_voltage_V"], "mean_voltage_V": m["mean_voltage_V"],
            "duration_s": m["duration_s"], **level_metrics(energy_Wh, power_W, budget)}


def _runner(study: LoadedStudy, cell: LoadedCell, value_inputs: dict | None = None,
            state_memo: dict | None = None, compiled: bool = False):
    from nasim.simulate.engine import CellRunner

    return CellRunner(cell, study.model, initial_soc=1.0, mesh_points=study.mesh_points,
                      thermal=study.study.thermal, inputs=value_inputs,
                      state_memo=state_memo, compiled=compiled)


def numeric_changes(base, other) -> set[str]:
    """PyBaMM keys whose numbers differ (beyond rounding, relative 1e-12) between two
    ParameterValues; functions are not compared: value-input axes do not change them (see
    ``Axis.is_value_input``)."""
    changed = set(base.keys()) ^ set(other.keys())
    for key in set(base.keys()) & set(other.keys()):
        a, b = base[key], other[key]
        if (isinstance(a, int | float) and isinstance(b, int | float)
                and not math.isclose(a, b, rel_tol=ROUNDING)):
            changed.add(key)
    return changed


def _value_keys(study: LoadedStudy, base: Point, base_values) -> set[str]:
    """The PyBaMM values the study's value-input axes change: each axis at its smallest and
    largest value (the others as at point ``base``), plus the initial concentrations (the
    start state moves with the geometry of a full cell)."""
    from nasim.physics.values import to_parameter_values

    keys = {k for k in base_values.keys() if k.startswith("Initial concentration in ")
            and k.endswith(" electrode [mol.m-3]")}
    base_changes = study.changes(base)
    for axis in study.study.axes:
        if not axis.is_value_input:
            continue
        for value in axis.extremes():
            try:
                probe = load_cell(study.cell_path,
                                  {**base_changes, axis.parameter: study.change(axis, value)})
            except ParameterFileError:  # such points fail on their own
                continue
            keys |= numeric_changes(base_values, to_parameter_values(probe))
    return keys


def _group_runner(study: LoadedStudy, task: Task, point: Point, cell: LoadedCell):
    """The built model of the task's group (cached per worker), built from the group's
    ``base`` point (or from ``point`` with cell ``cell`` if the base's cell cannot be
    loaded), with the value-input axes' PyBaMM values as inputs, and the group's memo of
    charged states (its cells share their material files; see
    :func:`nasim.physics.state.set_initial_state`)."""
    key = (task.study_path, study.fingerprint, task.group, task.compiled)
    if key in _GROUPS:
        _GROUPS.move_to_end(key)
        return _GROUPS[key]
    try:
        cell = load_cell(study.cell_path, study.changes(task.base))
        point = task.base
    except ParameterFileError:
        pass
    memo: dict = {}
    plain = _runner(study, cell, state_memo=memo, compiled=task.compiled)
    keys = _value_keys(study, point, plain.values) if any(
        a.is_value_input for a in study.study.axes) else set()
    runner = (_runner(study, cell, {k: plain.values[k] for k in sorted(keys)}, memo,
                      task.compiled) if keys else plain)
    _GROUPS[key] = (runner, memo)
    while len(_GROUPS) > RUNNER_CACHE_SIZE:
        _GROUPS.popitem(last=False)
    return runner, memo


def _geometry(study: LoadedStudy, task: Task, point: Point) -> _Geometry:
    """Load the point's cell and point the group's runner at it (its own runner, built anew,
    if it changes more than the group runner's inputs)."""
    cell = load_cell(study.cell_path, study.changes(point))
    group, memo = _group_runner(study, task, point, cell)
    runner = group
    if group.inputs:
        own = _runner(study, cell, state_memo=memo,  # values, start state; built if used
                      compiled=task.compiled)
        changed = numeric_changes(group.values, own.values)
        if changed <= set(group.inputs):
            group.set_inputs({k: own.values[k] for k in group.inputs}, cell)
        else:
            runner = own
    return _Geometry(cell, runner, mass_budget(cell), cell.one_c_current_A)


def _record(point: Point, status: str, error: str = "", metrics: dict | None = None,
            solve_time_s: float | None = None) -> dict:
    return {"id": point.id, "index": point.index, "inputs": point.inputs, "status": status,
            "error": " ".join(error.split()),  # one line in results.csv
            "metrics": metrics or {}, "solve_time_s": solve_time_s, "worker": _worker_name()}


def _discharges(study: LoadedStudy, task: Task) -> list[dict]:
    """The task's batches: each one's geometry set up (once for consecutive batches of one
    geometry), then its discharges solved together from the charged state."""
    records: list[dict] = []
    geometry, key = None, None
    for batch in task.batches:
        if batch[0].geometry_key(study) != key:
            key = batch[0].geometry_key(study)
            tic = time.perf_counter()
            try:
                geometry = _geometry(study, task, batch[0])
            except Exception as exc:  # e.g. a loading the porosity cannot hold
                geometry = f"{type(exc).__name__}: {exc}"
                elapsed = time.perf_counter() - tic
        if isinstance(geometry, str):  # these points fail with the reason
            records += [_record(p, "failed", geometry, None, elapsed) for p in batch]
            continue
        records += _solve(study, geometry, batch)
    return records


def _solve(study: LoadedStudy, geometry: _Geometry, points: tuple[Point, ...]) -> list[dict]:
    """One batch: the discharges of ``points`` (one geometry) as one list of inputs."""
    from nasim.simulate.ends import SimulationError
    from nasim.simulate.engine import constant_current_step

    cell = geometry.cell
    context = design_columns(cell)
    steps = [replace(constant_current_step(cell, "discharge", study.current_A(cell, p.inputs),
                                           study.temperature_K(cell, p.inputs)),
                     keep_timeseries=False) for p in points]
    records = []
    solved = geometry.runner.run_parallel(steps, None)
    for p, step, res in zip(points, steps, solved, strict=True):
        info = {**context, "current_A": step.current_A,
                "current_mA_per_g": step.current_A / cell.design.cathode_active_mass_kg,
                "c_rate": step.current_A / geometry.one_c_A,
                "temperature_C": step.temperature_K - 273.15}
        if isinstance(res, SimulationError):
            partial = res.partial_capacity_mAh_per_g
            info["partial_capacity_mAh_per_g"] = math.nan if partial is None else partial
            records.append(_record(p, "failed", res.reason, info))
            continue
        metrics = {**info, **discharge_metrics(res.frame, cell, geometry.budget),
                   "termination": res.termination}
        records.append(_record(p, "ok", "", metrics, res.solve_time_s))
    return records


def warm_group(tasks: list[Task]) -> None:
    """Before forking the workers of a study whose tasks share one model group (value-input
    axes): build that group's model here, so that every worker inherits it (and PyBaMM's
    import) instead of building its own. A group that cannot be built is left to the workers,
    whose records say why; a study of several groups is not warmed (each worker builds only
    the groups of its own tasks)."""
    from nasim.simulate import circuit

    if not tasks or len({t.group for t in tasks}) != 1:
        return
    task = tasks[0]
    path = Path(task.study_path)
    study = _study(str(path), path.stat().st_mtime)
    if study.protocol_path is not None:
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ImplausibleValue)
        try:
            cell = load_cell(study.cell_path, study.changes(task.base))
            runner, _ = _group_runner(study, task, task.base, cell)
            runner.build(circuit.control_of("current", False))
        except Exception:  # noqa: BLE001 - the workers meet it again and record it per point
            return


def run_task(task: Task) -> list[dict]:
    """Solve every point of ``task``; one record per point (never raises for a point or
    group that fails: its record says why). Implausible values were warned about when the
    study was loaded (its axes' ends): not again per point and worker."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ImplausibleValue)
        return _run_task(task)


def _run_task(task: Task) -> list[dict]:
    path = Path(task.study_path)
    study = _study(str(path), path.stat().st_mtime)
    tic = time.perf_counter()
    try:
        if study.protocol_path is not None:
            return [_protocol_point(study, p) for p in task.points]
        return _discharges(study, task)
    except Exception as exc:  # a group that cannot be set up: every point fails with why
        reason = f"{type(exc).__name__}: {exc}"
        elapsed = (time.perf_counter() - tic) / max(len(task.points), 1)
        return [_record(p, "failed", reason, None, elapsed) for p in task.points]


def _protocol_point(study: LoadedStudy, point: Point) -> dict:
    """Replay the study's protocol on the point's cell and temperature."""
    from nasim.protocols import LoadedProtocol
    from nasim.simulate.replay import replay

    tic = time.perf_counter()
    try:
        cell = load_cell(study.cell_path, study.changes(point))
        base = study.protocol
        protocol = base.protocol
        if any(a.parameter == "temperature" for a in study.study.axes):
            from nasim.protocols.schema import LabValue

            kelvin = study.temperature_K(cell, point.inputs)
            protocol = protocol.model_copy(update={"temperature": LabValue(
                kelvin - 273.15, "degC", kelvin)})
        result = replay(LoadedProtocol(base.path, protocol, cell), study.study.model,
                        mesh_points=study.mesh_points, num_threads=1)
    except Exception as exc:
        return _record(point, "failed", f"{type(exc).__name__}: {exc}", None,
                       time.perf_counter() - tic)
    budget = mass_budget(cell)
    summary = result.summary
    failed = result.failed
    errors = "; ".join(f"step {r.step} ({r.description}): {r.termination}"
                       for r in failed.itertuples())
    dis = summary[(summary.direction == "discharge") & (summary.status == "ok")]
    info = {**design_columns(cell), "failed_steps": float(len(failed))}
    if not len(dis):
        return _record(point, "failed", errors or "the protocol has no discharge that solved",
                       info, time.perf_counter() - tic)
    last = dis.iloc[-1]
    m_c = cell.design.cathode_active_mass_kg
    energy_Wh = last.specific_energy_Wh_per_kg_cathode * m_c
    power_W = last.specific_power_W_per_kg_cathode * m_c
    metrics = {**info, "capacity_mAh_per_g": last.capacity_mAh_per_g,
               "capacity_mAh": last.capacity_mAh_per_g * m_c * 1e3,
               "median_voltage_V": last.median_voltage_V, "mean_voltage_V": last.mean_voltage_V,
               "duration_s": last.duration_s, "retention": last.retention,
               "coulombic_efficiency": last.coulombic_efficiency,
               "c_rate": last.c_rate, "current_mA_per_g": last.current_mA_per_g,
               "temperature_C": last.temperature_C,
               **level_metrics(energy_Wh, power_W, budget)}
    return _record(point, "ok", errors, metrics, time.perf_counter() - tic)


__all__ = ["Task", "design_columns", "discharge_metrics", "run_task"]
