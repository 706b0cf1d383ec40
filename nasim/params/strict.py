"""The one pydantic base of every nasim file schema (parameter files, protocols, fits, studies).

Unknown fields are errors: a misspelt key is reported, never silently ignored; a number must
be finite (``nan``/``inf`` are refused in every numeric field, e.g. a source's ``cost``).
``Strict`` is the base of the parameter-file schemas (mutable, fields also settable by name
when aliased); ``FrozenStrict`` the base of the documents that are read once and never edited
(protocol, fit and study files).
"""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    """A schema that forbids unknown fields."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True,
                              arbitrary_types_allowed=True, allow_inf_nan=False)


class FrozenStrict(Strict):
    """A :class:`Strict` schema whose instances cannot be changed after validation."""

    model_config = ConfigDict(frozen=True)


__all__ = ["FrozenStrict", "Strict"]


def models_in(node) -> Iterator[BaseModel]:
    """Every pydantic model in ``node`` (a model, or lists, tuples and dicts holding models),
    depth first: the one walk over a validated file's sections."""
    if isinstance(node, BaseModel):
        yield node
        children = node.__dict__.values()
    elif isinstance(node, (list, tuple)):
        children = node
    elif isinstance(node, dict):
        children = node.values()
    else:
        return
    for value in children:
        yield from models_in(value)
