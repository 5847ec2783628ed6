-- Indexes the national scale needs (issue #13).
--
-- offre.lieu_id: the FHIR importer copies the capacity lines of each place onto its offers
-- (UPDATE offre … WHERE lieu_id = …, once per place written) and deleting a place sets its offers' lieu_id to NULL;
-- without an index each of these scanned every offer (quadratic on a national load: 25,000 places × 100,000 offers).
CREATE INDEX IF NOT EXISTS offre_lieu_idx ON offre (lieu_id);

-- couverture is derived data (gis.territories.coverage.refresh writes it for existing offers only). Its foreign key
-- to offre checked every inserted row with a lookup and a row lock on offre: 5-8 million checks on a national
-- rebuild. The only thing the key did besides checking was to delete an offer's rows with the offer; a
-- statement-level trigger does that now, once per DELETE statement.
ALTER TABLE couverture DROP CONSTRAINT IF EXISTS couverture_offre_id_fkey;

CREATE FUNCTION couverture_offre_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM couverture c USING gone g WHERE c.offre_id = g.id;
    RETURN NULL;
END $$;
CREATE TRIGGER offre_deleted_couverture AFTER DELETE ON offre REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION couverture_offre_deleted();

-- A TRUNCATE of offre empties the coverage too (the key made TRUNCATE offre refuse without CASCADE).
CREATE FUNCTION couverture_offre_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM couverture;
    RETURN NULL;
END $$;
CREATE TRIGGER offre_truncated_couverture AFTER TRUNCATE ON offre
    FOR EACH STATEMENT EXECUTE FUNCTION couverture_offre_truncated();
