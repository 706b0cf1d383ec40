"""Quantities (value + unit + source) and functions of state (tables, closed forms).

A field of the schema is declared with :func:`Q` (a scalar of a given dimension and range) or
:func:`StateFn` (a function of state: a constant, a CSV table or a named closed form, optionally
times an Arrhenius factor). Validation converts to SI once and stores the SI value; range checks
are made on the SI value and the messages name the value, the unit and the expected range.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    PrivateAttr,
    ValidationInfo,
    model_validator,
)

from nasim.params.constants import FARADAY, GAS_CONSTANT
from nasim.params.files import UnsafeFile, read_columns, reference
from nasim.params.limits import physical_problem
from nasim.params.sources import Source
from nasim.params.strict import Strict
from nasim.params.units import DIMENSIONS, to_si


def _range_text(gt, ge, lt, le, si_unit: str) -> str:
    lo = f"({gt}" if gt is not None else (f"[{ge}" if ge is not None else "(-inf")
    hi = f"{lt})" if lt is not None else (f"{le}]" if le is not None else "inf)")
    return f"{lo}, {hi} {si_unit}".rstrip()


def _check_range(si: float, gt, ge, lt, le) -> bool:
    return not (
        (gt is not None and not si > gt)
        or (ge is not None and not si >= ge)
        or (lt is not None and not si < lt)
        or (le is not None and not si <= le)
    )


def _no_bool(value):
    """YAML reads yes/no/true/false as booleans; a boolean is not a number."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is a boolean, expected a number")
    return value


Number = Annotated[float, BeforeValidator(_no_bool)]


class Quantity(Strict):
    """A scalar: ``value`` in ``unit``, with its ``source``."""

    value: Number
    unit: str
    source: Source
    _si: float = PrivateAttr(default=math.nan)
    _dimension: str = PrivateAttr(default="")

    @model_validator(mode="after")
    def _assumed_has_a_range(self) -> Quantity:
        rng = self.source.range
        if (self.source.kind == "assumed" and rng is None and self.source.relative is None
                and not self.source.exact):
            raise ValueError(f"assumed value {self.value:g} {self.unit} has no range: give "
                             "source.range: [low, high] (in its unit) or source.relative "
                             "(e.g. 0.2), with the reason, or source.exact: true for a "
                             "definition")
        return self

    @property
    def range(self) -> tuple[float, float] | None:
        """The plausible range of the value in its unit (``source.range``, or ``value * (1
        -/+ source.relative)``); None for an exact value or a source without a range."""
        if self.source.range is not None:
            return tuple(self.source.range)
        if self.source.relative is not None:
            r = self.source.relative
            low, high = sorted((self.value * (1.0 - r), self.value * (1.0 + r)))
            return (low, high)
        return None

    @property
    def si(self) -> float:
        """The value in the SI unit of its dimension."""
        return self._si

    @property
    def si_unit(self) -> str:
        return DIMENSIONS[self._dimension].si_unit


def Q(dimension: str, *, gt=None, ge=None, lt=None, le=None):
    """A quantity field of ``dimension`` whose SI value must lie in the given bounds."""

    def check(q: Quantity) -> Quantity:
        if not math.isfinite(q.value):
            raise ValueError(f"value {q.value} is not a finite number")
        si = to_si(q.value, q.unit, dimension)
        problem = physical_problem(si, dimension, DIMENSIONS[dimension].si_unit)
        if problem:
            raise ValueError(f"value {q.value:g} {q.unit} {problem}")
        if not _check_range(si, gt, ge, lt, le):
            si_unit = DIMENSIONS[dimension].si_unit
            expected = _range_text(gt, ge, lt, le, "" if si_unit == "1" else si_unit)
            given = (f"{q.value:g}" if si_unit == "1" and q.unit in ("1", "-", "")
                     else f"{q.value:g} {q.unit} (= {si:g} {si_unit} in SI)")
            raise ValueError(f"value {given} is outside the expected range {expected}")
        rng = q.source.range  # after the physical limits and the schema's bounds
        if rng is not None and not rng[0] <= q.value <= rng[1]:
            raise ValueError(f"value {q.value:g} {q.unit} is outside the range "
                             f"[{rng[0]:g}, {rng[1]:g}] {q.unit} its source gives")
        q._si = si
        q._dimension = dimension
        return q

    return Annotated[Quantity, AfterValidator(check)]


# ----------------------------------------------------------------------------- tables

TableVariable = Literal["stoichiometry", "particle_concentration", "electrolyte_concentration"]
_VARIABLE_DIMENSION = {
    "stoichiometry": "dimensionless",
    "particle_concentration": "concentration",
    "electrolyte_concentration": "concentration",
}


class Table(Strict):
    """A CSV table ``y(x)`` next to the parameter file.

    ``x`` names the state variable; ``x_unit`` its unit. ``monotonic`` states a requirement on y
    (e.g. an OCV must decrease with stoichiometry). The x column must increase strictly.
    """

    file: str
    x: TableVariable
    x_column: str
    y_column: str
    x_unit: str = "1"
    monotonic: Literal["increasing", "decreasing"] | None = None
    interpolation: Literal["linear", "cubic", "pchip"] = "linear"
    _x_si: np.ndarray = PrivateAttr(default=None)
    _y: np.ndarray = PrivateAttr(default=None)
    _path: Path | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _load(self, info: ValidationInfo) -> Table:
        base = Path((info.context or {}).get("base_dir", "."))
        path = reference(base / "_", self.file, "table")
        if not path.is_file():
            raise ValueError(f"table file {self.file!r} not found (looked for {path})")
        x_si, y = read_table_columns(path, self.x_column, self.y_column)
        dimension = _VARIABLE_DIMENSION[self.x]
        x_si = np.array([to_si(v, self.x_unit, dimension) for v in x_si])
        for i in (int(np.argmax(np.abs(x_si))),) if len(x_si) else ():
            problem = physical_problem(x_si[i], dimension, DIMENSIONS[dimension].si_unit)
            if problem:
                raise ValueError(f"table {self.file!r}: column {self.x_column!r} row {i + 2}: "
                                 f"{problem}")
        if len(x_si) < 2:
            raise ValueError(f"table {self.file!r} has fewer than 2 rows")
        if np.any(np.diff(x_si) <= 0):
            i = int(np.argmax(np.diff(x_si) <= 0))
            raise ValueError(
                f"table {self.file!r}: column {self.x_column!r} must increase strictly "
                f"(row {i + 3}: {x_si[i + 1]:g} after {x_si[i]:g}; the header is row 1)"
            )
        if self.monotonic:
            dy = np.diff(y)
            bad = dy <= 0 if self.monotonic == "increasing" else dy >= 0
            if np.any(bad):
                i = int(np.argmax(bad))
                raise ValueError(
                    f"table {self.file!r}: column {self.y_column!r} must be strictly "
                    f"{self.monotonic} in {self.x_column!r} but is not at row {i + 3} "
                    f"({self.x_column}={x_si[i + 1]:g}: {y[i]:g} -> {y[i + 1]:g})"
                )
        self._x_si, self._y, self._path = x_si, y, path
        return self

    @property
    def x_si(self) -> np.ndarray:
        return self._x_si

    @property
    def y_raw(self) -> np.ndarray:
        return self._y

    @property
    def path(self) -> Path:
        return self._path


def read_table_columns(path: Path, x_column: str, y_column: str) -> tuple[np.ndarray, np.ndarray]:
    """Read two numeric, finite columns of a CSV file; errors name the file, column and line
    (:func:`nasim.params.files.read_columns`)."""
    try:
        (xs, ys), _ = read_columns(path, (x_column, y_column))
    except UnsafeFile as exc:
        raise ValueError(f"table {path.name!r}: {exc}") from None
    return np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)


# ----------------------------------------------------------------------------- closed forms


class Arrhenius(Strict):
    """Arrhenius factor exp(Ea/R (1/T_ref - 1/T)) multiplying a reference function."""

    activation_energy: Q("molar_energy", ge=0.0)
    reference_temperature: Q("temperature", gt=0.0)

    def exponent(self, temperature_K):
        """Ea/R (1/T_ref - 1/T) at ``temperature_K`` (float, array, or any expression type
        with arithmetic, e.g. a PyBaMM symbol: nasim.physics.values takes its exp)."""
        ea, t_ref = self.activation_energy.si, self.reference_temperature.si
        return ea / GAS_CONSTANT * (1.0 / t_ref - 1.0 / temperature_K)

    def factor(self, temperature_K):
        """The factor at ``temperature_K`` (float or array)."""
        return np.exp(self.exponent(temperature_K))


class MSMRReaction(Strict):
    """One reaction of a multi-site multi-reaction (MSMR) isotherm (Verbrugge et al. 2017).

    x_j(U) = X_j / (1 + exp(F (U - U0_j) / (omega_j R T_ref))). ``name`` ties the reaction to a
    redox or phase process (e.g. "O3 solid solution, Ni2+/Ni3+").
    """

    name: str
    standard_potential: Q("voltage")
    occupancy_fraction: Q("dimensionless", gt=0.0, le=1.0)
    ideality_factor: Q("dimensionless", gt=0.0)


class MSMRCalibration(Strict):
    """Conditions an MSMR isotherm is held to (hand calibration, re-imposed on every load).

    The reactions give the shape (positions, relative capacities, widths); the stoichiometry
    offset, a common factor on the occupancy fractions and (with ``midpoint_voltage``) a common
    shift of the standard potentials are solved so that x(upper_voltage) and
    x(lower_voltage) are the given stoichiometries and U at their mean is ``midpoint_voltage``.
    A changed reaction value (an uncertainty sample) keeps these conditions: the isotherm stays
    consistent with the data behind them."""

    upper_voltage: Q("voltage")
    stoichiometry_at_upper_voltage: Q("dimensionless", gt=0.0, lt=1.0)
    lower_voltage: Q("voltage")
    stoichiometry_at_lower_voltage: Q("dimensionless", gt=0.0, le=1.0)
    midpoint_voltage: Q("voltage") | None = None

    @model_validator(mode="after")
    def _ordered(self) -> MSMRCalibration:
        u_low, u_up, mid = self.lower_voltage.si, self.upper_voltage.si, self.midpoint_voltage
        if not (u_low < u_up and self.stoichiometry_at_upper_voltage.si
                < self.stoichiometry_at_lower_voltage.si) or not (
                mid is None or u_low < mid.si < u_up):
            raise ValueError("calibration: expected lower_voltage < midpoint_voltage < "
                             "upper_voltage and stoichiometry_at_upper_voltage < "
                             "stoichiometry_at_lower_voltage (x falls as U rises)")
        return self


class MSMROCP(Strict):
    """An OCP given by MSMR reactions; nasim tabulates its inverse x(U) → U(x) densely. The Na
    content is x(U) = x_offset + sum_j x_j(U), x_offset the content no reaction inside the window
    removes; with a ``calibration`` (:class:`MSMRCalibration`) the offset is the solve's start."""

    form: Literal["msmr"]
    reactions: list[MSMRReaction] = Field(min_length=1)
    stoichiometry_offset: Q("dimensionless", ge=0.0, lt=1.0)
    calibration: MSMRCalibration | None = None
    temperature: Q("temperature", gt=0.0)
    # (offset, factor on the occupancy fractions, shift of the standard potentials in V)
    _solved: tuple[float, float, float] = PrivateAttr(default=(math.nan, 1.0, 0.0))
    _table: tuple[np.ndarray, np.ndarray] | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _total(self) -> MSMROCP:
        self._solved = offset, factor, _ = (self._calibrate() if self.calibration else
                                            (self.stoichiometry_offset.si, 1.0, 0.0))
        total = offset + factor * sum(r.occupancy_fraction.si for r in self.reactions)
        if offset < 0.0 or total > 1.0 + 1e-9:
            raise ValueError(
                f"stoichiometry_offset {offset:.4f} + sum of occupancy fractions = {total:.4f}"
                " must lie in [0, 1]" + (" (as solved from the calibration: the reactions "
                                         "cannot meet it)" if self.calibration else "")
            )
        return self

    def _occupied(self, voltage_V, shift: float = 0.0) -> np.ndarray:
        """sum_j x_j(U) of the file's reactions with their standard potentials + ``shift``."""
        f = FARADAY / (GAS_CONSTANT * self.temperature.si)
        u = np.asarray(voltage_V, dtype=float)[..., None]
        u0 = np.array([r.standard_potential.si for r in self.reactions]) + shift
        xj = np.array([r.occupancy_fraction.si for r in self.reactions])
        w = np.array([r.ideality_factor.si for r in self.reactions])
        arg = np.clip(f * (u - u0) / w, -700, 700)
        return np.sum(xj / (1.0 + np.exp(arg)), axis=-1)

    def _calibrate(self) -> tuple[float, float, float]:
        """(offset, factor, shift) meeting :attr:`calibration` (see :class:`MSMRCalibration`)."""
        c = self.calibration
        x_up, x_low = c.stoichiometry_at_upper_voltage.si, c.stoichiometry_at_lower_voltage.si
        ends = np.array([c.upper_voltage.si, c.lower_voltage.si])

        def solve(shift: float) -> tuple[float, float, float]:
            s_up, s_low = self._occupied(ends, shift)
            factor = (x_low - x_up) / (s_low - s_up)
            return x_up - factor * s_up, factor, shift

        def middle(shift: float, offset=None, factor=1.0) -> float:  # x(U_mid) - mean x
            offset, factor = solve(shift)[:2] if offset is None else (offset, factor)
            return offset + factor * float(self._occupied(c.midpoint_voltage.si, shift)) \
                - 0.5 * (x_up + x_low)

        start = self.stoichiometry_offset.si  # the file's values, kept if they meet it (1e-8)
        if np.all(np.abs(start + self._occupied(ends) - [x_up, x_low]) < 1e-8) and (
                c.midpoint_voltage is None or abs(middle(0.0, start)) < 1e-8):
            return start, 1.0, 0.0
        if c.midpoint_voltage is None:
            return solve(0.0)
        lo, hi = -1.0, 1.0  # bisection: x(U_mid) rises with the shift
        if not middle(lo) < 0.0 < middle(hi):
            raise ValueError("calibration: no common shift of the standard potentials within "
                             "+/-1 V puts U(mean stoichiometry) at midpoint_voltage")
        while hi - lo > 1e-12:
            lo, hi = (lo, (lo + hi) / 2) if middle((lo + hi) / 2) > 0 else ((lo + hi) / 2, hi)
        return solve((lo + hi) / 2)

    def stoichiometry(self, voltage_V: np.ndarray) -> np.ndarray:
        """x(U): Na content at open-circuit voltage ``voltage_V``."""
        offset, factor, shift = self._solved
        return offset + factor * self._occupied(voltage_V, shift)

    def tabulate(self) -> tuple[np.ndarray, np.ndarray]:
        """Dense table (x increasing, U decreasing) of the inverse isotherm, computed once."""
        if self._table is None:
            self._table = self._invert()
        return self._table

    def _invert(self, n_points: int = 600) -> tuple[np.ndarray, np.ndarray]:
        u = np.linspace(6.0, 0.5, 20001)
        x = self.stoichiometry(u)
        keep = np.concatenate([[True], np.diff(x) > 1e-12])
        x, u = x[keep], u[keep]
        grid = np.linspace(x[0], x[-1], n_points)
        return grid, np.interp(grid, x, u)


class StoichiometryFactor(Strict):
    """Factor 10^(s (x - x_ref)) multiplying a particle function of the stoichiometry x: a
    log-linear dependence, ``log10_slope`` s in decades per unit stoichiometry. Solid
    diffusivities of layered oxides measured by GITT fall by one to three decades towards the
    sodiated end of the window (e.g. O3 NaNi1/3Fe1/3Mn1/3O2, Xie et al., Adv. Energy Mater. 6
    (2016) 1601306); a constant is s = 0."""

    reference_stoichiometry: Q("dimensionless", ge=0.0, le=1.0)
    log10_slope: Q("dimensionless")

    def factor(self, stoichiometry):
        """The factor at ``stoichiometry`` (float, array or pybamm symbol)."""
        return 10.0 ** (self.log10_slope.si * (stoichiometry - self.reference_stoichiometry.si))


class StateFunction(Strict):
    """A function of state: exactly one of ``value`` (constant), ``table`` or ``closed_form``,
    in ``unit``, times an optional ``stoichiometry_factor`` (particle functions) and an
    optional ``arrhenius`` factor."""

    value: Number | None = None
    table: Table | None = None
    closed_form: MSMROCP | None = None
    unit: str
    source: Source
    stoichiometry_factor: StoichiometryFactor | None = None
    arrhenius: Arrhenius | None = None
    _scale: float = PrivateAttr(default=math.nan)
    _dimension: str = PrivateAttr(default="")

    @model_validator(mode="after")
    def _one_form(self) -> StateFunction:
        given = [k for k in ("value", "table", "closed_form") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of 'value', 'table' or 'closed_form'"
                + (f" (got {', '.join(given)})" if given else " (got none)")
            )
        return self

    @property
    def scale(self) -> float:
        """Factor from the file's unit to SI."""
        return self._scale

    @property
    def kind(self) -> str:
        return "value" if self.value is not None else ("table" if self.table else "closed form")

    @property
    def dimension(self) -> str:
        """The dimension of the function's values (see :mod:`nasim.params.units`)."""
        return self._dimension


def StateFn(dimension: str, *, positive: bool = False, allowed_x: tuple[str, ...] = ()):
    """A function-of-state field of ``dimension``; ``allowed_x`` lists valid table variables."""

    def check(fn: StateFunction) -> StateFunction:
        scale = to_si(1.0, fn.unit, dimension) - to_si(0.0, fn.unit, dimension)
        si_unit = DIMENSIONS[dimension].si_unit
        if fn.value is not None:
            if not math.isfinite(fn.value) or (positive and fn.value <= 0):
                raise ValueError(f"value {fn.value:g} {fn.unit} must be a finite number > 0")
            problem = physical_problem(fn.value * scale, dimension, si_unit)
            if problem:
                raise ValueError(f"value {fn.value:g} {fn.unit} {problem}")
        if fn.table is not None:
            if allowed_x and fn.table.x not in allowed_x:
                raise ValueError(
                    f"table variable {fn.table.x!r} is not valid here; expected one of {allowed_x}"
                )
            if positive and np.any(fn.table.y_raw <= 0):
                raise ValueError(f"table {fn.table.file!r}: values must be > 0")
            i = int(np.argmax(np.abs(fn.table.y_raw)))
            problem = physical_problem(fn.table.y_raw[i] * scale, dimension, si_unit)
            if problem:
                raise ValueError(f"table {fn.table.file!r}: column {fn.table.y_column!r} row "
                                 f"{i + 2}: {fn.table.y_raw[i]:g} {fn.unit} {problem}")
        if fn.closed_form is not None and dimension != "voltage":
            raise ValueError("closed_form 'msmr' is only valid for an open-circuit potential")
        if fn.stoichiometry_factor is not None and (dimension == "voltage"
                                                    or "stoichiometry" not in allowed_x):
            raise ValueError("stoichiometry_factor is only valid for a particle diffusivity or "
                             "rate constant")
        fn._scale = scale
        fn._dimension = dimension
        return fn

    return Annotated[StateFunction, AfterValidator(check)]
