-- Communes restored since 2018 whose own contour was loaded: take it out of the commune they were restored from
-- (its 2018 polygon still holds their land), then recompute that commune's derived columns.
WITH taken AS (
    SELECT r.contenant, ST_Union(c.geom) AS geom
      FROM geo_commune_retablie r JOIN geo_commune c ON c.insee = r.insee
     WHERE r.contour
     GROUP BY r.contenant
)
UPDATE geo_commune c
   SET geom = ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_Difference(c.geom, t.geom)), 3)),
       geom_source = c.geom_source || ' moins rétablies'
  FROM taken t
 WHERE c.insee = t.contenant AND c.geom IS NOT NULL;

UPDATE geo_commune c
   SET geom_l93 = ST_Transform(c.geom, 2154),
       centre = ST_PointOnSurface(c.geom),
       area_km2 = ST_Area(c.geom::geography) / 1e6
  FROM geo_commune_retablie r
 WHERE r.contour AND c.insee = r.contenant AND c.geom IS NOT NULL;
