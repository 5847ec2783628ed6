-- Commune centre for the établissements of _geo_wanted without coordinates: the declared commune,
-- else the commune a former code became, else a commune of the postcode (same normalised name first).
UPDATE etablissement e
   SET geom = x.centre, geocodage_qualite = 'commune',
       geocodage_source = 'centre de la commune ' || x.insee
  FROM (SELECT w.id,
               COALESCE(
                 (SELECT c.insee FROM geo_commune c WHERE c.insee = w.decl),
                 (SELECT a.insee FROM geo_commune_alias a WHERE a.code = w.decl ORDER BY a.insee LIMIT 1),
                 (SELECT c.insee FROM geo_commune c
                   WHERE w.cp = ANY(c.codes_postaux)
                     AND (c.type = 'arrondissement-municipal'
                          OR NOT EXISTS (SELECT 1 FROM geo_commune k
                                          WHERE k.parent_insee = c.insee AND w.cp = ANY(k.codes_postaux)))
                   ORDER BY (c.nom_norm = w.ville_norm) DESC, c.insee LIMIT 1)
               ) AS insee
          FROM _geo_wanted w) f
  JOIN geo_commune x ON x.insee = f.insee
 WHERE e.id = f.id AND x.centre IS NOT NULL
