-- Equipment-rate and accessibility indicators (issue #15-B).
--
-- The 2SFCA accessibility indicator (gis.layers.indicateurs) pairs commune centres within a catchment radius,
-- measured in Lambert-93: the centre in Lambert-93 is kept beside the WGS84 one (generated, so that every
-- geography load keeps it right without the loader knowing it) and indexed for ST_DWithin.
ALTER TABLE geo_commune
    ADD COLUMN centre_l93 geometry(Point, 2154) GENERATED ALWAYS AS (ST_Transform(centre, 2154)) STORED;
CREATE INDEX geo_commune_centre_l93_idx ON geo_commune USING gist (centre_l93);
