"""Reading a fit file: the definition, its cell, protocols and measured curves, all checked.

Every problem is a :class:`~nasim.params.loading.ParameterFileError` naming the fit file, the
field, the value and what was expected: an unknown parameter path, a unit of the wrong
dimension, inverted bounds, a step label the protocol does not have, a CSV file without the
named columns or with a non-numeric cell, or data outside the cell's voltage window.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from nasim.fit.schema import QUANTITIES, FitDefinition
from nasim.params.loading import (
    LoadedCell,
    ParameterFileError,
    load_cell,
    load_document,
    resolve_reference,
)
from nasim.params.names import STATE_OF_CHARGE
from nasim.params.quantities import read_table_columns
from nasim.params.units import DIMENSIONS, UnitError, curve_x_to_time_s, to_si
from nasim.physics.values import WINDOW_PLACING_PATHS, input_paths
from nasim.protocols import LoadedProtocol, load_protocol
from nasim.protocols.plan import Plan, PlannedStep, compile_protocol
from nasim.simulate.execute import plan_steps

WHAT = "fit file"
#: measured voltages may lie this far outside the cell's window (digitising noise) [V]
WINDOW_TOLERANCE_V = 0.05
DEFAULT_SIGMA = {"capacity_mAh_per_g": None,  # 1 % of the measured value
                 "specific_energy_Wh_per_kg_cathode": None,
                 "median_voltage_V": 0.005, "capacity_retention": 0.01}


@dataclass(frozen=True)
class ResolvedParameter:
    """A fitted value: ``path`` as PyBaMM input name, its dimension, the unit the fit file uses
    (``factor`` converts it to SI), and SI initial value, bounds and the file's value."""

    path: str
    dimension: str
    unit: str
    factor: float
    initial_si: float
    bounds_si: tuple[float, float]
    scale: str
    file_value_si: float
    range_source: str | None = None

    def to_unit(self, si: float) -> float:
        return si / self.factor


@dataclass(frozen=True)
class ResolvedCurve:
    """A measured curve: step times t_s of its points (from the step start) and voltages."""

    step: str
    file: Path
    x: np.ndarray
    x_unit: str
    time_s: np.ndarray
    voltage_V: np.ndarray
    sigma_V: float
    weight: float


@dataclass(frozen=True)
class ResolvedTarget:
    step: str
    quantity: str
    value: float
    sigma: float
    weight: float
    relative_to: str | None = None

    @property
    def label(self) -> str:
        ref = f" vs {self.relative_to}" if self.relative_to else ""
        return f"{self.step}: {self.quantity}{ref}"


@dataclass
class ResolvedDataset:
    name: str
    protocol: LoadedProtocol
    plan: Plan
    initial_soc: float
    weight: float
    curves: list[ResolvedCurve] = field(default_factory=list)
    targets: list[ResolvedTarget] = field(default_factory=list)

    def steps(self) -> dict[str, PlannedStep]:
        """The plan's labelled steps by label."""
        return step_labels(self.plan)


@dataclass
class LoadedFit:
    path: Path
    definition: FitDefinition
    cell: LoadedCell
    parameters: list[ResolvedParameter]
    datasets: list[ResolvedDataset]

    @property
    def name(self) -> str:
        return self.definition.name


def step_labels(plan: Plan) -> dict[str, PlannedStep]:
    """The plan's labelled steps by label, in the order the walk meets them (the first of
    equal labels)."""
    out: dict[str, PlannedStep] = {}
    for s in plan_steps(plan):
        if s.label is not None:
            out.setdefault(s.label, s)
    return out


def canonical_path(path: str) -> str:
    """``cathode.material.diffusivity`` -> ``cathode.diffusivity`` (see the schema docs)."""
    for role in ("cathode", "anode", "counter_electrode"):
        prefix = f"{role}.material."
        if path.startswith(prefix):
            return role + "." + path[len(prefix):]
    return path


def _error(path: Path, problem: str) -> ParameterFileError:
    return ParameterFileError(path, [problem], WHAT)


def _resolve_parameters(path: Path, definition: FitDefinition, cell: LoadedCell
                        ) -> list[ResolvedParameter]:
    available = input_paths(cell)
    out = []
    for i, p in enumerate(definition.parameters):
        name = canonical_path(p.path)
        if name not in available:
            raise _error(path, f"field 'parameters[{i}].path': unknown parameter path "
                               f"{p.path!r} for cell {cell.path.name}; expected one of "
                               f"{', '.join(sorted(available))}")
        dimension, file_value = available[name]
        unit = p.unit if p.unit is not None else DIMENSIONS[dimension].si_unit
        try:
            factor = to_si(1.0, unit, dimension)
        except UnitError as exc:
            raise _error(path, f"field 'parameters[{i}].unit': {exc}") from None
        lo, hi = (b * factor for b in p.bounds)
        if name.endswith(".loading"):  # the active solid must fit beside the pores
            geom = getattr(cell.design, name.split(".")[0])
            most = geom.max_loading_kg_per_m2
            if hi > most * (1.0 + 1e-9):
                raise _error(path, f"field 'parameters[{i}].bounds': upper bound {p.bounds[1]:g} "
                                   f"{unit} is more active mass than fits in the "
                                   f"{geom.thickness_m * 1e6:.4g} um electrode at porosity "
                                   f"{geom.porosity:g}; expected at most "
                                   f"{most / factor:.4g} {unit}")
        out.append(ResolvedParameter(name, dimension, unit, factor, p.initial * factor,
                                     (lo, hi), p.scale, file_value, p.range_source))
    return out


def _read_curve(path: Path, where: str, curve, base: Path, cell: LoadedCell,
                step: PlannedStep) -> ResolvedCurve:
    file = resolve_reference(path, curve.file, f"{where}.file", WHAT, "table")
    try:
        x, v = read_table_columns(file, curve.x_column, curve.voltage_column)
    except ValueError as exc:
        raise _error(path, f"field '{where}.file': {exc}; expected numeric columns "
                           f"{curve.x_column!r} and {curve.voltage_column!r}") from None
    if len(x) < 3:
        raise _error(path, f"field '{where}.file': {file.name} has {len(x)} rows; expected at "
                           "least 3 points")
    order = np.argsort(x, kind="stable")
    x, v = x[order], v[order] * (1e-3 if curve.voltage_unit == "mV" else 1.0)
    window = cell.cell.voltage_window
    lo, hi = window.lower.si - WINDOW_TOLERANCE_V, window.upper.si + WINDOW_TOLERANCE_V
    outside = (v < lo) | (v > hi)
    if outside.any():
        i = int(np.argmax(outside))
        raise _error(path, f"field '{where}.file': {file.name} has voltage {v[i]:.4g} V at "
                           f"{curve.x_column}={x[i]:g}, outside the cell's window "
                           f"{window.lower.si:g}-{window.upper.si:g} V (+-{WINDOW_TOLERANCE_V} V); "
                           f"check voltage_unit and the cell file")
    if (x < 0).any():
        raise _error(path, f"field '{where}.file': {file.name} has negative "
                           f"{curve.x_column} values; expected x from the step start (>= 0)")
    if step.mode != "current" or step.kind not in ("charge", "discharge"):
        raise _error(path, f"field '{where}.step': {step.label!r} is a {step.kind} step; a "
                           "curve needs a constant-current charge or discharge")
    t = curve_x_to_time_s(x, curve.x_unit, abs(step.current_A),
                          cell.design.cathode_active_mass_kg)
    return ResolvedCurve(curve.step, file, x, curve.x_unit, t, v, curve.sigma_V, curve.weight)


def _measured_targets(steps: dict[str, PlannedStep]) -> list[tuple]:
    out = []
    for label, s in steps.items():
        m = s.measured
        if m is None:
            continue
        if m.capacity_mAh_per_g is not None:
            out.append((label, "capacity_mAh_per_g", m.capacity_mAh_per_g, None, None, 1.0))
        if m.median_voltage_V is not None:
            out.append((label, "median_voltage_V", m.median_voltage_V, None, None, 1.0))
        if m.specific_energy_Wh_per_kg_cathode is not None:
            out.append((label, "specific_energy_Wh_per_kg_cathode",
                        m.specific_energy_Wh_per_kg_cathode, None, None, 1.0))
        if m.capacity_retention is not None:
            out.append((label, "capacity_retention", m.capacity_retention, m.relative_to,
                        None, 1.0))
    return out


def _labelled_step(path: Path, field: str, label: str, steps: dict[str, PlannedStep]
                   ) -> PlannedStep:
    """The protocol step labelled ``label``, or an error naming the field and some labels
    (steps inside a repeat are labelled '<label> cycle <n>')."""
    if label not in steps:
        shown = list(steps)[:12]
        more = f", ... ({len(steps)} in all)" if len(steps) > len(shown) else ""
        raise _error(path, f"field '{field}': {label!r} is not a step label of the protocol "
                           f"(labels: {', '.join(shown)}{more})")
    return steps[label]


def _resolve_targets(path: Path, i: int, ds, steps: dict[str, PlannedStep],
                     cell: LoadedCell) -> list[ResolvedTarget]:
    if ds.targets == "measured":
        raw = _measured_targets(steps)
        if not raw:
            raise _error(path, f"field 'data[{i}].targets': the protocol attaches no measured "
                               f"capacity, median voltage or retention to its steps")
    else:
        raw = []
        for j, t in enumerate(ds.targets):
            where = f"data[{i}].targets[{j}]"
            m = _labelled_step(path, f"{where}.step", t.step, steps).measured
            value, ref = t.value, t.relative_to
            if value is None and m is not None:
                value = getattr(m, t.quantity)
            if ref is None and t.quantity == "capacity_retention" and m is not None:
                ref = m.relative_to
            if value is None:
                raise _error(path, f"field '{where}.value': step {t.step!r} has no measured "
                                   f"{t.quantity} in the protocol; give 'value'")
            if t.quantity == "capacity_retention" and ref is None:
                raise _error(path, f"field '{where}.relative_to': a capacity_retention needs "
                                   "the label of its reference step")
            raw.append((t.step, t.quantity, value, ref, t.sigma, t.weight))
    out = []
    window = cell.cell.voltage_window
    for label, quantity, value, ref, sigma, weight in raw:
        if ref is not None and ref not in steps:
            raise _error(path, f"field 'data[{i}].targets': reference step {ref!r} of "
                               f"{label!r} is not a step label of the protocol")
        step = steps[label]
        if step.mode != "current" or step.kind not in ("charge", "discharge"):
            raise _error(path, f"field 'data[{i}].targets': {label!r} is a {step.kind} step; "
                               "targets need constant-current charges or discharges")
        if quantity == "median_voltage_V" and not (
                window.lower.si <= value <= window.upper.si):
            raise _error(path, f"field 'data[{i}].targets': median voltage {value:g} V of "
                               f"{label!r} is outside the cell's window "
                               f"{window.lower.si:g}-{window.upper.si:g} V")
        if sigma is None:
            sigma = DEFAULT_SIGMA[quantity] or 0.01 * value
        assert quantity in QUANTITIES
        out.append(ResolvedTarget(label, quantity, float(value), float(sigma), float(weight),
                                  ref))
    return out


def _check_placing(path: Path, i: int, parameters: list[ResolvedParameter], soc: float,
                   curves: list[ResolvedCurve], targets: list[ResolvedTarget]) -> None:
    """Start stoichiometries and loadings (cell values) fit only runs from the published
    charged state, and a fitted loading cannot be compared per gram of the file's mass."""
    placing = [p.path for p in parameters if p.path in WINDOW_PLACING_PATHS]
    if not placing:
        return
    if soc != 1.0:
        raise _error(path, f"field 'data[{i}].protocol': fitting {placing} needs a protocol "
                           "that starts from the cell's published charged state "
                           "(initial_state: charged)")
    loadings = [p for p in placing if p.endswith(".loading")]
    per_gram = ([c.step for c in curves if c.x_unit == "mAh/g"]
                + [t.step for t in targets if t.quantity == "capacity_mAh_per_g"])
    if loadings and per_gram:
        raise _error(path, f"field 'data[{i}]': {loadings} is fitted, so capacities per gram "
                           f"of the file's active mass (steps {sorted(set(per_gram))}) are not "
                           "defined; give curves in mAh or Ah")


def load_fit(path: str | Path) -> LoadedFit:
    """Read and check a fit file with its cell, protocols and curves."""
    path, definition = load_document(path, "fit", FitDefinition, WHAT)
    cell = load_cell(resolve_reference(path, definition.cell, "cell", WHAT))
    parameters = _resolve_parameters(path, definition, cell)
    datasets = []
    for i, ds in enumerate(definition.data):
        protocol_path = resolve_reference(path, ds.protocol, f"data[{i}].protocol", WHAT)
        protocol = load_protocol(protocol_path)
        try:
            plan = compile_protocol(protocol.protocol, cell, definition.model)
        except ValueError as exc:
            raise _error(path, f"field 'data[{i}].protocol': {exc}") from None
        steps = step_labels(plan)
        curves = []
        for j, c in enumerate(ds.curves):
            where = f"data[{i}].curves[{j}]"
            step = _labelled_step(path, f"{where}.step", c.step, steps)
            curves.append(_read_curve(path, where, c, path.parent, cell, step))
        targets = _resolve_targets(path, i, ds, steps, cell) if ds.targets else []
        both = {c.step for c in curves} & {t.step for t in targets}
        if both:
            raise _error(path, f"field 'data[{i}].targets': step(s) {sorted(both)} also have a "
                               "curve, which already holds their capacity and voltages; "
                               "give a step either a curve or scalar targets")
        soc = STATE_OF_CHARGE[protocol.protocol.initial_state]
        _check_placing(path, i, parameters, soc, curves, targets)
        datasets.append(ResolvedDataset(ds.name or protocol_path.stem, protocol, plan, soc,
                                        ds.weight, curves, targets))
    for i, pred in enumerate(definition.predictions):
        for key, ref in (("protocol", pred.protocol), ("cell", pred.cell)):
            if ref is not None:
                resolve_reference(path, ref, f"predictions[{i}].{key}", WHAT)
    return LoadedFit(path, definition, cell, parameters, datasets)


__all__ = ["LoadedFit", "ResolvedCurve", "ResolvedParameter", "ResolvedTarget", "load_fit"]
