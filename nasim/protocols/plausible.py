"""A protocol checked against its cell for implausible but legal values (warnings, see
:mod:`nasim.params.plausible`): temperatures, currents above ``MAX_C_RATE`` and voltages
beyond the cell's voltage window by more than ``WINDOW_SLACK_V``."""

from __future__ import annotations

from pathlib import Path

from nasim.params.loading import LoadedCell
from nasim.params.plausible import MAX_C_RATE, WINDOW_SLACK_V, check, warn
from nasim.protocols.schema import Protocol, step_tree


def check_protocol(path: Path, protocol: Protocol, cell: LoadedCell) -> None:
    """Warn (once per value) about the implausible values of ``protocol`` on ``cell``."""
    window = cell.cell.voltage_window
    low, high = window.lower.si - WINDOW_SLACK_V, window.upper.si + WINDOW_SLACK_V
    expected_v = (f"expected within the cell's voltage window {window.lower.si:g} to "
                  f"{window.upper.si:g} V (+- {WINDOW_SLACK_V:g} V)")
    if protocol.temperature is not None:
        check(path, "temperature", protocol.temperature.si, str(protocol.temperature))
    tree = [*step_tree(protocol.steps)]
    tree += [(f"{w}.step", s.step) for w, s in tree if hasattr(s, "rates")]  # a rate test's
    for where, step in tree:
        if getattr(step, "temperature", None) is not None:
            check(path, f"{where}.temperature", step.temperature.si, str(step.temperature))
        currents = [("current", getattr(step, "current", None))]
        currents += [(f"rates[{i}]", r) for i, r in enumerate(getattr(step, "rates", []))]
        for name, current in currents:
            if current is None:
                continue
            c_rate = abs(cell.current_A(current.value, current.unit)) / cell.one_c_current_A
            if c_rate > MAX_C_RATE:
                shown = str(current) + (f" ({c_rate:.3g} C)" if current.unit != "C" else "")
                warn(path, f"{where}.{name}", shown, f"expected at most {MAX_C_RATE:g} C")
        voltages = [(name, getattr(step, name, None)) for name in ("voltage", "until_voltage")]
        voltages += [(f"vertices[{i}]", v) for i, v in enumerate(getattr(step, "vertices", []))]
        for name, voltage in voltages:
            if voltage is not None and not low <= voltage.si <= high:
                warn(path, f"{where}.{name}", str(voltage), expected_v)


__all__ = ["check_protocol"]
