"""Load the real Île-de-France establishment lists into ``etablissement`` / ``entite_juridique``.

Sources: ``data/establishments`` and ``data/hopitaux-eurostat``.

One declarative ``SourceSpec`` per source (file, format, encoding, vintage, column → field mapping,
category rule, IDF filter) and one generic reader. Rows are keyed on the FINESS ET:

- the newest vintage wins for every field it has, older values are kept where it has none (the rule
  is applied in SQL, ``upsert_etablissements``, so it also holds against rows loaded earlier, e.g. by
  the FINESS importer);
- ``provenance`` lists every source that described the établissement (source, libellé, vintage, row);
- re-running gives the same rows (provenance entries are replaced, not appended twice);
- the descriptive fields ``capacite`` (places of the EG), ``statut_juridique`` and ``prix_min`` (the CNSA
  ``prixMin``: the lowest price shown by the annuaire, a MONTHLY amount in euros — median 2,744 € for IDF
  EHPAD, 591 € for résidences autonomie — although migration 006 comments it as daily) carry a per-field
  provenance in ``etablissement.provenance_champs`` ({field: {source: "Annuaire CNSA", millesime: "≈ 2021"}});
  a value whose provenance is the ROR (FHIR import) is never replaced. A CNSA capacity of 0 (55 IDF rows)
  means unknown: left empty, with a warning.

Modules: ``sources`` (the declarative ``SourceSpec`` of each file and the generic reader),
``cleaning`` (field cleaning, row → record), ``record`` (``EtabRecord`` and the upsert shared with
the FINESS importer), ``load`` (the importer).

Vintages: Région IDF files and the centres de santé = FINESS extraction of 2013-05-15; Eurostat =
its ``ref_date`` 2020-03-06; CNSA annuaire = 2021-01-01 (undated; prices in the same export range
2017-02 → 2020-11, so the data describe the situation at the turn of 2020/2021: we take the first day
of 2021, later than Eurostat and earlier than the IME list); IME list = 2021-12-31 (FINESS export
containing openings up to 2021).

Coordinates: every source here is an IDF list, so a point outside the IDF box (lat 48.1–49.25,
lon 1.4–3.6) is an error of the source. When latitude/longitude are outside France but swapped they
fall in IDF, they are swapped back (warning). Otherwise the point is dropped with a warning and the
établissement is still loaded: the IME 950002220 (Jacques Maraux, Andilly) at latitude 50.99 keeps
the position given by the 2013 list (older source, but the only plausible point).
"""

from gis.importers.etablissements.cleaning import (
    clean_finess,
    clean_phone,
    clean_postcode,
    is_mangled,
    split_cp_ville,
    to_record,
)
from gis.importers.etablissements.load import TABLES, load_establishments
from gis.importers.etablissements.record import EtabRecord, upsert_etablissements
from gis.importers.etablissements.sources import IDF_DEPARTEMENTS, SOURCES, CategoryRule, SourceSpec, read_rows

__all__ = [
    "IDF_DEPARTEMENTS",
    "SOURCES",
    "TABLES",
    "CategoryRule",
    "EtabRecord",
    "SourceSpec",
    "clean_finess",
    "clean_phone",
    "clean_postcode",
    "is_mangled",
    "load_establishments",
    "read_rows",
    "split_cp_ville",
    "to_record",
    "upsert_etablissements",
]
