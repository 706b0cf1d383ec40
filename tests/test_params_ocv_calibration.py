"""The MSMR isotherms' calibration and the ranges of their hand-chosen shapes (issue 14).

The HEO and NFM open-circuit potentials are hand-calibrated, not fitted: their reactions give
the shape and ``calibration`` re-imposes the data (window ends, HEO's median voltage) on every
load. These tests hold the calibration to its conditions, sample every reaction value over its
range (Latin hypercube) and check that each sampled OCV stays valid: the calibration solvable,
x(U) monotone, the window inside the isotherm, the reactions in order and each phase
transition's reaction inside the phase map's two-phase region(s) of the phases it names. The
last test runs samples through the uncertainty worker: a sampled shape reaches the model.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml
from scipy.stats import qmc

from nasim.params import ParameterFileError, load_file
from nasim.params.loading import read_yaml
from nasim.params.overrides import apply
from nasim.params.schema import ActiveMaterial
from nasim.uncertainty.inputs import discover, select

REPO = Path(__file__).resolve().parents[1]
MATERIALS = REPO / "parameter_sets" / "materials"
CELLS = {"heo.yaml": REPO / "parameter_sets/cells/heo_half.yaml",
         "nfm.yaml": REPO / "parameter_sets/cells/nfm_half.yaml"}
PREFIX = "cathode.material."
#: the relative spread of the phase boundaries (their sources' ``relative``)
BOUNDARY_SPREAD = 0.05
#: half a unit of the window's last digit (0.3905-0.9921, 0.39-0.99)
WINDOW_ROUNDING = 5e-5


def ocv_inputs(material: str):
    """The sampled OCV inputs of ``material`` (through its half cell, as an uncertainty run
    finds them)."""
    keep, _ = select(discover(CELLS[material]))
    return [i for i in keep if ".open_circuit_potential." in i.path]


def sampled(material: str, n: int, seed: int):
    """``n`` materials with the OCV reaction values drawn over their ranges."""
    inputs = ocv_inputs(material)
    raw = read_yaml(MATERIALS / material)
    u = qmc.LatinHypercube(d=len(inputs), seed=seed).random(n)
    for row in u:
        edits = [(tuple(i.path[len(PREFIX):].split(".")), {"value": i.low + r * (i.high - i.low)})
                 for i, r in zip(inputs, row, strict=True)]
        yield ActiveMaterial.model_validate(apply(raw, edits), context={"base_dir": MATERIALS})


def test_hand_calibrated_values_are_assumed_with_ranges():
    """No value of the HEO/NFM sets is `fitted` without a fit's interval (the uncertainty run
    would hold it fixed); the reactions are sampled."""
    for material, cell in CELLS.items():
        _, left = select(discover(cell))
        fixed = [i.path for i, why in left if i.kind == "fitted" and i.interval_95 is None]
        assert fixed == [], fixed
        assert len(ocv_inputs(material)) == (12 if material == "heo.yaml" else 15)


def test_heo_ocv_meets_its_calibration():
    """The calibration holds the isotherm to the window (0.3905-0.9921 to rounding) and to
    3.2256 V at the mean content, and reproduces the hand-solved values the bundled fits used."""
    cf = load_file(MATERIALS / "heo.yaml").open_circuit_potential.closed_form
    c = cf.calibration
    x = cf.stoichiometry(np.array([c.upper_voltage.si, c.lower_voltage.si]))
    assert x == pytest.approx([c.stoichiometry_at_upper_voltage.si,
                               c.stoichiometry_at_lower_voltage.si], abs=1e-8)
    assert x == pytest.approx([0.3905, 0.9921], abs=2e-5)  # the window, to its rounding
    grid, u = cf.tabulate()
    assert np.interp(x.mean(), grid, u) == pytest.approx(3.2256, abs=2e-5)


def _transition_window(material, reaction_name: str) -> tuple[float, float] | None:
    """(low, high) x of the two-phase regions between the phases a transition reaction names
    (``"O3 -> P3 transition"``), widened by the boundaries' spread; None for a solid solution."""
    names = [n.strip().split(",")[0].split(" ")[0] for n in reaction_name.split("->")]
    if len(names) < 2:
        return None
    pairs = set(zip(names, names[1:], strict=False))
    regions = [p for p in material.phase_map.phases
               if p.kind == "two_phase" and tuple(p.between) in pairs]
    assert regions, f"{reaction_name!r}: no two-phase region between {pairs}"
    low = min(p.x_low.si for p in regions) * (1 - BOUNDARY_SPREAD)
    high = max(p.x_high.si for p in regions) * (1 + BOUNDARY_SPREAD)
    return low, high


@pytest.mark.parametrize("material", sorted(CELLS))
def test_sampled_ocvs_stay_valid(material):
    """64 Latin-hypercube samples of every reaction value over its range."""
    window = load_file(MATERIALS / material).stoichiometry_window
    x_charged, x_discharged = window.charged.si, window.discharged.si
    for m in sampled(material, 64, seed=3):
        cf = m.open_circuit_potential.closed_form
        c = cf.calibration
        offset, factor, shift = cf._solved  # noqa: SLF001
        assert 0.0 <= offset and offset + factor * sum(
            r.occupancy_fraction.si for r in cf.reactions) <= 1.0
        assert cf.stoichiometry(np.array([c.upper_voltage.si, c.lower_voltage.si])) == \
            pytest.approx([c.stoichiometry_at_upper_voltage.si,
                           c.stoichiometry_at_lower_voltage.si], abs=1e-8)
        grid, u = cf.tabulate()
        assert np.all(np.diff(grid) > 0) and np.all(np.diff(u) < 0)  # monotone
        # the window lies inside the isotherm, to the window's rounding (its four digits: the
        # calibration holds x(2.0 V) to the hand solve's 0.99208907, 1e-5 below 0.9921)
        assert grid[0] <= x_charged + WINDOW_ROUNDING and grid[-1] >= x_discharged - WINDOW_ROUNDING
        u0 = [r.standard_potential.si + shift for r in cf.reactions]
        assert np.all(np.diff(u0) > 0.0)  # the reactions keep their order
        for r in cf.reactions:
            span = _transition_window(m, r.name)
            if span is not None:
                centre = float(cf.stoichiometry(np.array([r.standard_potential.si + shift]))[0])
                assert span[0] <= centre <= span[1], (r.name, centre, span)


def test_calibration_errors_name_file_and_field(tmp_path):
    psets = Path(shutil.copytree(REPO / "parameter_sets", tmp_path / "parameter_sets"))
    path = psets / "materials" / "heo.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    cf = data["open_circuit_potential"]["closed_form"]
    cf["calibration"]["midpoint_voltage"]["value"] = 4.19  # beyond any +/-1 V shift's reach
    cf["reactions"][3]["ideality_factor"]["value"] = 0.2
    cf["reactions"][3]["ideality_factor"]["source"] = {"kind": "assumed", "exact": True,
                                                       "reason": "t"}
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    with pytest.raises(ParameterFileError) as info:
        load_file(path)
    text = str(info.value)
    assert "heo.yaml" in text and "open_circuit_potential.closed_form" in text
    assert re.search(r"calibration: .*midpoint_voltage", text)


def test_file_values_meeting_the_calibration_are_kept_exactly():
    """The bundled values meet their calibration to 1e-8: the OCV is bit-for-bit the
    hand-calibrated one the fits used; a changed reaction gets its own solve."""
    cf = load_file(MATERIALS / "heo.yaml").open_circuit_potential.closed_form
    assert cf._solved == (cf.stoichiometry_offset.si, 1.0, 0.0)  # noqa: SLF001
    moved = next(sampled("heo.yaml", 2, seed=5)).open_circuit_potential.closed_form
    assert moved._solved != (moved.stoichiometry_offset.si, 1.0, 0.0)  # noqa: SLF001


@pytest.mark.slow
def test_sampled_ocv_reaches_the_model():
    """The uncertainty worker keeps the OCV inputs (a closed form is a function: before, the
    probe saw no change and dropped them) and runs a shifted shape on a model of its own."""
    from nasim.uncertainty.worker import probe, run_sample

    cell = CELLS["heo.yaml"]
    inputs = ocv_inputs("heo.yaml")
    group, no_effect = probe(REPO / "experiments/heo_half_rate_25C.yaml", cell, "SPMe", None,
                             inputs)
    assert no_effect == [] and len(group.inputs) == 12
    nominal = run_sample(group, 0, tuple(i.nominal for i in group.inputs))
    wide = run_sample(group, 1, tuple(i.high if i.path.endswith("ideality_factor")
                                      else i.nominal for i in group.inputs))
    assert nominal["status"] == wide["status"] == "ok"
    assert not nominal["rebuilt"] and wide["rebuilt"]
    v0 = [r["median_voltage_V"] for r in nominal["rows"]]
    v1 = [r["median_voltage_V"] for r in wide["rows"]]
    assert max(abs(a - b) for a, b in zip(v0, v1, strict=True)) > 1e-3
