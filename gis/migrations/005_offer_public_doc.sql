-- The public JSON form of each offer (gis.public_offer), precomputed at load time so that a coverage answer only
-- reads it. A change to an offer, its establishment or a nomenclature clears the affected documents (triggers);
-- gis.territories.coverage.refresh fills every cleared one, and the read queries build the form on the fly for any
-- offer whose document is missing, so an answer is never wrong, only slower.

ALTER TABLE offre ADD COLUMN doc_public text;   -- the JSON text, served as is (no re-serialisation)

CREATE FUNCTION offre_clear_doc() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.doc_public IS NOT DISTINCT FROM OLD.doc_public THEN
        NEW.doc_public := NULL;   -- any update that does not write the document makes it stale
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER offre_clear_doc BEFORE UPDATE ON offre FOR EACH ROW EXECUTE FUNCTION offre_clear_doc();

CREATE FUNCTION etablissement_clear_docs() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE offre SET doc_public = NULL
     WHERE etablissement_id IN (SELECT id FROM changed) AND doc_public IS NOT NULL;
    RETURN NULL;
END $$;
CREATE TRIGGER etablissement_clear_docs AFTER UPDATE ON etablissement REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION etablissement_clear_docs();

CREATE FUNCTION nomenclature_clear_docs() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE offre SET doc_public = NULL WHERE doc_public IS NOT NULL;
    RETURN NULL;
END $$;
CREATE TRIGGER nomenclature_clear_docs AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON nomenclature
    FOR EACH STATEMENT EXECUTE FUNCTION nomenclature_clear_docs();
