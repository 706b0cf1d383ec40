"""PyBaMM Experiment step strings as protocol steps: nasim's own parser of PyBaMM's grammar
(protocols stays PyBaMM-free) held to pybamm.step.string, the steps they become, their errors,
and `nasim replay --experiment ... CELL`."""

from __future__ import annotations

import pybamm
import pytest
from conftest import CELLS

from nasim.cli import main
from nasim.params.loading import ParameterFileError
from nasim.protocols import load_protocol
from nasim.protocols.experiment import experiment_step
from nasim.protocols.schema import Protocol

#: (PyBaMM string, the nasim step it becomes)
CASES = [
    ("Discharge at C/10 until 2.0 V",
     {"type": "discharge", "current": "0.1 C", "until_voltage": "2.0 V"}),
    ("Charge at 0.5C for 2 hours or until 4.2 V",
     {"type": "charge", "current": "0.5 C", "duration": "2.0 h", "until_voltage": "4.2 V"}),
    ("Discharge at 2 mA for 30 minutes",
     {"type": "discharge", "current": "2.0 mA", "duration": "30.0 min"}),
    ("Charge at 1 A until 4100 mV",
     {"type": "charge", "current": "1.0 A", "until_voltage": "4100.0 mV"}),
    ("Hold at 4.2 V until C/50",
     {"type": "hold", "voltage": "4.2 V", "until_current": "0.02 C"}),
    ("Hold at 4.2 V for 1 hour or until 5 mA",
     {"type": "hold", "voltage": "4.2 V", "until_current": "5.0 mA", "duration": "1.0 h"}),
    ("Rest for 10 seconds", {"type": "rest", "duration": "10.0 s"}),
    ("Rest for 1 hour (1 minute period)", {"type": "rest", "duration": "1.0 h"}),
]
_SI = {"C": 1.0, "A": 1.0, "mA": 1e-3, "V": 1.0, "mV": 1e-3, "s": 1.0, "min": 60.0,
       "h": 3600.0}


def _si(text: str) -> float:
    number, unit = text.split()
    return float(number) * _SI[unit]


@pytest.mark.parametrize("text, expected", CASES)
def test_parser_follows_pybamm_step_string(text, expected):
    step = experiment_step(text)
    assert step == expected
    ref = pybamm.step.string(text)  # PyBaMM's own reading of the same string
    kind = type(ref).__name__
    expected_kind = {"rest": "Rest", "hold": "Voltage"}.get(step["type"]) or (
        "CRate" if step["current"].endswith(" C") else "Current")
    assert kind == expected_kind
    if step["type"] in ("charge", "discharge"):
        sign = 1.0 if step["type"] == "discharge" else -1.0  # PyBaMM: discharge > 0
        assert float(ref.value) == pytest.approx(sign * _si(step["current"]))
    if step["type"] == "hold":
        assert float(ref.value) == pytest.approx(_si(step["voltage"]))
        assert ref.termination[0].value == pytest.approx(_si(step["until_current"]))
    if "until_voltage" in step:
        assert ref.termination[0].value == pytest.approx(_si(step["until_voltage"]))
    if "duration" in step:
        assert ref.duration == pytest.approx(_si(step["duration"]))


@pytest.mark.parametrize("text, words", [
    ("Discharge at 2 W until 2.5 V", "no power-controlled step"),
    ("Discharge at 1 Ohm for 1 hour", "no resistance-controlled step"),
    ("Rest until 3 V", "Rest for <time>"),
    ("Hold at 4.2 V for 1 hour", "ends on a current"),
    ("Discharge at 1C until C/50", "not on a C-rate"),
    ("Discharge at 1C", "for <time>"),
    ("Relax at 1C for 1 hour", "expected 'Charge at'"),
    ("Discharge at 1C until 2 V at 25oC", "temperature"),
    ("Discharge at 1 furlong until 2 V", "'1 furlong' is not a value"),
])
def test_unsupported_or_malformed_strings_name_the_string(text, words):
    with pytest.raises(ValueError, match="PyBaMM step") as err:
        experiment_step(text)
    assert repr(text) in str(err.value) and words in str(err.value)


def test_protocol_mixes_strings_and_nasim_steps():
    protocol = Protocol.model_validate({
        "kind": "protocol", "name": "x", "cell": "c.yaml", "source": "test",
        "steps": ["Charge at C/10 until 4.2 V",
                  {"hold": {"voltage": "4.2 V", "until_current": "0.02 C"}},
                  {"repeat": {"count": 2, "steps": ["Discharge at 1C until 2 V",
                                                    "Rest for 10 minutes"]}}]})
    assert [s.type for s in protocol.steps] == ["charge", "hold", "repeat"]
    assert protocol.steps[0].current.unit == "C" and protocol.steps[0].current.si == 0.1
    assert [s.type for s in protocol.steps[2].steps] == ["discharge", "rest"]


def test_a_bad_string_in_a_file_names_file_field_and_string(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(f"kind: protocol\nname: x\ncell: {(CELLS / 'heo_half.yaml').as_posix()}\n"
                    "source: test\nsteps:\n  - Rest for 1 hour\n  - Discharge at 5 W for 1 h\n")
    with pytest.raises(ParameterFileError) as err:
        load_protocol(path)
    text = str(err.value)
    assert "p.yaml" in text and "steps[1]" in text and "'Discharge at 5 W for 1 h'" in text


def test_replay_experiment_on_a_bundled_cell(tmp_path, capsys):
    out = tmp_path / "R"
    code = main(["replay", "--experiment", "Discharge at 1C until 3.0 V", "--experiment",
                 "Rest for 10 minutes", "--model", "SPM", "--quiet", "heo_half", "--out",
                 str(out)])
    assert code == 0, capsys.readouterr().err
    loaded = load_protocol(out / "experiment.yaml")  # the protocol it ran, written beside
    assert [s.type for s in loaded.protocol.steps] == ["discharge", "rest"]
    assert (out / "summary.csv").is_file()
    assert main(["replay", "--experiment", "Discharge at 2 W for 1 hour", "heo_half",
                 "--out", str(tmp_path / "bad")]) == 2
    assert "'Discharge at 2 W for 1 hour'" in capsys.readouterr().err
