-- Each current commune is the union of its own 2018 polygon and those of the codes merged into it
-- (stage_parts × stage_geom); then its Lambert-93 geometry, a point on its surface and its area, measured on the
-- ellipsoid (geography): right everywhere, overseas too (Lambert-93 made La Réunion's communes 1.3–3.6 times too large).
UPDATE geo_commune c
   SET geom = g.geom, geom_source = g.parts
  FROM (SELECT p.insee,
               ST_Multi(ST_CollectionExtract(ST_MakeValid(
                   ST_Union(ST_SetSRID(ST_GeomFromGeoJSON(s.geojson), 4326))), 3)) AS geom,
               string_agg(s.code, ',' ORDER BY s.code) AS parts
          FROM stage_parts p JOIN stage_geom s ON s.code = p.code
         GROUP BY p.insee) g
 WHERE c.insee = g.insee;

UPDATE geo_commune
   SET geom_l93 = ST_Transform(geom, 2154),
       centre = ST_PointOnSurface(geom),
       area_km2 = ST_Area(geom::geography) / 1e6
 WHERE geom IS NOT NULL;
