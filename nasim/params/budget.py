"""Mass and volume budget of a cell: every component from the cell file's geometry (SI units).

Convention: the stack is one repeat unit of area A (the electrode area; separator and anode
overhangs neglected): cathode coating, separator, anode coating (or, in a half cell, the Na-metal
foil, which counts as the anode of the stack) and their current collectors, filled with
electrolyte.

- composite electrode: active mass m_a = loading A; binder and carbon m_b = m_a w_b / w_a,
  m_c = m_a w_c / w_a; solid volumes m / rho; layer volume L A; pore volume eps L A;
- Na-metal foil: mass = t A rho_Na, rho_Na = M_Na / V_m (V_m from the metal file);
- current collector: mass = t A rho / n, volume t A / n, n = ``coated_sides`` (1: a single-layer
  cell, each coating on its own foil; 2: a double-sided stack, each foil shared by two coatings);
- separator: mass = (1 - eps) t A rho_skeletal; layer volume t A;
- electrolyte: volume = f x (pore volume of both electrodes and the separator), f the excess
  factor; mass = volume x density (electrolyte file). Electrolyte beyond the pores (f - 1) adds
  to the stack volume;
- stack volume = sum of layer volumes + excess electrolyte; stack mass = sum of masses;
- packaging (``format``): mass = sum of ``housing_parts`` or ``mass_overhead_fraction`` x stack
  mass;
  cell volume = ``external_volume`` (the cell's envelope) or stack volume x (1 +
  ``volume_overhead_fraction``).

Levels: ``cathode_active`` (cathode active mass and particle volume), ``active_pair`` (+ anode
active mass; in a half cell the Na foil), ``stack``, ``cell``. A level whose inputs are missing
from the cell file is NaN, and ``missing`` names the fields.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from nasim.params.formula import parse_formula
from nasim.params.loading import LoadedCell
from nasim.params.quantities import Quantity
from nasim.params.sources import describe

if TYPE_CHECKING:
    import pandas

LEVELS = ("cathode_active", "active_pair", "stack", "cell")


@dataclass(frozen=True)
class Component:
    """One component: mass [kg], volume it occupies [m3] (solids: their own volume; a layer
    without pores: its geometric volume; electrolyte: all of it), the level it first counts in."""

    name: str
    level: str
    mass_kg: float
    volume_m3: float
    source: str


@dataclass(frozen=True)
class MassBudget:
    """The components of a cell and the mass and volume at each level."""

    cell_name: str
    area_m2: float
    components: list[Component]
    level_mass_kg: dict[str, float]
    level_volume_m3: dict[str, float]
    missing: list[str] = field(default_factory=list)
    pore_volume_m3: float = math.nan

    def to_frame(self) -> pandas.DataFrame:
        """component, level, mass_g, volume_cm3, source."""
        import pandas  # only for the table: the budget itself is plain numbers

        return pandas.DataFrame([{"component": c.name, "level": c.level,
                                  "mass_g": c.mass_kg * 1e3, "volume_cm3": c.volume_m3 * 1e6,
                                  "source": c.source} for c in self.components])


def _src(**quantities: Quantity) -> str:
    return "; ".join(f"{k}: {q.value:g} {q.unit} ({describe(q.source)})"
                     for k, q in quantities.items())


def _electrode(role: str, loaded: LoadedCell, level_active: str) -> tuple[list[Component], float,
                                                                          float]:
    """Components of a composite electrode, its layer volume and its pore volume [m3]."""
    design = loaded.cell.cathode if role == "cathode" else loaded.cell.anode
    material = loaded.cathode if role == "cathode" else loaded.anode
    geom = loaded.design.cathode if role == "cathode" else loaded.design.anode
    area = loaded.design.area_m2
    m_a = geom.loading_kg_per_m2 * area
    w_a = design.active_mass_fraction.si
    rho_a = material.density_kg_per_m3()
    loading = (f"loading {geom.loading_kg_per_m2 * 100:.4g} mg/cm2"
               + (" (derived from the N/P ratio)" if role == "anode"
                  and loaded.design.anode_loading_derived else ""))
    comps = [Component(f"{role}_active", level_active, m_a, m_a / rho_a,
                       f"{loading} x area {area * 1e4:.4g} cm2; volume = mass / "
                       f"{rho_a / 1e3:.4g} g/cm3 ({material.name} density)")]
    for part in ("binder", "carbon"):
        fraction = getattr(design, f"{part}_mass_fraction")
        density = getattr(design, f"{part}_density")
        mass = m_a * fraction.si / w_a
        comps.append(Component(
            f"{role}_{part}", "stack", mass, mass / density.si,
            f"active mass x {part}/active mass fraction; "
            + _src(**{f"{part}_mass_fraction": fraction, f"{part}_density": density})))
    layer = geom.thickness_m * area
    return comps, layer, geom.porosity * layer


def mass_budget(loaded: LoadedCell) -> MassBudget:
    """Mass and volume of every component of ``loaded`` and of each level (see module doc)."""
    cell = loaded.cell
    area = loaded.design.area_m2
    missing: list[str] = []
    comps, layer_cat, pores_cat = _electrode("cathode", loaded, "cathode_active")
    layers = layer_cat
    pores = pores_cat
    if loaded.anode is not None:
        an, layer_an, pores_an = _electrode("anode", loaded, "active_pair")
        comps += an
        layers += layer_an
        pores += pores_an
    else:
        metal = loaded.counter_electrode
        t = cell.counter_electrode.thickness
        rho_na = parse_formula("Na").molar_mass_g_per_mol * 1e-3 / metal.molar_volume.si
        foil = t.si * area
        comps.append(Component(
            "anode_na_metal", "active_pair", foil * rho_na, foil,
            f"Na-metal counter electrode counted as the anode: area x thickness x rho_Na, "
            f"rho_Na = M_Na / V_m = {rho_na / 1e3:.4g} g/cm3; "
            + _src(thickness=t, molar_volume=metal.molar_volume)))
        layers += foil

    sep = cell.separator
    sep_layer = sep.thickness.si * area
    pores += sep.porosity.si * sep_layer
    layers += sep_layer
    if sep.density is None:
        missing.append("separator.density")
    else:
        solid = (1.0 - sep.porosity.si) * sep_layer
        comps.append(Component("separator", "stack", solid * sep.density.si, solid,
                               f"{sep.name}: (1 - porosity) x thickness x area x density; "
                               + _src(thickness=sep.thickness, porosity=sep.porosity,
                                      density=sep.density)))

    cc = cell.current_collectors
    if cc is None:
        missing.append("current_collectors")
    else:
        for role in ("cathode", "anode"):
            foil = getattr(cc, role)
            if foil is None:
                continue
            volume = foil.thickness.si * area / cc.coated_sides
            comps.append(Component(
                f"{role}_current_collector", "stack", volume * foil.density.si, volume,
                f"{foil.material}: area x thickness x density / coated sides "
                f"({cc.coated_sides}); " + _src(thickness=foil.thickness, density=foil.density)))
            layers += volume

    fill = cell.electrolyte_fill
    rho_e = loaded.electrolyte.density
    if fill is None:
        missing.append("electrolyte_fill")
    if rho_e is None:
        missing.append(f"density (electrolyte file {cell.electrolyte})")
    excess_volume = math.nan
    if fill is not None and rho_e is not None:
        volume = fill.excess_factor.si * pores
        excess_volume = volume - pores
        comps.append(Component(
            "electrolyte", "stack", volume * rho_e.si, volume,
            f"excess factor x pore volume of electrodes and separator "
            f"({pores * 1e6 * 1e3:.4g} uL); " + _src(excess_factor=fill.excess_factor,
                                                      density=rho_e)))

    def total(levels: tuple[str, ...]) -> tuple[float, float]:
        chosen = [c for c in comps if c.level in levels]
        return sum(c.mass_kg for c in chosen), sum(c.volume_m3 for c in chosen)

    mass, volume = {}, {}
    mass["cathode_active"], volume["cathode_active"] = total(("cathode_active",))
    mass["active_pair"], volume["active_pair"] = total(("cathode_active", "active_pair"))
    if missing:
        mass["stack"] = volume["stack"] = math.nan
    else:
        mass["stack"] = total(("cathode_active", "active_pair", "stack"))[0]
        volume["stack"] = layers + excess_volume

    fmt = cell.format
    if fmt is None:
        missing.append("format")
    if fmt is None or math.isnan(mass["stack"]):
        mass["cell"] = volume["cell"] = math.nan
    else:
        if fmt.housing_parts is not None:
            pack_mass = float(sum(p.mass.si for p in fmt.housing_parts))
            mass_src = "sum of the housing parts; " + "; ".join(
                f"{p.name}: {_src(mass=p.mass)}" for p in fmt.housing_parts)
        else:
            pack_mass = fmt.mass_overhead_fraction.si * mass["stack"]
            mass_src = "stack mass x " + _src(mass_overhead_fraction=fmt.mass_overhead_fraction)
        if fmt.external_volume is not None:
            cell_volume = fmt.external_volume.si
            if cell_volume < volume["stack"]:
                raise ValueError(
                    f"{loaded.path.name}: field 'format.external_volume': "
                    f"{cell_volume * 1e6:.4g} cm3 is smaller than the stack "
                    f"({volume['stack'] * 1e6:.4g} cm3)")
            vol_src = "cell envelope - stack volume; " + _src(
                external_volume=fmt.external_volume)
        else:
            cell_volume = volume["stack"] * (1.0 + fmt.volume_overhead_fraction.si)
            vol_src = "stack volume x " + _src(
                volume_overhead_fraction=fmt.volume_overhead_fraction)
        comps.append(Component(f"packaging ({fmt.type}{' ' + fmt.name if fmt.name else ''})",
                               "cell", pack_mass, cell_volume - volume["stack"],
                               f"mass: {mass_src}; volume: {vol_src}"))
        mass["cell"] = mass["stack"] + pack_mass
        volume["cell"] = cell_volume
    return MassBudget(cell.name, area, comps, mass, volume, missing, pores)


__all__ = ["LEVELS", "Component", "MassBudget", "mass_budget"]
