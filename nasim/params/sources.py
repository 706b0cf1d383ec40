"""Provenance of a parameter value: every quantity in a nasim file says where it comes from."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from nasim.params.strict import Strict


class _SourceBase(Strict):
    """Common fields. ``range: [low, high]`` (in the unit of the value it sources) is the
    plausible or literature range of the value: the range an assumption is taken from, the
    spread a citation reports, or the bounds a fit was held in; ``range_source`` says where the
    range comes from (required where the source itself cites nothing: fitted, derived,
    measured). A value outside its source's range is an error (nasim.params.quantities).
    ``relative: r`` is the range ``value * (1 -/+ r)`` written as a fraction. ``exact: true``
    marks a number that is a definition or a setting, not an estimate (an Arrhenius law's
    reference temperature, a value a study or an uncertainty sample sets): it has no range.
    Every numeric value of kind ``assumed`` carries one of the three (nasim.params.quantities);
    :mod:`nasim.uncertainty` samples the ranges."""

    note: str | None = None
    to_be_fitted: bool = Field(
        default=False, description="A starting value that a fit is expected to replace."
    )
    range: tuple[float, float] | None = None
    range_source: str | None = Field(default=None, min_length=1)
    relative: float | None = Field(default=None, gt=0.0, lt=1.0)
    exact: bool = False

    @model_validator(mode="after")
    def _range(self):
        given = [k for k in ("range", "relative") if getattr(self, k) is not None]
        if self.exact:
            given.append("exact")
        if len(given) > 1:
            raise ValueError(f"give one of range, relative and exact (got {', '.join(given)})")
        if self.range is not None:
            low, high = self.range
            if not low < high:
                raise ValueError(f"range [{low}, {high}]: low must be below high")
            if self.range_source is None and getattr(self, "kind", None) in (
                    "fitted", "derived", "measured"):
                raise ValueError(f"range [{low}, {high}] of a {self.kind} value needs "
                                 "range_source (the citation the range comes from)")
        elif self.range_source is not None and self.relative is None:
            raise ValueError("range_source without range or relative")
        return self


class Measured(_SourceBase):
    """Read from a measurement: the publication (DOI) and the figure or table."""

    kind: Literal["measured"]
    doi: str = Field(min_length=1)
    figure: str = Field(min_length=1)

    def describe(self) -> str:
        return f"measured: doi:{self.doi}, {self.figure}"


class Derived(_SourceBase):
    """Computed from other values: from what, and how."""

    kind: Literal["derived"]
    inputs: list[str] = Field(alias="from", min_length=1)
    method: str = Field(min_length=1)

    def describe(self) -> str:
        return f"derived from {', '.join(self.inputs)}: {self.method}"


class Literature(_SourceBase):
    """Taken from a publication (full citation and/or DOI)."""

    kind: Literal["literature"]
    citation: str = Field(min_length=1)
    doi: str | None = None

    def describe(self) -> str:
        return f"literature: {self.citation}" + (f" (doi:{self.doi})" if self.doi else "")


class FitUncertainty(Strict):
    """What a fit says about one fitted value (from its ``fit_report.json``): the 95 %
    interval (in the value's unit), the scale the fit worked in, its bounds, and the
    correlations with the other parameters of the same fit (by their fit paths)."""

    fit: str = Field(min_length=1, description="the fit's name")
    parameter: str = Field(min_length=1, description="the parameter's path in the fit file")
    interval_95: tuple[float, float]
    scale: Literal["linear", "log"]
    bounds: tuple[float, float]
    correlation: dict[str, float] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _ordered(self):
        for name in ("interval_95", "bounds"):
            low, high = getattr(self, name)
            if not low <= high:
                raise ValueError(f"{name} [{low}, {high}]: low must not be above high")
        if any(not -1.0 <= r <= 1.0 for r in self.correlation.values()):
            raise ValueError("correlation coefficients must lie in [-1, 1]")
        return self


class Fitted(_SourceBase):
    """Fitted to data: which data, which method, and optionally the cost, the date and the
    fit's uncertainty of the value (``uncertainty``, written by ``nasim fit``)."""

    kind: Literal["fitted"]
    data: str = Field(min_length=1)
    method: str = Field(min_length=1)
    cost: float | None = None
    date: str | None = None
    uncertainty: FitUncertainty | None = None

    def describe(self) -> str:
        return f"fitted to {self.data} by {self.method}"


class Assumed(_SourceBase):
    """An assumption, with the reason for the chosen value."""

    kind: Literal["assumed"]
    reason: str = Field(min_length=1)

    def describe(self) -> str:
        return f"assumed: {self.reason}"


class Imported(_SourceBase):
    """Taken from another tool's parameter file or set that gives no citation (a PyBaMM
    ``ParameterValues`` object, a BPX file): ``from`` names the file or set, ``key`` the name
    of the value there, ``method`` how nasim converted it (e.g. a function tabulated)."""

    kind: Literal["imported"]
    origin: str = Field(alias="from", min_length=1)
    key: str | None = None
    method: str | None = None

    def describe(self) -> str:
        text = f"imported from {self.origin}" + (f" ({self.key})" if self.key else "")
        return text + (f": {self.method}" if self.method else "")


AnySource = Measured | Derived | Literature | Fitted | Assumed | Imported
Source = Annotated[AnySource, Field(discriminator="kind")]


def derived(inputs: list[str], method: str) -> Derived:
    """A derived source for a value nasim computes from a file's other values."""
    return Derived(kind="derived", inputs=inputs, method=method)


def describe(source: AnySource) -> str:
    text = source.describe()
    if source.to_be_fitted:
        text += " [starting value, to be fitted]"
    return text
