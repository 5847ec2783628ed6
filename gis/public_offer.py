"""The JSON form of an offer, built by PostgreSQL (no per-row work in Python), for a :class:`Visibility`.

:func:`offer_json` is a ``json_build_object`` over ``o`` (offre) and the joins of :data:`OFFER_JOINS`; the layers add
their own keys (coverage, distance). Contacts are filtered by confidentiality level (:func:`contacts_sql`): the public
sees level 1 (accès libre) only. Capacities (installed, available, with their dates and whether the availability is
fictitious) and the provenance of the values are part of the form; whether an availability figure is stale depends on
the time of reading, so it is decided by the reader (``gis.layers.disponibilites``, the pages), never stored here. The
public form is precomputed into ``offre.doc_public`` at load time (:func:`fill_docs_sql`, migration 005) and read with
:func:`public_doc`, which builds it on the fly when it is missing; the form for any other visibility is always built
on the fly (never stored).
"""

from __future__ import annotations

from psycopg import sql

from gis.access import PUBLIC_VISIBILITY, Confidentialite, Visibility


def labelled(array_sql: str, nomenclature: str) -> sql.Composable:
    """Return SQL giving ``[{"code", "label"}]`` for an array of codes of one nomenclature, in order."""
    return sql.SQL(
        "(SELECT coalesce(json_agg(json_build_object('code', u.c, 'label', n.label) ORDER BY u.i), '[]')"
        " FROM unnest({arr}) WITH ORDINALITY u(c, i)"
        " LEFT JOIN nomenclature n ON n.name = {name} AND n.code = u.c)"
    ).format(arr=sql.SQL(array_sql), name=sql.Literal(nomenclature))


OFFER_JOINS = sql.SQL("""
    LEFT JOIN etablissement e ON e.id = o.etablissement_id
    LEFT JOIN nomenclature nt ON nt.name = 'type_offre' AND nt.code = o.type_offre
    LEFT JOIN nomenclature nch ON nch.name = 'champ' AND nch.code = o.champ
    LEFT JOIN nomenclature ncat ON ncat.name = 'categorie_eg' AND ncat.code = e.categorie
""")

PUBLIC_CONTACTS = sql.SQL(
    "(SELECT coalesce(jsonb_agg(c), '[]') FROM jsonb_array_elements(o.contacts) c"
    " WHERE c->>'confidentialite' = '1')"
)



def contacts_sql(vis: Visibility = PUBLIC_VISIBILITY) -> sql.Composable:
    """Return SQL giving the contacts of offer ``o`` that ``vis`` may see (JSON array).

    A level that is not a known code counts as "accès très restreint" (fail closed): only a visibility up to level 3
    shows it.
    """
    if vis.max_level >= Confidentialite.ACCES_TRES_RESTREINT:
        return sql.SQL("coalesce(o.contacts, '[]'::jsonb)")
    if vis.max_level <= Confidentialite.ACCES_LIBRE:
        return PUBLIC_CONTACTS
    return sql.SQL(
        "(SELECT coalesce(jsonb_agg(c), '[]') FROM jsonb_array_elements(o.contacts) c"
        " WHERE c->>'confidentialite' = ANY ({}::text[]))"
    ).format(sql.Literal(vis.levels))


ETABLISSEMENT_JSON = sql.SQL("""CASE WHEN e.nom IS NULL THEN NULL ELSE json_build_object(
        'finess', e.finess, 'nom', e.nom,
        'categorie', json_build_object('code', e.categorie, 'label', ncat.label),
        'adresse', e.adresse, 'code_postal', e.code_postal, 'ville', e.ville, 'commune_insee', e.commune_insee,
        'lat', round(ST_Y(e.geom)::numeric, 5), 'lon', round(ST_X(e.geom)::numeric, 5),
        'capacite', e.capacite, 'statut_juridique', e.statut_juridique, 'prix_min', e.prix_min,
        'provenance_champs', e.provenance_champs) END""")


def offer_json(extra: sql.Composable | None = None, vis: Visibility = PUBLIC_VISIBILITY) -> sql.Composable:
    """``json_build_object(...)`` of the offer seen with ``vis``, followed by the ``extra`` key/value pairs (SQL).

    Beyond the public visibility, the form also says whether the offer is a sensitive unit (``unite_sensible``).
    """
    parts: list[sql.Composable] = [sql.SQL("""json_build_object(
        'id', o.ror_id, 'identifiant', o.identifiant, 'nom', o.nom,
        'type_offre', json_build_object('code', o.type_offre, 'label', nt.label),
        'champ', json_build_object('code', o.champ, 'label', nch.label),
        'activites', {activites}, 'publics', {publics}, 'modes_prise_en_charge', {modes},
        'age_min', o.age_min, 'age_max', o.age_max, 'contacts', {contacts},
        'lat', round(ST_Y(o.geom)::numeric, 5), 'lon', round(ST_X(o.geom)::numeric, 5),
        'fictif', o.fictif, 'etablissement', {etab},
        'capacite', o.capacite, 'capacite_type', o.capacite_type, 'capacite_maj', o.capacite_maj,
        'capacite_disponible', o.capacite_disponible, 'capacite_disponible_maj', o.capacite_disponible_maj,
        'disponibilite_fictive', o.disponibilite_fictive, 'provenance', o.provenance""").format(
        activites=labelled("o.activites", "activite"),
        publics=labelled("o.publics", "public"),
        modes=labelled("o.modes_pec", "mode_prise_en_charge"),
        contacts=contacts_sql(vis),
        etab=ETABLISSEMENT_JSON,
    )]
    if vis.sensitive:
        parts.append(sql.SQL(", 'unite_sensible', coalesce(o.unite_sensible, true)"))
    if extra is not None:
        parts.append(sql.SQL(", ") + extra)
    parts.append(sql.SQL(")"))
    return sql.Composed(parts)


def public_doc(vis: Visibility = PUBLIC_VISIBILITY) -> sql.Composable:
    """Return the form (JSON text) of offer ``o`` for ``vis``.

    Public: its precomputed ``doc_public``, or built now when missing. Other visibilities: built now.
    """
    if not vis.public:
        return sql.SQL("({})::text").format(offer_json(vis=vis))
    return sql.SQL("coalesce(o.doc_public, ({})::text)").format(offer_json())


def public_doc_with(extra: sql.Composable, vis: Visibility = PUBLIC_VISIBILITY) -> sql.Composable:
    """Return the form (JSON text) of the offer ``p.id`` for ``vis`` with more members, by text concatenation.

    ``extra`` is SQL giving the text of the members to add (``'"key" : ' || value``). The public document is read
    from ``offre.doc_public``, or built by a subquery only when it is missing; any other is built by a subquery.
    """
    if not vis.public:
        return sql.SQL("""left((SELECT ({offer})::text FROM offre o {joins} WHERE o.id = p.id), -1)
        || ', ' || {extra} || '}}'""").format(offer=offer_json(vis=vis), joins=OFFER_JOINS, extra=extra)
    return sql.SQL("""left(coalesce((SELECT d.doc_public FROM offre d WHERE d.id = p.id),
                             (SELECT ({offer})::text FROM offre o {joins} WHERE o.id = p.id)), -1)
        || ', ' || {extra} || '}}'""").format(offer=offer_json(), joins=OFFER_JOINS, extra=extra)


def fill_docs_sql() -> sql.Composed:
    """``UPDATE`` filling ``offre.doc_public`` wherever it is missing (run at the end of every load)."""
    return sql.SQL("""
        UPDATE offre u SET doc_public = d.doc
          FROM (SELECT o.id, ({offer})::text AS doc FROM offre o {joins} WHERE o.doc_public IS NULL) d
         WHERE u.id = d.id
    """).format(offer=offer_json(), joins=OFFER_JOINS)
