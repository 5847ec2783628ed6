"""The CapabilityStatement of ``/fhir`` and the SearchParameter resources of the ror-gis parameters."""

from __future__ import annotations

from typing import Any

from gis.fhir_out.codes import COVERAGE_MOTIF, ROR_GIS_SP
from gis.fhir_out.search import HANDLERS

ROR_SP = "https://interop.esante.gouv.fr/ig/fhir/ror/SearchParameter"
CORE_SP = "http://hl7.org/fhir/SearchParameter"
DATE = "2026-12-01"

# code -> (type, documentation) of every parameter; `definition` for those that have a canonical one.
_DOC: dict[str, tuple[str, str, str | None]] = {
    "_id": ("token", "Identifiant logique.", f"{CORE_SP}/Resource-id"),
    "_lastUpdated": ("date", "Date de dernière mise à jour (préfixes ge, le, gt, lt, eq).",
                     f"{CORE_SP}/Resource-lastUpdated"),
    "_tag": ("token", "Région source de l'offre (TRE_R30, préfixe de l'identifiant d'offre « 11/… »).",
             f"{CORE_SP}/Resource-tag"),
    "identifier": ("token", "Identifiant métier tel que publié (identifiant de l'offre, FINESS, "
                   "organisation interne) ; le système n'est pas vérifié.", None),
    "intervention-zone": ("token", "Code déclaré dans la zone d'intervention (correspondance exacte, comme l'API "
                          "nationale).", f"{ROR_SP}/ror-sp-healthcareservice-intervention-zone"),
    "couvre-commune": ("token", "Offres dont la zone d'intervention couvre la commune (code INSEE) selon ror-gis : "
                       "anciens codes, arrondissements, commune parente, département, région, polygone ; le motif "
                       f"est donné par l'extension {COVERAGE_MOTIF} de Bundle.entry.search.",
                       f"{ROR_GIS_SP}/ror-gis-couvre-commune"),
    "service-category": ("token", "Type d'offre (TRE_R244).", f"{CORE_SP}/HealthcareService-service-category"),
    "type": ("token", "Champ d'activité (TRE_R227) ou type d'organisation.", None),
    "specialty": ("token", "Activité opérationnelle (TRE_R211) ou famille (JDV_J51).",
                  f"{CORE_SP}/HealthcareService-specialty"),
    "characteristic": ("token", "Mode de prise en charge, modalité, temporalité, spécialisation, acte spécifique.",
                       f"{CORE_SP}/HealthcareService-characteristic"),
    "organization": ("reference", "Structure de rattachement (EG ou organisation interne).",
                     f"{CORE_SP}/HealthcareService-organization"),
    "organization.type": ("token", "Catégorie d'établissement (TRE_R66) de l'EG.", None),
    "location": ("reference", "Lieu de réalisation, ou lieu déduit de l'offre (offre-<id>-lieu).",
                 f"{CORE_SP}/HealthcareService-location"),
    "location.address-postalcode": ("string", "Code postal du lieu, ou du lieu déduit de l'offre (début du code).",
                                    None),
    "location.commune-cog": ("token", "Code COG de la commune du lieu, ou du lieu déduit de l'offre (arrondissement "
                             "de son établissement s'il en a un).", f"{ROR_SP}/ror-sp-location-commune-cog"),
    "location.near": ("special", "latitude|longitude|distance|km autour du lieu ou du lieu déduit de l'offre.", None),
    "location.near-insee-code": ("special", "code INSEE|distance|km autour du centre de la commune.",
                                 f"{ROR_SP}/ror-sp-location-near-insee-code"),
    "near": ("special", "latitude|longitude|distance|km ; la distance est rendue dans Bundle.entry.search.extension "
             "location-distance.", f"{CORE_SP}/Location-near"),
    "near-insee-code": ("special", "code INSEE|distance|km.", f"{ROR_SP}/ror-sp-location-near-insee-code"),
    "commune-cog": ("token", "Code COG de la commune.", f"{ROR_SP}/ror-sp-location-commune-cog"),
    "address-postalcode": ("string", "Code postal (début du code).", f"{CORE_SP}/Location-address-postalcode"),
    "age-range-low": ("number", "Âge minimum de la patientèle (préfixes permis).", None),
    "age-range-high": ("number", "Âge maximum de la patientèle (préfixes permis).", None),
    "partof": ("reference", "Organisation de rattachement.", f"{CORE_SP}/Organization-partof"),
}


def search_parameter_couvre_commune() -> dict[str, Any]:
    """Return the SearchParameter resource of ``couvre-commune`` (a ror-gis parameter)."""
    return {
        "resourceType": "SearchParameter", "id": "ror-gis-couvre-commune",
        "url": f"{ROR_GIS_SP}/ror-gis-couvre-commune",
        "name": "RorGisCouvreCommune", "status": "active", "date": DATE, "publisher": "ror-gis",
        "description": _DOC["couvre-commune"][1], "code": "couvre-commune", "base": ["HealthcareService"],
        "type": "token",
    }


CUSTOM = {"ror-gis-couvre-commune": search_parameter_couvre_commune}


def capability_statement(base: str, version: str) -> dict[str, Any]:
    """Return the CapabilityStatement (instance, FHIR 4.0.1, JSON) of the server at ``base``."""
    rest = []
    for rtype, handlers in HANDLERS.items():
        params = []
        for code in handlers:
            kind, doc, definition = _DOC.get(code, ("token", "", None))
            param: dict[str, Any] = {"name": code, "type": kind, "documentation": doc}
            if definition:
                param["definition"] = definition
            params.append(param)
        res: dict[str, Any] = {"type": rtype, "interaction": [{"code": "read"}, {"code": "search-type"}],
                               "searchParam": params}
        if rtype == "HealthcareService":
            res["searchInclude"] = ["HealthcareService:location", "HealthcareService:organization",
                                    "HealthcareService:providedBy"]
            res["searchRevInclude"] = ["PractitionerRole:service"]
        if rtype == "Organization":
            res["searchInclude"] = ["Organization:partof"]
        rest.append(res)
    rest.append({"type": "SearchParameter", "interaction": [{"code": "read"}]})
    return {
        "resourceType": "CapabilityStatement", "id": "ror-gis", "status": "active", "date": DATE,
        "publisher": "ror-gis", "kind": "instance", "software": {"name": "ror-gis", "version": version},
        "implementation": {"description": "API FHIR R4 de ror-gis (profils du ROR, modèle d'exposition 3.0)",
                           "url": base},
        "fhirVersion": "4.0.1", "format": ["application/fhir+json", "json"],
        "rest": [{"mode": "server", "resource": rest, "searchParam": [
            {"name": "_count", "type": "number", "documentation": "Taille de page (au plus 1000)."},
            {"name": "_total", "type": "token", "documentation": "none, estimate ou accurate."},
            {"name": "_summary", "type": "token", "documentation": "count : le total seul."},
            {"name": "_elements", "type": "token", "documentation": "Éléments à rendre (ressources SUBSETTED)."},
        ]}],
    }
