"""FHIR R4 output of ror-gis in the shape of the ROR profiles (modèle d'exposition 3.0).

Modules: ``codes`` (code systems and extension URLs), ``rows`` (SQL reading the rows of a page),
``resources`` (Organization EJ / EG / OI, HealthcareService, Location built from rows), ``search``
(search-parameter parsing into SQL conditions), ``bundle`` (searchset Bundles, OperationOutcome),
``capability`` (CapabilityStatement and the ror-gis SearchParameter resources), ``service`` (the
read and search operations the API calls).

Visibility fails closed: sensitive units (``offre.unite_sensible``) and closed offers are never
returned, only contacts of confidentiality level 1 are, and a Location or an organisation interne is
visible only through a public offer.
"""
