-- Département geometries from their communes, région geometries from their départements.
UPDATE geo_departement d
   SET geom = u.geom
  FROM (SELECT departement, ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_Union(geom)), 3)) AS geom
          FROM geo_commune WHERE type = 'commune' AND geom IS NOT NULL
         GROUP BY departement) u
 WHERE d.code = u.departement;

UPDATE geo_region r
   SET geom = u.geom
  FROM (SELECT region, ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_Union(geom)), 3)) AS geom
          FROM geo_departement WHERE geom IS NOT NULL GROUP BY region) u
 WHERE r.code = u.region;
