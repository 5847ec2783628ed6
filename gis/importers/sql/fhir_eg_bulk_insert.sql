-- New EGs of one batch, copied into pg_temp.fhir_eg_stage (gis.importers.fhir.establishments), in reading order. A
-- FHIR geolocation is the EG's point (geocoding source fhir:<source>); without it the EG is placed afterwards.
INSERT INTO etablissement (ror_id, finess, finess_ej, ej_id, nom, categorie, adresse, code_postal, ville,
                           commune_declaree, telephone, date_ouverture, source, source_date, provenance, fictif,
                           geom, geocodage_source, geocodage_qualite)
SELECT s.ror_id, s.finess, (SELECT j.finess FROM entite_juridique j WHERE j.id = s.ej_id), s.ej_id, s.nom,
       s.categorie, s.adresse, s.code_postal, s.ville, s.commune_declaree, s.telephone, s.date_ouverture,
       %(source)s, s.source_date, s.provenance, s.fictif,
       CASE WHEN s.lon IS NULL THEN NULL ELSE ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4326) END,
       CASE WHEN s.lon IS NULL THEN NULL ELSE %(geocodage)s END,
       CASE WHEN s.lon IS NULL THEN 'aucune' ELSE 'source' END
  FROM pg_temp.fhir_eg_stage s
 ORDER BY s.ord
RETURNING id, ror_id
