"""web_map builds pages from plain data: no HTTP framework, no database driver, no import back into
``api``; small modules (issue #8)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

WEB_MAP = Path(__file__).resolve().parents[2] / "web_map"
FORBIDDEN = ("fastapi", "starlette", "psycopg", "uvicorn", "api", "folium", "branca")
MODULES = sorted(WEB_MAP.glob("*.py"))


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_web_map_module_imports_and_size(path):
    bad = {n for n in _imports(path) if n.split(".")[0] in FORBIDDEN}
    assert not bad, f"{path.name} imports {bad}"
    assert len(path.read_text(encoding="utf-8").splitlines()) <= 400


def test_no_inline_script_in_templates():
    for template in (WEB_MAP / "templates").glob("*.html"):
        text = template.read_text(encoding="utf-8")
        for tag in text.split("<script")[1:]:
            head = tag.split(">", 1)[0]
            assert " src=" in head or 'type="application/json"' in head, (template.name, head)
        assert "|safe" not in text and "tojson }}\"" not in text, template.name
