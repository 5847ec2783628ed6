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


def test_web_map_does_not_load_an_http_framework():
    """Not even transitively (a fresh interpreter imports every web_map module)."""
    import subprocess
    import sys

    code = ("import sys, importlib, pkgutil, web_map\n"
            "for m in pkgutil.iter_modules(web_map.__path__): importlib.import_module('web_map.' + m.name)\n"
            "print(sorted(n for n in ('fastapi', 'starlette', 'uvicorn', 'folium', 'branca') if n in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=WEB_MAP.parent).stdout.strip()
    assert out == "[]"
