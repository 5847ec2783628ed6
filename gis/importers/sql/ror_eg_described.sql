-- The legal status and lowest monthly price the ROR gives for EG %(id)s (gis.importers.fhir.organisations,
-- gis.importers.fhir.eg_mapping). The ROR wins field by field over any other source (CNSA annuaire); a value from
-- this source that it no longer gives is cleared; a value from another source that it does not give is kept.
UPDATE etablissement SET
    statut_juridique = CASE WHEN %(sj)s::text IS NOT NULL THEN %(sj)s::text
                            WHEN provenance_champs -> 'statut_juridique' ->> 'source' = %(ror)s THEN NULL
                            ELSE statut_juridique END,
    prix_min = CASE WHEN %(prix)s::numeric IS NOT NULL THEN %(prix)s::numeric
                    WHEN provenance_champs -> 'prix_min' ->> 'source' = %(ror)s THEN NULL
                    ELSE prix_min END,
    provenance_champs = (CASE WHEN provenance_champs -> 'statut_juridique' ->> 'source' = %(ror)s
                              THEN provenance_champs - 'statut_juridique' ELSE provenance_champs END
                         - CASE WHEN provenance_champs -> 'prix_min' ->> 'source' = %(ror)s
                                THEN 'prix_min' ELSE '' END)
                        || %(prov)s
 WHERE id = %(id)s
   AND (%(sj)s::text IS NOT NULL OR %(prix)s::numeric IS NOT NULL  -- nothing to set or clear: no write
        OR provenance_champs -> 'statut_juridique' ->> 'source' = %(ror)s
        OR provenance_champs -> 'prix_min' ->> 'source' = %(ror)s)
