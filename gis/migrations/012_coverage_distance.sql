-- Distance of each covering offer from the centre of the commune it covers, stored with the coverage row so that a
-- coverage answer sorts its matches without joining the establishments or measuring anything (issue #7).
--
-- Same measure as before: metres on the sphere from the commune's centre to the establishment's point, else the
-- offer's own point. Kept true by gis.territories.coverage.refresh (which writes it with every row) and by the
-- triggers below when a point moves without a coverage refresh.

ALTER TABLE couverture ADD COLUMN distance_m double precision;

CREATE FUNCTION couverture_distance(p_offre bigint, p_insee text) RETURNS double precision
LANGUAGE sql STABLE AS $$
    SELECT ST_DistanceSphere(c.centre, coalesce(e.geom, o.geom))
      FROM offre o
      JOIN geo_commune c ON c.insee = p_insee
      LEFT JOIN etablissement e ON e.id = o.etablissement_id
     WHERE o.id = p_offre
$$;

UPDATE couverture SET distance_m = couverture_distance(offre_id, insee);

CREATE FUNCTION offre_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE couverture SET distance_m = couverture_distance(offre_id, insee) WHERE offre_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER offre_moved AFTER UPDATE OF geom, etablissement_id ON offre FOR EACH ROW
    WHEN (OLD.geom IS DISTINCT FROM NEW.geom OR OLD.etablissement_id IS DISTINCT FROM NEW.etablissement_id)
    EXECUTE FUNCTION offre_moved();

CREATE FUNCTION etablissement_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE couverture cv SET distance_m = couverture_distance(cv.offre_id, cv.insee)
      FROM offre o WHERE o.etablissement_id = NEW.id AND cv.offre_id = o.id;
    RETURN NULL;
END $$;
CREATE TRIGGER etablissement_moved AFTER UPDATE OF geom ON etablissement FOR EACH ROW
    WHEN (OLD.geom IS DISTINCT FROM NEW.geom)
    EXECUTE FUNCTION etablissement_moved();
