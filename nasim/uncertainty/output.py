"""Writing an uncertainty run: the tables, the tornado figures and report.md (atomic writes
through :mod:`nasim.rundir`)."""

from __future__ import annotations

from pathlib import Path

from nasim.rundir import save, write_text
from nasim.uncertainty.result import HIGH, LOW, MAX_TORNADOS, suffix


def _fmt(v) -> str:
    return "n/a" if v is None or v != v else f"{v:.4g}"


def _tornados(result, drivers, out_dir: Path) -> list[Path]:
    """One figure per headline quantity at each discharge with a measured value (else the
    first and last discharges), at most ``MAX_TORNADOS``."""
    import matplotlib.pyplot as plt

    from nasim.plots.uncertainty import tornado

    if drivers.empty:
        return []
    measured = set(result.nominal.comparisons.step.dropna().astype(int))
    steps = sorted(set(drivers.step))
    chosen = [s for s in steps if s in measured] or sorted({steps[0], steps[-1]})
    paths = []
    for quantity, part in drivers.groupby("quantity", sort=False):
        if int(part.step.iloc[0]) not in chosen or len(paths) >= MAX_TORNADOS:
            continue
        row = result.nominal.summary.set_index("step").loc[int(part.step.iloc[0])]
        title = (f"{result.name}: {part.column.iloc[0]} at step "
                 f"{int(part.step.iloc[0])} ({row.current_mA_per_g:.4g} mA/g)")
        fig = tornado(part, title)
        path = out_dir / f"tornado_{quantity}.png"
        save(path, fig.savefig)
        plt.close(fig)
        paths.append(path)
    return paths


def report_text(result, comparisons, drivers) -> str:
    n = len(result.records)
    lines = [f"# Uncertainty: {result.name} ({result.nominal.model})", "",
             f"{n} Latin-hypercube samples (seed {result.seed}, --vary {result.vary}) of "
             f"{len(result.inputs)} inputs; {result.n_failed} samples failed "
             f"(counted, not dropped silently: their reasons are in uncertainty.csv); "
             f"{sum(r['rebuilt'] for r in result.records)} needed a model of their own; "
             f"{result.wall_time_s:.1f} s.", ""]
    ended = int(result.summary.samples_ended.iloc[-1]) if len(result.summary) else 0
    if ended:
        lines += [f"{ended} samples ended their cycling (the protocol's end-of-life rule) before "
                  "the last step: the intervals of the steps after their end are over the "
                  "samples still cycling, and the ended ones lie below them (samples_ended in "
                  "summary.csv).", ""]
    rejected = sum(r["jumps_rejected"] for r in result.records)
    if rejected:
        lines += [f"Cycle jumping: {rejected} jumps rejected over the samples (undone and "
                  "retried shorter; per sample in uncertainty.csv, jumps_rejected).", ""]
    lines += [f"Central value: the files' values. Interval: the {LOW:g} and {HIGH:g} "
              "percentiles over the samples whose step solved.", "",
              "## Measured values and the 95 % interval", "",
              "| step | quantity | measured | simulated | 2.5 % | 97.5 % | inside |",
              "|---|---|---|---|---|---|---|"]
    for r in comparisons.itertuples():
        inside = {True: "yes", False: "**no**", None: "n/a"}[r.inside]
        lines.append(f"| {r.step} | {r.quantity} | {_fmt(r.measured)} | {_fmt(r.simulated)} "
                     f"| {_fmt(getattr(r, suffix(LOW)))} | {_fmt(getattr(r, suffix(HIGH)))} "
                     f"| {inside} |")
    lines += ["", "## Top drivers (standardised regression, share of variance)", ""]
    for quantity, part in drivers.groupby("quantity", sort=False):
        top = part.sort_values("rank").head(3)
        text = ", ".join(f"{t.input} {100 * t.share:.0f} %" for t in top.itertuples())
        lines.append(f"- {quantity} (R² {top.r2.iloc[0]:.2f}): {text}")
    lines += ["", "## Inputs sampled", "", "| input | file | kind | value | low | high |",
              "|---|---|---|---|---|---|"]
    for i in result.inputs:
        lines.append(f"| {i.path} | {i.file} | {i.kind} | {i.nominal:.4g} {i.unit} | "
                     f"{i.low:.4g} | {i.high:.4g} |")
    lines += ["", "## Inputs not sampled", ""]
    lines += [f"- {i.path} ({i.file}): {why}" for i, why in result.left_out]
    failed = [r for r in result.records if r["status"] != "ok"]
    if failed:
        lines += ["", "## Failed samples", ""]
        lines += [f"- sample {r['sample']}: {r['error']}" for r in failed]
    return "\n".join(lines) + "\n"


def write_uncertainty(result, out_dir: Path) -> list[Path]:
    """summary.csv (with intervals), comparisons.csv (with intervals and inside), uncertainty.csv,
    drivers.csv, tornado_*.png and report.md (the replay's report after the intervals)."""
    comparisons = result.comparisons()
    drivers = result.drivers()
    paths = []
    for name, frame in (("summary.csv", result.summary), ("comparisons.csv", comparisons),
                        ("uncertainty.csv", result.samples_frame()),
                        ("drivers.csv", drivers)):
        path = out_dir / name
        save(path, lambda p, f=frame: f.to_csv(p, index=False))
        paths.append(path)
    paths += _tornados(result, drivers, out_dir)
    report = out_dir / "report.md"
    previous = report.read_text(encoding="utf-8") if report.exists() else ""
    write_text(report, report_text(result, comparisons, drivers) + "\n---\n\n" + previous)
    paths.append(report)
    return paths




__all__ = ["report_text", "write_uncertainty"]
