"""Protocol files → plans of PyBaMM solves in SI units (see :mod:`nasim.protocols.schema`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nasim.params.loading import LoadedCell, ParameterFileError, load_cell, load_document
from nasim.protocols.plan import Plan, PlannedStep, RateBlock, compile_protocol
from nasim.protocols.schema import MeasuredCurve, Protocol

WHAT = "protocol file"


@dataclass(frozen=True)
class LoadedProtocol:
    path: Path
    protocol: Protocol
    cell: LoadedCell

    @property
    def name(self) -> str:
        return self.protocol.name

    def plan(self, model: str | None = None) -> Plan:
        try:
            return compile_protocol(self.protocol, self.cell, model)
        except ValueError as exc:
            raise ParameterFileError(self.path, [str(exc)], WHAT) from None

    def curve_path(self, curve: MeasuredCurve) -> Path:
        return (self.path.parent / curve.file).resolve()

    def curve(self, curve: MeasuredCurve) -> tuple[np.ndarray, np.ndarray]:
        """(capacity mAh/g of cathode, voltage V) of a measured curve, sorted by capacity."""
        return read_curve(self.curve_path(curve), self.path, "measured.curve", curve,
                          self.cell.design.cathode_active_mass_kg)


def _curves(protocol: Protocol):
    def walk(steps):
        for i, s in enumerate(steps):
            m = getattr(s, "measured", None)
            if m is not None and getattr(m, "curve", None) is not None:
                yield f"steps[{i}].measured.curve", m.curve
            for j, c in enumerate(getattr(m, "curves", None) or []):
                if c is not None:
                    yield f"steps[{i}].measured.curves[{j}]", c
            yield from walk(getattr(s, "steps", None) or getattr(s, "before_each", None) or [])

    yield from walk(protocol.steps)


def read_curve(path: Path, protocol_path: Path, field: str, curve: MeasuredCurve,
               cathode_mass_kg: float) -> tuple[np.ndarray, np.ndarray]:
    """A measured curve as (capacity mAh/g of cathode, voltage V), sorted by capacity.

    Digitized points may be unsorted; missing columns or non-numeric cells are errors naming
    the protocol file, the field and the CSV."""
    import pandas as pd

    frame = pd.read_csv(path)
    problems = [f"field '{field}': column {c!r} not in {path.name} (columns: "
                f"{', '.join(frame.columns)})"
                for c in (curve.capacity_column, curve.voltage_column) if c not in frame]
    if problems:
        raise ParameterFileError(protocol_path, problems, WHAT)
    data = frame[[curve.capacity_column, curve.voltage_column]].apply(pd.to_numeric,
                                                                        errors="coerce")
    bad = data.index[data.isna().any(axis=1)]
    if len(bad):
        raise ParameterFileError(protocol_path, [
            f"field '{field}': {path.name} has non-numeric or empty cells in rows "
            f"{', '.join(str(i + 2) for i in bad[:5])} (CSV line numbers)"], WHAT)
    q = data[curve.capacity_column].to_numpy(float)
    if curve.capacity_unit != "mAh/g":
        q = q * (1e3 if curve.capacity_unit == "Ah" else 1.0) / (cathode_mass_kg * 1e3)
    order = np.argsort(q, kind="stable")
    return q[order], data[curve.voltage_column].to_numpy(float)[order]


def load_protocol(path: str | Path, cell: LoadedCell | str | Path | None = None
                  ) -> LoadedProtocol:
    """Read and validate a protocol file and the cell file it names (or ``cell`` instead: the
    same protocol on another parameter set, e.g. a fitted one).

    Errors name the protocol file, the field, the value and what was expected."""
    path, protocol = load_document(path, "protocol", Protocol, WHAT)
    if isinstance(cell, LoadedCell):
        pass
    elif cell is not None:
        cell = load_cell(cell)
    else:
        cell_path = (path.parent / protocol.cell).resolve()
        if not cell_path.is_file():
            raise ParameterFileError(path, [f"field 'cell': file {protocol.cell!r} not found "
                                            f"(looked for {cell_path})"], WHAT)
        cell = load_cell(cell_path)
    for field, curve in _curves(protocol):
        target = (path.parent / curve.file).resolve()
        if not target.is_file():
            raise ParameterFileError(path, [f"field '{field}.file': {curve.file!r} not found "
                                            f"(looked for {target})"], WHAT)
        read_curve(target, path, field, curve, cell.design.cathode_active_mass_kg)
    return LoadedProtocol(path, protocol, cell)


__all__ = ["LoadedProtocol", "Plan", "PlannedStep", "RateBlock", "load_protocol"]
