-- One real offer for older people from the CNSA annuaire (gis.importers.offres_pa), upserted by ror_id
-- (cnsa-<FINESS>-<unit>). Never fictitious; no zone d'intervention (covered by the place of its EG).
INSERT INTO offre AS t (ror_id, identifiant, nom, type_offre, champ, activites, modes_pec, publics, temporalites,
    specialisations, age_min, etablissement_id, source, fictif, capacite, capacite_type, provenance)
VALUES (%(ror_id)s, %(identifiant)s, %(nom)s, %(type_offre)s, %(champ)s, %(activites)s, %(modes_pec)s,
    %(publics)s, %(temporalites)s, %(specialisations)s, %(age_min)s, %(eg)s, %(source)s, false, %(capacite)s,
    %(capacite_type)s, %(provenance)s)
ON CONFLICT (ror_id) DO UPDATE SET identifiant = excluded.identifiant, nom = excluded.nom,
    type_offre = excluded.type_offre, champ = excluded.champ, activites = excluded.activites,
    modes_pec = excluded.modes_pec, publics = excluded.publics, temporalites = excluded.temporalites,
    specialisations = excluded.specialisations, age_min = excluded.age_min,
    etablissement_id = excluded.etablissement_id, source = excluded.source, fictif = false,
    capacite = excluded.capacite, capacite_type = excluded.capacite_type, provenance = excluded.provenance,
    updated_at = now()
RETURNING id, (xmax = 0) AS inserted
