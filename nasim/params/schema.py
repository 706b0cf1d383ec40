"""The single schema of nasim parameter files (pydantic v2).

Three kinds of file: materials (``active_material`` for cathodes and anodes, ``metal_electrode``
for a Na-metal counter electrode), ``electrolyte``, and ``cell`` (which composes them with an
electrode design). Every number is a :class:`~nasim.params.quantities.Quantity` (value, unit,
source) or a :class:`~nasim.params.quantities.StateFunction`. Values nasim computes from others
(molar mass, crystal density, maximum concentration, electrode volume fractions, anode loading
from the N/P ratio ...) are exposed as ``derived_*`` methods with a ``derived`` source.

This module holds the four file kinds (:data:`FILE_KINDS`); the sections they are made of are
in :mod:`nasim.params.material_sections` and :mod:`nasim.params.cell_sections` (and are
re-exported here).
"""

from __future__ import annotations

from typing import Literal

from pydantic import model_validator

from nasim.params.cell_sections import (
    CellFormat,
    CellMesh,
    CellThermal,
    CounterElectrodeDesign,
    CurrentCollector,
    CurrentCollectors,
    ElectrodeDesign,
    ElectrolyteFill,
    HousingPart,
    InitialStoichiometry,
    Separator,
    ThermalCurrentCollector,
    VoltageWindow,
)
from nasim.params.constants import AVOGADRO
from nasim.params.formula import parse_formula
from nasim.params.material_sections import (
    ELECTROLYTE_X,
    PARTICLE_X,
    CathodeDegradation,
    Lattice,
    Mechanics,
    OpenFraction,
    Phase,
    PhaseMap,
    PositiveLength,
    SEIGrowth,
    StoichiometryWindow,
)
from nasim.params.quantities import FARADAY, Q, StateFn, StateFunction
from nasim.params.sources import Source
from nasim.params.strict import Strict


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
    diffusivity: StateFn("diffusivity", positive=True, allowed_x=PARTICLE_X)
    rate_constant: StateFn("rate_constant", positive=True, allowed_x=PARTICLE_X)
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
        "current_density", positive=True, allowed_x=ELECTROLYTE_X
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
    diffusivity: StateFn("diffusivity", positive=True, allowed_x=ELECTROLYTE_X)
    conductivity: StateFn("conductivity", positive=True, allowed_x=ELECTROLYTE_X)
    #: mass density of the solution (mass budget; lumped thermal runs)
    density: Q("density", gt=0.0) | None = None
    #: heat capacity per mass of the solution (lumped thermal runs only)
    specific_heat_capacity: Q("specific_heat_capacity", gt=0.0) | None = None


class ElectrodePreparation(Strict):
    """How the electrodes were prepared before the cell was assembled, with its source."""

    precycled: bool
    source: Source


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
    #: full cells built from electrodes cycled in half cells first: the anode's first-cycle
    #: loss was paid there, not from the cathode's inventory (nasim.params.inventory)
    electrode_preparation: ElectrodePreparation | None = None
    #: areal series resistance (Ohm cm2 of electrode area) of contacts and interphase films
    #: that the model does not otherwise resolve (PyBaMM's "contact resistance" option)
    contact_resistance: Q("areal_resistance", ge=0.0) | None = None
    thermal: CellThermal | None = None
    mesh: CellMesh | None = None
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
    "CathodeDegradation",
    "Cell",
    "CellFormat",
    "CellThermal",
    "CounterElectrodeDesign",
    "CurrentCollector",
    "CurrentCollectors",
    "ElectrodeDesign",
    "Electrolyte",
    "ElectrolyteFill",
    "FILE_KINDS",
    "HousingPart",
    "InitialStoichiometry",
    "Lattice",
    "Mechanics",
    "MetalElectrode",
    "Phase",
    "PhaseMap",
    "SEIGrowth",
    "Separator",
    "StateFunction",
    "StoichiometryWindow",
    "ThermalCurrentCollector",
    "VoltageWindow",
]
