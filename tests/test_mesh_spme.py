"""Converged numerics for the bundled protocols that run an SPM or SPMe (the cycling tests):
the cell file's mesh for that model against the 2x mesh at the highest rate each protocol runs
(issue 13; the DFN protocols: tests/test_mesh.py)."""

import pytest

import nasim
from tests.conftest import CELLS, ROOT


def highest_single_particle_rates() -> dict[tuple[str, str, float], float]:
    """(cell file, model, temperature [degC]) -> the highest C-rate a bundled SPM/SPMe
    protocol runs there."""
    out: dict[tuple[str, str, float], float] = {}
    for path in sorted((ROOT / "experiments").glob("*.yaml")):
        plan = nasim.load_protocol(path).plan()
        if plan.model == "DFN":
            continue
        for step in plan.steps():
            if step.mode == "current" and step.current_A:
                key = (plan.cell.path.name, plan.model, round(step.temperature_K - 273.15, 3))
                rate = abs(step.current_A) / plan.cell.one_c_current_A
                out[key] = max(out.get(key, 0.0), rate)
    return out


CASES = highest_single_particle_rates()
#: cheap enough for CI: the NFM cycling test's 10C (its SPMe mesh, nfm_half.yaml); the rest slow
FAST = {("nfm_half.yaml", "SPMe", 25.0)}


def test_the_cycling_protocols_are_among_the_cases():
    assert CASES["nfm_half.yaml", "SPMe", 25.0] == pytest.approx(10.0)
    assert CASES["heo_half.yaml", "SPMe", 25.0] == pytest.approx(10.0)


@pytest.mark.parametrize(("cell", "model", "temperature_C"), [
    pytest.param(*key, marks=() if key in FAST else pytest.mark.slow,
                 id=f"{key[0]}-{key[1]}@{key[2]:g}C") for key in sorted(CASES)])
def test_single_particle_mesh_is_converged_at_the_highest_protocol_rate(cell, model,
                                                                         temperature_C):
    c_rate = CASES[cell, model, temperature_C]
    frame = nasim.mesh_check(CELLS / cell, model, c_rate=c_rate, temperature_C=temperature_C)
    in_use = frame.iloc[0]
    assert in_use.capacity_rel_diff <= 0.002, (cell, model, temperature_C, c_rate)
    assert in_use.voltage_rms_diff_mV <= 2.0, (cell, model, temperature_C, c_rate)
