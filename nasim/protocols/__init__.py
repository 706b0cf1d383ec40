"""Protocol files → plans of PyBaMM solves in SI units (see :mod:`nasim.protocols.schema`)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nasim.params.files import UnsafeFile, read_columns
from nasim.params.loading import (
    LoadedCell,
    ParameterFileError,
    load_cell,
    load_document,
    resolve_reference,
)
from nasim.params.units import capacity_to_mAh_per_g
from nasim.protocols.plan import Plan, PlannedStep, RateBlock, compile_protocol
from nasim.protocols.plausible import check_protocol
from nasim.protocols.schema import MeasuredCurve, Protocol, step_tree

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


def _curves(protocol: Protocol) -> Iterator[tuple[str, MeasuredCurve]]:
    """(field path, curve) of every measured curve of the protocol."""
    for where, s in step_tree(protocol.steps):
        m = getattr(s, "measured", None)
        if m is not None and getattr(m, "curve", None) is not None:
            yield f"{where}.measured.curve", m.curve
        for j, c in enumerate(getattr(m, "curves", None) or []):
            if c is not None:
                yield f"{where}.measured.curves[{j}]", c


def read_curve(path: Path, protocol_path: Path, field: str, curve: MeasuredCurve,
               cathode_mass_kg: float) -> tuple[np.ndarray, np.ndarray]:
    """A measured curve as (capacity mAh/g of cathode, voltage V), sorted by capacity.

    Digitized points may be unsorted; missing columns or non-numeric cells are errors naming
    the protocol file, the field and the CSV."""
    try:
        (q, v), _ = read_columns(path, (curve.capacity_column, curve.voltage_column))
    except UnsafeFile as exc:
        raise ParameterFileError(protocol_path, [f"field '{field}.file': {path.name}: {exc}"],
                                 WHAT) from None
    q = capacity_to_mAh_per_g(np.asarray(q), curve.capacity_unit, cathode_mass_kg)
    order = np.argsort(q, kind="stable")
    return q[order], np.asarray(v)[order]


def load_protocol(path: str | Path, cell: LoadedCell | str | Path | None = None
                  ) -> LoadedProtocol:
    """Read and validate a protocol file and the cell file it names.

    Parameters
    ----------
    path
        The protocol file (YAML), e.g. ``experiments/heo_half_rate_25C.yaml``.
    cell
        Another cell (a loaded cell or a cell file) to run the protocol on instead of the one
        it names, e.g. a fitted parameter set.

    Returns
    -------
    LoadedProtocol
        The protocol, its cell and its measured curves; ``plan()`` compiles it into steps in
        SI units.

    Raises
    ------
    ParameterFileError
        The protocol, its cell or a measured-curve file is missing or invalid; the message
        names the file, the field, the value and what was expected.

    Examples
    --------
    >>> protocol = nasim.load_protocol("experiments/heo_half_rate_25C.yaml")
    >>> protocol.plan().n_steps
    9
    """
    path, protocol = load_document(path, "protocol", Protocol, WHAT)
    if not isinstance(cell, LoadedCell):
        cell = load_cell(cell if cell is not None
                         else resolve_reference(path, protocol.cell, "cell", WHAT))
    for field, curve in _curves(protocol):
        target = resolve_reference(path, curve.file, f"{field}.file", WHAT, "table")
        read_curve(target, path, field, curve, cell.design.cathode_active_mass_kg)
    check_protocol(path, protocol, cell)  # warnings only
    return LoadedProtocol(path, protocol, cell)


__all__ = ["LoadedProtocol", "Plan", "PlannedStep", "RateBlock", "load_protocol"]
