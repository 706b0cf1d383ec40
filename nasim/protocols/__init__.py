"""Protocol files → plans of PyBaMM solves in SI units (see :mod:`nasim.protocols.schema`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from nasim.params.loading import (
    LoadedCell,
    ParameterFileError,
    format_validation_error,
    load_cell,
    read_yaml,
)
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


def _curves(protocol: Protocol):
    def walk(steps):
        for i, s in enumerate(steps):
            m = getattr(s, "measured", None)
            if m is not None and getattr(m, "curve", None) is not None:
                yield i, m.curve
            yield from walk(getattr(s, "steps", None) or getattr(s, "before_each", None) or [])

    yield from walk(protocol.steps)


def load_protocol(path: str | Path) -> LoadedProtocol:
    """Read and validate a protocol file and the cell file it names.

    Errors name the protocol file, the field, the value and what was expected."""
    path = Path(path).resolve()
    data = read_yaml(path)
    if data.get("kind") != "protocol":
        raise ParameterFileError(path, [f"field 'kind': expected 'protocol', got "
                                        f"{data.get('kind')!r}"], WHAT)
    try:
        protocol = Protocol.model_validate(data)
    except ValidationError as err:
        raise ParameterFileError(path, format_validation_error(err), WHAT) from None
    cell_path = (path.parent / protocol.cell).resolve()
    if not cell_path.is_file():
        raise ParameterFileError(path, [f"field 'cell': file {protocol.cell!r} not found "
                                        f"(looked for {cell_path})"], WHAT)
    cell = load_cell(cell_path)
    for i, curve in _curves(protocol):
        target = (path.parent / curve.file).resolve()
        if not target.is_file():
            raise ParameterFileError(path, [f"field 'steps[{i}].measured.curve.file': "
                                            f"{curve.file!r} not found (looked for {target})"],
                                     WHAT)
    return LoadedProtocol(path, protocol, cell)


__all__ = ["LoadedProtocol", "Plan", "PlannedStep", "RateBlock", "load_protocol"]
