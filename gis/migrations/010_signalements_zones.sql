-- Anomaly reports (« Signaler une anomalie ») and territory editing by référents and administrators (issue #14 B).

-- A report about an offer or an establishment (EG), sent by anyone (anonymous allowed).
CREATE TABLE signalement (
    id               bigserial PRIMARY KEY,
    cible_type       text NOT NULL CHECK (cible_type IN ('offre', 'etablissement')),
    cible_ref        text NOT NULL,               -- ROR id of the offer, or FINESS of the EG, as resolved
    cible_nom        text,                        -- its name when the report was made
    offre_id         bigint REFERENCES offre (id) ON DELETE SET NULL,
    etablissement_id bigint REFERENCES etablissement (id) ON DELETE SET NULL,
    finess_eg        text,                        -- FINESS of the EG concerned (scope of the référents)
    categorie        text NOT NULL,               -- gis.signalements.CATEGORIES
    description      text NOT NULL,
    email            text,
    statut           text NOT NULL DEFAULT 'nouveau' CHECK (statut IN ('nouveau', 'en_cours', 'corrige', 'rejete')),
    client_hash      text NOT NULL,               -- salted hash of the client address (rate limit), never shown
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX signalement_finess_idx ON signalement (finess_eg);
CREATE INDEX signalement_statut_idx ON signalement (statut, created_at);
CREATE INDEX signalement_client_idx ON signalement (client_hash, created_at);

-- Every status change: who, when, from what to what, why.
CREATE TABLE signalement_historique (
    id             bigserial PRIMARY KEY,
    signalement_id bigint NOT NULL REFERENCES signalement (id) ON DELETE CASCADE,
    statut_avant   text,
    statut         text NOT NULL,
    auteur         text NOT NULL,                 -- principal subject ('anonyme' for the creation)
    role           text NOT NULL,
    commentaire    text,
    at             timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX signalement_historique_idx ON signalement_historique (signalement_id, at);

-- Salt of the client hashes (one random value per database).
CREATE TABLE signalement_sel (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    sel       text NOT NULL
);
INSERT INTO signalement_sel (sel) VALUES (md5(random()::text || clock_timestamp()::text));

-- Audit trail of the zone d'intervention edits (before / after as JSON: divisions and polygon).
CREATE TABLE zone_modification (
    id        bigserial PRIMARY KEY,
    offre_id  bigint NOT NULL REFERENCES offre (id) ON DELETE CASCADE,
    auteur    text NOT NULL,
    role      text NOT NULL,
    at        timestamptz NOT NULL DEFAULT clock_timestamp(),
    avant     jsonb NOT NULL,
    apres     jsonb NOT NULL,
    commentaire text
);
CREATE INDEX zone_modification_offre_idx ON zone_modification (offre_id, at);

-- A zone edited locally while the offer comes from the ROR: the local override, with its provenance and the zone
-- the ROR gave (kept to tell, at the next import, whether the ROR changed meanwhile: a conflict).
CREATE TABLE zone_surcharge (
    offre_id        bigint PRIMARY KEY REFERENCES offre (id) ON DELETE CASCADE,
    source_ror      text NOT NULL,                 -- offre.source when first overridden
    zone_ror        jsonb NOT NULL,                -- divisions [{type_division, code}] given by the ROR
    polygone_ror    geometry(MultiPolygon, 4326),  -- polygon given by the ROR, if any
    modifie_par     text NOT NULL,
    modifie_le      timestamptz NOT NULL DEFAULT now(),
    cree_le         timestamptz NOT NULL DEFAULT now(),
    conflit         jsonb                          -- last import whose zone differed: {le, source, zone}
);

CREATE TRIGGER zone_surcharge_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON zone_surcharge
    FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version();

-- Offers whose public document is to be rebuilt (gis.territories.coverage.refresh fills them): found through this
-- index instead of a scan of offre, so that the per-offer refresh of a territory edit stays within a few ms however
-- large (or bloated by a load) the table is. Measured on the demo data: 3.5 s → 3 ms for that step.
CREATE INDEX offre_doc_missing_idx ON offre (id) WHERE doc_public IS NULL;
