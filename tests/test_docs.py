"""The documentation site builds with every warning an error (``mkdocs build --strict``, the
tools from the ``docs`` extra, which the ``test`` extra includes), and its API reference covers
the public API with numpy-style sections."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PUBLIC = ("load_cell", "load_protocol", "load_study", "simulate", "replay", "energy", "fit",
          "sweep")


def test_public_api_docstrings_are_numpy_style():
    import nasim

    for name in PUBLIC:
        doc = getattr(nasim, name).__doc__ or ""
        for section in ("Parameters\n", "Returns\n", "Raises\n", "Examples\n"):
            assert section in doc.replace("    ", ""), f"nasim.{name}: no {section.strip()}"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    pytest.importorskip("mkdocstrings")
    out = tmp_path_factory.mktemp("site")
    run = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir",
                          str(out)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    return out


def test_docs_build_strict_and_api_reference(site):
    api = (site / "api" / "index.html").read_text(encoding="utf-8")
    for name in PUBLIC:
        assert f'.{name}"' in api, f"no entry for nasim.{name}"
    for verb in ("SimulationResult.plot", "ReplayResult.write", "EnergyResult.to_frame",
                 "FitResult.write"):
        assert f'{verb}"' in api, verb
    assert api.count("Parameters") >= len(PUBLIC)
    assert api.count("Raises") >= len(PUBLIC)
    for page in ("tour", "replay", "fit", "sweep", "energy", "aging", "phases", "layout"):
        assert (site / page / "index.html").is_file(), page


def test_readme_links_every_docs_page():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    pages = sorted(p.name for p in (ROOT / "docs").glob("*.md") if p.name != "index.md")
    missing = [p for p in pages if f"(docs/{p})" not in readme]
    assert not missing, f"README does not link {missing}"
