"""The sweep's mesh check: is the mesh converged at the study's most demanding corner?

A study solves on its cell file's ``mesh:`` (or its own ``mesh:`` / ``mesh_points``). A cell's
mesh is chosen at the cell's design and its protocols' highest rate; a study that moves loading,
thickness or rate far from that design can run on a mesh that is not converged there (the full
cell's 4 points per electrode: 0.37 mAh/g between two discretisations at 27 mg/cm2 in
``benchmarks/sweep_1000.py``). So before its points are solved, a sweep checks one point: the
**corner** of the study's box where the mesh is most strained — every parameter axis at its
largest value (thicker electrodes, bigger particles, higher loading), the current axis at its
largest, the temperature axis at its smallest (slower transport); a protocol study takes the
protocol's highest C-rate. The corner's cell gets :func:`nasim.simulate.mesh.mesh_check` (the
same rule as ``nasim mesh-check``: a constant-current discharge at the corner's rate on the mesh
in use against the 2x mesh, isothermal) and must be within ``CAPACITY_BOUND`` and
``VOLTAGE_BOUND_MV``.

The result goes to ``DIR/mesh_check.json`` (reused by ``--resume`` of the same study), and a
:class:`MeshNotConverged` warning naming the study file's ``mesh:`` setting is shown when the
corner fails the bounds or cannot be solved. The check does not stop the sweep. Opt out with the
study's ``options: {mesh_check: false}``, ``nasim sweep --no-mesh-check`` or
``nasim.sweep(..., mesh_check=False)``.
"""

from __future__ import annotations

import json
import time
import warnings
from pathlib import Path

from nasim.params.loading import LoadedCell, ParameterFileError, load_cell
from nasim.rundir import atomic
from nasim.sweep.schema import TEMPERATURE
from nasim.sweep.study import LoadedStudy, Point

MESH_CHECK_FILE = "mesh_check.json"
CAPACITY_BOUND = 0.002  # |Q - Q_2x| / Q_2x, the issue-13 bound of every mesh
VOLTAGE_BOUND_MV = 2.0  # RMS of V - V_2x over the common capacity range [mV]


class MeshNotConverged(UserWarning):
    """The study's mesh is not converged at its corner (or the corner did not solve)."""


def corner(study: LoadedStudy) -> Point:
    """The study's most demanding point for the mesh (see the module doc): every axis at its
    largest value, the temperature axis at its smallest. Not necessarily a point of a sampled
    study: the corner of its box."""
    inputs = {a.parameter: (min if a.parameter == TEMPERATURE else max)(a.extremes())
              for a in study.study.axes}
    return Point(-1, "corner", inputs)


def _protocol_rate(study: LoadedStudy) -> tuple[float, float]:
    """(highest C-rate [1/h], its step's temperature [K]) of the constant-current steps of a
    protocol study's protocol, as planned on the protocol's own cell."""
    plan = study.protocol.plan(study.model)
    step = plan.highest_current_step()
    if step is None:
        raise ValueError(f"protocol {study.protocol_path} has no constant-current step")
    return abs(step.current_A) / plan.cell.one_c_current_A, step.temperature_K


def _rate_and_temperature(study: LoadedStudy, cell: LoadedCell,
                          point: Point) -> tuple[float, float]:
    """The corner's discharge C-rate [1/h] and ambient temperature [degC]."""
    temperature_K = study.temperature_K(cell, point.inputs)
    if study.protocol is not None:
        c_rate, step_K = _protocol_rate(study)
        if not any(a.parameter == TEMPERATURE for a in study.study.axes):
            temperature_K = step_K
    else:
        c_rate = study.current_A(cell, point.inputs) / cell.one_c_current_A
    return c_rate, temperature_K - 273.15


def mesh_setting(study: LoadedStudy) -> str:
    """Where the study's mesh comes from, for the warning."""
    if study.study.mesh is not None:
        return f"the study's mesh: ({study.path})"
    if study.study.mesh_points is not None:
        return f"the study's mesh_points: {study.study.mesh_points} ({study.path})"
    return f"the cell file's mesh: ({study.cell_path}), as the study sets none"


def check_corner(study: LoadedStudy) -> dict:
    """Mesh check of the study's :func:`corner` (see the module doc): a JSON-ready record
    with the corner's axis values, C-rate, temperature [degC], model, mesh in use, the
    corner's capacity on it and on the 2x mesh [mAh/g], ``capacity_rel_diff``,
    ``voltage_rms_diff_mV``, the bounds, ``status`` (``converged``, ``not converged`` or
    ``failed``), ``message`` and the check's wall time [s]."""
    from nasim.simulate import SimulationError
    from nasim.simulate.mesh import mesh_check, resolve

    tic = time.perf_counter()
    point = corner(study)
    record = {"study": str(study.path), "identity": study.identity, "model": study.model,
              "corner": {a.column: point.inputs[a.parameter] for a in study.study.axes},
              "capacity_bound": CAPACITY_BOUND, "voltage_bound_mV": VOLTAGE_BOUND_MV,
              "mesh_setting": mesh_setting(study)}
    try:
        cell = load_cell(study.cell_path, study.changes(point))
        c_rate, temperature_C = _rate_and_temperature(study, cell, point)
        record.update(c_rate=c_rate, temperature_C=temperature_C,
                      mesh_points=resolve(cell, study.mesh_points, study.model).describe())
        frame = mesh_check(cell, study.model, c_rate=c_rate, temperature_C=temperature_C,
                           mesh=study.mesh_points)
        row = frame.iloc[0]
    except (SimulationError, ParameterFileError, ValueError) as exc:
        record.update(status="failed", message=f"the corner did not solve: {exc}")
    else:
        diff, dv = float(row.capacity_rel_diff), float(row.voltage_rms_diff_mV)
        ok = diff <= CAPACITY_BOUND and dv <= VOLTAGE_BOUND_MV
        record.update(capacity_mAh_per_g=float(row.capacity_mAh_per_g),
                      capacity_2x_mAh_per_g=float(frame.capacity_mAh_per_g.iloc[1]),
                      capacity_rel_diff=diff, voltage_rms_diff_mV=dv,
                      status="converged" if ok else "not converged",
                      message=f"{100 * diff:.3f} % capacity, {dv:.2f} mV RMS from the 2x mesh "
                              f"(bounds {100 * CAPACITY_BOUND:g} %, {VOLTAGE_BOUND_MV:g} mV)")
    record["wall_time_s"] = time.perf_counter() - tic
    return record


def warning_text(record: dict) -> str:
    """The warning of a corner that failed the check: what, where, and what to set."""
    where = ", ".join(f"{k} {v:g}" for k, v in record["corner"].items())
    return (f"mesh check of study {record['study']} at its corner ({where}; "
            f"{record.get('c_rate', float('nan')):.3g}C, {record['model']}): "
            f"{record['status']}: {record['message']}. Its points solve on "
            f"{record['mesh_setting']}; set a finer 'mesh:' in the study file (points per "
            "domain, e.g. mesh: {points: {x_n: 20, x_s: 20, x_p: 20, r_n: 20, r_p: 20}}) and "
            "check it with nasim mesh-check on a cell of the corner's design")


def guard(study: LoadedStudy, out: Path | None) -> dict:
    """Check the study's corner once per study and output folder: ``out/mesh_check.json``
    from an earlier run of the same study (same :attr:`LoadedStudy.identity`) is reused, else
    :func:`check_corner` runs and is written there. Warns (:class:`MeshNotConverged`) unless
    the corner is converged; returns the record."""
    path = None if out is None else Path(out) / MESH_CHECK_FILE
    record = None
    if path is not None and path.is_file():
        try:
            record = json.loads(path.read_text())
        except (OSError, ValueError):
            record = None
        if not isinstance(record, dict) or record.get("identity") != study.identity:
            record = None
    if record is None:
        record = check_corner(study)
        if path is not None:
            with atomic(path) as tmp:
                Path(tmp).write_text(json.dumps(record, indent=2))
    if record["status"] != "converged":
        warnings.warn(warning_text(record), MeshNotConverged, stacklevel=2)
    return record


__all__ = ["CAPACITY_BOUND", "MESH_CHECK_FILE", "VOLTAGE_BOUND_MV", "MeshNotConverged",
           "check_corner", "corner", "guard", "mesh_setting", "warning_text"]
