-- Indexes the national scale needs (issue #13).
--
-- offre.lieu_id: the FHIR importer copies the capacity lines of each place onto its offers
-- (UPDATE offre … WHERE lieu_id = …, once per place written) and deleting a place sets its offers' lieu_id to NULL;
-- without an index each of these scanned every offer (quadratic on a national load: 25,000 places × 100,000 offers).
CREATE INDEX IF NOT EXISTS offre_lieu_idx ON offre (lieu_id);
