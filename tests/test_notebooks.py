"""The example notebooks (examples/*.ipynb) run from top to bottom and show their figures.

Each is executed in a fresh kernel with nbclient, from the examples/ folder as a user opens it;
outputs are stripped in git (a test holds that too).
"""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
NOTEBOOKS = sorted(EXAMPLES.glob("*.ipynb"))


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 4


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_and_shows_figures(path: Path):
    book = nbformat.read(path, as_version=4)
    assert all(not c.get("outputs") and c.get("execution_count") is None
               for c in book.cells if c.cell_type == "code"), f"{path.name}: strip the outputs"
    # the kernel gets the user's environment, not the suite's MPLBACKEND=Agg (conftest): its
    # figures are shown inline, as in Jupyter
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    # a kernel is not under pytest: without this PyBaMM 26.10 would ask its telemetry question
    # (no answer possible there: 10 s, once per machine)
    env.setdefault("PYBAMM_DISABLE_TELEMETRY", "true")
    NotebookClient(book, timeout=180, kernel_name="python3",
                   resources={"metadata": {"path": str(EXAMPLES)}}).execute(env=env)
    outputs = [o for c in book.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert images, f"{path.name} shows no figure"
    for cell in book.cells:  # a figure drawn with pyplot is shown where it is drawn
        if cell.cell_type == "code" and "plt.subplots" in cell.source:
            assert any("image/png" in o.get("data", {}) for o in cell.outputs), cell.source
