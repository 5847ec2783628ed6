-- Capacity of offer %(offre)s (without a place, or on a place without capacity lines) from the Location derived
-- from it by the ror-gis that published it (gis.importers.fhir.locations.write_derived_capacities): its figures,
-- their dates and their provenance as published (Annuaire CNSA, ROR, demonstration). Kept apart from the
-- statements of the place-based capacities.
UPDATE offre SET
    capacite = %(capacite)s, capacite_type = %(capacite_type)s, capacite_maj = %(capacite_maj)s,
    capacite_disponible = %(capacite_disponible)s, capacite_disponible_maj = %(capacite_disponible_maj)s,
    disponibilite_fictive = %(fictive)s,
    provenance = (provenance - 'capacite' - 'capacite_disponible') || %(prov)s
 WHERE ror_id = %(offre)s
   AND (lieu_id IS NULL OR lieu_id IN (SELECT id FROM lieu WHERE capacites = '[]'::jsonb))
