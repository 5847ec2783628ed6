"""Real offers for older people from the CNSA annuaire: one offer per unit flag of each établissement.

The CNSA annuaire (``establishments/cnsa-annuaire-pa/dataset_to_use.csv``, ≈ 2021) says, for 1,258 IDF
établissements (EG), which units each one runs. :data:`UNITS` maps every flag to the ROR offer it describes
(type d'offre of JDV_J238 / TRE_R244, champ TRE_R227, mode de prise en charge TRE_R213, temporalité
JDV_J30, activités TRE_R211, spécialisation TRE_R245); the table is repeated in the README. The offers are
REAL (never ``fictif``), labelled with their source and vintage (``offre.source`` = "Annuaire CNSA, ≈ 2021",
``offre.provenance``), attached to the EG (loaded beforehand by ``load etablissements``) and, having no
zone d'intervention, cover the commune of their EG like every offer without territory.

Capacity: the annuaire gives one figure per EG (``etablissement.capacite``, all units). It is put on the
EG's **main offer** (hébergement permanent of an EHPAD/EHPA, résidence autonomie, USLD, or the accueil de
jour of an accueil de jour autonome) when that is unambiguous: the EG has exactly one main offer and every
other unit with places of its own (hébergement temporaire, accueil de jour, accueil de nuit) has the same
type d'offre, so that sums of ``offre.capacite`` by type d'offre equal the source. UHR, unité Alzheimer,
PASA are parts of the permanent hébergement and never carry a figure. Otherwise the figure stays on the EG
only (``capacite_non_repartie``).

A ROR FHIR offer of the same EG and unit (:mod:`gis.importers.offer_merge`) wins field by field: no CNSA
offer is created beside it, the CNSA capacity only fills a ROR offer without one (provenance kept).

The load is one transaction (``run_import``): rows whose EG is missing, or that name no unit, are
rejected with a French reason; CNSA offers of an earlier load that this one no longer gives are deleted;
the coverage of the offers written is refreshed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from psycopg.types.json import Jsonb

from gis.db import Conn
from gis.import_runs import shown_path
from gis.importers.etablissements.cleaning import clean_finess
from gis.importers.etablissements.sources import (
    CNSA_MILLESIME,
    CNSA_SOURCE,
    IDF_DEPARTEMENTS,
    SOURCES,
    SourceSpec,
    read_rows,
)
from gis.importers.offer_merge import CNSA_OFFER_SOURCE, absorb_cnsa_into, matching_ror_offer
from gis.importers.report import ImportReport, run_import
from gis.importers.statements import one, statement
from gis.progress import Progress, silent
from gis.territories import coverage

#: ``offre.source`` of the offers of this importer: the source and its vintage, as shown to users.
SOURCE_LABEL = CNSA_OFFER_SOURCE
PROVENANCE = {"source": CNSA_SOURCE, "millesime": CNSA_MILLESIME}
TABLES = ("offre", "couverture")
PA_PUBLIC = "01"      # JDV_J29: personnes âgées en perte d'autonomie (PA) et aidants
PA_AUTONOMES = "03"   # JDV_J29: personnes âgées autonomes
ALZHEIMER = "28"      # TRE_R245: maladies d'Alzheimer et apparentées


@dataclass(frozen=True)
class Unit:
    """One kind of unit of the annuaire and the ROR offer that describes it."""

    kind: str                     # ror_id suffix: cnsa-<FINESS>-<kind>
    label: str                    # French name of the offer (followed by the EG name)
    type_offre: str               # JDV_J238 / TRE_R244
    mode: str                     # TRE_R213
    temporalite: str | None       # JDV_J30: 01 temporaire, 02 permanent
    activites: tuple[str, ...]    # TRE_R211
    champ: str = "04"             # TRE_R227: 04 médico-social
    public: str = PA_PUBLIC
    specialisations: tuple[str, ...] = ()
    capacite_type: str = "place"  # TRE_R329 nature of the capacity: lit or place
    role: str = "places"          # 'principale' (main offer), 'places' (own places), 'partie' (part of the main one)


_AVQ, _STIM, _REPIT, _SOINS = "293", "306", "394", "287"
#: Every unit, by the flag that creates it (see :func:`units_of` for the conditions).
UNITS: dict[str, Unit] = {u.kind: u for u in (
    Unit("hebergement-permanent", "Hébergement permanent (EHPAD)", "21", "46", "02", (_AVQ, _SOINS),
         role="principale"),
    Unit("hebergement-permanent-ehpa", "Hébergement permanent (EHPA)", "22", "46", "02", (_AVQ,),
         public=PA_AUTONOMES, role="principale"),
    Unit("residence-autonomie", "Résidence autonomie", "22", "46", "02", (_AVQ,), public=PA_AUTONOMES,
         role="principale"),
    Unit("usld", "Unité de soins de longue durée (USLD)", "249", "28", "02", ("285", "288"), champ="01",
         capacite_type="lit", role="principale"),
    Unit("hebergement-temporaire", "Hébergement temporaire", "21", "46", "01", (_AVQ, _REPIT)),
    Unit("hebergement-temporaire-autonomes", "Hébergement temporaire", "22", "46", "01", (_AVQ, _REPIT),
         public=PA_AUTONOMES),
    Unit("accueil-de-jour", "Accueil de jour", "21", "47", None, (_STIM, _REPIT)),
    Unit("accueil-de-jour-autonome", "Accueil de jour autonome", "21", "47", None, (_STIM, _REPIT),
         role="principale"),
    Unit("accueil-de-nuit", "Accueil de nuit", "21", "48", None, (_REPIT,)),
    Unit("uhr", "Unité d'hébergement renforcée (UHR)", "23", "46", "02", (_AVQ, _STIM),
         specialisations=("27",), role="partie"),
    Unit("unite-alzheimer", "Unité de vie protégée Alzheimer", "24", "46", "02", (_AVQ, _STIM),
         specialisations=(ALZHEIMER,), role="partie"),
    Unit("pasa", "Pôle d'activités et de soins adaptés (PASA)", "25", "47", None, (_STIM,),
         specialisations=(ALZHEIMER,), role="partie"),
    Unit("puv", "Petite unité de vie (PUV)", "26", "46", "02", (_AVQ,), role="principale"),
)}


FLAGS = ("IsEHPAD", "IsEHPA", "IsESLD", "IsRA", "IsAJA", "IsHCOMPL", "IsHTEMPO", "IsACC_JOUR", "IsACC_NUIT",
         "IsUHR", "IsALZH", "IsPASA", "IsPUV")


def _autonomous(f: dict[str, bool]) -> bool:
    """Return True for a résidence autonomie or an EHPA that is not an EHPAD (stays for autonomous people)."""
    return (f["IsRA"] or f["IsEHPA"]) and not f["IsEHPAD"]


#: Unit kind → condition on the flags of the row, in the order the offers are written.
RULES: tuple[tuple[str, Callable[[dict[str, bool]], bool]], ...] = (
    ("hebergement-permanent", lambda f: f["IsHCOMPL"] and f["IsEHPAD"]),
    ("hebergement-permanent-ehpa", lambda f: f["IsHCOMPL"] and f["IsEHPA"] and not f["IsEHPAD"]),
    ("residence-autonomie", lambda f: f["IsRA"]),
    ("usld", lambda f: f["IsESLD"]),
    ("puv", lambda f: f["IsPUV"]),
    ("hebergement-temporaire", lambda f: f["IsHTEMPO"] and not _autonomous(f)),
    ("hebergement-temporaire-autonomes", lambda f: f["IsHTEMPO"] and _autonomous(f)),
    ("accueil-de-jour-autonome", lambda f: f["IsAJA"]),
    ("accueil-de-jour", lambda f: f["IsACC_JOUR"] and not f["IsAJA"]),
    ("accueil-de-nuit", lambda f: f["IsACC_NUIT"]),
    ("uhr", lambda f: f["IsUHR"]),
    ("unite-alzheimer", lambda f: f["IsALZH"] and (f["IsEHPAD"] or f["IsEHPA"])),
    ("pasa", lambda f: f["IsPASA"]),
)


def units_of(row: dict[str, Any]) -> list[tuple[Unit, tuple[str, ...]]]:
    """Return the units of one annuaire row and their spécialisations (pure function).

    Rules (:data:`RULES`): hébergement complet (``IsHCOMPL``) of an EHPAD → hébergement permanent 21, of an
    EHPA → 22; résidence autonomie (``IsRA``) → 22 (whatever ``IsHCOMPL``); ``IsESLD`` → USLD 249;
    ``IsHTEMPO`` → hébergement temporaire (22 when the EG is a résidence autonomie or an EHPA, else 21);
    ``IsACC_JOUR`` → accueil de jour 21 (accueil de jour autonome when ``IsAJA``); ``IsACC_NUIT`` → 21;
    ``IsUHR`` → 23, ``IsPASA`` → 25, ``IsPUV`` → 26; ``IsALZH`` → unité de vie protégée 24 in an EHPAD or
    EHPA, else the spécialisation Alzheimer (TRE_R245 28) of the USLD or of the accueil de jour autonome.
    Flags that describe no unit (habilitation à l'aide sociale, APL, sizes of flats) are not used.
    """
    f = {flag: str(row.get(flag) or "").strip() == "True" for flag in FLAGS}
    alzheimer_elsewhere = f["IsALZH"] and not (f["IsEHPAD"] or f["IsEHPA"])
    out: list[tuple[Unit, tuple[str, ...]]] = []
    for kind, applies in RULES:
        if applies(f):
            unit = UNITS[kind]
            spe = unit.specialisations
            if alzheimer_elsewhere and kind in ("usld", "accueil-de-jour-autonome"):
                spe = (*spe, ALZHEIMER)
            out.append((unit, spe))
    return out


def capacity_holder(units: list[Unit]) -> Unit | None:
    """Return the unit that receives the EG capacity, or None when that is ambiguous (see the module docstring)."""
    main = [u for u in units if u.role == "principale"]
    if len(main) != 1:
        return None
    others = [u for u in units if u.role == "places"]
    return main[0] if all(u.type_offre == main[0].type_offre for u in others) else None


def _spec() -> SourceSpec:
    return next(s for s in SOURCES if s.name == "cnsa_annuaire_pa")


def _rows(data_dir: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    spec = _spec()
    for ref, row in read_rows(spec, data_dir):
        if str(row.get(spec.idf_column or "") or "").strip()[:2] in IDF_DEPARTEMENTS:
            yield ref, row


def load_cnsa_offers(conn: Conn, data_dir: Path, progress: Progress | None = None) -> ImportReport:
    """Create the real offers for older people of the CNSA annuaire (see the module docstring).

    Parameters
    ----------
    conn
        Open connection; the establishments must be loaded (``load_establishments``).
    data_dir
        The data directory (``establishments/cnsa-annuaire-pa/``).
    progress
        Where the steps are reported (default: nowhere).

    Returns
    -------
    ImportReport
        Counts: ``lus`` (IDF rows), ``offres`` (CNSA offers written), ``offres_par_type.<code>``,
        ``capacites_placees`` / ``capacite_non_repartie``, ``remplacees_par_ror`` (units already described by
        a ROR offer, whose missing capacity was filled), ``offres_supprimees`` (CNSA offers of an earlier
        load no longer given), ``couverture``; rejected rows with French reasons.
    """
    progress = progress or silent()
    data_dir = Path(data_dir)

    def work(report: ImportReport) -> None:
        egs = {r["finess"]: r for r in conn.execute(
            "SELECT id, finess, nom, capacite, geom IS NOT NULL AS situe FROM etablissement WHERE finess IS NOT NULL")}
        progress.step("lecture de l'annuaire CNSA")
        written: list[int] = []
        kept: list[str] = []
        for ref, row in _rows(data_dir):
            report.counts["lus"] += 1
            _row(conn, report, ref, row, egs, written, kept)
        n = conn.execute("DELETE FROM offre WHERE source = %s AND NOT (ror_id = ANY(%s))",
                         (SOURCE_LABEL, kept)).rowcount
        report.counts["offres_supprimees"] = n
        progress.step("calcul de la couverture des offres")
        report.counts["couverture"] = coverage.refresh(conn, sorted(set(written)))

    return run_import(conn, "offres_pa", shown_path(data_dir / _spec().path), work, tables=TABLES)


def _row(
    conn: Conn, report: ImportReport, ref: str, row: dict[str, Any], egs: dict[str, dict[str, Any]],
    written: list[int], kept: list[str],
) -> None:
    """Write the offers of one annuaire row (or reject it)."""
    finess = clean_finess(row.get("noFinesset"))
    eg = egs.get(finess or "")
    if eg is None:
        report.reject(ref, f"établissement FINESS {finess!r} absent de la base : chargez d'abord les "
                           "établissements (ror-gis load etablissements) ; aucune offre créée.")
        return
    units = units_of(row)
    if not units:
        report.reject(ref, f"FINESS {finess} : aucun type d'établissement ni d'unité indiqué dans l'annuaire "
                           "(EHPAD, EHPA, ESLD, résidence autonomie, accueil de jour) : aucune offre créée.")
        return
    if not eg["situe"]:
        report.warn(ref, f"FINESS {finess} : établissement sans position, ses offres ne sont pas sur la carte.")
    holder = capacity_holder([u for u, _ in units]) if eg["capacite"] is not None else None
    if eg["capacite"] is not None:
        report.counts["capacites_placees" if holder else "capacite_non_repartie"] += 1
    for unit, spe in units:
        capacite = eg["capacite"] if unit is holder else None
        _unit(conn, report, eg, unit, spe, capacite, written, kept)


def _unit(
    conn: Conn, report: ImportReport, eg: dict[str, Any], unit: Unit, spe: tuple[str, ...],
    capacite: int | None, written: list[int], kept: list[str],
) -> None:
    """Upsert one CNSA offer, unless a ROR offer of the same EG already describes the unit."""
    ror = matching_ror_offer(conn, eg["id"], unit.type_offre, unit.mode, unit.temporalite)
    if ror is not None:
        report.counts["remplacees_par_ror"] += 1
        if capacite is not None:
            absorb_cnsa_into(conn, ror, capacite, unit.capacite_type, PROVENANCE)
        return
    prov: dict[str, Any] = {"offre": PROVENANCE}
    if capacite is not None:
        prov["capacite"] = PROVENANCE
    rid = f"cnsa-{eg['finess']}-{unit.kind}"
    params = {
        "ror_id": rid, "identifiant": f"CNSA/{eg['finess']}/{unit.kind}", "nom": f"{unit.label} — {eg['nom']}",
        "type_offre": unit.type_offre, "champ": unit.champ, "activites": list(unit.activites),
        "modes_pec": [unit.mode], "publics": [unit.public],
        "temporalites": [unit.temporalite] if unit.temporalite else [], "specialisations": list(spe),
        "age_min": 60, "eg": eg["id"], "source": SOURCE_LABEL, "capacite": capacite,
        "capacite_type": unit.capacite_type if capacite is not None else None, "provenance": Jsonb(prov),
    }
    row = one(conn.execute(statement("cnsa_offer_upsert"), params))
    report.counts["offres"] += 1
    report.counts[f"offres_par_type.{unit.type_offre}"] += 1
    written.append(row["id"])
    kept.append(rid)
