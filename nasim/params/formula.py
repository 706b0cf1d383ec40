"""Chemical formulas of layered oxides: molar mass, capacity, configurational entropy.

Standard atomic weights: IUPAC Commission on Isotopic Abundances and Atomic Weights,
"Standard atomic weights of the elements 2021", Pure Appl. Chem. 2022 (conventional values).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from nasim.params.constants import FARADAY

ATOMIC_WEIGHT_G_PER_MOL = {
    "H": 1.008, "Li": 6.94, "B": 10.81, "C": 12.011, "N": 14.007, "O": 15.999, "F": 18.998,
    "Na": 22.990, "Mg": 24.305, "Al": 26.982, "Si": 28.085, "P": 30.974, "S": 32.06,
    "Cl": 35.45, "K": 39.098, "Ca": 40.078, "Ti": 47.867, "V": 50.942, "Cr": 51.996,
    "Mn": 54.938, "Fe": 55.845, "Co": 58.933, "Ni": 58.693, "Cu": 63.546, "Zn": 65.38,
    "Zr": 91.224, "Nb": 92.906, "Mo": 95.95, "Sn": 118.71, "Sb": 121.76, "W": 183.84,
}
ANIONS = ("O", "F", "S", "Cl", "N")
ALKALI = ("Na", "Li", "K")

_TOKEN = re.compile(r"([A-Z][a-z]?)(\d*\.?\d*)")


@dataclass(frozen=True)
class Composition:
    """Element amounts per formula unit; the first element is the alkali (A) site when it is
    Na, Li or K, anions (O, F, S, Cl, N) form the anion site and every other element the
    transition-metal (TM) site."""

    formula: str
    amounts: dict[str, float]

    @property
    def molar_mass_g_per_mol(self) -> float:
        return sum(ATOMIC_WEIGHT_G_PER_MOL[e] * n for e, n in self.amounts.items())

    @property
    def alkali_site(self) -> str | None:
        first = next(iter(self.amounts))
        return first if first in ALKALI else None

    def sites(self) -> dict[str, dict[str, float]]:
        a_site = self.alkali_site
        sites: dict[str, dict[str, float]] = {"A": {}, "TM": {}, "anion": {}}
        for e, n in self.amounts.items():
            key = "A" if e == a_site else ("anion" if e in ANIONS else "TM")
            sites[key][e] = n
        return sites

    def configurational_entropy_R(self) -> float:
        """-sum x ln x over the TM site and over the anion site (site fractions), in units of R.

        The A site is taken as singly occupied. This is the convention of the HEO paper
        (1.843 R for the HEO, 1.055 R for NaNi0.4Fe0.2Mn0.4O2).
        """
        total = 0.0
        sites = self.sites()
        for site in ("TM", "anion"):
            occ = sites[site]
            n = sum(occ.values())
            total -= sum((v / n) * math.log(v / n) for v in occ.values() if v > 0)
        return total

    def capacity_per_na_mAh_per_g(self) -> float:
        """Charge of one Na (one electron) per formula unit, per gram: F / (3.6 M)."""
        return FARADAY / (3.6 * self.molar_mass_g_per_mol)

    def redox_capacity(self, changes: dict[str, tuple[float, float]]) -> tuple[float, float]:
        """Electrons per formula unit and mAh/g for oxidation-state changes {el: (from, to)}."""
        electrons = 0.0
        for element, (start, end) in changes.items():
            if element not in self.amounts:
                raise ValueError(f"element {element!r} is not in {self.formula}")
            electrons += self.amounts[element] * abs(end - start)
        return electrons, electrons * self.capacity_per_na_mAh_per_g()


def parse_formula(formula: str) -> Composition:
    """Parse e.g. 'NaNi0.25Fe0.14Mn0.3Li0.1Ti0.15Cu0.03Zn0.03O1.94F0.06'."""
    text = formula.replace(" ", "")
    pos, amounts = 0, {}
    for m in _TOKEN.finditer(text):
        if m.start() != pos or not m.group(0):
            break
        element, count = m.group(1), m.group(2)
        if element not in ATOMIC_WEIGHT_G_PER_MOL:
            raise ValueError(f"formula {formula!r}: unknown element {element!r}")
        try:
            n = float(count) if count else 1.0
        except ValueError:
            raise ValueError(f"formula {formula!r}: bad amount {count!r} for {element}") from None
        amounts[element] = amounts.get(element, 0.0) + n
        pos = m.end()
    if pos != len(text) or not amounts:
        raise ValueError(f"formula {formula!r}: cannot parse from position {pos} ({text[pos:]!r})")
    return Composition(formula, amounts)


def parse_redox(spec: str) -> dict[str, tuple[float, float]]:
    """Parse 'Ni:2-4,Fe:3-4' into {'Ni': (2, 4), 'Fe': (3, 4)}."""
    changes = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        try:
            element, states = part.split(":")
            start, end = states.split("-")
            changes[element.strip()] = (float(start), float(end))
        except ValueError:
            raise ValueError(
                f"redox spec {part!r}: expected ELEMENT:FROM-TO, e.g. Ni:2-4"
            ) from None
    return changes
