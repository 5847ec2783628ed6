"""The ror-gis command line through click's CliRunner, against a real (empty, then loaded) database."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from gis.cli import main
from gis.settings import get_settings

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "fhir"


@pytest.fixture
def cli_env(empty_db_factory, data_dir, monkeypatch):
    """Settings of a new, empty database (no schema yet), read from the environment like in production."""
    url = empty_db_factory(migrated=False)
    monkeypatch.setenv("ROR_GIS_DATABASE_URL", url)
    monkeypatch.setenv("ROR_GIS_DATA_DIR", str(data_dir))
    monkeypatch.setenv("ROR_GIS_DOWNLOAD", "false")
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def _run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_help_and_usage_errors_are_french():
    result = _run("--help")
    assert result.exit_code == 0
    assert "Utilisation :" in result.output and "Affiche cette aide et quitte." in result.output
    assert "Show this message" not in result.output and "Commandes:" in result.output
    result = _run("load", "finess")
    assert result.exit_code == 2 and "Erreur : Argument manquant 'FILE'." in result.output
    assert "Aide : « ror-gis load finess --help »." in result.output or "--help »." in result.output
    result = _run("charger")
    assert result.exit_code == 2 and "Commande inconnue : 'charger'." in result.output
    result = _run("load", "finess", "/nulle/part.csv")
    assert result.exit_code == 2 and "introuvable" in result.output and "does not exist" not in result.output


def test_db_init_load_and_imports_listing(cli_env):
    result = _run("db", "init")
    assert result.exit_code == 0, result.output
    assert "Schéma à jour" in result.output and "001_geography.sql" in result.output
    assert "aucune" in _run("db", "init").output  # idempotent

    result = _run("load", "nomenclatures")
    assert result.exit_code == 0, result.output
    assert "Import nomenclatures (nomenclatures) : réussi." in result.output
    assert max(len(line) for line in result.output.splitlines()) <= 120

    result = _run("imports")
    assert result.exit_code == 0 and "nomenclatures" in result.output and "réussi" in result.output
    assert str(get_settings().resolved_data_dir()) not in result.output
    run_id = result.output.split()[0].lstrip("#")
    detail = _run("imports", run_id)
    assert detail.exit_code == 0 and "codes : " in detail.output


def test_errors_are_french_with_exit_code_1(cli_env):
    assert _run("db", "init").exit_code == 0
    result = _run("imports", "999")
    assert result.exit_code == 1 and "Erreur : Import inconnu : 999." in result.output
    result = _run("load", "fhir", str(FIXTURES / "not-json.json"))
    assert result.exit_code == 1 and "n'est pas un fichier JSON valide" in result.output
    listing = _run("imports").output
    assert "échoué" in listing and "not-json.json" in listing and str(FIXTURES) not in listing
