-- The places of one batch, copied into pg_temp.fhir_lieu_stage (gis.importers.fhir.locations), upserted by ror_id.
INSERT INTO lieu (ror_id, nom, adresse, code_postal, ville, commune_cog, commune_insee, geom, statut, source, capacites)
SELECT s.ror_id, s.nom, s.adresse, s.code_postal, s.ville, s.commune_cog, s.commune_insee,
       CASE WHEN s.lon IS NULL THEN NULL ELSE ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4326) END,
       s.statut, %(source)s, s.capacites
  FROM pg_temp.fhir_lieu_stage s
 ORDER BY s.ord
ON CONFLICT (ror_id) DO UPDATE SET nom = EXCLUDED.nom, adresse = EXCLUDED.adresse,
    code_postal = EXCLUDED.code_postal, ville = EXCLUDED.ville, commune_cog = EXCLUDED.commune_cog,
    commune_insee = EXCLUDED.commune_insee, geom = EXCLUDED.geom, statut = EXCLUDED.statut,
    source = EXCLUDED.source, capacites = EXCLUDED.capacites, updated_at = now()
RETURNING id, ror_id
