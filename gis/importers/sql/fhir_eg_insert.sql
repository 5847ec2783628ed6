INSERT INTO etablissement (ror_id, finess, finess_ej, ej_id, nom, categorie, adresse, code_postal, ville,
                           commune_declaree, telephone, date_ouverture, source, source_date, provenance, fictif,
                           geocodage_qualite)
VALUES (%(ror_id)s, %(finess)s, %(finess_ej)s, %(ej_id)s, %(nom)s, %(categorie)s, %(adresse)s, %(code_postal)s,
        %(ville)s, %(commune_declaree)s, %(telephone)s, %(date_ouverture)s, %(source)s, %(source_date)s, %(prov)s,
        %(fictif)s, 'aucune')
RETURNING id
