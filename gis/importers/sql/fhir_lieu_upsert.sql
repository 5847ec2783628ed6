INSERT INTO lieu (ror_id, nom, adresse, code_postal, ville, commune_cog, commune_insee, geom, statut, source, capacites)
VALUES (%(ror_id)s, %(nom)s, %(adresse)s, %(cp)s, %(ville)s, %(cog)s, %(insee)s,
        CASE WHEN %(lon)s::float8 IS NULL THEN NULL ELSE ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326) END,
        %(statut)s, %(source)s, %(capacites)s)
ON CONFLICT (ror_id) DO UPDATE SET nom = EXCLUDED.nom, adresse = EXCLUDED.adresse,
    code_postal = EXCLUDED.code_postal, ville = EXCLUDED.ville, commune_cog = EXCLUDED.commune_cog,
    commune_insee = EXCLUDED.commune_insee, geom = EXCLUDED.geom, statut = EXCLUDED.statut,
    source = EXCLUDED.source, capacites = EXCLUDED.capacites, updated_at = now()
RETURNING id
