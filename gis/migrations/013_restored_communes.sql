-- Communes restored since 2018 out of a commune nouvelle (data/communes/retablissements.toml): their land lies in
-- the 2018 polygon of `contenant`. `contour` says whether the load found their own contour (then it was taken out
-- of the contenant); without it, points of the contenant may lie in them and are flagged by the geocoding.
CREATE TABLE geo_commune_retablie (
    insee     text PRIMARY KEY,
    nom       text NOT NULL,
    contenant text NOT NULL,
    contour   boolean NOT NULL DEFAULT false
);
