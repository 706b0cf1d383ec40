"""The ``cei`` aging mechanism (nasim.physics.aging): a cathode-electrolyte-interphase film that
grows (Arrhenius, potential-activated) and acts as a series resistance. Switched off, the
model and its results are those without it; its resistance grows faster hot and at high
potential; at 10C the capacity falls with it while no active material is lost; cycle jumping
controls on its state; a cathode file without the section gives a clear error. NFM's CEI growth
rate is the one its calibration wrote, and with it the 10C protocol takes NFM below half its
start (or ends the cycling) by cycle 150 while HEO keeps >= 0.9 (slow)."""

import json
import re

import numpy as np
import pytest
from conftest import CELLS, ROOT
from test_aging import HEO_TEXT, _cycle, _tmp_heo_half

import nasim
from nasim.params.loading import ParameterFileError
from nasim.physics.aging import CEI_DROP, CEI_OHM, CEI_THICKNESS
from nasim.protocols.plan import PlannedStep
from nasim.simulate.engine import CellRunner, constant_current_step
from nasim.simulate.jump import aging_state_indices
from nasim.simulate.outputs import observe
from nasim.simulate.replay import replay

GROWTH = "cathode.degradation.cei.growth_rate"
STRAIN = "cathode.degradation.strain_loss_rate"
DISSOLUTION = "cathode.degradation.dissolution_rate"
RESISTANCE = CEI_OHM
TIGHT = {"rtol": 1e-6, "atol": 1e-8}


def _value(state, name: str) -> float:
    return float(observe(state, [name])[name][-1])


def test_cei_off_leaves_the_model_and_results_unchanged(heo_half):
    """Without "cei" the model has no CEI state and the same states as before; with it at a
    zero growth rate the capacities and losses are those without it (two DAE systems:
    compared at tight tolerances)."""
    rates = {STRAIN: 1e-5, DISSOLUTION: 1e-7}
    off = CellRunner(heo_half, "SPMe", aging=("phase_strain", "dissolution"), inputs=rates)
    on = CellRunner(heo_half, "SPMe", aging=("phase_strain", "dissolution", "cei"),
                    inputs={**rates, GROWTH: 0.0})
    names_off = {v.name for v in off.build().model.y_slices}
    names_on = {v.name for v in on.build().model.y_slices}
    assert CEI_THICKNESS not in names_off
    assert names_on - names_off == {CEI_THICKNESS}
    caps_off, act_off = _cycle(heo_half, ("phase_strain", "dissolution"), 3, rates=rates,
                               tolerances=TIGHT)
    caps_on, act_on = _cycle(heo_half, ("phase_strain", "dissolution", "cei"), 3,
                             rates={**rates, GROWTH: 0.0}, tolerances=TIGHT)
    np.testing.assert_allclose(caps_on, caps_off, rtol=1e-4)
    # the loss integrates the path of each cycle: 0.5 % apart over 3 cycles at these tolerances
    np.testing.assert_allclose(1 - act_on, 1 - act_off, rtol=0.01)


def _rest_growth(cell, upper_V: float, temperature_C: float) -> float:
    """Film resistance grown [Ohm] in a 2 h rest after a 1C charge to ``upper_V`` at 25 degC,
    the rest at ``temperature_C`` (isothermal)."""
    runner = CellRunner(cell, "SPMe", aging=("cei",), inputs={GROWTH: 1e-12})
    current = 0.150 * cell.design.cathode_active_mass_kg * 1e3
    charge = constant_current_step(cell, "charge", current, 298.15)
    charge = PlannedStep(**{**charge.__dict__, "upper_voltage_V": upper_V})
    state = runner.run(charge, None).end_state
    before = _value(state, RESISTANCE)
    rest = PlannedStep(number=2, cycle=1, kind="rest", mode="current", description="rest",
                       temperature_K=temperature_C + 273.15, duration_s=7200.0,
                       time_limited=True)
    return _value(runner.run(rest, state).end_state, RESISTANCE) - before


def test_cei_resistance_grows_faster_hot_and_at_high_potential(heo_half):
    """The same rest at 4.2 V: at 60 degC the film grows by the Arrhenius factor of the
    file's activation energy (49.8 kJ/mol: x7.6); at 3.7 V far slower than at 4.2 V (the
    potential activation, e-fold per 0.1 V)."""
    ea = heo_half.cathode.degradation.cei.arrhenius.activation_energy.si
    warm = _rest_growth(heo_half, 4.2, 25.0)
    hot = _rest_growth(heo_half, 4.2, 60.0)
    low = _rest_growth(heo_half, 3.7, 25.0)
    assert warm > 0
    assert hot / warm == pytest.approx(np.exp(ea / 8.314462618 * (1 / 298.15 - 1 / 333.15)),
                                       rel=0.05)
    assert warm > 20 * low > 0


def _cycles_10C(cell, growth: float, n: int = 4):
    """n CC cycles at 10C with the cei mechanism alone: discharge capacities [mAh/g], film
    resistances [Ohm] at each cycle's end, the last state and the current [A]."""
    runner = CellRunner(cell, "SPMe", aging=("cei",), inputs={GROWTH: growth})
    current = 10 * 0.150 * cell.design.cathode_active_mass_kg * 1e3
    state, caps, resistance = None, [], []
    for _ in range(n):
        for direction in ("charge", "discharge"):
            solved = runner.run(constant_current_step(cell, direction, current, 298.15), state)
            state = solved.end_state
        caps.append(float(solved.frame.capacity_mAh_per_g.iloc[-1]))
        resistance.append(_value(state, RESISTANCE))
    return np.array(caps), np.array(resistance), state, current


def test_cei_takes_capacity_at_10C_as_a_resistance(heo_half):
    """A fast-growing film at 10C: the resistance grows every cycle and the capacity falls
    behind that of the same model without growth, more every cycle, while no active
    material is lost; the CEI's drop is I R of the grown film."""
    caps0, r0, _, _ = _cycles_10C(heo_half, 0.0)
    caps, resistance, state, current = _cycles_10C(heo_half, 1e-8)
    np.testing.assert_allclose(r0, 0.0, atol=1e-12)
    assert np.all(np.diff(resistance) > 0)
    loss = caps0 - caps
    assert np.all(np.diff(loss) > 0) and loss[-1] > 2.0  # mAh/g
    assert _value(state, "X-averaged positive electrode active material volume fraction") \
        == pytest.approx(heo_half.design.cathode.active_volume_fraction, rel=1e-9)
    assert _value(state, CEI_DROP) == pytest.approx(current * resistance[-1], rel=1e-6)


def test_cycle_jumping_controls_on_the_cei_state(heo_half):
    runner = CellRunner(heo_half, "SPMe", aging=("cei",))
    model = runner.build().model
    cei = [sl for var, slices in model.y_slices.items() for sl in slices
           if var.name == CEI_THICKNESS]
    assert len(cei) == 1
    assert set(range(cei[0].start, cei[0].stop)) <= set(aging_state_indices(runner))


def test_cei_without_its_section_is_a_clear_error(tmp_path):
    text = re.sub(r"\n  cei:\n(    .*\n)+", "\n", HEO_TEXT)
    assert "cei:" not in text
    cell = nasim.load_cell(_tmp_heo_half(tmp_path, text))
    with pytest.raises(ParameterFileError, match="field 'degradation.cei': missing"):
        CellRunner(cell, "SPM", aging=("cei",))


def test_nfm_cei_rate_is_the_calibrated_one():
    """nfm.yaml carries the rate fits/nfm_failure_10C/calibrate.py found (its calibration.json),
    naming the datum and the script, with the range the script found for the datum's reading
    (kind assumed: a bisection to a qualitative observation has no fit interval)."""
    calibration = json.loads((ROOT / "fits/nfm_failure_10C/calibration.json").read_text())
    nfm = nasim.load_cell(CELLS / "nfm_half.yaml").cathode.degradation.cei.growth_rate
    assert nfm.si == pytest.approx(calibration["calibrated_m_per_s"], rel=5e-4)
    assert nfm.source.kind == "assumed"
    assert "calibrate.py" in nfm.source.reason and "150 cycles" in nfm.source.reason
    assert list(nfm.source.range) == pytest.approx(calibration["range_m_per_s"],  # m/s
                                                   rel=5e-4)
    failing = [r for r in calibration["runs"]
               if r["failure_cycle"] is not None and r["failure_cycle"] <= 150]
    assert min(r["growth_rate_m_per_s"] for r in failing) == calibration["calibrated_m_per_s"]


def _retention_at(path: str, cycle: int) -> tuple[float, int]:
    """(retention at ``cycle``, or NaN when the cycling ended before it; the last cycle)."""
    s = replay(ROOT / "experiments" / path).summary
    dis = s[(s.direction == "discharge") & (s.status == "ok")]
    row = dis[dis.cycle == cycle]
    return (float(row.retention.iloc[0]) if len(row) else float("nan"),
            int(dis.cycle.max()))


@pytest.mark.slow
def test_nfm_fails_by_cycle_150_while_heo_keeps_90_percent():
    """Issue 15's NFM check on the committed protocols (NFM's failure is calibrated)."""
    nfm, nfm_last = _retention_at("nfm_half_cycling_10C.yaml", 150)
    heo, _ = _retention_at("heo_half_cycling_10C.yaml", 150)
    assert nfm < 0.5 or nfm_last < 150
    assert heo >= 0.9
