"""Import history: relative file names, French reasons (never raw database text), real start time,
consistent counts, geography runs recorded, and ANALYZE after every load."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest

from gis.errors import ImportFailed, InvalidInput
from gis.import_runs import get_run, hide_paths, recent_runs, shown_path
from gis.importers.geography import load_geography
from gis.importers.nomenclatures import load_nomenclatures
from gis.importers.report import count_lines, run_import
from gis.settings import get_settings


def test_paths_are_shown_relative_to_the_data_directory(data_dir: Path):
    assert shown_path(get_settings().resolved_data_dir() / "finess" / "x.csv") == "finess/x.csv"
    assert shown_path("/srv/secret/extraction.csv") == "extraction.csv"
    assert shown_path("relatif/b.json") == "relatif/b.json"
    assert hide_paths("Fichier introuvable : /srv/secret/a.csv.") == "Fichier introuvable : a.csv."


def test_database_error_is_stored_in_french_and_logged_in_full(conn, caplog):
    def work(report):
        report.counts["lignes"] = 3
        conn.execute("SELECT 1 / 0")

    with caplog.at_level(logging.ERROR), pytest.raises(ImportFailed) as exc:
        run_import(conn, "test", "essai", work)
    assert "division" not in exc.value.message and "erreur interne" in exc.value.message
    run = conn.execute("SELECT status, message FROM import_run WHERE source = 'essai'").fetchone()
    assert run["status"] == "echoue" and "division" not in run["message"] and "journal du serveur" in run["message"]
    assert "division by zero" in caplog.text


def test_started_at_is_the_real_start_and_counts_agree(conn):
    def work(report):
        time.sleep(0.2)
        report.reject("a.csv:2", "ligne illisible")
        report.warn("a.csv:3", "code postal illisible")
        report.warn("a.csv:4", "code postal illisible")

    report = run_import(conn, "test", "essai-duree", work)
    run = get_run(conn, report.run_id)
    assert (run["finished_at"] - run["started_at"]).total_seconds() >= 0.2
    assert (run["rejets"], run["alertes"]) == (1, 2) == (report.counts["rejetes"], report.counts["alertes"])
    assert run["statut"] == "réussi" and run["duree_s"] >= 0.2


def test_rows_stored_earlier_with_server_paths_are_shown_without_them(conn):
    conn.execute(
        "INSERT INTO import_run (kind, source, finished_at, status, message) VALUES "
        "('finess', %s, now(), 'echoue', 'Fichier FINESS introuvable : /home/exploitation/secret/finess.csv')",
        (str(get_settings().resolved_data_dir() / "finess" / "etalab.csv"),),
    )
    run = recent_runs(conn, limit=1)[0]
    assert run["source"] == "finess/etalab.csv"
    assert run["message"] == "Fichier FINESS introuvable : finess.csv" and run["statut"] == "échoué"


def test_geography_loads_are_recorded(conn, fetcher, monkeypatch):
    import gis.importers.geography as geo

    loaded = conn.execute(
        "SELECT status, counts, started_at < finished_at AS timed FROM import_run WHERE kind = 'geography' "
        "ORDER BY id LIMIT 1"
    ).fetchone()
    assert loaded["status"] == "reussi" and loaded["counts"]["communes"] == 1266 and loaded["timed"]

    def broken(*_args, **_kwargs):
        raise InvalidInput("fichier de contours illisible")

    monkeypatch.setattr(geo, "_geometry_features", broken)
    with pytest.raises(InvalidInput):
        load_geography(conn, fetcher, region="11")
    failed = recent_runs(conn, limit=1)[0]
    assert (failed["kind"], failed["status"]) == ("geography", "echoue")
    assert failed["message"] == "fichier de contours illisible"


def test_summary_lines_are_short(conn, data_dir):
    report = load_nomenclatures(conn, data_dir)
    lines = report.lines()
    assert lines[0].startswith("Import nomenclatures (nomenclatures) : réussi.")
    assert max(len(line) for line in lines) <= 120
    assert count_lines({"a.lus": 1, "a.charges": 2, "b": 3}) == ["  b : 3", "  a — charges : 2, lus : 1"]


def test_loads_analyze_the_tables_they_touch(conn, data_dir):
    conn.execute("DELETE FROM nomenclature")
    conn.execute("ANALYZE nomenclature")
    assert conn.execute("SELECT reltuples FROM pg_class WHERE relname = 'nomenclature'").fetchone()["reltuples"] == 0
    report = load_nomenclatures(conn, data_dir)
    reltuples = conn.execute("SELECT reltuples FROM pg_class WHERE relname = 'nomenclature'").fetchone()["reltuples"]
    assert reltuples == report.counts["codes"]
