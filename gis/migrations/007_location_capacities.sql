-- Capacity lines of a place (issue #15): every `ror-location-supported-capacity` of a ROR Location, as read
-- (same shape as offre.capacites, migration 006). The FHIR import copies them onto the offers of the place and
-- derives offre.capacite / capacite_disponible; the FHIR output writes them back on the Location.
ALTER TABLE lieu ADD COLUMN capacites jsonb NOT NULL DEFAULT '[]';

COMMENT ON COLUMN etablissement.prix_min IS
    'Lowest price shown by the CNSA annuaire (prixMin): a monthly amount in euros, not a daily one';
