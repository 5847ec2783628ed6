-- Pairs of communes whose interiors overlap on more than %(share)s of the smaller one (Lambert-93 areas).
-- For a région every pair of neighbours is checked (about 1 s for Île-de-France). For the whole country
-- (%(all)s) only the communes whose geometry is a union of 2018 polygons (merged since 2018) are checked
-- against their neighbours: a polygon given to two communes is the overlap a load can create, and
-- checking the 35,000 communes pairwise would take minutes.
SELECT a.insee AS a, b.insee AS b,
       round((ST_Area(ST_Intersection(a.geom_l93, b.geom_l93))
              / least(ST_Area(a.geom_l93), ST_Area(b.geom_l93)) * 100)::numeric, 2) AS pct
  FROM geo_commune a
  JOIN geo_commune b ON a.insee <> b.insee AND a.geom_l93 && b.geom_l93 AND b.type = 'commune'
 WHERE a.type = 'commune'
   AND (NOT %(all)s OR a.geom_source LIKE '%%,%%')
   AND (a.insee < b.insee OR (%(all)s AND b.geom_source NOT LIKE '%%,%%'))
   AND ST_Relate(a.geom_l93, b.geom_l93, '2********')
   AND ST_Area(ST_Intersection(a.geom_l93, b.geom_l93)) > %(share)s * least(ST_Area(a.geom_l93), ST_Area(b.geom_l93))
 ORDER BY 3 DESC, 1, 2
