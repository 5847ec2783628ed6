-- Effective map point of an offer (its Location, else its EG), maintained by gis.territories.coverage,
-- and normalised names for the suggestions endpoint (gis.text.normalize, filled after imports).
ALTER TABLE offre ADD COLUMN geom geometry(Point, 4326);
CREATE INDEX offre_geom_idx ON offre USING gist (geom);
ALTER TABLE offre ADD COLUMN nom_norm text;
ALTER TABLE etablissement ADD COLUMN nom_norm text;
CREATE INDEX etablissement_nom_norm_trgm_idx ON etablissement USING gin (nom_norm gin_trgm_ops);
CREATE INDEX couverture_offre_idx ON couverture (offre_id);

-- A renamed establishment or offer gets its search name recomputed by gis.maintenance.
CREATE FUNCTION ror_reset_nom_norm() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.nom IS DISTINCT FROM OLD.nom THEN
        NEW.nom_norm := NULL;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER etablissement_nom_norm BEFORE UPDATE OF nom ON etablissement
    FOR EACH ROW EXECUTE FUNCTION ror_reset_nom_norm();
CREATE TRIGGER offre_nom_norm BEFORE UPDATE OF nom ON offre
    FOR EACH ROW EXECUTE FUNCTION ror_reset_nom_norm();
