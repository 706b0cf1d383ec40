"""What an uncertainty run produced: the central replay, the samples, percentiles, drivers.

``summary`` is the replay's ``summary.csv`` with ``<column>_p2_5`` and ``<column>_p97_5`` beside
each model-dependent column (capacity, voltages, energies, power, duration, retention,
efficiency, curve RMSE), ``samples_ok`` (the samples whose step solved) and ``samples_ended``
(samples that did not fail but whose cycling had ended, by its ``stop_below_retention``, before
the step: the interval is over the samples still cycling, and the ended ones lie below it).
``drivers`` ranks the inputs by standardised regression coefficients (SRC): each headline
quantity of each discharge is regressed, standardised, on the standardised inputs (log10 of
log-sampled ones); ``share`` = SRC^2 is the input's share of the quantity's variance when the
model is near linear over the ranges (``r2`` says how near: the shares sum to it). With fewer
samples than inputs no regression is possible: each input's own correlation with the quantity
stands in (``r2`` empty).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from nasim.uncertainty.inputs import UncertainInput
from nasim.uncertainty.worker import QUANTITIES

HEADLINE = ("capacity_mAh_per_g", "median_voltage_V", "specific_energy_Wh_per_kg_active")
LOW, HIGH = 2.5, 97.5
MAX_TORNADOS = 12


def suffix(p: float) -> str:
    """2.5 -> 'p2_5', 97.5 -> 'p97_5'."""
    return "p" + f"{p:g}".replace(".", "_")


@dataclass
class UncertaintyResult:
    nominal: object  # nasim.simulate.replay.ReplayResult with the files' values
    inputs: list[UncertainInput]
    left_out: list[tuple[UncertainInput, str]]
    values: np.ndarray  # samples x inputs, in each input's unit
    records: list[dict]
    seed: int | None
    vary: str
    wall_time_s: float
    name: str = ""
    _cache: dict = field(default_factory=dict, repr=False)

    # ------------------------------------------------------------------ tables
    @property
    def n_failed(self) -> int:
        return sum(r["status"] != "ok" for r in self.records)

    def outputs(self) -> pd.DataFrame:
        """Long table: sample, step, quantity, value (steps that solved)."""
        if "outputs" not in self._cache:
            rows = [{"sample": r["sample"], "step": row["step"], "quantity": q,
                     "value": row[q]}
                    for r in self.records for row in r["rows"] if row["status"] == "ok"
                    for q, v in row.items() if q not in ("step", "status")
                    and isinstance(v, float) and np.isfinite(v)]
            self._cache["outputs"] = pd.DataFrame(
                rows, columns=["sample", "step", "quantity", "value"])
        return self._cache["outputs"]

    def samples_frame(self) -> pd.DataFrame:
        """``uncertainty.csv``: a row per sample, its inputs and its outputs
        (``<quantity>_step<k>``)."""
        frame = pd.DataFrame(self.values, columns=[i.path for i in self.inputs])
        frame.insert(0, "sample", np.arange(len(frame)))
        meta = pd.DataFrame([{k: r[k] for k in ("sample", "status", "error", "rebuilt",
                                                 "time_s", "jumps_rejected")}
                             for r in self.records])
        out = self.outputs()
        if len(out):
            wide = out.assign(column=out.quantity + "_step" + out.step.astype(str)).pivot(
                index="sample", columns="column", values="value").reset_index()
            meta = meta.merge(wide, on="sample", how="left")
        return frame.merge(meta, on="sample", how="left")

    def percentiles(self) -> pd.DataFrame:
        """step, quantity, p2_5, p97_5, n (samples whose step solved)."""
        out = self.outputs()
        rows = []
        for (step, q), part in out.groupby(["step", "quantity"]):
            v = part.value.to_numpy()
            rows.append({"step": step, "quantity": q, suffix(LOW): np.percentile(v, LOW),
                         suffix(HIGH): np.percentile(v, HIGH), "n": len(v)})
        return pd.DataFrame(rows, columns=["step", "quantity", suffix(LOW), suffix(HIGH), "n"])

    @property
    def summary(self) -> pd.DataFrame:
        """The replay's summary with each quantity's interval beside it."""
        base = self.nominal.summary.copy()
        pct = self.percentiles()
        columns = []
        for column in base.columns:
            columns.append(column)
            if column in QUANTITIES or (column in set(pct.quantity) and column not in (
                    "step", "c_rate", "current_mA_per_g", "temperature_C")):
                part = pct[pct.quantity == column].set_index("step")
                for p in (LOW, HIGH):
                    name = f"{column}_{suffix(p)}"
                    base[name] = (base.step.map(part[suffix(p)]) if len(part)
                                  else np.nan)
                    columns.append(name)
        n = pct.groupby("step").n.max() if len(pct) else pd.Series(dtype=float)
        base["samples_ok"] = base.step.map(n).fillna(0).astype(int)
        # samples that ran without failing but whose cycling ended (its end-of-life rule)
        # before the step: the step's interval is over the others, the ended ones lie below
        last = np.array([max((row["step"] for row in r["rows"]), default=0)
                         for r in self.records if r["status"] == "ok"])
        base["samples_ended"] = [int(np.sum(last < s)) for s in base.step]
        return base[[*columns, "samples_ok", "samples_ended"]]

    def comparisons(self) -> pd.DataFrame:
        """The replay's comparisons with the interval of each simulated value and whether the
        measured value falls inside it."""
        comp = self.nominal.comparisons.copy()
        sims: dict[tuple, list[float]] = {}
        for r in self.records:
            for c in r["comparisons"]:
                if np.isfinite(c["simulated"]):
                    sims.setdefault((c["step"], c["quantity"]), []).append(c["simulated"])
        for p in (LOW, HIGH):
            comp[suffix(p)] = [np.percentile(sims[(s, q)], p) if (s, q) in sims else np.nan
                               for s, q in zip(comp.step, comp.quantity, strict=True)]
        comp["inside"] = [bool(lo <= m <= hi) if np.isfinite(lo) else None for lo, hi, m in
                          zip(comp[suffix(LOW)], comp[suffix(HIGH)], comp.measured,
                              strict=True)]
        return comp

    def drivers(self) -> pd.DataFrame:
        """quantity (``<column>_step<k>``), input, src, share, r2, rank (see the module doc)."""
        wide = self.samples_frame()
        x = np.column_stack([np.log10(self.values[:, j]) if i.log else self.values[:, j]
                             for j, i in enumerate(self.inputs)]) if self.inputs else None
        rows = []
        steps = self.nominal.summary
        discharges = steps[steps.direction == "discharge"].step
        for q in HEADLINE:
            for step in discharges:
                column = f"{q}_step{step}"
                if x is None or column not in wide:
                    continue
                y = wide[column].to_numpy(dtype=float)
                ok = np.isfinite(y)
                sd_x = x[ok].std(axis=0)
                use = sd_x > 0
                if ok.sum() < 3 or y[ok].std() == 0:
                    continue
                xs = (x[ok][:, use] - x[ok][:, use].mean(axis=0)) / sd_x[use]
                ys = (y[ok] - y[ok].mean()) / y[ok].std()
                src = np.zeros(len(self.inputs))
                if ok.sum() > use.sum() + 1:
                    design = np.column_stack([np.ones(len(ys)), xs])
                    coef, *_ = np.linalg.lstsq(design, ys, rcond=None)
                    src[use] = coef[1:]
                    r2 = float(1 - np.sum((ys - design @ coef) ** 2) / np.sum(ys ** 2))
                else:  # fewer samples than inputs: each input's own correlation
                    src[use] = xs.T @ ys / len(ys)
                    r2 = float("nan")
                order = np.argsort(-np.abs(src))
                for rank, j in enumerate(order, 1):
                    rows.append({"quantity": column, "column": q, "step": int(step),
                                 "input": self.inputs[j].path, "kind": self.inputs[j].kind,
                                 "src": float(src[j]), "share": float(src[j] ** 2),
                                 "r2": r2, "rank": rank})
        return pd.DataFrame(rows, columns=["quantity", "column", "step", "input", "kind",
                                           "src", "share", "r2", "rank"])

    def to_frame(self) -> pd.DataFrame:
        return self.summary

    def write(self, out_dir: str | Path) -> list[Path]:
        """The replay's files, then summary.csv with intervals, uncertainty.csv, drivers.csv,
        comparisons.csv with intervals, tornado_<quantity>.png and report.md."""
        from nasim.uncertainty.output import write_uncertainty

        out_dir = Path(out_dir)
        self.nominal.write(out_dir)
        return write_uncertainty(self, out_dir)


__all__ = ["HEADLINE", "UncertaintyResult", "suffix"]
