"""Latin hypercube samples of the uncertain inputs (scipy.stats.qmc).

One hypercube over all inputs: an assumed input maps its column uniformly onto its range (in
log10 where :attr:`UncertainInput.log`); the fitted inputs of one fit map their columns through
the standard normal's inverse, are correlated with the Cholesky factor of the fit's correlation
matrix, scaled by the standard deviations that the 95 % intervals give (half-width / 1.96 in
the fit's scale) about the fitted value, and clipped to the fit's bounds. The same seed gives
the same samples.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import norm, qmc

from nasim.uncertainty.inputs import UncertainInput

Z95 = float(norm.ppf(0.975))


def _fwd(x, log: bool):
    return np.log10(x) if log else np.asarray(x, dtype=float)


def _back(z, log: bool):
    return 10.0 ** z if log else z


def _nearest_correlation(c: np.ndarray) -> np.ndarray:
    """A positive-definite correlation matrix near ``c`` (eigenvalues floored at 1e-8)."""
    w, v = np.linalg.eigh((c + c.T) / 2.0)
    c = v @ np.diag(np.maximum(w, 1e-8)) @ v.T
    d = np.sqrt(np.diag(c))
    return c / np.outer(d, d)


def correlation(fitted: list[UncertainInput]) -> np.ndarray:
    """The correlation matrix of ``fitted`` (one fit) from their recorded correlations."""
    n = len(fitted)
    c = np.eye(n)
    for i, a in enumerate(fitted):
        for j, b in enumerate(fitted):
            if i != j:
                r = a.correlation.get(b.fit_parameter, b.correlation.get(a.fit_parameter, 0.0))
                c[i, j] = float(r)
    return _nearest_correlation(c)


def latin_hypercube(inputs: list[UncertainInput], n: int, seed: int | None = None
                    ) -> np.ndarray:
    """``n`` x ``len(inputs)`` samples (in each input's unit)."""
    if n < 2:
        raise ValueError(f"samples must be >= 2 (got {n})")
    d = len(inputs)
    if d == 0:
        return np.zeros((n, 0))
    u = qmc.LatinHypercube(d=d, seed=seed).random(n)
    out = np.empty_like(u)
    fits: dict[str, list[int]] = {}
    for j, item in enumerate(inputs):
        if item.kind == "fitted":
            fits.setdefault(item.fit, []).append(j)
            continue
        lo, hi = _fwd(item.low, item.log), _fwd(item.high, item.log)
        out[:, j] = _back(lo + u[:, j] * (hi - lo), item.log)
    for cols in fits.values():
        items = [inputs[j] for j in cols]
        z = norm.ppf(np.clip(u[:, cols], 1e-12, 1 - 1e-12)) @ np.linalg.cholesky(
            correlation(items)).T
        for k, (j, item) in enumerate(zip(cols, items, strict=True)):
            lo95, hi95 = _fwd(np.array(item.interval_95), item.log)
            sd = (hi95 - lo95) / (2.0 * Z95)
            centre = _fwd(item.nominal, item.log)
            out[:, j] = np.clip(_back(centre + sd * z[:, k], item.log), item.low, item.high)
    return out


__all__ = ["Z95", "correlation", "latin_hypercube"]
