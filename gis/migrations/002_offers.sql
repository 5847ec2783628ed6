-- ROR model: nomenclatures, entités juridiques, établissements (EG), organisations internes, lieux,
-- offres (HealthcareService), zones d'intervention, precomputed coverage, import reports.

-- NOS code lists (one row per code; `name` is the list: type_offre, activite, categorie_eg, ...).
CREATE TABLE nomenclature (
    name       text NOT NULL,
    code       text NOT NULL,
    label      text NOT NULL,
    system     text,
    deprecated boolean NOT NULL DEFAULT false,
    extra      jsonb NOT NULL DEFAULT '{}',
    label_norm text NOT NULL DEFAULT '',       -- gis.text.normalize(label), for suggestions
    PRIMARY KEY (name, code)
);
CREATE INDEX nomenclature_label_trgm_idx ON nomenclature USING gin (label_norm gin_trgm_ops);

CREATE TABLE entite_juridique (
    id               bigserial PRIMARY KEY,
    finess           text UNIQUE,
    ror_id           text UNIQUE,              -- FHIR Organization logical id
    nom              text,
    statut_juridique text,
    source           text NOT NULL,
    updated_at       timestamptz NOT NULL DEFAULT now()
);

-- Entité géographique. Identity: FINESS ET when known, else the FHIR id.
CREATE TABLE etablissement (
    id                 bigserial PRIMARY KEY,
    finess             text UNIQUE,
    ror_id             text UNIQUE,
    finess_ej          text,
    ej_id              bigint REFERENCES entite_juridique (id) ON DELETE SET NULL,
    nom                text NOT NULL,
    categorie          text,                   -- TRE_R66 code (nomenclature 'categorie_eg')
    adresse            text,
    code_postal        text,
    ville              text,                   -- as declared by the source
    commune_declaree   text,                   -- INSEE code declared by the source, if any
    commune_insee      text,                   -- commune of the point (point in polygon)
    arrondissement_insee text,                 -- municipal arrondissement of the point, if any
    telephone          text,
    geom               geometry(Point, 4326),
    geocodage_source   text,                   -- where the coordinates come from
    geocodage_qualite  text,                   -- e.g. 'source', 'commune', 'aucune'
    geocodage_alerte   text,                   -- disagreement between point and declared place
    date_ouverture     date,
    source             text NOT NULL,          -- source that won (newest)
    source_date        date,
    provenance         jsonb NOT NULL DEFAULT '[]',  -- every source that described this EG
    fictif             boolean NOT NULL DEFAULT false,
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX etablissement_geom_idx ON etablissement USING gist (geom);
CREATE INDEX etablissement_commune_idx ON etablissement (commune_insee);
CREATE INDEX etablissement_categorie_idx ON etablissement (categorie);
CREATE INDEX etablissement_nom_trgm_idx ON etablissement USING gin (lower(nom) gin_trgm_ops);

CREATE TABLE organisation_interne (
    id               bigserial PRIMARY KEY,
    ror_id           text UNIQUE NOT NULL,
    nom              text,
    type_oi          text,                     -- TRE_R207
    etablissement_id bigint REFERENCES etablissement (id) ON DELETE SET NULL,
    parent_id        bigint REFERENCES organisation_interne (id) ON DELETE SET NULL,
    source           text NOT NULL,
    updated_at       timestamptz NOT NULL DEFAULT now()
);

-- Lieu de réalisation de l'offre (FHIR Location).
CREATE TABLE lieu (
    id            bigserial PRIMARY KEY,
    ror_id        text UNIQUE NOT NULL,
    nom           text,
    adresse       text,
    code_postal   text,
    ville         text,
    commune_cog   text,                        -- declared (ror-commune-cog)
    commune_insee text,                        -- current commune (declared code resolved, or point in polygon)
    geom          geometry(Point, 4326),
    statut        text,
    source        text NOT NULL,
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX lieu_geom_idx ON lieu USING gist (geom);

-- Offre opérationnelle (FHIR HealthcareService).
CREATE TABLE offre (
    id                bigserial PRIMARY KEY,
    ror_id            text UNIQUE NOT NULL,    -- FHIR logical id
    identifiant       text,                    -- ROR identifiantOffre, e.g. '11/1234'
    nom               text NOT NULL,
    type_offre        text,                    -- JDV_J238 / TRE_R244 code
    champ             text,                    -- TRE_R227
    activites         text[] NOT NULL DEFAULT '{}',   -- TRE_R211 (JDV_J17)
    familles          text[] NOT NULL DEFAULT '{}',   -- JDV_J51
    modes_pec         text[] NOT NULL DEFAULT '{}',   -- TRE_R213
    publics           text[] NOT NULL DEFAULT '{}',   -- JDV_J29
    modalites_accueil text[] NOT NULL DEFAULT '{}',   -- JDV_J226
    temporalites      text[] NOT NULL DEFAULT '{}',   -- JDV_J30
    actes             text[] NOT NULL DEFAULT '{}',   -- JDV_J16
    specialisations   text[] NOT NULL DEFAULT '{}',   -- TRE_R245
    age_min           integer,
    age_max           integer,
    unite_sensible    boolean NOT NULL DEFAULT false,
    statut            text NOT NULL DEFAULT 'ouverte' CHECK (statut IN ('ouverte', 'fermee_temporairement', 'fermee')),
    date_fermeture    date,
    date_reouverture  date,
    capacite          integer,
    contacts          jsonb NOT NULL DEFAULT '[]',    -- [{nature, canal, valeur, confidentialite}]
    horaires          jsonb NOT NULL DEFAULT '[]',
    etablissement_id  bigint REFERENCES etablissement (id) ON DELETE SET NULL,
    oi_id             bigint REFERENCES organisation_interne (id) ON DELETE SET NULL,
    lieu_id           bigint REFERENCES lieu (id) ON DELETE SET NULL,
    source            text NOT NULL,
    fictif            boolean NOT NULL DEFAULT false,
    derniere_maj      timestamptz,
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX offre_type_idx ON offre (type_offre);
CREATE INDEX offre_etab_idx ON offre (etablissement_id);
CREATE INDEX offre_activites_idx ON offre USING gin (activites);
CREATE INDEX offre_publics_idx ON offre USING gin (publics);
CREATE INDEX offre_modes_idx ON offre USING gin (modes_pec);

-- Zone d'intervention: the ROR list of (type TRE_R201, code).
CREATE TABLE zone_intervention (
    offre_id      bigint NOT NULL REFERENCES offre (id) ON DELETE CASCADE,
    type_division text NOT NULL,               -- 1 région, 2 département, 3 commune, 4 territoire de santé
    code          text NOT NULL,
    PRIMARY KEY (offre_id, type_division, code)
);
CREATE INDEX zone_intervention_code_idx ON zone_intervention (type_division, code);

-- Free-form territory declared as a polygon.
CREATE TABLE zone_polygone (
    offre_id bigint PRIMARY KEY REFERENCES offre (id) ON DELETE CASCADE,
    geom     geometry(MultiPolygon, 4326) NOT NULL,
    geom_l93 geometry(MultiPolygon, 2154) NOT NULL
);

-- Precomputed coverage: which offers cover which commune, and why (gis.territories.coverage).
CREATE TABLE couverture (
    offre_id  bigint NOT NULL REFERENCES offre (id) ON DELETE CASCADE,
    insee     text NOT NULL,
    motif     text NOT NULL,                   -- commune, ancien_code, commune_parente, arrondissement,
                                               -- departement, region, localisation, polygone
    partielle boolean NOT NULL DEFAULT false,
    PRIMARY KEY (offre_id, insee)
);
CREATE INDEX couverture_insee_idx ON couverture (insee);

-- Import runs and their rejected rows (kept even when the import itself was rolled back).
CREATE TABLE import_run (
    id          bigserial PRIMARY KEY,
    kind        text NOT NULL,                 -- geography, nomenclatures, finess, establishments, fhir
    source      text NOT NULL,
    started_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    status      text NOT NULL DEFAULT 'en_cours' CHECK (status IN ('en_cours', 'reussi', 'echoue')),
    counts      jsonb NOT NULL DEFAULT '{}',
    message     text
);

CREATE TABLE import_rejet (
    run_id    bigint NOT NULL REFERENCES import_run (id) ON DELETE CASCADE,
    n         integer NOT NULL,
    reference text NOT NULL,                   -- file:line, resource type/id, FINESS…
    motif     text NOT NULL,                   -- French, for data stewards
    gravite   text NOT NULL DEFAULT 'rejet' CHECK (gravite IN ('rejet', 'alerte')),
    PRIMARY KEY (run_id, n)
);
