"""``ror-gis sync fhir`` from the command line: dry run, then a real sync recorded in the import history."""

from __future__ import annotations

from click.testing import CliRunner

from gis.cli import main
from gis.db import connect
from gis.settings import get_settings
from gis.tokens import create_token


def test_sync_command_dry_run_then_sync(fhir_uncached_server, fhir_source_url, target_factory, monkeypatch):
    with connect(fhir_source_url) as conn:  # the source is a ror-gis: a bearer token must be one of its tokens
        _token_id, token = create_token(conn, role="professionnel", nom="moissonnage (test)")
        conn.commit()
    target = target_factory()
    monkeypatch.setenv("ROR_GIS_DATABASE_URL", target)
    get_settings.cache_clear()
    base = fhir_uncached_server.url + "/fhir"
    runner = CliRunner()
    dry = runner.invoke(main, ["sync", "fhir", base, "--dry-run", "--page-size", "50", "--token", token])
    assert dry.exit_code == 0, dry.output
    assert "Simulation" in dry.output and "offres_creees" in dry.output
    with connect(target) as conn:
        assert conn.execute("SELECT count(*) AS n FROM offre").fetchone()["n"] == 0
    done = runner.invoke(main, ["sync", "fhir", base, "--page-size", "50"])
    assert done.exit_code == 0, done.output
    assert "Synchronisation terminée" in done.output and "ror-gis imports" in done.output
    with connect(target) as conn:
        assert conn.execute("SELECT count(*) AS n FROM offre").fetchone()["n"] > 30
    get_settings.cache_clear()
