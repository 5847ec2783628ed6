-- Capacities and availability (issue #15).
--
-- offre.capacite (002) is the installed capacity of the unit (places or beds), whatever its source.
-- The columns below keep the detail the ROR gives on Location (`ror-location-supported-capacity`) and the
-- availability (*Disponibilités*) with its date, and where each value came from.

-- Every capacity line as read: [{nombre, statut (TRE_R330), type (TRE_R329 lit/place),
-- temporalite, type_crise, type_supplementaire, maj}]
ALTER TABLE offre ADD COLUMN capacites jsonb NOT NULL DEFAULT '[]';
ALTER TABLE offre ADD COLUMN capacite_type text;              -- TRE_R329 of capacite: lit or place
ALTER TABLE offre ADD COLUMN capacite_maj timestamptz;        -- update date of the installed capacity
ALTER TABLE offre ADD COLUMN capacite_disponible integer;     -- places available now (Disponibilités)
ALTER TABLE offre ADD COLUMN capacite_disponible_maj timestamptz;
ALTER TABLE offre ADD COLUMN disponibilite_fictive boolean NOT NULL DEFAULT false;  -- demo figures
-- field -> {source, millesime}: which source gave which value (a ROR import wins field by field)
ALTER TABLE offre ADD COLUMN provenance jsonb NOT NULL DEFAULT '{}';

ALTER TABLE etablissement ADD COLUMN capacite integer;             -- places of the EG (all units)
ALTER TABLE etablissement ADD COLUMN statut_juridique text;        -- e.g. 'Public', 'Privé non lucratif'
ALTER TABLE etablissement ADD COLUMN prix_min numeric(8, 2);       -- minimum daily price (€), CNSA
ALTER TABLE etablissement ADD COLUMN provenance_champs jsonb NOT NULL DEFAULT '{}';  -- field -> {source, millesime}

CREATE INDEX offre_disponible_idx ON offre (type_offre) WHERE capacite_disponible > 0;
