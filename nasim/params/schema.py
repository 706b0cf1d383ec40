"""The single schema of nasim parameter files (pydantic v2).

Three kinds of file: materials (``active_material`` for cathodes and anodes, ``metal_electrode``
for a Na-metal counter electrode), ``electrolyte``, and ``cell`` (which composes them with an
electrode design). Every number is a :class:`~nasim.params.quantities.Quantity` (value, unit,
source) or a :class:`~nasim.params.quantities.StateFunction`. Values nasim computes from others
(molar mass, crystal density, maximum concentration, electrode volume fractions, anode loading
from the N/P ratio ...) are exposed as ``derived_*`` methods with a ``derived`` source.
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import Field, model_validator

from nasim.params.formula import parse_formula
from nasim.params.quantities import FARADAY, Arrhenius, Q, StateFn, StateFunction
from nasim.params.strict import Strict

AVOGADRO = 6.02214076e23

Dimensionless = Q("dimensionless")
Fraction01 = Q("dimensionless", ge=0.0, le=1.0)
OpenFraction = Q("dimensionless", gt=0.0, lt=1.0)
PositiveLength = Q("length", gt=0.0)

_PARTICLE_X = ("stoichiometry", "particle_concentration")
_ELECTROLYTE_X = ("electrolyte_concentration",)


class Lattice(Strict):
    """Hexagonal lattice parameters (R-3m setting) of the pristine material."""

    a: PositiveLength
    c: PositiveLength
    formula_units_per_cell: int = Field(gt=0)

    def cell_volume_m3(self) -> float:
        return math.sqrt(3.0) / 2.0 * self.a.si**2 * self.c.si

    def volume_per_formula_unit_m3(self) -> float:
        return self.cell_volume_m3() / self.formula_units_per_cell


class StoichiometryWindow(Strict):
    """The practical Na window: stoichiometry (c/c_max) at the charged and discharged ends."""

    charged: Fraction01
    discharged: Fraction01


class Phase(Strict):
    """One entry of a phase map over the Na content x of Na_xTMO2.

    ``solid_solution``: a single phase over ``x_range``, with its unit-cell volume per formula
    unit at the high-x and low-x ends (linear in between). ``two_phase``: coexistence of the
    neighbouring single phases over ``x_range`` (lever rule); ``between`` names them.
    """

    name: str
    kind: Literal["solid_solution", "two_phase"]
    x_high: Fraction01
    x_low: Fraction01
    volume_at_x_high: Q("volume_per_formula_unit", gt=0.0) | None = None
    volume_at_x_low: Q("volume_per_formula_unit", gt=0.0) | None = None
    between: tuple[str, str] | None = None

    @model_validator(mode="after")
    def _complete(self) -> Phase:
        if not self.x_low.si < self.x_high.si:
            raise ValueError(f"x_low ({self.x_low.si:g}) must be below x_high ({self.x_high.si:g})")
        if self.kind == "solid_solution" and (self.volume_at_x_high is None
                                              or self.volume_at_x_low is None):
            raise ValueError("a solid_solution phase needs volume_at_x_high and volume_at_x_low")
        if self.kind == "two_phase" and self.between is None:
            raise ValueError("a two_phase region needs 'between: [high-x phase, low-x phase]'")
        return self


class PhaseMap(Strict):
    """Ordered phases from high to low Na content; entries must tile x without gaps."""

    phases: list[Phase] = Field(min_length=1)

    @model_validator(mode="after")
    def _tiled(self) -> PhaseMap:
        for upper, lower in zip(self.phases, self.phases[1:], strict=False):
            if abs(upper.x_low.si - lower.x_high.si) > 1e-9:
                raise ValueError(f"phases {upper.name!r} and {lower.name!r} do not meet: "
                                 f"x_low {upper.x_low.si:g} != x_high {lower.x_high.si:g}")
        names = [p.name for p in self.phases if p.kind == "solid_solution"]
        for i, p in enumerate(self.phases):
            if p.kind == "two_phase":
                ok = (0 < i < len(self.phases) - 1
                      and (self.phases[i - 1].name, self.phases[i + 1].name) == tuple(p.between))
                if not ok:
                    raise ValueError(f"two-phase region {p.name!r}: 'between' must name the "
                                     f"single phases on either side, in order ({names})")
        return self

    def single_phases(self) -> list[Phase]:
        return [p for p in self.phases if p.kind == "solid_solution"]


class Mechanics(Strict):
    """Elastic constants of the active particles, for the diffusion-induced stress of PyBaMM's
    "particle mechanics" ("swelling only"). The partial molar volume of Na is not given here:
    it is derived from the phase map's unit-cell volumes (see nasim.physics.aging)."""

    youngs_modulus: Q("pressure", gt=0.0)
    poissons_ratio: Q("dimensionless", gt=0.0, lt=0.5)
    critical_stress: Q("pressure", gt=0.0)


class CathodeDegradation(Strict):
    """Rate laws of the cathode's loss of active material (LAM), eps_s = active volume fraction:

    - lattice strain of the phase path (PyBaMM's stress-driven LAM):
      d eps_s/dt = -strain_loss_rate (sigma_h,tensile / critical_stress)^strain_loss_exponent;
    - transition-metal dissolution / side reactions, activated by potential and temperature:
      d eps_s/dt = -dissolution_rate eps_s exp((U - U_ref) / potential_scale) x Arrhenius(T).
    """

    strain_loss_rate: Q("inverse_time", ge=0.0)
    strain_loss_exponent: Q("dimensionless", gt=0.0)
    dissolution_rate: Q("inverse_time", ge=0.0)
    dissolution_reference_potential: Q("voltage", gt=0.0)
    dissolution_potential_scale: Q("voltage", gt=0.0)
    dissolution_arrhenius: Arrhenius


class SEIGrowth(Strict):
    """Reaction-limited growth of the anode's solid-electrolyte interphase (PyBaMM's
    "SEI": "reaction limited"): it consumes cyclable Na in a full cell."""

    exchange_current_density: Q("current_density", ge=0.0)
    open_circuit_potential: Q("voltage")
    partial_molar_volume: Q("molar_volume", gt=0.0)
    resistivity: Q("resistivity", ge=0.0)
    initial_thickness: PositiveLength
    sodium_per_sei_formula_unit: Q("dimensionless", gt=0.0)
    arrhenius: Arrhenius


class ActiveMaterial(Strict):
    """An intercalation material (cathode or anode)."""

    kind: Literal["active_material"]
    name: str
    role: Literal["cathode", "anode"]
    description: str = ""
    formula: str | None = None
    lattice: Lattice | None = None
    density: Q("density", gt=0.0) | None = None
    reversible_capacity: Q("specific_capacity", gt=0.0) | None = None
    maximum_concentration: Q("concentration", gt=0.0) | None = None
    stoichiometry_window: StoichiometryWindow
    particle_radius: PositiveLength
    open_circuit_potential: StateFn("voltage", allowed_x=("stoichiometry",))
    entropic_change: Q("voltage_per_temperature")
    diffusivity: StateFn("diffusivity", positive=True, allowed_x=_PARTICLE_X)
    rate_constant: StateFn("rate_constant", positive=True, allowed_x=_PARTICLE_X)
    charge_transfer_coefficient: OpenFraction
    phase_map: PhaseMap | None = None
    #: heat capacity per active mass (lumped thermal runs only)
    specific_heat_capacity: Q("specific_heat_capacity", gt=0.0) | None = None
    #: anodes: Na released on the first desodiation / Na taken on the first sodiation (half
    #: cell). A full cell loses (1 - ICE) x its first-charge capacity from its Na inventory
    #: (see nasim.params.inventory). None: no first-cycle loss.
    first_cycle_coulombic_efficiency: Q("dimensionless", gt=0.0, le=1.0) | None = None
    #: aging (options of the cell models, see nasim.physics.aging)
    mechanics: Mechanics | None = None
    degradation: CathodeDegradation | None = None
    sei: SEIGrowth | None = None

    @model_validator(mode="after")
    def _consistent(self) -> ActiveMaterial:
        if self.density is None and self.lattice is None:
            raise ValueError("give 'density' or 'lattice' (from which the density is derived)")
        if self.lattice is not None and self.formula is None:
            raise ValueError("'lattice' needs 'formula' to derive the crystal density")
        if self.maximum_concentration is None and self.formula is None:
            if self.reversible_capacity is None:
                raise ValueError(
                    "give 'maximum_concentration', or 'formula', or 'reversible_capacity' "
                    "(from which the maximum concentration is derived)"
                )
        if self.formula is not None:
            parse_formula(self.formula)  # raises a clear error on a malformed formula
        w = self.stoichiometry_window
        lo, hi = w.charged.si, w.discharged.si
        if self.role == "cathode" and not lo < hi:
            raise ValueError(
                f"stoichiometry_window inverted for a cathode: charged ({lo:g}) must be below "
                f"discharged ({hi:g}); a cathode gives up Na on charge"
            )
        if self.role == "anode" and not lo > hi:
            raise ValueError(
                f"stoichiometry_window inverted for an anode: charged ({lo:g}) must be above "
                f"discharged ({hi:g}); an anode takes up Na on charge"
            )
        return self

    # -- derived values: (value in SI, source description) ---------------------------------
    def molar_mass_kg_per_mol(self) -> float | None:
        if self.formula is None:
            return None
        return parse_formula(self.formula).molar_mass_g_per_mol * 1e-3

    def density_kg_per_m3(self) -> float:
        if self.density is not None:
            return self.density.si
        return self.molar_mass_kg_per_mol() / (self.lattice.volume_per_formula_unit_m3() * AVOGADRO)

    def maximum_concentration_mol_per_m3(self) -> float:
        """c_max: given, or ρ/M (one Na per formula unit), or q_rev·ρ/F (anode)."""
        if self.maximum_concentration is not None:
            return self.maximum_concentration.si
        if self.formula is not None:
            return self.density_kg_per_m3() / self.molar_mass_kg_per_mol()
        return self.reversible_capacity.si * self.density_kg_per_m3() / FARADAY

    def specific_capacity_full_range_C_per_kg(self) -> float:
        """Charge per active mass for the stoichiometry range 0..1."""
        return self.maximum_concentration_mol_per_m3() * FARADAY / self.density_kg_per_m3()

    def window_specific_capacity_C_per_kg(self) -> float:
        """Charge per active mass in the practical stoichiometry window."""
        w = self.stoichiometry_window
        return abs(w.discharged.si - w.charged.si) * self.specific_capacity_full_range_C_per_kg()

    def derived_values(self) -> list[tuple[str, float, str, str]]:
        """(name, SI value, SI unit, how) for the values nasim computes."""
        rows = []
        if self.formula is not None:
            rows.append(("molar_mass", self.molar_mass_kg_per_mol(), "kg/mol",
                         f"sum of IUPAC 2021 standard atomic weights over {self.formula}"))
        if self.density is None:
            rows.append(("density", self.density_kg_per_m3(), "kg/m3",
                         "M / (N_A * V_cell / Z), V_cell = sqrt(3)/2 a^2 c (hexagonal)"))
        if self.maximum_concentration is None:
            how = ("rho / M (one Na per formula unit at stoichiometry 1)" if self.formula
                   else "q_rev * rho / F (reversible capacity spans stoichiometry 0..1)")
            rows.append(("maximum_concentration", self.maximum_concentration_mol_per_m3(),
                         "mol/m3", how))
        rows.append(("specific_capacity_full_range", self.specific_capacity_full_range_C_per_kg()
                     / 3600.0, "mAh/g", "c_max F / rho"))
        rows.append(("window_specific_capacity", self.window_specific_capacity_C_per_kg() / 3600.0,
                     "mAh/g", "|x_discharged - x_charged| c_max F / rho"))
        return rows


class MetalElectrode(Strict):
    """A metal counter/reference electrode (Na metal in half cells)."""

    kind: Literal["metal_electrode"]
    name: str
    description: str = ""
    molar_volume: Q("molar_volume", gt=0.0)
    exchange_current_density: StateFn(
        "current_density", positive=True, allowed_x=_ELECTROLYTE_X
    )
    electronic_conductivity: Q("conductivity", gt=0.0)
    #: heat capacity per mass of the foil (lumped thermal runs only)
    specific_heat_capacity: Q("specific_heat_capacity", gt=0.0) | None = None


class Electrolyte(Strict):
    """A liquid electrolyte; ``concentration`` is the initial (and reference) salt concentration."""

    kind: Literal["electrolyte"]
    name: str
    description: str = ""
    concentration: Q("concentration", gt=0.0)
    transference_number: OpenFraction
    thermodynamic_factor: Q("dimensionless", gt=0.0)
    diffusivity: StateFn("diffusivity", positive=True, allowed_x=_ELECTROLYTE_X)
    conductivity: StateFn("conductivity", positive=True, allowed_x=_ELECTROLYTE_X)
    #: mass density of the solution (mass budget; lumped thermal runs)
    density: Q("density", gt=0.0) | None = None
    #: heat capacity per mass of the solution (lumped thermal runs only)
    specific_heat_capacity: Q("specific_heat_capacity", gt=0.0) | None = None


class ElectrodeDesign(Strict):
    """A porous composite electrode: a material file and how it is made.

    ``thickness`` may be omitted: it is then derived from the loading, the mass fractions, the
    component densities and the porosity. When given, the active volume fraction is
    loading / (rho_active * thickness) and must fit beside the porosity.
    """

    material: str
    loading: Q("areal_mass", gt=0.0) | None = None
    thickness: PositiveLength | None = None
    porosity: OpenFraction
    active_mass_fraction: Q("dimensionless", gt=0.0, le=1.0)
    binder_mass_fraction: Fraction01
    carbon_mass_fraction: Fraction01
    binder_density: Q("density", gt=0.0)
    carbon_density: Q("density", gt=0.0)
    particle_radius: PositiveLength | None = None
    electronic_conductivity: Q("conductivity", gt=0.0)
    bruggeman_electrolyte: Q("dimensionless", ge=0.0)
    bruggeman_electrode: Q("dimensionless", ge=0.0)

    @model_validator(mode="after")
    def _fractions(self) -> ElectrodeDesign:
        total = (self.active_mass_fraction.si + self.binder_mass_fraction.si
                 + self.carbon_mass_fraction.si)
        if abs(total - 1.0) > 1e-6:
            raise ValueError(
                f"active_mass_fraction + binder_mass_fraction + carbon_mass_fraction = {total:g}; "
                "expected 1"
            )
        return self


class CounterElectrodeDesign(Strict):
    material: str
    thickness: PositiveLength


class Separator(Strict):
    name: str
    thickness: PositiveLength
    porosity: OpenFraction
    bruggeman_electrolyte: Q("dimensionless", ge=0.0)
    #: skeletal density of the separator material (mass = (1 - porosity) L A rho)
    density: Q("density", gt=0.0) | None = None


class CurrentCollector(Strict):
    """A metal foil under one electrode (Al for both electrodes of a Na-ion cell): its mass and
    volume in the budget, and (lumped thermal runs) its through-plane Ohmic heat
    i^2 L / sigma."""

    material: str
    thickness: PositiveLength
    density: Q("density", gt=0.0)
    #: lumped thermal runs only
    electronic_conductivity: Q("conductivity", gt=0.0) | None = None


class CurrentCollectors(Strict):
    """The current collectors of the stack repeat unit.

    ``coated_sides: 1`` (a single-layer cell, e.g. a coin cell): each electrode layer has a
    whole foil. ``coated_sides: 2`` (a double-sided stack): each foil carries two coatings, so
    the repeat unit (one cathode layer, one separator, one anode layer) holds half of each
    foil. ``anode`` may be left out for a Na-metal counter electrode pressed on the spacer.
    """

    coated_sides: Literal[1, 2] = 1
    cathode: CurrentCollector
    anode: CurrentCollector | None = None


class ElectrolyteFill(Strict):
    """Electrolyte volume = excess_factor x pore volume of electrodes and separator."""

    excess_factor: Q("dimensionless", ge=1.0)


class HousingPart(Strict):
    """One part of a cell's housing (can, cap, spacer, spring, gasket ...): its mass (budget)
    and its specific heat capacity (lumped thermal runs only)."""

    name: str
    mass: Q("mass", gt=0.0)
    specific_heat_capacity: Q("specific_heat_capacity", gt=0.0) | None = None


class CellFormat(Strict):
    """The cell's format and packaging.

    Mass: ``housing_parts`` (the parts of a coin or cylindrical housing, each with its mass;
    the packaging mass is their sum) or ``mass_overhead_fraction`` (pouch: packaging mass /
    stack mass). Volume: ``external_volume`` (the whole cell's envelope, e.g. a CR2032's
    20 mm x 3.2 mm) or ``volume_overhead_fraction`` (packaging volume / stack volume).
    """

    type: Literal["coin", "pouch", "cylindrical"]
    name: str = ""
    housing_parts: list[HousingPart] | None = Field(default=None, min_length=1)
    mass_overhead_fraction: Q("dimensionless", ge=0.0) | None = None
    external_volume: Q("volume", gt=0.0) | None = None
    volume_overhead_fraction: Q("dimensionless", ge=0.0) | None = None

    @model_validator(mode="after")
    def _one_each(self) -> CellFormat:
        if (self.housing_parts is None) == (self.mass_overhead_fraction is None):
            raise ValueError("give exactly one of 'housing_parts' or 'mass_overhead_fraction'")
        if (self.external_volume is None) == (self.volume_overhead_fraction is None):
            raise ValueError("give exactly one of 'external_volume' or "
                             "'volume_overhead_fraction'")
        return self


class ThermalCurrentCollector(Strict):
    """A current collector that is not a foil of ``current_collectors`` (a half cell's Na foil
    is pressed on the housing's spacer): its through-plane Ohmic heat i^2 L / sigma."""

    name: str
    thickness: PositiveLength
    electronic_conductivity: Q("conductivity", gt=0.0)


class CellThermal(Strict):
    """What only the lumped (0-D) heat balance needs; the hardware is described once, in the
    budget sections.

    One temperature for the whole cell: C dT/dt = Q - h A (T - T_ambient). The heat capacity C
    sums mass x specific heat over ``format.housing_parts``, the active materials, a half
    cell's Na foil and the electrolyte (masses from the mass budget, specific heats from the
    part and the material/electrolyte files); the cell volume (which only converts between
    watts and PyBaMM's volumetric terms) is the budget's cell volume; the collectors are
    ``current_collectors`` (with ``electronic_conductivity``). ``negative_current_collector``
    is given only when ``current_collectors`` has no anode foil (half cell: the spacer under
    the Na foil). The cell loses h A (T - T_ambient) through ``cooling_surface_area`` A.
    """

    cooling_surface_area: Q("area", gt=0.0)
    heat_transfer_coefficient: Q("heat_transfer_coefficient", gt=0.0)
    negative_current_collector: ThermalCurrentCollector | None = None


class VoltageWindow(Strict):
    lower: Q("voltage", gt=0.0)
    upper: Q("voltage", gt=0.0)

    @model_validator(mode="after")
    def _ordered(self) -> VoltageWindow:
        if not self.lower.si < self.upper.si:
            raise ValueError(
                f"lower ({self.lower.si:g} V) must be below upper ({self.upper.si:g} V)"
            )
        return self


class InitialStoichiometry(Strict):
    """A published initial (charged) state of a full cell; it fixes the sodium inventory."""

    cathode: Fraction01
    anode: Fraction01


class Cell(Strict):
    """A cell: cathode design, anode design (full cell) or Na-metal counter electrode (half
    cell), separator, electrolyte, area, voltage window and the definition of 1C."""

    kind: Literal["cell"]
    name: str
    description: str = ""
    cathode: ElectrodeDesign
    anode: ElectrodeDesign | None = None
    counter_electrode: CounterElectrodeDesign | None = None
    separator: Separator
    electrolyte: str
    electrode_area: Q("area", gt=0.0)
    voltage_window: VoltageWindow
    np_ratio: Q("dimensionless", gt=0.0) | None = None
    one_c_specific_current: Q("specific_current", gt=0.0) | None = None
    nominal_capacity: Q("capacity", gt=0.0) | None = None
    ambient_temperature: Q("temperature", gt=0.0)
    initial_stoichiometry: InitialStoichiometry | None = None
    #: areal series resistance (Ohm cm2 of electrode area) of contacts and interphase films
    #: that the model does not otherwise resolve (PyBaMM's "contact resistance" option)
    contact_resistance: Q("areal_resistance", ge=0.0) | None = None
    thermal: CellThermal | None = None
    current_collectors: CurrentCollectors | None = None
    electrolyte_fill: ElectrolyteFill | None = None
    format: CellFormat | None = None

    @model_validator(mode="after")
    def _collectors(self) -> Cell:
        cc = self.current_collectors
        if cc is not None and self.anode is not None and cc.anode is None:
            raise ValueError("full cell: current_collectors.anode is required (a hard-carbon "
                             "anode is coated on a foil)")
        if (self.thermal is not None and self.thermal.negative_current_collector is not None
                and cc is not None and cc.anode is not None):
            raise ValueError("thermal.negative_current_collector: the anode's collector is "
                             "current_collectors.anode; give it there only")
        return self

    @model_validator(mode="after")
    def _configuration(self) -> Cell:
        if (self.anode is None) == (self.counter_electrode is None):
            raise ValueError("give exactly one of 'anode' (full cell) or 'counter_electrode' "
                             "(half cell)")
        if self.cathode.loading is None:
            raise ValueError("cathode.loading is required (areal active mass, e.g. mg/cm2)")
        if self.anode is not None:
            if (self.anode.loading is None) == (self.np_ratio is None):
                raise ValueError("full cell: give exactly one of 'anode.loading' or 'np_ratio' "
                                 "(from which the anode loading is derived)")
        elif self.np_ratio is not None or self.initial_stoichiometry is not None:
            raise ValueError("'np_ratio' and 'initial_stoichiometry' apply to full cells only")
        return self

    @property
    def configuration(self) -> Literal["half", "full"]:
        return "half" if self.anode is None else "full"


FILE_KINDS = {
    "active_material": ActiveMaterial,
    "metal_electrode": MetalElectrode,
    "electrolyte": Electrolyte,
    "cell": Cell,
}

__all__ = [
    "ActiveMaterial",
    "Cell",
    "ElectrodeDesign",
    "Electrolyte",
    "FILE_KINDS",
    "MetalElectrode",
    "StateFunction",
]
