"""Response models (for validation of what we send and for the OpenAPI documentation)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class CommuneHit(BaseModel):
    insee: str = Field(examples=["93066"])
    nom: str = Field(examples=["Saint-Denis"])
    type: str = Field(examples=["commune"], description="commune ou arrondissement-municipal")
    codes_postaux: list[str] = Field(examples=[["93200", "93210", "93380"]])
    departement: str = Field(examples=["93"])
    departement_nom: str | None = Field(default=None, examples=["Seine-Saint-Denis"])
    population: int | None = Field(default=None, examples=[150000])
    parent_insee: str | None = Field(default=None, description="Commune parente d'un arrondissement")
    label: str = Field(examples=["Saint-Denis (93)"])
    correspondance: str | None = Field(
        default=None, description="Pour un code à 5 chiffres : code INSEE, code postal ou ancien code INSEE"
    )


class CommuneSearch(BaseModel):
    results: list[CommuneHit]


class Health(BaseModel):
    statut: str = Field(description="ok ou indisponible")
    base: str = Field(description="ok ou injoignable")
    status: str = Field(deprecated=True, description="Ancien nom de « statut »")
    database: str = Field(deprecated=True, description="Ancien nom de « base »")
    schema_version: int | None = None
    donnees: dict[str, Any] = {}
    version: str
    version_donnees: int | None = Field(default=None, description="Version des données servies (caches)")
    file_attente: int = Field(default=0, description="Demandes en attente d'une connexion")
    cache: dict[str, int] | None = None
    replicas: list[dict[str, Any]] | None = Field(
        default=None, description="Réplicas de lecture : serveur, état (à jour, en retard, injoignable), "
        "version des données rejouée, réponses servies (absent sans réplica)")
    detail: str | None = None


class Feature(BaseModel):
    """A GeoJSON Feature (RFC 7946, WGS84)."""

    type: str = "Feature"
    id: str | None = None
    properties: dict[str, Any]
    geometry: dict[str, Any] | None
    bbox: list[float] | None = None


class FeatureCollection(BaseModel):
    type: str = "FeatureCollection"
    features: list[Feature]


class ErrorBody(BaseModel):
    """Every error of the API: a French message for people and a stable code for programs."""

    detail: str = Field(examples=["Aucune commune ne correspond au code INSEE 99999."])
    code: str = Field(examples=["introuvable"], description="introuvable, saisie_invalide, base_indisponible, "
                      "service_sature, donnees_absentes, http, erreur_interne…")
    details: list[str] | dict[str, Any] | None = Field(default=None, description="Précisions (une par problème)")


def _error(description: str) -> dict[str, Any]:
    return {"model": ErrorBody, "description": description, "content": {"application/json": {}}}


def _html_error(description: str) -> dict[str, Any]:
    return {"description": description + " (page HTML en français)", "content": {"text/html": {}}}


# Documented on every data operation (router level).
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: _error("Introuvable (code inconnu)"),
    422: _error("Paramètre invalide (message en français)"),
    503: _error("Base de données injoignable, ou trop de demandes en attente (en-tête Retry-After)"),
}

# Endpoints that need credentials (Authorization: Bearer, or a page session).
AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    **ERROR_RESPONSES,
    401: _error("Authentification requise, ou jeton invalide, expiré ou révoqué (en-tête WWW-Authenticate)"),
    403: _error("Accès refusé : rôle insuffisant ou établissement hors du périmètre"),
}


# The pages (``/cartes/*``) answer their errors as French HTML pages.
HTML_ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: _html_error("Introuvable"),
    422: _html_error("Paramètre invalide"),
    503: _html_error("Service momentanément indisponible"),
}


def content(*media_types: str, description: str = "Réponse") -> dict[int | str, dict[str, Any]]:
    """A 200 response documented with several content types (JSON, GeoJSON, CSV, XLSX, HTML…)."""
    return {200: {"description": description, "content": {m: {} for m in media_types}}}


OFFERS_FORMATS = content("application/json", "application/geo+json", "text/csv",
                         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                         description="Offres (format=json, geojson, csv ou xlsx)")
COVERAGE_FORMATS = content("application/geo+json", "text/csv",
                           "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                           description="Couverture par commune (format=geojson, csv ou xlsx)")


class _Open(BaseModel):
    """Documented fields; more may be added without notice (clients ignore unknown fields)."""

    model_config = ConfigDict(extra="allow")


class Code(_Open):
    code: str | None = Field(examples=["28"])
    label: str | None = Field(examples=["Soins infirmiers à domicile (SSIAD)"])


class Contact(_Open):
    nature: str | None = None
    canal: str | None = Field(default=None, description="TRE_R200 : 1 courriel, 2 téléphone, 3 fax, 4 site web…")
    valeur: str | None = None
    confidentialite: str | None = Field(default=None, description="Toujours 1 (accès libre) dans les réponses "
                                                                   "publiques")


class EtablissementRef(_Open):
    finess: str | None
    nom: str | None
    categorie: Code
    adresse: str | None = None
    code_postal: str | None = None
    ville: str | None = None
    commune_insee: str | None = None
    lat: float | None = None
    lon: float | None = None
    capacite: int | None = Field(default=None, description="Places de l'établissement (toutes unités), "
                                                          "Annuaire CNSA")
    statut_juridique: str | None = Field(default=None, examples=["Public"])
    prix_min: float | None = Field(default=None, description="Prix minimum mensuel (€), Annuaire CNSA")
    provenance_champs: dict[str, Any] = Field(default_factory=dict,
                                              description="Champ → {source, millesime}")


class Couverture(_Open):
    motif: str = Field(examples=["commune"], description="commune, ancien_code, commune_parente, arrondissement, "
                                                         "departement, region, polygone, localisation…")
    libelle: str
    partielle: bool = Field(description="Vrai quand l'offre ne couvre qu'une partie de la commune")


class Offre(_Open):
    id: str | None = Field(description="Identifiant de la ressource ROR")
    identifiant: str | None = None
    nom: str | None
    type_offre: Code
    champ: Code
    activites: list[Code]
    publics: list[Code]
    modes_prise_en_charge: list[Code]
    age_min: int | None = None
    age_max: int | None = None
    contacts: list[Contact]
    lat: float | None = None
    lon: float | None = None
    fictif: bool
    etablissement: EtablissementRef | None
    capacite: int | None = Field(default=None, description="Capacité installée (lits ou places)")
    capacite_type: str | None = Field(default=None, description="lit ou place (TRE_R329)")
    capacite_maj: datetime | None = Field(default=None, description="Date de mise à jour de la capacité installée")
    capacite_disponible: int | None = Field(default=None, description="Places disponibles (Disponibilités)")
    capacite_disponible_maj: datetime | None = Field(default=None, description="Date du nombre de places "
                                                                             "disponibles")
    disponibilite_fictive: bool = Field(default=False, description="Disponibilité inventée (démonstration)")
    provenance: dict[str, Any] = Field(default_factory=dict, description="Champ → {source, millesime}")
    couverture: Couverture | None = None
    distance_km: float | None = None


class CommuneRef(_Open):
    insee: str
    nom: str
    type: str
    parent_insee: str | None = None
    departement: str
    lat: float | None = None
    lon: float | None = None
    code_demande: str | None = Field(default=None, description="Le code demandé, quand c'est un ancien code")


class OffresCommune(BaseModel):
    commune: CommuneRef
    results: list[Offre]
    total: int = Field(description="Nombre total d'offres (toutes pages)")


class OffresProximite(BaseModel):
    results: list[Offre]
    total: int


class Disponibilite(_Open):
    places: int
    maj: datetime | None = Field(description="Date du nombre de places disponibles")
    fictive: bool = Field(description="Donnée inventée (démonstration)")
    perimee: bool = Field(description="Plus ancienne que le délai de péremption (ou non datée) : ne pas présenter "
                                      "comme actuelle")
    perimee_apres: datetime | None = None


class OffreDisponible(Offre):
    disponibilite: Disponibilite


class Disponibilites(BaseModel):
    commune: CommuneRef
    rayon_km: float
    delai_peremption_h: int
    calcule_le: datetime
    results: list[OffreDisponible]
    total: int
    perimees: int = Field(description="Nombre de résultats dont le chiffre est périmé")


class OffreDetail(Offre):
    statut: str | None = None
    zone_intervention: list[dict[str, Any]]
    communes_couvertes: list[dict[str, Any]]
    territoire: dict[str, Any]


class Etablissement(_Open):
    finess: str
    nom: str | None
    offres: list[Offre]


class NomenclatureName(BaseModel):
    nom: str
    codes: int


class Nomenclatures(BaseModel):
    nomenclatures: list[NomenclatureName]


class NomenclatureCodes(BaseModel):
    nom: str
    codes: list[dict[str, Any]]


class Suggestions(_Open):
    """Groups of suggestions (types d'offre, catégories d'EG, activités, actes spécifiques, établissements)."""


class CoverageCollection(_Open):
    type: str = "FeatureCollection"
    features: list[dict[str, Any]]
    resume: dict[str, Any] | None = None


class TerritoriesCollection(_Open):
    type: str = "FeatureCollection"
    commune: str
    features: list[dict[str, Any]]


# POST /cartes/tableau reads its multipart form itself (streaming limits): the body documented by hand.
TABLEAU_FORM: dict[str, Any] = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["fichier"],
    "properties": {
        "fichier": {"type": "string", "format": "binary", "description": "Tableau CSV ou XLSX"},
        "colonne_code": {"type": "string", "description": "Colonne du code INSEE ou postal (détectée sinon)"},
        "colonne_valeur": {"type": "string", "description": "Colonne des valeurs (détectée sinon)"},
        "classes": {"type": "integer", "minimum": 3, "maximum": 7},
        "methode": {"type": "string", "enum": ["quantiles", "seuils-naturels", "amplitudes-egales"]},
        "titre": {"type": "string", "maxLength": 120},
        "fond": {"type": "string", "enum": ["plan-ign", "osm", "aucun"]},
    }}}}}}


# Operations that need a role (anomaly reports processing, territory editing).
AUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    401: _error("Authentification requise, ou jeton invalide, expiré ou révoqué (en-tête WWW-Authenticate)"),
    403: _error("Rôle insuffisant, établissement hors de votre périmètre, ou jeton CSRF manquant (session de page)"),
}
# Operations with a JSON body: a body that is not JSON at all is refused before validation.
BODY_ERRORS: dict[int | str, dict[str, Any]] = {400: _error("Corps illisible (JSON mal formé)")}
