-- The capacity lines of each place of pg_temp.fhir_capacite_stage onto its offers, with the derived installed and
-- available capacity (gis.importers.fhir.locations.write_capacities). The ROR wins field by field: a figure given
-- here replaces the offer's; a figure not given keeps a value of another source (CNSA annuaire) and clears one from
-- this source (%(ror)s).
UPDATE offre SET
    capacites = s.lines,
    capacite = CASE WHEN s.capacite IS NOT NULL THEN s.capacite
                    WHEN offre.provenance -> 'capacite' ->> 'source' = %(ror)s THEN NULL ELSE offre.capacite END,
    capacite_type = CASE WHEN s.capacite IS NOT NULL THEN s.capacite_type
                         WHEN offre.provenance -> 'capacite' ->> 'source' = %(ror)s THEN NULL
                         ELSE offre.capacite_type END,
    capacite_maj = CASE WHEN s.capacite IS NOT NULL THEN s.capacite_maj
                        WHEN offre.provenance -> 'capacite' ->> 'source' = %(ror)s THEN NULL
                        ELSE offre.capacite_maj END,
    capacite_disponible = CASE WHEN s.capacite_disponible IS NOT NULL THEN s.capacite_disponible
                               WHEN offre.provenance -> 'capacite_disponible' ->> 'source' = %(ror)s THEN NULL
                               ELSE offre.capacite_disponible END,
    capacite_disponible_maj = CASE WHEN s.capacite_disponible IS NOT NULL THEN s.capacite_disponible_maj
                                   WHEN offre.provenance -> 'capacite_disponible' ->> 'source' = %(ror)s THEN NULL
                                   ELSE offre.capacite_disponible_maj END,
    disponibilite_fictive = CASE WHEN s.capacite_disponible IS NOT NULL THEN %(fictif)s
                                 WHEN offre.provenance -> 'capacite_disponible' ->> 'source' = %(ror)s THEN false
                                 ELSE offre.disponibilite_fictive END,
    provenance = (CASE WHEN offre.provenance -> 'capacite' ->> 'source' = %(ror)s THEN offre.provenance - 'capacite'
                       ELSE offre.provenance END
                  - CASE WHEN offre.provenance -> 'capacite_disponible' ->> 'source' = %(ror)s
                         THEN 'capacite_disponible' ELSE '' END)
                 || s.prov
  FROM pg_temp.fhir_capacite_stage s
 WHERE offre.lieu_id = s.lieu
RETURNING (s.capacite IS NOT NULL OR s.capacite_disponible IS NOT NULL) AS counted
