"""Changing values of a cell and the files it references by dotted path, before validation.

A path starts at the cell file; where it reaches a field that names another file, it continues
inside that file:

- ``cathode.loading``, ``cathode.porosity``, ``cathode.particle_radius``, ``np_ratio``,
  ``separator.thickness`` ... (the cell file);
- ``cathode.material.particle_radius``, ``anode.material.<field>`` (the material files),
  ``counter_electrode.material.<field>`` (the Na-metal file);
- ``electrolyte.concentration``, ``electrolyte.<field>`` (the electrolyte file).

The new value replaces the raw YAML value; when both are mappings (a quantity ``{value, unit,
source}``) the new keys replace the old ones and the others are kept. The changed files are then
validated like any file, so a bad value is reported with its file and field.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

#: fields of a cell file that name another file -> the key of that file in :func:`split`
REFERENCES: dict[str, str] = {
    "cathode.material": "cathode",
    "anode.material": "anode",
    "counter_electrode.material": "counter_electrode",
    "electrolyte": "electrolyte",
}
CELL = "cell"

Edits = dict[str, list[tuple[tuple[str, ...], Any]]]


def split(overrides: Mapping[str, Any]) -> Edits:
    """Group ``{dotted path: value}`` by file: ``{"cell" | "cathode" | "anode" |
    "counter_electrode" | "electrolyte": [(keys inside that file, value), ...]}``."""
    edits: Edits = {}
    for path, value in overrides.items():
        parts = tuple(p for p in str(path).split(".") if p)
        if not parts:
            raise ValueError(f"empty parameter path {path!r}")
        target, keys = CELL, parts
        for ref, name in REFERENCES.items():
            prefix = tuple(ref.split("."))
            if parts[:len(prefix)] == prefix and len(parts) > len(prefix):
                target, keys = name, parts[len(prefix):]
                break
        edits.setdefault(target, []).append((keys, value))
    return edits


def _child(node, key: str, keys: tuple[str, ...]):
    """The item ``key`` of a mapping (created when missing) or of a list (``key`` an index, as
    in ``reactions.0.standard_potential``)."""
    if isinstance(node, list):
        if not (key.isdigit() and int(key) < len(node)):
            raise ValueError(f"parameter path {'.'.join(keys)!r}: {key!r} is not an index of "
                             f"a list of {len(node)}")
        return node[int(key)]
    child = node.get(key)
    if child is None:
        child = node[key] = {}
    return child


def apply(data: dict, edits: list[tuple[tuple[str, ...], Any]]) -> dict:
    """A copy of the raw file ``data`` with ``edits`` applied (missing mappings are created;
    a number in a path indexes a list)."""
    out = copy.deepcopy(data)
    for keys, value in edits:
        node = out
        for key in keys[:-1]:
            node = _child(node, key, keys)
            if not isinstance(node, dict | list):
                raise ValueError(f"parameter path {'.'.join(keys)!r}: {key!r} is not a mapping "
                                 f"(got {node!r})")
        last = keys[-1]
        if isinstance(node, list):
            _child(node, last, keys)  # checks the index
            last = int(last)
        old = node[last] if isinstance(node, list) else node.get(last)
        if isinstance(old, dict) and isinstance(value, Mapping):
            node[last] = {**old, **copy.deepcopy(dict(value))}
        else:
            node[last] = copy.deepcopy(value)
    return out


__all__ = ["CELL", "REFERENCES", "apply", "split"]
