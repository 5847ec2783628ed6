-- Access control (issue #14): API tokens and page sessions.
-- A token is shown once at creation; only its SHA-256 is stored, found by its public prefix. Tokens are scoped
-- (role, FINESS ET numbers of the EGs a référent edits, habilitation for sensitive units), expire, and are revoked
-- by setting revoked_at: every request re-reads its token, so a revocation applies at once.
-- These tables are not data: they do not bump the data version (answers to the public never depend on them).

CREATE TABLE api_token (
    id                bigserial PRIMARY KEY,
    prefix            text NOT NULL UNIQUE,             -- public part of the token, for the lookup
    hash              text NOT NULL,                    -- hex SHA-256 of the whole token
    nom               text,
    role              text NOT NULL CHECK (role IN ('public', 'professionnel', 'referent', 'administrateur')),
    etablissements    text[] NOT NULL DEFAULT '{}',     -- FINESS ET numbers (scope of a référent)
    habilite_sensible boolean NOT NULL DEFAULT false,
    created_at        timestamptz NOT NULL DEFAULT now(),
    expires_at        timestamptz NOT NULL,
    revoked_at        timestamptz,
    last_used_at      timestamptz
);

-- Page sessions opened with a token on /connexion (cookie = random value; only its SHA-256 is stored).
-- A session dies with its token (revocation, expiry, deletion) and at its own expiry.
CREATE TABLE web_session (
    id_hash    text PRIMARY KEY,
    token_id   bigint NOT NULL REFERENCES api_token (id) ON DELETE CASCADE,
    csrf       text NOT NULL,                           -- synchronizer token of the session's forms
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX web_session_token_idx ON web_session (token_id);
