"""Parameter files: schema, units, provenance and loading. Data only: nothing here imports
PyBaMM (the conversion to PyBaMM values is :mod:`nasim.physics.values`).

The names below load on first use (PEP 562), so ``nasim material`` (a formula parse) does not
pay for pydantic, YAML or pandas.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

_PUBLIC = {
    "LoadedCell": "nasim.params.loading",
    "ParameterFileError": "nasim.params.loading",
    "bundled": "nasim.params.bundle",
    "load_cell": "nasim.params.loading",
    "load_file": "nasim.params.loading",
    "parameter_table": "nasim.params.provenance",
}

if TYPE_CHECKING:
    from nasim.params.bundle import bundled
    from nasim.params.loading import LoadedCell, ParameterFileError, load_cell, load_file
    from nasim.params.provenance import parameter_table


def __getattr__(name: str):
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'nasim.params' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_PUBLIC])


__all__ = ["LoadedCell", "ParameterFileError", "bundled", "load_cell", "load_file",
           "parameter_table"]
