-- EGs of one batch already loaded under their ror_id (pg_temp.fhir_eg_stage, gis.importers.fhir.establishments):
-- the rules of fhir_eg_update (the FHIR values win where it has some; the fictif flag follows the import), and a
-- FHIR geolocation replaces the point.
UPDATE etablissement e
   SET ror_id = s.ror_id, finess = COALESCE(s.finess, e.finess),
       finess_ej = COALESCE((SELECT j.finess FROM entite_juridique j WHERE j.id = s.ej_id), e.finess_ej),
       ej_id = COALESCE(s.ej_id, e.ej_id),
       nom = COALESCE(s.nom, e.nom), categorie = COALESCE(s.categorie, e.categorie),
       adresse = COALESCE(s.adresse, e.adresse), code_postal = COALESCE(s.code_postal, e.code_postal),
       ville = COALESCE(s.ville, e.ville), commune_declaree = COALESCE(s.commune_declaree, e.commune_declaree),
       telephone = COALESCE(s.telephone, e.telephone), date_ouverture = COALESCE(s.date_ouverture, e.date_ouverture),
       source = %(source)s, source_date = COALESCE(s.source_date, e.source_date),
       provenance = CASE WHEN e.provenance @> s.provenance THEN e.provenance ELSE e.provenance || s.provenance END,
       fictif = s.fictif, updated_at = now(),
       geom = CASE WHEN s.lon IS NULL THEN e.geom ELSE ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4326) END,
       geocodage_source = CASE WHEN s.lon IS NULL THEN e.geocodage_source ELSE %(geocodage)s END,
       geocodage_qualite = CASE WHEN s.lon IS NULL THEN e.geocodage_qualite ELSE 'source' END
  FROM pg_temp.fhir_eg_stage s
 WHERE e.id = s.id
