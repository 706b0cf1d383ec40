"""PyBaMM ``Experiment`` step strings as nasim protocol steps.

A protocol's ``steps`` may hold PyBaMM step strings beside nasim's own step mappings::

    steps:
      - "Charge at C/10 until 4.2 V"
      - hold: {voltage: 4.2 V, until_current: 0.02 C}
      - "Rest for 1 hour"
      - "Discharge at 0.5C for 30 minutes or until 2.0 V"

(``repeat.steps`` and ``rate_test.before_each`` take them too). The grammar is PyBaMM 26.10's
(``pybamm.step.string``): ``Charge|Discharge at <value> [for <time>] [or] [until <limit>]``,
``Hold at <voltage> [for <time>] until <current>``, ``Rest for <time>``, an optional trailing
``(<time> period)`` (ignored: nasim chooses its output times); values ``C/n``, ``x C``, ``A``,
``mA``, ``V``, ``mV``; times in seconds, minutes or hours. Each string becomes the nasim step
that does the same: a constant-current ``charge``/``discharge`` (until a voltage and/or for a
time), a ``hold`` (constant voltage until a current) or a ``rest``.

C-rates: "C" is nasim's 1C, the cell file's definition (``one_c_specific_current``, e.g.
150 mA/g of cathode active mass, else its nominal capacity per hour), not PyBaMM's nominal
capacity; :func:`nasim.to_pybamm` sets PyBaMM's nominal capacity to nasim's 1C, so the same
string means the same current in both.

Steps nasim has no form for are errors naming the string: power (W) and resistance (Ohm)
control, a rest or charge/discharge that ends on a current, a hold without an end current,
comparison operators, a temperature inside the string (give ``temperature`` on a nasim step).

Why nasim parses the strings itself: this floor (``protocols``) turns files into plans and
never imports PyBaMM (ARCHITECTURE.md), and the conversion to nasim's steps needs only the
string, so a small parser of PyBaMM's grammar keeps the protocol loader PyBaMM-free;
``tests/test_experiment_strings.py`` holds it to ``pybamm.step.string`` on every form above.
"""

from __future__ import annotations

import re

EXAMPLES = ('"Discharge at C/10 until 2.0 V", "Charge at 0.5 C for 2 hours or until 4.2 V", '
            '"Hold at 4.2 V until C/50", "Rest for 1 hour"')
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
#: PyBaMM's electric units -> (what they control, nasim's unit)
_ELECTRIC = {"A": ("current", "A"), "mA": ("current", "mA"), "C": ("C-rate", "C"),
             "V": ("voltage", "V"), "mV": ("voltage", "mV"), "W": ("power", "W"),
             "mW": ("power", "mW"), "Ohm": ("resistance", "Ohm"),
             "mOhm": ("resistance", "mOhm")}
_TIME = {"s": "s", "sec": "s", "second": "s", "seconds": "s", "m": "min", "min": "min",
         "minute": "min", "minutes": "min", "h": "h", "hr": "h", "hour": "h", "hours": "h"}


class ExperimentStringError(ValueError):
    """A PyBaMM step string nasim cannot read or has no step for (names the string)."""

    def __init__(self, text: str, problem: str):
        super().__init__(f"PyBaMM step {text!r}: {problem}")


def _electric(text: str, value: str) -> tuple[str, str]:
    """(what it controls, nasim quantity text) of ``C/2``, ``0.5C``, ``2 A``, ``4.2 V`` ..."""
    value = value.strip()
    m = re.fullmatch(r"C/\s*(" + _NUMBER + ")", value)
    if m:
        return "C-rate", f"{1.0 / float(m.group(1))!r} C"
    m = re.fullmatch(r"(" + _NUMBER + r")\s*([A-Za-z]+)", value)
    if m is None or m.group(2) not in _ELECTRIC:
        raise ExperimentStringError(text, f"{value!r} is not a value with a unit of A, mA, C, "
                                    "V, mV, W or Ohm (or C/n)")
    kind, unit = _ELECTRIC[m.group(2)]
    return kind, f"{float(m.group(1))!r} {unit}"


def _time(text: str, value: str) -> str:
    m = re.fullmatch(r"\s*(" + _NUMBER + r")\s*([A-Za-z]+)\s*", value)
    if m is None or m.group(2) not in _TIME:
        raise ExperimentStringError(text, f"{value!r} is not a time in seconds, minutes or "
                                    "hours (e.g. '10 minutes', '1 hour')")
    return f"{float(m.group(1))!r} {_TIME[m.group(2)]}"


def experiment_step(text: str) -> dict:
    """The nasim step (a mapping with ``type``, as in a protocol file) of one PyBaMM
    ``Experiment`` step string; see the module docstring for the grammar and the C-rate."""
    if "oC" in text:
        raise ExperimentStringError(text, "a temperature cannot be part of the string (as in "
                                    "PyBaMM); give 'temperature' on a nasim step instead")
    rest = re.sub(r"\s*\([^()]*\bperiod\)\s*$", "", text.strip())
    termination = duration = None
    if " until " in rest:
        rest, termination = rest.split(" until ", 1)
        rest = re.sub(r"\s+or$", "", rest)
    if " for " in rest:
        rest, duration = rest.split(" for ", 1)
    if termination is None and duration is None:
        raise ExperimentStringError(text, f"expected 'for <time>' and/or 'until <limit>'; "
                                    f"examples: {EXAMPLES}")
    step: dict = {}
    if duration is not None:
        step["duration"] = _time(text, duration)
    limit = None
    if termination is not None:
        if termination.strip()[:1] in "<>":
            raise ExperimentStringError(text, "limits with '<' or '>' are not supported")
        limit = _electric(text, termination.replace(" ", ""))
    if rest.strip() == "Rest":
        if limit is not None or duration is None:
            raise ExperimentStringError(text, "nasim's rest lasts a time: write 'Rest for "
                                        "<time>'")
        return {"type": "rest", **step}
    instruction, _, value = rest.partition(" at ")
    if instruction not in ("Charge", "Discharge", "Hold") or not value:
        raise ExperimentStringError(text, f"expected 'Charge at', 'Discharge at', 'Hold at' or "
                                    f"'Rest'; examples: {EXAMPLES}")
    kind, quantity = _electric(text, value)
    if kind in ("power", "resistance"):
        raise ExperimentStringError(text, f"nasim has no {kind}-controlled step (its steps: "
                                    "constant current, constant voltage, rest, sweep, GITT)")
    if kind == "voltage":
        if limit is None or limit[0] not in ("current", "C-rate"):
            raise ExperimentStringError(text, "nasim's constant-voltage step (hold) ends on a "
                                        "current: write 'until <current>' (e.g. 'until C/50')")
        return {"type": "hold", "voltage": quantity, "until_current": limit[1], **step}
    if instruction == "Hold":
        raise ExperimentStringError(text, "'Hold at' takes a voltage")
    if limit is not None:
        if limit[0] != "voltage":
            raise ExperimentStringError(text, f"a constant-current step in nasim ends on a "
                                        f"voltage, a time or a capacity, not on a {limit[0]}")
        step["until_voltage"] = limit[1]
    return {"type": instruction.lower(), "current": quantity, **step}
