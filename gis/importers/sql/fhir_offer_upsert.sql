-- The offers of one batch, copied into pg_temp.fhir_offre_stage (gis.importers.fhir.offers), upserted by ror_id in
-- reading order (new rows get their ids in that order, as one statement per offer gave them). The map point is the
-- one the coverage refresh sets (the place's, else the EG's), so that the refresh need not rewrite every offer.
INSERT INTO offre (ror_id, identifiant, nom, type_offre, champ, activites, familles, modes_pec, publics,
    modalites_accueil, temporalites, actes, specialisations, age_min, age_max, unite_sensible, statut,
    date_fermeture, date_reouverture, contacts, horaires, etablissement_id, oi_id, lieu_id, source,
    fictif, derniere_maj, provenance, geom)
SELECT s.ror_id, s.identifiant, s.nom, s.type_offre, s.champ, s.activites, s.familles, s.modes_pec, s.publics,
    s.modalites_accueil, s.temporalites, s.actes, s.specialisations, s.age_min, s.age_max, s.unite_sensible,
    s.statut, s.date_fermeture, s.date_reouverture, s.contacts, s.horaires, s.etablissement_id, s.oi_id,
    s.lieu_id, %(source)s, %(fictif)s, s.derniere_maj, s.provenance,
    coalesce((SELECT l.geom FROM lieu l WHERE l.id = s.lieu_id),
             (SELECT e.geom FROM etablissement e WHERE e.id = s.etablissement_id))
  FROM pg_temp.fhir_offre_stage s
 ORDER BY s.ord
ON CONFLICT (ror_id) DO UPDATE SET identifiant = EXCLUDED.identifiant, nom = EXCLUDED.nom,
    type_offre = EXCLUDED.type_offre, champ = EXCLUDED.champ, activites = EXCLUDED.activites,
    familles = EXCLUDED.familles, modes_pec = EXCLUDED.modes_pec, publics = EXCLUDED.publics,
    modalites_accueil = EXCLUDED.modalites_accueil, temporalites = EXCLUDED.temporalites,
    actes = EXCLUDED.actes, specialisations = EXCLUDED.specialisations, age_min = EXCLUDED.age_min,
    age_max = EXCLUDED.age_max, unite_sensible = EXCLUDED.unite_sensible, statut = EXCLUDED.statut,
    date_fermeture = EXCLUDED.date_fermeture, date_reouverture = EXCLUDED.date_reouverture,
    contacts = EXCLUDED.contacts, horaires = EXCLUDED.horaires,
    etablissement_id = EXCLUDED.etablissement_id, oi_id = EXCLUDED.oi_id, lieu_id = EXCLUDED.lieu_id,
    source = EXCLUDED.source, fictif = EXCLUDED.fictif, derniere_maj = EXCLUDED.derniere_maj,
    provenance = offre.provenance || EXCLUDED.provenance, geom = EXCLUDED.geom,
    updated_at = now()
RETURNING id, ror_id, (xmax = 0) AS inserted
