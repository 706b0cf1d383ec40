"""Built models reused across calls in one process.

A :class:`~nasim.simulate.engine.CellRunner` keys its built model (PyBaMM model discretised,
IDAKLU solver set up) by everything the build depends on: the cell's content
(:func:`cell_key`: every validated file section and the data of every table it read), the
model, circuit, options, mesh, which values are inputs, tolerances and solver options. A second
``nasim.replay`` of the same protocol, or any run of the same cell and model, takes the model
from here instead of building it again. Input values (currents, temperatures, fitted
parameters) are not part of the key: they are set per solve.

Only this process's memory holds the cache (the last :data:`MAX_MODELS` models). There is no
copy on disk: PyBaMM 26.10 serialises a built model only through pickle or its JSON
``Serialise`` (whose loader rebuilds Python functions from their source text), and loading
either from a shared cache directory would execute what another user or process wrote there.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

import numpy as np

from nasim.params.loading import LoadedCell
from nasim.params.strict import models_in

MAX_MODELS = 8
#: private attributes of validated sections that hold data read from files (tables); other
#: private attributes are derived from the fields (units in SI, inverted tables)
_DATA_ATTRS = ("_x_si", "_y")
_T = TypeVar("_T")
_MODELS: OrderedDict[Hashable, object] = OrderedDict()


def _hash_tables(node, digest) -> None:
    """Every table's data in the sections of ``node`` into ``digest``."""
    for model in models_in(node):
        private = model.__pydantic_private__ or {}
        for name in _DATA_ATTRS:
            value = private.get(name)
            if isinstance(value, np.ndarray):
                digest.update(name.encode())
                digest.update(np.ascontiguousarray(value, dtype=float).tobytes())


def cell_key(cell: LoadedCell) -> str:
    """A digest of the cell's content: every section as validated (JSON) and every table's
    data."""
    digest = hashlib.sha256()
    for part in (cell.cell, cell.cathode, cell.electrolyte, cell.anode,
                 cell.counter_electrode):
        digest.update(b"|" if part is None else part.model_dump_json().encode())
        _hash_tables(part, digest)
    return digest.hexdigest()


def cached(key: Hashable, make: Callable[[], _T]) -> _T:
    """The model cached under ``key``, made by ``make()`` at the first call."""
    if key in _MODELS:
        _MODELS.move_to_end(key)
        return _MODELS[key]  # type: ignore[return-value]
    value = make()
    _MODELS[key] = value
    while len(_MODELS) > MAX_MODELS:
        _MODELS.popitem(last=False)
    return value


def clear() -> None:
    """Forget every cached model."""
    _MODELS.clear()
