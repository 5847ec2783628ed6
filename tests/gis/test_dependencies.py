"""Dependencies go one way (issue #8): importers never import the read layers, ``data/`` never imports
``gis``, and the loaders do not reach into another module's private names."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _imports(folder: Path) -> list[tuple[Path, str, list[str]]]:
    """(file, imported module, names) of every import of the Python files under ``folder``."""
    out = []
    for path in sorted(folder.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                out.append((path, node.module, [a.name for a in node.names]))
            elif isinstance(node, ast.Import):
                out.extend((path, a.name, []) for a in node.names)
    return out


def test_importers_and_demo_never_import_the_read_layers_or_the_api():
    for folder in (REPO / "gis" / "importers", REPO / "gis" / "demo"):
        for path, module, _names in _imports(folder):
            assert not module.startswith(("gis.layers", "api", "web_map")), f"{path}: {module}"


def test_data_never_imports_gis():
    for path, module, _names in _imports(REPO / "data"):
        assert not module.startswith("gis"), f"{path}: {module}"


def test_no_private_names_imported_across_importer_modules():
    for folder in (REPO / "gis" / "importers", REPO / "gis" / "demo"):
        for path, module, names in _imports(folder):
            if module.startswith("gis."):
                private = [n for n in names if n.startswith("_")]
                assert not private, f"{path}: {module} {private}"
