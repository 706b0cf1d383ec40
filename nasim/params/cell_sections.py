"""Sections of a cell file (see :mod:`nasim.params.schema`): electrode designs, separator,
current collectors, electrolyte fill, format and housing, the lumped thermal section, the
voltage window and a published initial state."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from nasim.params.material_sections import Fraction01, OpenFraction, PositiveLength
from nasim.params.names import ModelName
from nasim.params.quantities import Q
from nasim.params.sources import Source
from nasim.params.strict import Strict


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


MeshDomain = Literal["x_n", "x_s", "x_p", "r_n", "r_p"]


class CellMesh(Strict):
    """The spatial mesh of the cell's models (nasim.simulate.mesh): finite-volume points per
    domain (``x_n``, ``x_s``, ``x_p`` through anode, separator and cathode; ``r_n``, ``r_p``
    along the particle radii; those not given keep PyBaMM's 20) and the particle mesh,
    ``uniform`` or ``exponential`` (clustered towards the surface with ``stretch``);
    ``models``: points that differ for one model (e.g. ``SPMe: {x_p: 20}``: the SPMe's
    electrolyte needs points where the DFN's particles make them costly). The source says how
    it was chosen (e.g. ``nasim mesh-check`` against the 2x mesh)."""

    points: dict[MeshDomain, int] = Field(min_length=1)
    particle: Literal["uniform", "exponential"] = "uniform"
    stretch: float = Field(default=1.5, gt=0.0)
    models: dict[ModelName, dict[MeshDomain, int]] = Field(default_factory=dict)
    source: Source

    @model_validator(mode="after")
    def _positive(self) -> CellMesh:
        every = [self.points, *self.models.values()]
        bad = {k: v for points in every for k, v in points.items() if v < 3}
        if bad:
            raise ValueError(f"mesh points must be >= 3: {bad}")
        return self
