-- Insert or merge one établissement by FINESS: the newest source (source_date) wins field by field,
-- older values are kept where it has none; a source point replaces a point that is not from a
-- source or is older. Composed by gis.importers.etablissements.record: the merged columns,
-- their values and SET list, and the "newer" and "take geometry" conditions. The described fields
-- (capacity, legal status, price) carry a per-field provenance: a value from the ROR is never replaced by
-- another source; otherwise the last source giving a value wins.
INSERT INTO etablissement AS t
       (finess, {columns}, geom, geocodage_source, geocodage_qualite, source, source_date, provenance, provenance_champs,
        updated_at)
VALUES (%(finess)s, {values},
        CASE WHEN %(lon)s::float8 IS NULL THEN NULL
             ELSE ST_SetSRID(ST_MakePoint(%(lon)s::float8, %(lat)s::float8), 4326) END,
        %(geocodage_source)s, %(geocodage_qualite)s, %(source)s, %(source_date)s, %(provenance)s::jsonb,
        %(provenance_champs)s::jsonb, now())
ON CONFLICT (finess) DO UPDATE SET
    {merged},
    {described},
    provenance_champs = t.provenance_champs
        || (SELECT COALESCE(jsonb_object_agg(e.k, e.v), '{{}}'::jsonb) FROM jsonb_each(excluded.provenance_champs) e(k, v)
             WHERE t.provenance_champs -> e.k ->> 'source' IS DISTINCT FROM {ror}),
    geom = CASE WHEN {take_geom} THEN excluded.geom ELSE t.geom END,
    geocodage_source = CASE WHEN {take_geom} THEN excluded.geocodage_source ELSE t.geocodage_source END,
    geocodage_qualite = CASE WHEN {take_geom} THEN excluded.geocodage_qualite ELSE t.geocodage_qualite END,
    source = CASE WHEN {newer} THEN excluded.source ELSE t.source END,
    source_date = GREATEST(t.source_date, excluded.source_date),
    provenance = (SELECT COALESCE(jsonb_agg(p), '[]'::jsonb) FROM jsonb_array_elements(t.provenance) p
                   WHERE NOT excluded.provenance @> jsonb_build_array(p)) || excluded.provenance,
    updated_at = now()
