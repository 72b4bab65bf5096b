"""docs/law.md traces §14–§48 to code and tests: every test it names exists, and no article is
left out (issue 13). A row that names a renamed or deleted test fails here."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAW = ROOT / "docs" / "law.md"


def _rows() -> list[list[str]]:
    rows = []
    for line in LAW.read_text(encoding="utf-8").splitlines():
        if line.startswith("| §") or line.startswith("| procedure"):
            rows.append([c.strip() for c in line.strip().strip("|").split("|")])
    return rows


def _references(cell: str) -> list[tuple[str, str | None]]:
    """(file, test or None) for every `tests/…` and `::name` in a cell, in order."""
    refs: list[tuple[str, str | None]] = []
    current: str | None = None
    for m in re.finditer(r"`(tests/[\w/]+\.py)?(?:::(\w+))?`", cell):
        path, name = m.group(1), m.group(2)
        if path:
            current = path
        if current is None:
            raise AssertionError(f"'::{name}' with no test file before it: {cell}")
        refs.append((current, name))
    return refs


def _tests_in(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {n.name for n in ast.walk(tree)
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name.startswith("test_")}


def test_every_named_test_exists():
    missing = []
    for row in _rows():
        for path, name in _references(row[-1]):
            file = ROOT / path
            if not file.exists():
                missing.append(f"{row[0]}: {path}")
            elif name and name not in _tests_in(file):
                missing.append(f"{row[0]}: {path}::{name}")
    assert not missing, "docs/law.md names tests that do not exist:\n" + "\n".join(missing)


def test_enforced_rows_name_a_test_and_others_say_why():
    for row in _rows():
        article, status, test = row[0], row[2], row[-1]
        assert status.split()[0] in {"enforced", "partial", "not", "n/a"}, row
        if status.startswith("enforced"):
            assert _references(test), f"{article} is marked enforced but names no test"


def test_every_article_from_14_to_48_has_a_row():
    covered: set[int] = set()
    for row in _rows():
        for first, last in re.findall(r"§(\d+)(?:–§(\d+))?", row[0]):
            covered.update(range(int(first), int(last or first) + 1))
    assert set(range(14, 49)) - covered == set()


def test_the_check_catches_a_missing_test():
    """The check itself can fail: a made-up test name is reported."""
    refs = _references("`tests/petitions/test_law_rights.py::test_no_such_thing`")
    path, name = refs[0]
    assert name not in _tests_in(ROOT / path)
