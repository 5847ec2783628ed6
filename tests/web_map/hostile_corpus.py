"""A hostile-string corpus and the browser checks that go with it (see test_hostile_strings.py).

Every payload tries to run ``window.__pwned = N`` (or ``alert``) if it is ever parsed as markup or
script; displayed as text, it is harmless. The checks run in every frame of a Chromium page.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import psycopg

from gis.text import normalize

PAYLOADS: list[str] = [
    "<script>window.__pwned=1</script>",
    '"><img src=x onerror="window.__pwned=2">',
    'T" autofocus onfocus="window.__pwned=3" x="',
    "T' autofocus onfocus='window.__pwned=4' x='",
    "'><svg onload=window.__pwned=5>",
    "javascript:window.__pwned=6",
    "</script><script>window.__pwned=7</script>",
    "</textarea><img src=x onerror=alert(8)>",
    '<a href="javascript:window.__pwned=9">clic</a>',
    "<iframe srcdoc=\"<script>parent.__pwned=10</script>\"></iframe>",
    "{{7*7}} ${window.__pwned=11} <!-- ]]> \\u003cb\\u003e",
    "\u202eRLO inversé\u202c zéro\u200blargeur\u200d\ufeff fin",
    "<style>*{display:none}</style><b onmouseover=alert(13)>survol</b>",
    "A" * 4000 + "<img src=x onerror=window.__pwned=14>",
]
# What the database cannot hold (NUL) is still tried through query strings and uploads.
WIRE_ONLY: list[str] = ["nul\x00octet<script>window.__pwned=15</script>"]
COMMUNE = "Zzhostile <img src=x onerror=window.__pwned=21> \"'><script>window.__pwned=22</script>"
HOSTILE_ID = 'h"><script>window.__pwned=23</script>'
COMMUNE_INSEE = "77001"

INIT_SCRIPT = """
(() => {
  window.__csp = [];
  document.addEventListener('securitypolicyviolation', e => {
    window.__csp.push(e.effectiveDirective + ' ' + e.blockedURI + ' ' + (e.sourceFile || '') + ':' + e.lineNumber);
  }, true);
})();
"""


def offer_ids() -> list[str]:
    """The ROR ids of the hostile offers (one per payload, plus a hostile id)."""
    return [f"hostile-{i}" for i in range(len(PAYLOADS))] + [HOSTILE_ID]


def insert(conn: psycopg.Connection) -> None:
    """A hostile commune (name, EPCI, postcode), a hostile type d'offre label, and one establishment and
    offer per payload (names, address, town, public contact), all covering the hostile commune."""
    conn.execute(
        "UPDATE geo_commune SET nom = %s, nom_norm = %s, epci_nom = %s, codes_postaux = %s WHERE insee = %s",
        (COMMUNE, normalize(COMMUNE), PAYLOADS[1], ["77760", PAYLOADS[4]], COMMUNE_INSEE),
    )
    conn.execute("UPDATE nomenclature SET label = %s WHERE name = 'type_offre' AND code = '30'",
                 ("SAAD " + PAYLOADS[2],))
    lon, lat = conn.execute("SELECT ST_X(centre) AS x, ST_Y(centre) AS y FROM geo_commune WHERE insee = %s",
                            (COMMUNE_INSEE,)).fetchone().values()
    for i, ror_id in enumerate(offer_ids()):
        text = PAYLOADS[i % len(PAYLOADS)]
        eg = conn.execute(
            "INSERT INTO etablissement (finess, nom, categorie, adresse, code_postal, ville, geom, source, "
            "commune_insee) VALUES (%s, %s, '460', %s, %s, %s, ST_SetSRID(ST_MakePoint(%s, %s), 4326), 'test', %s) "
            "RETURNING id",
            (f"77{i:07d}", text, text, text[:20], text, lon + 0.002 * i, lat, COMMUNE_INSEE),
        ).fetchone()["id"]
        contacts = [{"nature": "accueil", "canal": canal, "valeur": value, "confidentialite": "1"}
                    for canal, value in (("telephone", text), ("email", text), ("url", "javascript:window.__pwned=40"),
                                         ("url", "https://x.example/\"><script>window.__pwned=41</script>"))]
        pk = conn.execute(
            "INSERT INTO offre (ror_id, nom, type_offre, champ, unite_sensible, statut, etablissement_id, source, "
            "contacts) VALUES (%s, %s, '30', '04', false, 'ouverte', %s, 'test', %s) RETURNING id",
            (ror_id, text, eg, json.dumps(contacts)),
        ).fetchone()["id"]
        conn.execute("INSERT INTO zone_intervention (offre_id, type_division, code) VALUES (%s, '3', %s)",
                     (pk, COMMUNE_INSEE))


def spreadsheet(payload: str) -> bytes:
    """A CSV with a hostile value header, hostile unmatched codes and values."""
    lines = [f"code_insee;{payload}", "93066;10", "93048;4", "75110;3", f"{COMMUNE_INSEE};7",
             f"{payload};1", f"94028;{payload}"]
    return ("\n".join(lines) + "\n").encode("utf-8")


def workbook(payload: str) -> bytes:
    """The same table as an XLSX workbook (hostile header, code and value cells)."""
    import io

    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    for row in [["code_insee", payload], ["93066", 10], ["93048", 4], ["75110", 3], [COMMUNE_INSEE, 7],
                [payload, 1], ["94028", payload]]:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@dataclass
class Watch:
    """What a page did that it must not: dialogs, CSP violations (events, console), reports sent."""

    dialogs: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    reports: list[str] = field(default_factory=list)

    def attach(self, context: Any, page: Any) -> None:
        context.add_init_script(INIT_SCRIPT)

        def on_dialog(dialog: Any) -> None:
            self.dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", on_dialog)
        page.on("console", lambda m: self.console.append(m.text) if (
            "Content Security Policy" in m.text or "Refused to" in m.text) else None)
        page.on("request", lambda r: self.reports.append(r.url) if "/csp-report" in r.url else None)

    def assert_clean(self, page: Any, where: str) -> None:
        """No script ran, no dialog, no CSP violation, in any frame of the page."""
        for frame in page.frames:
            if frame.url.startswith("about:"):
                continue
            state = frame.evaluate("() => ({pwned: window.__pwned, parentPwned: window.parent.__pwned, "
                                   "csp: window.__csp || []})")
            assert state["pwned"] is None and state["parentPwned"] is None, (where, frame.url, state)
            assert state["csp"] == [], (where, frame.url, state["csp"])
        assert self.dialogs == [], (where, self.dialogs)
        assert self.console == [], (where, self.console)
        assert self.reports == [], (where, self.reports)


MAP_TEXTS_JS = """
() => {
  const out = {texts: [], elements: 0};
  const visit = l => {
    if (l.getLayers) { l.getLayers().forEach(visit); }
    for (const item of [l.getPopup && l.getPopup(), l.getTooltip && l.getTooltip()]) {
      if (!item) continue;
      const c = item.getContent();
      const node = typeof c === 'function' ? c(l) : c;
      if (node && node.nodeType === 1) {
        out.texts.push(node.textContent);
        out.elements += node.querySelectorAll('script,img,iframe,svg,style,object,embed').length;
      } else if (node) { out.texts.push('STRING:' + String(node)); }
    }
  };
  if (window.rgMap) window.rgMap.eachLayer(visit);
  return out;
}
"""
