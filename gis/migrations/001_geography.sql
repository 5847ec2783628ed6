-- Reference geography: régions, départements, communes (COG 2026) with IGN 2018 polygons.
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE geo_region (
    code        text PRIMARY KEY,
    nom         text NOT NULL,
    geom        geometry(MultiPolygon, 4326),
    geom_simple geometry(MultiPolygon, 4326)
);

CREATE TABLE geo_departement (
    code        text PRIMARY KEY,
    nom         text NOT NULL,
    region      text NOT NULL,
    chef_lieu   text,
    geom        geometry(MultiPolygon, 4326),
    geom_simple geometry(MultiPolygon, 4326)
);

-- Current communes and municipal arrondissements (Paris, Lyon, Marseille).
CREATE TABLE geo_commune (
    insee         text PRIMARY KEY,
    nom           text NOT NULL,
    nom_norm      text NOT NULL,               -- normalised name for search (gis.text.normalize)
    type          text NOT NULL CHECK (type IN ('commune', 'arrondissement-municipal')),
    parent_insee  text,                        -- for arrondissements: 75056, 69123, 13055
    departement   text NOT NULL,
    region        text NOT NULL,
    codes_postaux text[] NOT NULL DEFAULT '{}',
    population    integer,
    siren         text,
    epci_code     text,
    epci_nom      text,
    ept_code      text,
    ept_nom       text,
    geom          geometry(MultiPolygon, 4326),   -- full geometry (IGN Admin Express 2018, 5 decimals)
    geom_simple   geometry(MultiPolygon, 4326),   -- display geometry (simplified in Lambert-93, 5 decimals)
    geom_l93      geometry(MultiPolygon, 2154),   -- for measurements
    centre        geometry(Point, 4326),          -- a point on the surface, for distances and labels
    area_km2      double precision,
    geom_source   text                            -- which 2018 codes / file made the geometry
);
CREATE INDEX geo_commune_geom_idx ON geo_commune USING gist (geom);
CREATE INDEX geo_commune_l93_idx ON geo_commune USING gist (geom_l93);
CREATE INDEX geo_commune_cp_idx ON geo_commune USING gin (codes_postaux);
CREATE INDEX geo_commune_nom_trgm_idx ON geo_commune USING gin (nom_norm gin_trgm_ops);
CREATE INDEX geo_commune_dep_idx ON geo_commune (departement);
CREATE INDEX geo_commune_parent_idx ON geo_commune (parent_insee);

-- Former, delegated and associated codes, resolved to the current commune.
CREATE TABLE geo_commune_alias (
    code  text NOT NULL,
    insee text NOT NULL,
    kind  text NOT NULL CHECK (kind IN ('ancien', 'deleguee', 'associee')),
    nom   text,
    PRIMARY KEY (code, insee)
);
CREATE INDEX geo_commune_alias_insee_idx ON geo_commune_alias (insee);

-- What was loaded, from where, when: shown by /health and the source lines of the maps.
CREATE TABLE data_source (
    name      text PRIMARY KEY,
    loaded_at timestamptz NOT NULL DEFAULT now(),
    version   text,
    details   jsonb NOT NULL DEFAULT '{}'
);
