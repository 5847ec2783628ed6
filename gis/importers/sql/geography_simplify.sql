-- Display geometry of the composed table: Douglas-Peucker in Lambert-93 (tolerance in metres, bound), then
-- 5-decimal rounding in WGS84.
UPDATE {table}
   SET geom_simple = ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_ReducePrecision(
           ST_Transform(ST_SimplifyPreserveTopology(ST_Transform(geom, 2154), %s), 4326), 0.00001)), 3))
 WHERE geom IS NOT NULL
