"""NOS code lists loaded from the real CSV files: counts, string codes, keys, extra columns, re-runs."""

from __future__ import annotations

import csv

from gis.importers.nomenclatures import NOMENCLATURE_FILES, labels, load_nomenclatures


def _csv_rows(data_dir, file_name):
    with (data_dir / "nomenclatures" / file_name).open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _counts(conn):
    return {r["name"]: r["n"] for r in conn.execute("SELECT name, count(*) AS n FROM nomenclature GROUP BY name")}


def test_every_list_loaded_with_the_csv_row_count(conn, data_dir):
    report = load_nomenclatures(conn, data_dir)
    assert report.status == "reussi"
    assert report.rejected == []
    expected = {name: len(_csv_rows(data_dir, f)) for name, f in NOMENCLATURE_FILES.items()}
    assert _counts(conn) == expected
    # Figures stated in nomenclatures/README.md
    assert expected["categorie_eg"] == 309
    assert expected["type_offre"] == 306
    assert expected["acte_specifique"] == 1353
    assert expected["profession"] == 150
    assert len(NOMENCLATURE_FILES) == 19


def test_codes_are_strings_with_leading_zeros(conn, data_dir):
    load_nomenclatures(conn, data_dir)
    classe_age = labels(conn, "classe_age")
    assert classe_age["01"] == "Nouveau né, jusqu'à 28 jours"
    assert "1" not in classe_age
    assert labels(conn, "agregat_categorie")["0101"] == "Etablissements d'administration"
    assert labels(conn, "type_offre")["28"] == "Services Soins infirmiers à domicile (SSIAD)"


def test_profession_key_is_system_and_code(conn, data_dir):
    load_nomenclatures(conn, data_dir)
    professions = labels(conn, "profession")
    assert professions["TRE_G15-ProfessionSante|10"] == "Médecin"
    assert all("|" in code for code in professions)
    # codes repeat across systems: the qualified key keeps all 150 rows
    raw_codes = [r["code"] for r in _csv_rows(data_dir, NOMENCLATURE_FILES["profession"])]
    assert len(set(raw_codes)) < len(raw_codes) == len(professions)


def test_categorie_eg_extra_columns_and_system(conn, data_dir):
    load_nomenclatures(conn, data_dir)
    row = conn.execute(
        "SELECT label, system, deprecated, extra, label_norm FROM nomenclature "
        "WHERE name = 'categorie_eg' AND code = '500'"
    ).fetchone()
    assert row["system"] == "TRE_R66-CategorieEtablissement"
    assert row["extra"]["in_jdv_j55_ror"] == "1"
    assert row["extra"]["agregat_code"] == "4401"
    assert row["extra"]["ror_couloir_bi"] == "PA"
    assert row["label_norm"] == "etablissement dhebergement pour personnes agees dependantes"
    assert row["deprecated"] is False
    in_j55 = conn.execute(
        "SELECT count(*) AS n FROM nomenclature WHERE name = 'categorie_eg' AND extra->>'in_jdv_j55_ror' = '1'"
    ).fetchone()["n"]
    assert in_j55 == 166  # JDV_J55 = 166 TRE_R66 codes + 4 cabinet sectors (README)


def test_deprecated_from_date_fin(conn, data_dir):
    load_nomenclatures(conn, data_dir)
    row = conn.execute(
        "SELECT deprecated, extra FROM nomenclature WHERE name = 'agregat_categorie' AND code = '0101'"
    ).fetchone()
    assert row["deprecated"] is True and row["extra"]["date_fin"] == "2021-03-26"
    expected = sum(
        1 for r in _csv_rows(data_dir, NOMENCLATURE_FILES["agregat_categorie"]) if r["date_fin"]
    )
    n = conn.execute(
        "SELECT count(*) AS n FROM nomenclature WHERE name = 'agregat_categorie' AND deprecated"
    ).fetchone()["n"]
    assert n == expected > 0


def test_rerun_replaces_lists_without_duplicates(conn, data_dir):
    load_nomenclatures(conn, data_dir)
    first = _counts(conn)
    conn.execute("UPDATE nomenclature SET label = 'modifié' WHERE name = 'champ' AND code = '01'")
    load_nomenclatures(conn, data_dir)
    assert _counts(conn) == first
    assert labels(conn, "champ")["01"] == "Médecine Chirurgie Obstétrique (MCO)"
    runs = conn.execute("SELECT status FROM import_run WHERE kind = 'nomenclatures'").fetchall()
    assert [r["status"] for r in runs] == ["reussi", "reussi"]
