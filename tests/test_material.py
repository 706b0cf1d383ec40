"""``nasim material`` (formula -> molar mass, capacity, configurational entropy), unit
conversions to SI, and the values derived from a material file. No simulation is run."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest

from nasim.cli import main
from nasim.params import load_file
from nasim.params.formula import parse_formula
from nasim.params.units import UnitError, to_si

PARAMETER_SETS = Path(__file__).resolve().parents[1] / "parameter_sets"

HEO = "NaNi0.25Fe0.14Mn0.3Li0.1Ti0.15Cu0.03Zn0.03O1.94F0.06"
NFM = "NaNi0.4Fe0.2Mn0.4O2"

FARADAY = 96485.33212  # C/mol (CODATA 2018, exact)
AVOGADRO = 6.02214076e23  # 1/mol (exact)
# IUPAC 2021 conventional standard atomic weights, g/mol (typed here, not imported)
WEIGHTS = {"Na": 22.990, "Ni": 58.693, "Fe": 55.845, "Mn": 54.938, "Li": 6.94, "Ti": 47.867,
           "Cu": 63.546, "Zn": 65.38, "O": 15.999, "F": 18.998}
HEO_AMOUNTS = {"Na": 1, "Ni": 0.25, "Fe": 0.14, "Mn": 0.3, "Li": 0.1, "Ti": 0.15, "Cu": 0.03,
               "Zn": 0.03, "O": 1.94, "F": 0.06}


def heo_molar_mass_g_per_mol() -> float:
    return sum(WEIGHTS[e] * n for e, n in HEO_AMOUNTS.items())


def mixing_entropy(amounts: list[float]) -> float:
    total = sum(amounts)
    return -sum(a / total * math.log(a / total) for a in amounts)


def material_json(capsys, *argv: str) -> dict:
    assert main(["material", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


# ----------------------------------------------------------------------------- nasim material


def test_heo_entropy_and_molar_mass(capsys) -> None:
    out = material_json(capsys, HEO, "--redox", "Ni:2-4,Fe:3-4")
    assert out["configurational_entropy_R"] == pytest.approx(1.843, abs=0.0015)
    assert out["molar_mass_g_per_mol"] == pytest.approx(105.88, abs=0.01)
    assert out["molar_mass_g_per_mol"] == pytest.approx(heo_molar_mass_g_per_mol(), abs=1e-3)
    # TM site (7 cations, sum 1) + anion site (O 1.94, F 0.06), computed here
    tm = [0.25, 0.14, 0.3, 0.1, 0.15, 0.03, 0.03]
    expected = mixing_entropy(tm) + mixing_entropy([1.94, 0.06])
    assert out["configurational_entropy_R"] == pytest.approx(expected, abs=5e-4)
    assert out["sites"]["A"] == {"Na": 1.0}
    assert out["sites"]["anion"] == {"O": 1.94, "F": 0.06}
    assert set(out["sites"]["TM"]) == {"Ni", "Fe", "Mn", "Li", "Ti", "Cu", "Zn"}


def test_nfm_entropy(capsys) -> None:
    out = material_json(capsys, NFM)
    assert out["configurational_entropy_R"] == pytest.approx(1.055, abs=0.0015)
    assert out["configurational_entropy_R"] == pytest.approx(
        mixing_entropy([0.4, 0.2, 0.4]), abs=5e-4
    )
    expected_m = WEIGHTS["Na"] + 0.4 * WEIGHTS["Ni"] + 0.2 * WEIGHTS["Fe"] + 0.4 * WEIGHTS["Mn"] \
        + 2 * WEIGHTS["O"]
    assert out["molar_mass_g_per_mol"] == pytest.approx(expected_m, abs=1e-3)
    assert "redox" not in out


@pytest.mark.parametrize("formula", [HEO, NFM])
def test_capacity_per_na(capsys, formula: str) -> None:
    out = material_json(capsys, formula)
    m = out["molar_mass_g_per_mol"]
    # one electron per formula unit: F C/mol / M g/mol = F/M C/g; 1 mAh = 3.6 C
    assert out["capacity_per_na_mAh_per_g"] == pytest.approx(FARADAY / (3.6 * m), abs=0.006)


def test_heo_capacity_per_na_value(capsys) -> None:
    out = material_json(capsys, HEO)
    expected = FARADAY / (3.6 * heo_molar_mass_g_per_mol())
    assert out["capacity_per_na_mAh_per_g"] == pytest.approx(expected, abs=0.006)
    assert out["capacity_per_na_mAh_per_g"] == pytest.approx(253.1, abs=0.05)


def test_heo_redox_limited_capacity(capsys) -> None:
    out = material_json(capsys, HEO, "--redox", "Ni:2-4,Fe:3-4")
    electrons = 0.25 * (4 - 2) + 0.14 * (4 - 3)
    assert electrons == pytest.approx(0.64)
    assert out["redox_electrons_per_formula_unit"] == pytest.approx(0.64, abs=1e-9)
    per_na = FARADAY / (3.6 * heo_molar_mass_g_per_mol())
    assert out["redox_limited_capacity_mAh_per_g"] == pytest.approx(0.64 * per_na, abs=0.006)
    assert out["redox"] == "Ni:2-4,Fe:3-4"


def test_material_text_output(capsys) -> None:
    assert main(["material", HEO, "--redox", "Ni:2-4,Fe:3-4"]) == 0
    text = capsys.readouterr().out
    assert "105.883 g/mol" in text and "1.843 R" in text and "0.640 e-/f.u." in text


def test_parse_formula_unknown_element() -> None:
    with pytest.raises(ValueError, match=r"unknown element 'Xy'") as info:
        parse_formula("NaXy2O2")
    assert "NaXy2O2" in str(info.value)


def test_cli_material_unknown_element_returns_2(capsys) -> None:
    assert main(["material", "NaXy2O2"]) == 2
    assert "'Xy'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["NaNi0.5Mn0.5O2", "--redox", "Co:3-4"], "'Co'"),
        (["NaNi0.5Mn0.5O2", "--redox", "Ni2-4"], "ELEMENT:FROM-TO"),
        (["NaNi0.5Mn0.5O2?"], "cannot parse"),
    ],
)
def test_cli_material_bad_input_returns_2(capsys, argv: list[str], fragment: str) -> None:
    assert main(["material", *argv]) == 2
    assert fragment in capsys.readouterr().err


def test_nvpf_parentheses(capsys) -> None:
    """The bundled Chayambuka cathode Na3V2(PO4)2F3: 3 Na + 2 V + 2 P + 8 O + 3 F."""
    out = material_json(capsys, "Na3V2(PO4)2F3")
    w = {"Na": 22.990, "V": 50.942, "P": 30.974, "O": 15.999, "F": 18.998}
    expected = 3 * w["Na"] + 2 * w["V"] + 2 * w["P"] + 8 * w["O"] + 3 * w["F"]
    assert out["molar_mass_g_per_mol"] == pytest.approx(expected, abs=0.005)
    assert out["molar_mass_g_per_mol"] == pytest.approx(417.8, abs=0.05)
    assert out["sites"]["TM"] == {"V": 2.0} and out["sites"]["anion"] == {"F": 3.0}
    assert out["sites"]["polyanion"] == {"P": 2.0, "O": 8.0}
    assert out["configurational_entropy_R"] == 0.0


@pytest.mark.parametrize(("formula", "tm", "polyanion"), [
    ("NaFePO4", {"Fe": 1.0}, {"P": 1.0, "O": 4.0}),
    ("Na2Fe2(SO4)3", {"Fe": 2.0}, {"S": 3.0, "O": 12.0}),
    ("Na2FeSiO4", {"Fe": 1.0}, {"Si": 1.0, "O": 4.0}),
    ("Na3Fe(BO3)2", {"Fe": 1.0}, {"B": 2.0, "O": 6.0}),
])
def test_polyanion_centres_are_not_transition_metals(capsys, formula, tm, polyanion) -> None:
    out = material_json(capsys, formula)
    assert out["sites"]["TM"] == tm
    assert out["sites"]["polyanion"] == polyanion
    assert out["configurational_entropy_R"] == 0.0  # one TM, one centre, no mixed anions


def test_mixed_polyanion_centres_count() -> None:
    comp = parse_formula("Na2Fe(PO4)0.5(SO4)0.5")
    assert comp.configurational_entropy_R() == pytest.approx(mixing_entropy([0.5, 0.5]))


def test_every_element_is_known(capsys) -> None:
    out = material_json(capsys, "NaY0.1Mn0.9O2")
    expected = WEIGHTS["Na"] + 0.1 * 88.906 + 0.9 * WEIGHTS["Mn"] + 2 * WEIGHTS["O"]
    assert out["molar_mass_g_per_mol"] == pytest.approx(expected, abs=2e-3)
    assert out["sites"]["TM"] == {"Y": 0.1, "Mn": 0.9}


def test_redox_beyond_the_na_content_exits_2(capsys) -> None:
    """Ni2+ -> Ni5+ on 0.5 Ni is 1.5 e-/f.u.; NaNi0.5Mn0.5O2 holds 1 Na per formula unit."""
    assert main(["material", "NaNi0.5Mn0.5O2", "--redox", "Ni:2-5"]) == 2
    err = capsys.readouterr().err
    assert "Na content" in err and "1.5 e-/f.u." in err and "at most 1 e-/f.u." in err
    out = material_json(capsys, "NaNi0.5Mn0.5O2", "--redox", "Ni:2-4")  # exactly 1 Na
    assert out["redox_electrons_per_formula_unit"] == pytest.approx(1.0)


@pytest.mark.parametrize("formula", ["NaD2O", "Na2O@2.2", "NaCl//H2O", "Na(PO4", "Na0O2"])
def test_formula_only_elements_amounts_and_parentheses(formula) -> None:
    with pytest.raises(ValueError, match=re.escape(repr(formula))):
        parse_formula(formula)


# ----------------------------------------------------------------------------- units


@pytest.mark.parametrize(
    ("value", "unit", "dimension", "si"),
    [
        (2.5, "mg/cm2", "areal_mass", 0.025),
        (25, "degC", "temperature", 298.15),
        (8, "mS/cm", "conductivity", 0.8),
        (1e-10, "cm2/s", "diffusivity", 1e-14),
        (150, "mAh/g", "specific_capacity", 540000.0),
        (260, "um", "length", 260e-6),
        (2.97, "angstrom", "length", 2.97e-10),
        (1, "mol/L", "concentration", 1000.0),
        (30, "kJ/mol", "molar_energy", 30000.0),
        (40, "%", "dimensionless", 0.4),
        (1.131, "cm2", "area", 1.131e-4),
    ],
)
def test_to_si(value, unit: str, dimension: str, si: float) -> None:
    assert to_si(value, unit, dimension) == pytest.approx(si, rel=1e-12)


def test_to_si_unknown_unit_lists_examples() -> None:
    with pytest.raises(UnitError) as info:
        to_si(1.0, "mg/xyz2", "areal_mass")
    text = str(info.value)
    assert "'mg/xyz2'" in text and "areal_mass" in text and "SI kg/m2" in text
    for example in ("'kg/m2'", "'mg/cm2'", "'g/m2'"):
        assert example in text
    assert isinstance(info.value, ValueError)


def test_to_si_unit_of_other_dimension() -> None:
    with pytest.raises(UnitError, match=r"'mg/cm2' is a \[mass\] / \[length\] \*\* 2, not the "
                                        r"expected \[length\], for a length.*'um'"):
        to_si(5.0, "mg/cm2", "length")


@pytest.mark.parametrize(("dimension", "spellings", "si"), [
    ("areal_mass", ["mg/cm2", "mg/cm^2", "mg/cm**2", "mg cm-2", "mg*cm^-2",
                    "milligram/centimeter^2"], 0.01),
    ("diffusivity", ["m2/s", "m^2/s", "m**2/s", "m^2 s^-1"], 1.0),
    ("diffusivity", ["cm2/s", "cm^2/s"], 1e-4),
    ("specific_capacity", ["mAh/g", "mA*h/g", "mAh g-1", "Ah/kg"], 3600.0),
    ("conductivity", ["mS/cm", "mS cm-1", "mS/cm^1"], 0.1),
    ("resistance", ["Ohm", "ohm", "Ω"], 1.0),
    ("temperature", ["degC", "°C", "celsius"], 274.15),
    ("concentration", ["mol/L", "M", "mol/dm3", "mol/dm^3", "kmol/m3"], 1000.0),
])
def test_every_spelling_of_a_unit_is_accepted(dimension, spellings, si) -> None:
    for unit in spellings:
        assert to_si(1.0, unit, dimension) == si, unit


def test_si_values_of_the_listed_spellings_are_exact() -> None:
    """The conversion factors equal the short decimals of the former spelling table (pint's
    float noise, e.g. 1 L = 1.0000000000000002e-3 m3, is rounded off; 1/60 stays 1/60)."""
    assert to_si(1.0, "L", "volume") == 1e-3
    assert to_si(2.5, "g/cm3", "density") == 2500.0
    assert to_si(1.0, "1/min", "inverse_time") == 1.0 / 60.0
    assert to_si(1.0, "1/h", "inverse_time") == 1.0 / 3600.0
    assert to_si(1.0, "eV", "molar_energy") == pytest.approx(FARADAY, rel=1e-10)  # e N_A


# ----------------------------------------------------------------------------- derived values


@pytest.fixture(scope="module")
def heo_material():
    return load_file(PARAMETER_SETS / "materials" / "heo.yaml")


def test_heo_crystal_density(heo_material) -> None:
    a, c, z = 2.97e-10, 16.2e-10, 3
    m = heo_molar_mass_g_per_mol() * 1e-3
    expected = m / (AVOGADRO * math.sqrt(3) / 2 * a**2 * c / z)
    assert heo_material.lattice.a.si == pytest.approx(a, rel=1e-12)
    assert heo_material.lattice.c.si == pytest.approx(c, rel=1e-12)
    # periodictable's atomic weights differ from the IUPAC 2021 conventional values typed
    # above by < 5e-4 g/mol per element (e.g. Na 22.98977 vs 22.990)
    assert heo_material.molar_mass_kg_per_mol() == pytest.approx(m, rel=1e-5)
    assert heo_material.density_kg_per_m3() == pytest.approx(expected, rel=1e-5)
    assert 4000 < expected < 5000  # a plausible layered-oxide density


def test_heo_maximum_concentration(heo_material) -> None:
    rho = heo_material.density_kg_per_m3()
    m = heo_molar_mass_g_per_mol() * 1e-3
    assert heo_material.maximum_concentration_mol_per_m3() == pytest.approx(rho / m, rel=1e-5)
    # so the full-range specific capacity is F/M, i.e. the capacity per Na
    q = heo_material.specific_capacity_full_range_C_per_kg() / 3600.0
    assert q == pytest.approx(FARADAY / (3.6 * m * 1e3), rel=1e-5)
