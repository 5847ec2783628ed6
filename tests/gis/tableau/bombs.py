"""Hostile and extreme uploads built on the fly (tests and ``scripts/bench_upload.py``).

Each builder returns ``(file name, bytes)``. Sizes are chosen so that building is quick (< 1 s).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterable

_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
    'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/></Types>'
)


def _rels(items: list[tuple[str, str, str]]) -> str:
    body = "".join(f'<Relationship Id="{i}" Type="{t}" Target="{target}"/>' for i, t, target in items)
    return f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{_PKG}">{body}</Relationships>'


def workbook(sheet_xml: Iterable[bytes] | bytes, strings_xml: Iterable[bytes] | bytes | None = None,
             *, sheets: int = 1, level: int = 6) -> bytes:
    """A minimal XLSX: ``sheets`` sheets all pointing at ``sheet_xml``, optional shared strings.

    ``sheet_xml`` / ``strings_xml`` may be iterables of chunks, streamed into the archive.
    """
    doc = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    rels = [(f"rId{i + 1}", f"{doc}/worksheet", "worksheets/sheet1.xml") for i in range(sheets)]
    if strings_xml is not None:
        rels.append(("rIdS", f"{doc}/sharedStrings", "sharedStrings.xml"))
    sheet_tags = "".join(f'<sheet name="Feuille {i + 1}" sheetId="{i + 1}" r:id="rId{i + 1}"/>'
                         for i in range(sheets))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as zf:
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES)
        zf.writestr("_rels/.rels", _rels([("rId1", f"{doc}/officeDocument", "xl/workbook.xml")]))
        zf.writestr("xl/workbook.xml", f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{_NS}" '
                                       f'xmlns:r="{_R}"><sheets>{sheet_tags}</sheets></workbook>')
        zf.writestr("xl/_rels/workbook.xml.rels", _rels(rels))
        for name, content in (("xl/worksheets/sheet1.xml", sheet_xml), ("xl/sharedStrings.xml", strings_xml)):
            if content is None:
                continue
            with zf.open(name, "w", force_zip64=True) as out:
                for chunk in [content] if isinstance(content, bytes) else content:
                    out.write(chunk)
    return buf.getvalue()


def sheet(rows: Iterable[str], dimension: str | None = None) -> Iterable[bytes]:
    """Worksheet XML chunks around ``<row>`` strings."""
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    yield f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{_NS}">{dim}<sheetData>'.encode()
    batch: list[str] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= 1000:
            yield "".join(batch).encode()
            batch = []
    yield ("".join(batch) + "</sheetData></worksheet>").encode()


def _strings(texts: Iterable[str], unique_count: int) -> Iterable[bytes]:
    yield f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{_NS}" uniqueCount="{unique_count}">'.encode()
    batch: list[str] = []
    for text in texts:
        batch.append(f"<si><t>{text}</t></si>")
        if len(batch) >= 1000:
            yield "".join(batch).encode()
            batch = []
    yield ("".join(batch) + "</sst>").encode()


def _header_rows() -> list[str]:
    return ['<row r="1"><c r="A1" t="inlineStr"><is><t>code_insee</t></is></c>'
            '<c r="B1" t="inlineStr"><is><t>valeur</t></is></c></row>',
            '<row r="2"><c r="A2"><v>93066</v></c><c r="B2"><v>1</v></c></row>']


def shared_strings_bomb() -> tuple[str, bytes]:
    """~200 KB holding 200 MB of shared strings (the bomb of issue 9)."""
    texts = ("A" * 1000 for _ in range(200_000))
    return "chaines.xlsx", workbook(sheet(_header_rows()), _strings(texts, 200_000), level=9)


def long_row_bomb() -> tuple[str, bytes]:
    """One row of 5 million cells (~80 MB of XML), no dimension."""
    def rows() -> Iterable[str]:
        yield from _header_rows()
        yield '<row r="3">'
        for _ in range(5000):
            yield "<c><v>1</v></c>" * 1000
        yield "</row>"
    return "ligne.xlsx", workbook(sheet(rows()), level=9)


def wide_row_under_ratio() -> tuple[str, bytes]:
    """A row of 5,000 valued cells, with a lying dimension ``A1:B2``: refused while streaming."""
    cells = "".join(f"<c><v>{i}</v></c>" for i in range(5000))
    return "large.xlsx", workbook(sheet([*_header_rows(), f'<row r="3">{cells}</row>'], dimension="A1:B2"))


def huge_dimension() -> tuple[str, bytes]:
    """A small sheet declaring ``A1:XFD1048576``."""
    return "dimension.xlsx", workbook(sheet(_header_rows(), dimension="A1:XFD1048576"))


def many_sheets() -> tuple[str, bytes]:
    """5,000 sheets (all the same part)."""
    return "feuilles.xlsx", workbook(sheet(_header_rows()), sheets=5000)


def entity_bomb() -> tuple[str, bytes]:
    """Billion laughs in the worksheet XML."""
    dtd = ('<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">'
           + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9))
           + "]>")
    xml = (dtd + f'<worksheet xmlns="{_NS}"><sheetData><row r="1"><c t="inlineStr"><is><t>&j;</t></is></c>'
           "</row></sheetData></worksheet>").encode()
    return "entites.xlsx", workbook(xml)


def deep_zip(depth: int = 12) -> tuple[str, bytes]:
    """A zip inside a zip… ``depth`` times (42.zip style), named ``.xlsx``."""
    data = b"0" * 1_000_000
    for level in range(depth):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
            for i in range(4):
                zf.writestr(f"couche{level}_{i}.zip", data)
        data = buf.getvalue()
    return "profond.xlsx", data


def many_entries() -> tuple[str, bytes]:
    """A zip of 5,000 empty entries."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for i in range(5000):
            zf.writestr(f"x/{i}.xml", b"")
    return "entrees.xlsx", buf.getvalue()


def csv_huge_line() -> tuple[str, bytes]:
    """A 4.9 MB CSV whose second line is one field."""
    return "ligne.csv", b"code_insee;valeur\n93066;" + b"9" * 4_900_000 + b"\n"


def csv_wide() -> tuple[str, bytes]:
    """A CSV with 1,000 columns on one line of 20 KB."""
    return "colonnes.csv", b"code_insee;valeur\n93066;1" + b";7" * 1000 + b"\n"


def csv_many_rows() -> tuple[str, bytes]:
    """60,000 data rows (4.4 MB)."""
    return "lignes.csv", b"code_insee;valeur\n" + (b"93066;" + b"1234567890" * 6 + b"\n") * 60_000


def largest_accepted_xlsx() -> tuple[str, bytes]:
    """Close to every default XLSX limit: 100,000 cells (20,000 rows × 5 columns: code, value and
    three distinct shared strings of ~270 characters), ~18 MB of XML once decompressed (limit 20 MB)."""
    n_rows = 19_999
    filler = "texte assez long pour remplir la table des chaînes partagées " * 4

    def rows() -> Iterable[str]:
        yield ('<row r="1">' + "".join(f'<c r="{col}1" t="inlineStr"><is><t>{name}</t></is></c>' for col, name in
                                       zip("ABCDE", ("code_insee", "valeur", "nom", "adresse", "note"), strict=True))
               + "</row>")
        for r in range(n_rows):
            n = r + 2
            code = 75101 + r % 20 if r % 3 else 93001 + r % 80
            cells = (f'<c r="A{n}"><v>{code}</v></c><c r="B{n}"><v>{r % 1000 + 0.5}</v></c>'
                     + "".join(f'<c r="{col}{n}" t="s"><v>{3 * r + j}</v></c>' for j, col in enumerate("CDE")))
            yield f'<row r="{n}">{cells}</row>'

    texts = (f"{i:08d} {filler}" for i in range(n_rows * 3))
    return "maximal.xlsx", workbook(sheet(rows()), _strings(texts, n_rows * 3), level=6)


_IDF_RANGES = ((75101, 75120), (77001, 77533), (78001, 78690), (91001, 91692), (92002, 92078), (93001, 93079),
               (94001, 94081), (95002, 95690))


def largest_accepted_csv() -> tuple[str, bytes]:
    """50,000 data rows × 4 columns (200,004 cells, 3.2 MB): every candidate IDF code (about 1,280 of
    them are communes, with distinct values), then repeats (reported as duplicates)."""
    codes = [c for lo, hi in _IDF_RANGES for c in range(lo, hi + 1)]
    lines = [b"code_insee;commune;valeur;commentaire"]
    lines += [f"{codes[i % len(codes)]:05d};Commune {i};{i * 7 % 9973},{i % 10};ligne {i:06d} texte".encode()
              for i in range(50_000)]
    return "maximal.csv", b"\n".join(lines) + b"\n"


BOMBS: dict[str, Callable[[], tuple[str, bytes]]] = {
    "xlsx 200 Mo de chaînes partagées": shared_strings_bomb,
    "xlsx une ligne de 5 millions de cellules": long_row_bomb,
    "xlsx 5 000 colonnes, dimension mensongère": wide_row_under_ratio,
    "xlsx dimension A1:XFD1048576": huge_dimension,
    "xlsx 5 000 feuilles": many_sheets,
    "xlsx entités XML (billion laughs)": entity_bomb,
    "zip imbriqué 12 niveaux": deep_zip,
    "zip de 5 000 fichiers": many_entries,
    "csv ligne de 4,9 Mo": csv_huge_line,
    "csv 1 000 colonnes": csv_wide,
    "csv 60 000 lignes": csv_many_rows,
}
ACCEPTED: dict[str, Callable[[], tuple[str, bytes]]] = {
    "xlsx le plus gros accepté": largest_accepted_xlsx,
    "csv le plus gros accepté": largest_accepted_csv,
}
