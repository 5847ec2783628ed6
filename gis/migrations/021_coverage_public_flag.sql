-- The public coverage answer without visiting every covering offer (issue #13: p99 <= 50 ms for Paris, Lyon and
-- Marseille nationally, where 3,281 offers cover Paris).
--
-- couverture.publique says whether the row's offer is shown to the public, by the same rule as the public
-- visibility of the layers (gis.layers.filters.PUBLIC_OFFER; tests/gis/territories/test_public_flag.py checks that
-- both agree). It fails closed: false by default, true only when written by gis.territories.coverage.refresh (which
-- computes it with every row) or by the trigger below from the offer's own columns. The public answer still checks
-- the rule on every offer it returns, so a stale flag can only change its count, never show a hidden offer.
--
-- The index answers the default public page in distance order (the first 100 rows of the commune, no sort of all
-- its matches) and its count with an index-only scan; it replaces the index on insee alone.

CREATE FUNCTION offre_publique(p_unite_sensible boolean, p_statut text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT p_unite_sensible IS FALSE AND p_statut IS DISTINCT FROM 'fermee'
$$;

ALTER TABLE couverture ADD COLUMN publique boolean NOT NULL DEFAULT false;

UPDATE couverture cv SET publique = true
  FROM offre o
 WHERE o.id = cv.offre_id AND offre_publique(o.unite_sensible, o.statut);

CREATE INDEX couverture_insee_distance_idx ON couverture (insee, distance_m) INCLUDE (publique);
DROP INDEX IF EXISTS couverture_insee_idx;

-- An offer whose visibility changes carries its coverage rows with it (same pattern as offre_moved, migration 012).
CREATE FUNCTION offre_visibility_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE couverture SET publique = offre_publique(NEW.unite_sensible, NEW.statut)
     WHERE offre_id = NEW.id AND publique IS DISTINCT FROM offre_publique(NEW.unite_sensible, NEW.statut);
    RETURN NULL;
END $$;
CREATE TRIGGER offre_visibility_changed AFTER UPDATE OF unite_sensible, statut ON offre FOR EACH ROW
    WHEN (offre_publique(OLD.unite_sensible, OLD.statut) IS DISTINCT FROM offre_publique(NEW.unite_sensible, NEW.statut))
    EXECUTE FUNCTION offre_visibility_changed();
