"""Compare two ``nasim replay experiments/ --out D`` folders: is every summary.csv the same?

    python benchmarks/compare_outputs.py A B [--rtol 1e-6] [--ignore solve_time_s]

For every protocol folder (``D/<protocol>/summary.csv``) in either output folder: the same
columns in the same order, the same number of rows, numeric columns equal to ``rtol``
relative (|a - b| <= rtol max(|a|, |b|); empty cells equal only empty cells) and every other
column equal as text. Columns named by ``--ignore`` are left out (default ``solve_time_s``: the
solver's wall time differs from run to run). Exits 0 when they agree, 1 with one line per
difference otherwise (2 for bad arguments).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

SUMMARY = "summary.csv"
DEFAULT_IGNORED = ("solve_time_s",)
MAX_SHOWN_PER_COLUMN = 5


def _summaries(folder: Path) -> dict[str, Path]:
    """Protocol name -> its summary.csv, for every protocol folder of ``folder``."""
    return {p.parent.name: p for p in sorted(folder.glob(f"*/{SUMMARY}"))}


def _show(value) -> str:
    """A cell as written in a difference: numbers plainly, text quoted."""
    return repr(str(value)) if isinstance(value, str) else repr(float(value))


def _column_differences(name: str, column: str, a: pd.Series, b: pd.Series,
                        rtol: float) -> list[str]:
    """Rows where column ``column`` of protocol ``name`` differs between ``a`` and ``b``."""
    numeric = pd.api.types.is_numeric_dtype(a) and pd.api.types.is_numeric_dtype(b)
    if numeric:
        x, y = a.to_numpy(dtype=float), b.to_numpy(dtype=float)
        both_nan = np.isnan(x) & np.isnan(y)
        with np.errstate(invalid="ignore"):
            close = np.abs(x - y) <= rtol * np.maximum(np.abs(x), np.abs(y))
        bad = np.flatnonzero(~(close | both_nan))
    else:
        x, y = a.fillna("").astype(str).to_numpy(), b.fillna("").astype(str).to_numpy()
        bad = np.flatnonzero(x != y)
    out = []
    for i in bad[:MAX_SHOWN_PER_COLUMN]:
        detail = (f" (relative difference {abs(x[i] - y[i]) / max(abs(x[i]), abs(y[i])):.3g})"
                  if numeric and np.isfinite(x[i]) and np.isfinite(y[i]) else "")
        out.append(f"{name}: row {i + 1}, column {column!r}: {_show(x[i])} != {_show(y[i])}"
                   f"{detail}")
    if len(bad) > MAX_SHOWN_PER_COLUMN:
        out.append(f"{name}: column {column!r}: {len(bad) - MAX_SHOWN_PER_COLUMN} more rows "
                   "differ")
    return out


def compare_summary(name: str, a_path: Path, b_path: Path, rtol: float,
                    ignored: Sequence[str] = DEFAULT_IGNORED) -> list[str]:
    """The differences between two summary.csv files of protocol ``name`` (empty: equal)."""
    a, b = pd.read_csv(a_path), pd.read_csv(b_path)
    if list(a.columns) != list(b.columns):
        return [f"{name}: columns differ: {list(a.columns)} != {list(b.columns)}"]
    if len(a) != len(b):
        return [f"{name}: {len(a)} rows != {len(b)} rows"]
    out: list[str] = []
    for column in a.columns:
        if column not in ignored:
            out += _column_differences(name, column, a[column], b[column], rtol)
    return out


def compare_folders(a: Path, b: Path, rtol: float = 1e-6,
                    ignored: Sequence[str] = DEFAULT_IGNORED) -> tuple[list[str], int]:
    """(differences, number of protocols compared) between two replay output folders."""
    left, right = _summaries(a), _summaries(b)
    out = [f"{name}: {SUMMARY} only in {where}" for name, where in
           [(n, a) for n in sorted(set(left) - set(right))]
           + [(n, b) for n in sorted(set(right) - set(left))]]
    common = sorted(set(left) & set(right))
    for name in common:
        out += compare_summary(name, left[name], right[name], rtol, ignored)
    return out, len(common)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a", type=Path, help="one replay output folder")
    parser.add_argument("b", type=Path, help="the other replay output folder")
    parser.add_argument("--rtol", type=float, default=1e-6,
                        help="relative tolerance of numeric values (default 1e-6)")
    parser.add_argument("--ignore", nargs="*", default=list(DEFAULT_IGNORED),
                        help="columns not compared (default: solve_time_s)")
    args = parser.parse_args(argv)
    for folder in (args.a, args.b):
        if not folder.is_dir():
            parser.error(f"{folder} is not a folder")
    differences, n = compare_folders(args.a, args.b, args.rtol, args.ignore)
    if n == 0 and not differences:
        differences = [f"no {SUMMARY} found under {args.a} or {args.b}"]
    if differences:
        print(f"{len(differences)} difference(s) between {args.a} and {args.b} "
              f"(rtol {args.rtol:g}):")
        print("\n".join(f"  {d}" for d in differences))
        return 1
    print(f"{n} protocols: every {SUMMARY} equal (rtol {args.rtol:g}; not compared: "
          f"{', '.join(args.ignore) or 'none'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
