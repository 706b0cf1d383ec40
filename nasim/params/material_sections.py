"""Sections of material files (see :mod:`nasim.params.schema`): lattice, stoichiometry window,
phase map, and the aging sections (mechanics, degradation, SEI growth); and the field types
the schemas share."""

from __future__ import annotations

import math
from typing import Literal

from pydantic import Field, model_validator

from nasim.params.quantities import Arrhenius, Q
from nasim.params.strict import Strict

Dimensionless = Q("dimensionless")
Fraction01 = Q("dimensionless", ge=0.0, le=1.0)
OpenFraction = Q("dimensionless", gt=0.0, lt=1.0)
PositiveLength = Q("length", gt=0.0)

PARTICLE_X = ("stoichiometry", "particle_concentration")
ELECTROLYTE_X = ("electrolyte_concentration",)


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


class CathodeInterphase(Strict):
    """Growth of the cathode-electrolyte interphase (CEI), a film on the cathode particles that
    adds a series resistance and takes no capacity (see nasim.physics.aging):
    d delta/dt = growth_rate exp((U - U_ref) / potential_scale) x Arrhenius(T), with U_ref and
    the potential scale of the dissolution law (electrolyte oxidation on the charged surface
    drives both); the film grown beyond ``initial_thickness`` (the fresh cell's film, whose
    resistance is in the cell's fitted series resistance) adds
    resistivity (delta - initial_thickness) / (a L) per electrode area (Ohm m2; a L: the
    particle surface per electrode area)."""

    growth_rate: Q("rate_constant", ge=0.0)
    resistivity: Q("resistivity", ge=0.0)
    initial_thickness: PositiveLength
    arrhenius: Arrhenius


class CathodeDegradation(Strict):
    """Rate laws of the cathode's loss of active material (LAM), eps_s = active volume fraction
    (see nasim.physics.aging):

    - phase-transition / strain damage, following the phase map and the rate:
      d eps_s/dt = -strain_loss_rate eps_s |dv/dx|(x_surf)^strain_loss_exponent
      (|I| / I_1C)^strain_rate_exponent / strain_relaxation(T)
      (v: the phase map's relative volume change, x: Na content at the particle surface;
      strain_relaxation: the Arrhenius factor of the thermally activated relaxation of the
      misfit stress, so that the damage per transition is smaller when hot);
    - transition-metal dissolution / side reactions, activated by potential and temperature:
      d eps_s/dt = -dissolution_rate eps_s exp((U - U_ref) / potential_scale) x Arrhenius(T).
    """

    strain_loss_rate: Q("inverse_time", ge=0.0)
    strain_loss_exponent: Q("dimensionless", gt=0.0)
    strain_rate_exponent: Q("dimensionless", ge=0.0)
    strain_relaxation: Arrhenius
    dissolution_rate: Q("inverse_time", ge=0.0)
    dissolution_reference_potential: Q("voltage", gt=0.0)
    dissolution_potential_scale: Q("voltage", gt=0.0)
    dissolution_arrhenius: Arrhenius
    #: growth of the cathode-electrolyte interphase (the ``cei`` mechanism), a resistance
    cei: CathodeInterphase | None = None


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
