"""The resumable results store of a sweep: one SQLite file (WAL journal) in the output directory.

One row per point, keyed by the point id (a hash of the study's fixed settings, the contents of
its parameter files and the point's inputs; :meth:`nasim.sweep.study.LoadedStudy.point_id`).
Only the coordinating process writes, one transaction per finished task, so a sweep killed at
any moment leaves every finished point stored once and no partial row; started again it
computes only the ids that are missing.
"""

from __future__ import annotations

import json
import math
import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

STORE_NAME = "sweep.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS points (
    id TEXT PRIMARY KEY,
    study TEXT NOT NULL,
    idx INTEGER NOT NULL,
    inputs TEXT NOT NULL,
    status TEXT NOT NULL,
    error TEXT NOT NULL,
    metrics TEXT NOT NULL,
    solve_time_s REAL,
    worker TEXT,
    finished_at REAL NOT NULL
)
"""


def _json_number(value):
    """JSON has no NaN: store it as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


class ResultStore:
    """Point records in ``directory/sweep.sqlite``."""

    def __init__(self, directory: str | Path):
        self.path = Path(directory) / STORE_NAME
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(self.path, timeout=60.0)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute(_SCHEMA)
        self._conn.commit()

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> ResultStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def statuses(self) -> dict[str, str]:
        """Point id -> status of every stored point."""
        return dict(self._conn.execute("SELECT id, status FROM points"))

    def put(self, study: str, records: Iterable[dict]) -> int:
        """Store finished points (one transaction); returns how many."""
        now = time.time()
        rows = [(r["id"], study, r["index"], json.dumps(r["inputs"], sort_keys=True),
                 r["status"], r.get("error") or "",
                 json.dumps({k: _json_number(v) for k, v in r.get("metrics", {}).items()}),
                 r.get("solve_time_s"), r.get("worker"), now) for r in records]
        with self._conn:
            self._conn.executemany(
                "INSERT OR REPLACE INTO points (id, study, idx, inputs, status, error, metrics, "
                "solve_time_s, worker, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        return len(rows)

    def records(self, ids: Iterable[str] | None = None) -> pd.DataFrame:
        """Stored rows (all, or those with ``ids``): id, idx, inputs and metrics (dicts),
        status, error, solve_time_s, worker, finished_at."""
        frame = pd.read_sql_query("SELECT * FROM points ORDER BY idx", self._conn)
        if ids is not None:
            frame = frame[frame.id.isin(set(ids))]
        frame["inputs"] = frame.inputs.map(json.loads)
        frame["metrics"] = frame.metrics.map(json.loads)
        return frame.reset_index(drop=True)


__all__ = ["STORE_NAME", "ResultStore"]
