"""FICTITIOUS demonstration offers and territories, written as ROR FHIR Bundles for ``load_fhir``.

``generate(conn, out_dir)`` reads the real establishments (EG) of ``etablissement`` and the real
geography, and writes collection Bundles (JSON) of invented offers:

- EHPAD (catégorie 500) units: hébergement permanent / temporaire, accueil de jour, PASA, UHR — only for
  EHPAD without real offers for older people (the CNSA annuaire, ``load offres-pa``, gives the real ones);
- SESSAD (182), SAVS (446), SAMSAH (445) offers with home visits (modalité 05) over neighbouring
  communes;
- invented home services — SAD aide (type d'offre 30, EG catégorie 460), SSIAD (28, cat. 354), SAD
  aide et soins (132, cat. 209) — with an identifier of system ``https://ror-gis.example/fictif``
  and NO FINESS, covering lists of neighbouring communes (some of them Paris arrondissements, some a
  former or delegated code such as 93059 or 78524);
- mobile teams (EMGP 78, EMPP 77, EMSP 142) covering communes or a département, one DAC (178) per
  département, two offers covering the whole région, two free-form polygon territories
  (``ror-gis-intervention-zone-geometry``), a few sensitive units, contacts of the three
  confidentiality levels, and many offers without zone (covered by their place).

Nothing here describes a real offer: every name ends with " (fictif)", every resource carries a
``meta.tag`` and ``meta.source`` saying "Données fictives de démonstration — ror-gis", and the output
folder gets a LISEZMOI.txt. Offers of real EGs reference them by FINESS (logical reference), so the
real rows are never renamed. Output is deterministic for a given database and seed (inputs sorted,
``random.Random(seed)``, fixed dates, 5-decimal coordinates).

Ids are stable per establishment (issue #10): an offer of a real EG is ``demo-<FINESS>-<kind>``, an
invented establishment is named after its kind and commune (``demo-eg-ssiad-94081``), and every
value of an offer (units, zones, contacts, sensitivity) is drawn from a generator seeded by the seed
and the offer's own id, never from a counter shared with other offers. :func:`load_demo` loads the
Bundles with ``replace_source``: a demo reload replaces the previous demo set exactly.

Modules: ``resources`` (FHIR resource builders and the offer templates), ``inputs`` (what is read
from the database), ``generate`` (the scenarios), ``output`` (Bundle files and LISEZMOI.txt),
``load`` (generate + import).
"""

from gis.demo.generate import generate
from gis.demo.load import DEMO_SEED, DEMO_SOURCE_NAME, load_demo
from gis.demo.output import write_bundles, write_readme
from gis.demo.resources import DEMO_LABEL

__all__ = ["DEMO_LABEL", "DEMO_SEED", "DEMO_SOURCE_NAME", "generate", "load_demo", "write_bundles", "write_readme"]
