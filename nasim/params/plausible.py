"""Plausible ranges: values that are legal but probably a mistake get a warning, not an error.

:mod:`nasim.params.limits` refuses what no cell has (1e308 mol/L); this table flags what a
coin cell rarely has (an ambient temperature of 25 K where 25 degC was meant, a loading of
500 mg/cm2, a particle radius of 5 mm). A protocol is also checked against its cell
(:mod:`nasim.protocols.plausible`): a current above :data:`MAX_C_RATE`, a hold or cut-off
voltage beyond the cell's voltage window by more than :data:`WINDOW_SLACK_V`.

Each warning is one line naming the file, the field, the value and the plausible range, given
once per value in a process (:func:`warn`), as an :class:`ImplausibleValue` warning (the
command line prints it as ``warning: ...``).
"""

from __future__ import annotations

import warnings
from pathlib import Path

from nasim.params.units import to_si

#: field path, field name or the last word of the name -> (low, high, unit, dimension): the
#: range of typical coin-cell and lab values, in the unit the message shows
PLAUSIBLE: dict[str, tuple[float, float, str, str]] = {
    "ambient_temperature": (-60.0, 120.0, "degC", "temperature"),
    "temperature": (-100.0, 300.0, "degC", "temperature"),
    "loading": (0.1, 100.0, "mg/cm2", "areal_mass"),
    "porosity": (0.05, 0.8, "1", "dimensionless"),
    "separator.porosity": (0.2, 0.98, "1", "dimensionless"),
    "particle_radius": (0.005, 100.0, "um", "length"),
}
#: the largest protocol current, as a C-rate, that is not flagged
MAX_C_RATE = 100.0
#: how far a hold or cut-off voltage may lie beyond the cell's voltage window [V]
WINDOW_SLACK_V = 0.1

_WARNED: set[tuple[str, str, str]] = set()


class ImplausibleValue(UserWarning):
    """A legal value outside the plausible range of its quantity (see the module doc)."""


def warn(file: str | Path, field: str, value: str, expected: str) -> None:
    """Warn once per (file, field, value): ``file: field 'field' = value; expected``."""
    key = (str(file), field, value)
    if key in _WARNED:
        return
    _WARNED.add(key)
    warnings.warn(f"{file}: field '{field}' = {value} is implausible; {expected}",
                  ImplausibleValue, stacklevel=3)


def rule(field: str) -> tuple[float, float, str, str] | None:
    """The :data:`PLAUSIBLE` entry of a field path: the path, its last name, or that name's
    last word (``reference_temperature`` -> ``temperature``)."""
    name = field.rsplit(".", 1)[-1]
    for key in (field, field.split(".", 1)[-1], name, name.rsplit("_", 1)[-1]):
        if key in PLAUSIBLE:
            return PLAUSIBLE[key]
    return None


def check(file: str | Path, field: str, si: float, shown: str,
          quantity: str | None = None) -> None:
    """Warn when the SI value ``si`` of ``field`` (written ``shown``) is outside the range of
    its :func:`rule` (or of ``quantity``'s, e.g. a study axis of ambient temperatures)."""
    found = rule(quantity or field)
    if found is None:
        return
    low, high, unit, dimension = found
    if not to_si(low, unit, dimension) <= si <= to_si(high, unit, dimension):
        warn(file, field, shown, f"plausible range {low:g} to {high:g} {unit}")


def check_rows(rows: list[dict], paths: dict[str, Path]) -> None:
    """:func:`check` every quantity row of :mod:`nasim.params.provenance` (``paths``: file
    name -> path, for the message)."""
    for row in rows:
        si = row.get("si_value")
        if isinstance(si, int | float) and isinstance(row.get("value"), int | float):
            check(paths.get(row["file"], row["file"]), row["parameter"], float(si),
                  f"{row['value']:g} {row['unit']}")


def check_cell(loaded) -> None:
    """:func:`check_rows` over a loaded cell's files and derived values."""
    from nasim.params.provenance import cell_provenance_rows

    paths = {p.name: p for p in loaded.files().values()}
    for rows in cell_provenance_rows(loaded):
        check_rows(rows, paths)


__all__ = ["MAX_C_RATE", "PLAUSIBLE", "WINDOW_SLACK_V", "ImplausibleValue", "check",
           "check_cell", "check_rows", "rule", "warn"]
