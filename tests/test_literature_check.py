"""parameter_sets/LITERATURE_CHECK.md keeps up with the parameter files (issues 13 and 14): every
value of kind ``literature`` and every activation energy has a row saying whether its citation
was checked, and every ``literature`` range says where the spread comes from (``range_source``),
since a citation backs a value, not by itself the spread around it."""

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SETS = ROOT / "parameter_sets"
CHECK = SETS / "LITERATURE_CHECK.md"


def _quantities(node: object, path: str = "") -> Iterator[tuple[str, dict]]:
    """(dotted path, quantity) for every sourced value, table or closed form under ``node``."""
    if isinstance(node, dict):
        source = node.get("source")
        if isinstance(source, dict) and any(k in node for k in ("value", "table", "closed_form")):
            yield path, node
        for key, child in node.items():
            if key != "source":
                yield from _quantities(child, f"{path}.{key}" if path else key)
    elif isinstance(node, list):
        for i, child in enumerate(node):
            yield from _quantities(child, f"{path}[{i}]")


def _to_check() -> list[tuple[str, str, dict]]:
    """(file relative to parameter_sets, field, source) of the values the check must cover."""
    out = []
    for file in sorted(SETS.rglob("*.yaml")):
        rel = str(file.relative_to(SETS))
        for field, q in _quantities(yaml.safe_load(file.read_text())):
            if q["source"].get("kind") == "literature" or field.endswith("activation_energy"):
                out.append((rel, field, q["source"]))
    return out


def _rows() -> set[tuple[str, str]]:
    """(file, field) pairs listed in the check's tables; a cell may list several, comma-separated,
    and a field may carry a parenthetical note ("diffusivity (fitted)")."""
    pairs = set()
    for line in CHECK.read_text().splitlines():
        if not line.startswith("|"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        assert len(cells) == 7, f"LITERATURE_CHECK.md row without its 7 columns: {line}"
        if cells[0] == "File" or set(cells[0]) <= {"-"}:
            continue
        assert cells[5], f"LITERATURE_CHECK.md row without a verdict: {line}"
        files = [f.strip() for f in cells[0].split(",")]
        fields = [f.strip().split(" (")[0] for f in cells[1].split(",")]
        pairs.update((f, g) for f in files for g in fields)
    return pairs


TO_CHECK = _to_check()


def test_the_check_covers_the_literature_values_and_activation_energies():
    assert len(TO_CHECK) >= 60  # guard: the walk finds the bundled literature values
    rows = _rows()
    missing = [f"{file}: {field}" for file, field, _ in TO_CHECK if (file, field) not in rows]
    assert not missing, "no row in parameter_sets/LITERATURE_CHECK.md for:\n" + "\n".join(missing)


@pytest.mark.parametrize(("file", "field", "source"),
                         [t for t in TO_CHECK if t[2].get("kind") == "literature"
                          and t[2].get("range") is not None],
                         ids=lambda v: v if isinstance(v, str) else "")
def test_a_literature_range_names_its_source(file, field, source):
    assert source.get("citation"), f"{file}: {field}: literature value without a citation"
    assert source.get("range_source"), (
        f"{file}: {field}: range {source['range']} without range_source (where the spread "
        "comes from, not only the value)")


def _fitted() -> list[tuple[str, str, dict]]:
    """(file, field, source) of every value of kind ``fitted`` in parameter_sets/."""
    return [(str(f.relative_to(SETS)), field, q["source"])
            for f in sorted(SETS.rglob("*.yaml"))
            for field, q in _quantities(yaml.safe_load(f.read_text()))
            if q["source"].get("kind") == "fitted"]


@pytest.mark.parametrize(("file", "field", "source"), _fitted(),
                         ids=lambda v: v if isinstance(v, str) else "")
def test_a_fitted_value_names_a_bundled_fit_and_carries_its_interval(file, field, source):
    """A value calibrated by hand is ``assumed`` with a range (issue 14: the uncertainty run
    would hold a ``fitted`` value without an interval fixed); a ``fitted`` one names the
    bundled fit that produced it, whose report exists, and carries that fit's interval."""
    unc = source.get("uncertainty")
    assert unc, f"{file}: {field}: fitted without the fit's interval (fits/record_uncertainty.py)"
    assert f"fits/{unc['fit']}" in str(source.get("data", "")), (file, field, unc["fit"])
    assert (ROOT / "fits" / unc["fit"] / "out" / "fit_report.json").is_file(), (file, field)
    low, high = unc["interval_95"]
    assert low < high, (file, field, unc["interval_95"])
