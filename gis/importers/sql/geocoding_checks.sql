-- Établissements (of the selection composed in) whose point disagrees with what they declare:
-- outside every loaded commune, a postcode of another place, another declared commune, or a commune whose 2018
-- polygon still holds the land of a commune restored since then without a contour (geo_commune_retablie).
-- Parameter: the postcode tolerance in metres. Literal braces are doubled (psycopg.sql template).
WITH t AS (
    SELECT e.id, e.geom, e.code_postal AS cp, e.commune_declaree AS decl,
           e.commune_insee, e.arrondissement_insee, c.departement, c.nom,
           c.codes_postaux || COALESCE(ar.codes_postaux, '{{}}') AS cps
      FROM etablissement e
      LEFT JOIN geo_commune c ON c.insee = e.commune_insee
      LEFT JOIN geo_commune ar ON ar.insee = e.arrondissement_insee
     WHERE e.geom IS NOT NULL AND ({where})
), checks AS (
    SELECT t.id,
           t.commune_insee IS NULL AS outside,
           -- CASE, not AND: a NULL postcode must not evaluate the lookups (NULL AND x evaluates x).
           CASE WHEN t.commune_insee IS NULL OR t.cp IS NULL OR t.cp !~ '^[0-9]{{5}}$' OR t.cp = ANY(t.cps)
                THEN false
                ELSE CASE WHEN left(t.cp, 2) = '97' THEN left(t.cp, 3)
                          WHEN left(t.cp, 2) = '20' THEN '20' ELSE left(t.cp, 2) END
                     <> CASE WHEN t.departement IN ('2A', '2B') THEN '20' ELSE t.departement END
                     OR (EXISTS (SELECT 1 FROM geo_commune k WHERE k.codes_postaux @> ARRAY[t.cp])
                         AND NOT EXISTS (SELECT 1 FROM geo_commune k
                                          WHERE k.codes_postaux @> ARRAY[t.cp]
                                            AND ST_DWithin(k.geom_l93, ST_Transform(t.geom, 2154), %s)))
           END AS bad_cp,
           (SELECT COALESCE((SELECT c.insee FROM geo_commune c WHERE c.insee = t.decl),
                            (SELECT a.insee FROM geo_commune_alias a WHERE a.code = t.decl
                              ORDER BY a.insee LIMIT 1))) AS decl_resolved,
           t.decl, t.cp, t.commune_insee, t.arrondissement_insee, t.nom,
           (SELECT string_agg(r.insee || ' ' || r.nom, ', ' ORDER BY r.insee) FROM geo_commune_retablie r
             WHERE r.contenant = t.commune_insee AND NOT r.contour) AS retablies
      FROM t
)
SELECT id, outside, bad_cp, decl, cp, commune_insee, arrondissement_insee, nom, retablies,
       (decl IS NOT NULL AND commune_insee IS NOT NULL
        AND decl_resolved IS DISTINCT FROM commune_insee
        AND decl_resolved IS DISTINCT FROM arrondissement_insee) AS bad_commune,
       decl_resolved
  FROM checks
 WHERE outside OR bad_cp OR retablies IS NOT NULL
    OR (decl IS NOT NULL AND commune_insee IS NOT NULL
        AND decl_resolved IS DISTINCT FROM commune_insee
        AND decl_resolved IS DISTINCT FROM arrondissement_insee)
