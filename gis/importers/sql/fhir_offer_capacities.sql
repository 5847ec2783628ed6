-- The capacity lines of place %(lieu)s onto its offers, with the derived installed and available capacity
-- (gis.importers.fhir.locations.write_capacities). The ROR wins field by field: a figure given here replaces the
-- offer's; a figure not given keeps a value of another source (CNSA annuaire) and clears one from this source.
UPDATE offre SET
    capacites = %(lines)s,
    capacite = CASE WHEN %(capacite)s::int IS NOT NULL THEN %(capacite)s
                    WHEN provenance -> 'capacite' ->> 'source' = %(ror)s THEN NULL ELSE capacite END,
    capacite_type = CASE WHEN %(capacite)s::int IS NOT NULL THEN %(capacite_type)s
                         WHEN provenance -> 'capacite' ->> 'source' = %(ror)s THEN NULL ELSE capacite_type END,
    capacite_maj = CASE WHEN %(capacite)s::int IS NOT NULL THEN %(capacite_maj)s
                        WHEN provenance -> 'capacite' ->> 'source' = %(ror)s THEN NULL ELSE capacite_maj END,
    capacite_disponible = CASE WHEN %(capacite_disponible)s::int IS NOT NULL THEN %(capacite_disponible)s
                               WHEN provenance -> 'capacite_disponible' ->> 'source' = %(ror)s THEN NULL
                               ELSE capacite_disponible END,
    capacite_disponible_maj = CASE WHEN %(capacite_disponible)s::int IS NOT NULL THEN %(capacite_disponible_maj)s
                                   WHEN provenance -> 'capacite_disponible' ->> 'source' = %(ror)s THEN NULL
                                   ELSE capacite_disponible_maj END,
    disponibilite_fictive = CASE WHEN %(capacite_disponible)s::int IS NOT NULL THEN %(fictif)s
                                 WHEN provenance -> 'capacite_disponible' ->> 'source' = %(ror)s THEN false
                                 ELSE disponibilite_fictive END,
    provenance = (CASE WHEN provenance -> 'capacite' ->> 'source' = %(ror)s THEN provenance - 'capacite'
                       ELSE provenance END
                  - CASE WHEN provenance -> 'capacite_disponible' ->> 'source' = %(ror)s
                         THEN 'capacite_disponible' ELSE '' END)
                 || %(prov)s
 WHERE lieu_id = %(lieu)s
