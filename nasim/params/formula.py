"""Chemical formulas of cathode materials: molar mass, capacity, configurational entropy.

Parsing and atomic weights come from `periodictable` (maintained; every element, parentheses,
fractional amounts): ``Na3V2(PO4)2F3``, ``NaNi0.25Fe0.14Mn0.3Li0.1Ti0.15Cu0.03Zn0.03O1.94F0.06``.
Only element symbols, amounts and parentheses are accepted (no isotopes, charges, densities or
mixtures, which `periodictable` would otherwise read).

Sites, used for the configurational entropy (HEO paper convention):

- **A** — the first element when it is an alkali (Na, Li, K), taken as singly occupied;
- **polyanion** — in a formula with oxygen and a central atom of XOn groups (B, C, Si,
  P, S, As, Se, Ge, N): those atoms and all the oxygen (PO4, SO4, P2O7 ... are not mixing sites);
- **anion** — O, F, Cl, Br, I (and S, Se, N in a formula without oxygen) not in polyanions, e.g.
  the F of Na3V2(PO4)2F3 (a bridging O/F mix such as ...F2O is then not counted);
- **TM** — every other element (Li in the TM layer counts here, as in the HEO).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

from nasim.params.constants import FARADAY

ALKALI = ("Na", "Li", "K")
ANIONS = ("O", "F", "Cl", "Br", "I")
# anions only where the formula has no oxygen (sulfides, selenides, nitrides)
ANIONS_WITHOUT_OXYGEN = ("S", "Se", "N")
# central atoms of oxo-anion groups (PO4, SO4, SiO4, BO3, CO3, AsO4, SeO4, GeO4, NO3)
POLYANION_FORMERS = ("B", "C", "Si", "P", "S", "As", "Se", "Ge", "N")
SITES = ("A", "TM", "polyanion", "anion")

_ALLOWED = re.compile(r"[A-Za-z0-9.()]+")


@dataclass(frozen=True)
class Composition:
    """Element amounts per formula unit (in order of first appearance), the molar mass and each
    element's site (see the module docstring)."""

    formula: str
    amounts: dict[str, float]
    molar_mass_g_per_mol: float
    site_amounts: dict[str, dict[str, float]]

    @property
    def alkali_site(self) -> str | None:
        first = next(iter(self.amounts))
        return first if first in ALKALI else None

    @property
    def alkali_content(self) -> float:
        """Alkali (Na) per formula unit on the A site; 0 for an alkali-free host."""
        a_site = self.alkali_site
        return self.amounts[a_site] if a_site else 0.0

    def sites(self) -> dict[str, dict[str, float]]:
        return {site: dict(occ) for site, occ in self.site_amounts.items()}

    def configurational_entropy_R(self) -> float:
        """-sum x ln x of the site fractions over the TM, polyanion-centre and anion sites, in
        units of R. The A site is taken as singly occupied; a polyanion group's own oxygen is
        bound to its centre, not a mixing site. This is the convention of the HEO paper (1.843 R
        for the HEO, 1.055 R for NaNi0.4Fe0.2Mn0.4O2)."""
        sites = self.site_amounts
        centres = {e: n for e, n in sites["polyanion"].items() if e in POLYANION_FORMERS}
        return sum(_mixing(occ) for occ in (sites["TM"], centres, sites["anion"]))

    def capacity_per_na_mAh_per_g(self) -> float:
        """Charge of one Na (one electron) per formula unit, per gram: F / (3.6 M)."""
        return FARADAY / (3.6 * self.molar_mass_g_per_mol)

    def redox_capacity(self, changes: dict[str, tuple[float, float]]) -> tuple[float, float]:
        """Electrons per formula unit and mAh/g for oxidation-state changes {el: (from, to)}.

        Raises ValueError when the electrons exceed the formula's Na (alkali) content: each
        electron moves one Na, so a formula cannot give more than it holds."""
        electrons = 0.0
        for element, (start, end) in changes.items():
            if element not in self.amounts:
                raise ValueError(f"element {element!r} is not in {self.formula}")
            electrons += self.amounts[element] * abs(end - start)
        alkali = self.alkali_site
        if alkali is not None and electrons > self.alkali_content + 1e-12:
            spec = ",".join(f"{e}:{a:g}-{b:g}" for e, (a, b) in changes.items())
            raise ValueError(
                f"redox {spec} gives {electrons:g} e-/f.u., more than the {alkali} content of "
                f"{self.formula} ({self.alkali_content:g} per formula unit): each electron moves "
                f"one {alkali}, so at most {self.alkali_content:g} e-/f.u. "
                f"({self.alkali_content * self.capacity_per_na_mAh_per_g():.2f} mAh/g)"
            )
        return electrons, electrons * self.capacity_per_na_mAh_per_g()


def _mixing(occupancy: dict[str, float]) -> float:
    n = sum(occupancy.values())
    return -sum((v / n) * math.log(v / n) for v in occupancy.values() if v > 0)


def _element(atom, formula: str) -> str:
    if hasattr(atom, "isotope") or getattr(atom, "charge", 0):
        raise ValueError(f"formula {formula!r}: {atom} is an isotope or ion; only elements "
                         "are accepted")
    return atom.symbol


@lru_cache(maxsize=256)
def parse_formula(formula: str) -> Composition:
    """Parse e.g. ``Na3V2(PO4)2F3`` or ``NaNi0.25Fe0.14Mn0.3Li0.1Ti0.15Cu0.03Zn0.03O1.94F0.06``
    (once per formula in a process: a material's molar mass and density ask again)."""
    from periodictable import formula as pt_formula
    from pyparsing import ParseBaseException

    text = formula.replace(" ", "")
    bad = _ALLOWED.sub("", text)
    if bad or not text:
        pos = next((i for i, ch in enumerate(text) if not _ALLOWED.fullmatch(ch)), 0)
        raise ValueError(f"formula {formula!r}: cannot parse from position {pos} "
                         f"({text[pos:]!r}); expected element symbols, amounts and parentheses")
    try:
        parsed = pt_formula(text)
    except ParseBaseException as exc:
        raise ValueError(f"formula {formula!r}: cannot parse from position {exc.loc} "
                         f"({text[exc.loc:]!r})") from None
    except ValueError as exc:  # periodictable: "unknown element Xy"
        element = str(exc).removeprefix("unknown element ").strip()
        raise ValueError(f"formula {formula!r}: unknown element {element!r}") from None
    amounts = {_element(atom, formula): float(n) for atom, n in parsed.atoms.items()}
    if not amounts or any(n <= 0 for n in amounts.values()):
        raise ValueError(f"formula {formula!r}: every element needs an amount > 0")
    polyanion = "O" in amounts and any(e in POLYANION_FORMERS for e in amounts)
    sites: dict[str, dict[str, float]] = {s: {} for s in SITES}
    a_site = next(iter(amounts)) if next(iter(amounts)) in ALKALI else None
    for element, n in amounts.items():
        if element == a_site:
            site = "A"
        elif polyanion and (element in POLYANION_FORMERS or element == "O"):
            site = "polyanion"
        elif element in ANIONS or ("O" not in amounts and element in ANIONS_WITHOUT_OXYGEN):
            site = "anion"
        else:
            site = "TM"
        sites[site][element] = n
    return Composition(formula, amounts, float(parsed.mass), sites)


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
