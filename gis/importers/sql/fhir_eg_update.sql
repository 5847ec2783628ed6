-- A FHIR EG over an existing row: its values win where it has some. A merge into a FINESS row keeps
-- that row's fictif flag (set_fictif false); an update of our own row follows the import.
UPDATE etablissement
   SET ror_id = %(ror_id)s, finess = COALESCE(%(finess)s, finess),
       finess_ej = COALESCE(%(finess_ej)s, finess_ej), ej_id = COALESCE(%(ej_id)s, ej_id),
       nom = COALESCE(%(nom)s, nom), categorie = COALESCE(%(categorie)s, categorie),
       adresse = COALESCE(%(adresse)s, adresse), code_postal = COALESCE(%(code_postal)s, code_postal),
       ville = COALESCE(%(ville)s, ville), commune_declaree = COALESCE(%(commune_declaree)s, commune_declaree),
       telephone = COALESCE(%(telephone)s, telephone), date_ouverture = COALESCE(%(date_ouverture)s, date_ouverture),
       source = %(source)s, source_date = COALESCE(%(source_date)s, source_date),
       provenance = CASE WHEN provenance @> %(prov)s THEN provenance ELSE provenance || %(prov)s END,
       fictif = CASE WHEN %(set_fictif)s THEN %(fictif)s ELSE fictif END, updated_at = now()
 WHERE id = %(id)s
