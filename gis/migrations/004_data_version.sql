-- Data version: one counter bumped (once per transaction) by every write to the data that answers
-- depend on, so that every API process can key its response cache on it and drop stale answers.
-- The bump happens in the writing transaction (statement-level triggers), and a NOTIFY on channel
-- `ror_gis_data` (delivered at commit) tells every listening process at once.

CREATE TABLE data_version (
    singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    version    bigint NOT NULL DEFAULT 1,
    updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO data_version DEFAULT VALUES;

CREATE FUNCTION bump_data_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- once per transaction: the marker is transaction-local (set_config(..., true))
    IF coalesce(current_setting('ror_gis.version_bumped', true), '') <> txid_current()::text THEN
        UPDATE data_version SET version = version + 1, updated_at = now();
        PERFORM set_config('ror_gis.version_bumped', txid_current()::text, true);
        PERFORM pg_notify('ror_gis_data', '');
    END IF;
    RETURN NULL;
END $$;

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['geo_region', 'geo_departement', 'geo_commune', 'geo_commune_alias', 'nomenclature',
                             'entite_juridique', 'etablissement', 'organisation_interne', 'lieu', 'offre',
                             'zone_intervention', 'zone_polygone', 'couverture']
    LOOP
        EXECUTE format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON %I '
                       'FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version()', t || '_data_version', t);
    END LOOP;
END $$;
