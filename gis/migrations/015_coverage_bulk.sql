-- Bulk writes of the national load (issue #13).
--
-- couverture_offre_idx (offre_id) duplicated the leading column of the primary key (offre_id, insee), which answers
-- the same lookups; each of the 6.4 million rows of a national load paid for a third index entry.
DROP INDEX IF EXISTS couverture_offre_idx;
