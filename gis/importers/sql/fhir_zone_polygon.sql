-- All polygons of an offer, unioned, made valid, stored in WGS84 and Lambert-93.
WITH parts AS (
    SELECT ST_MakeValid(ST_SetSRID(ST_GeomFromGeoJSON(j), 4326)) AS g FROM unnest(%(g)s::text[]) j
), u AS (
    SELECT ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_Union(g)), 3)) AS g FROM parts
)
INSERT INTO zone_polygone (offre_id, geom, geom_l93)
SELECT %(id)s, g, ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_Transform(g, 2154)), 3))
  FROM u WHERE g IS NOT NULL AND NOT ST_IsEmpty(g)
RETURNING offre_id
