"""Code systems, extension URLs and profiles of the ROR FHIR output (no logic)."""

from __future__ import annotations

NOS = "https://mos.esante.gouv.fr/NOS"
ROR_SD = "https://interop.esante.gouv.fr/ig/fhir/ror/StructureDefinition"
ROR_GIS_SD = "https://ror-gis.example/fhir/StructureDefinition"
ROR_GIS_SP = "https://ror-gis.example/fhir/SearchParameter"


def nos(name: str) -> str:
    """Canonical URL of a NOS code system: ``TRE_R244-CategorieOrganisation`` → ``…/FHIR/TRE-R244-…``."""
    return f"{NOS}/{name}/FHIR/{name.replace('_', '-')}"


SYS = {
    "type_offre": nos("TRE_R244-CategorieOrganisation"),
    "champ": nos("TRE_R227-ChampActivite"),
    "activite": nos("TRE_R211-ActiviteOperationnelle"),
    "famille": nos("JDV_J51-FamilleActiviteOperationnelle-ROR"),
    "mode_pec": nos("TRE_R213-ModePriseEnCharge"),
    "public": nos("TRE_R239-PublicPrisEnCharge"),
    "modalite": nos("JDV_J226-ModaliteAccueil-ROR"),
    "temporalite": nos("JDV_J30-TemporaliteAccueil-ROR"),
    "acte": nos("TRE_R210-ActeSpecifique"),
    "specialisation": nos("TRE_R245-SpecialisationDePriseEnCharge"),
    "categorie_eg": nos("TRE_R66-CategorieEtablissement"),
    "statut_juridique": nos("TRE_R72-FINESSStatutJuridique"),
    "type_oi": nos("TRE_R207-TypeOrganisationInterne"),
    "type_division": nos("TRE_R201-TypeDivisionTerritoriale"),
    "confidentialite": nos("TRE_R283-NiveauConfidentialite"),
    "canal": nos("TRE_R200-CanalCommunication"),
    "nature_contact": nos("TRE_R287-NatureContact"),
    "type_horaire": nos("TRE_R252-TypeHoraire"),
    "commune": nos("TRE_R13-CommuneOM"),
    "departement": nos("TRE_G09-DepartementOM"),
    "region": nos("TRE_R30-RegionOM"),
    "territoire_sante": nos("JDV_J249-TerritoireSante-ROR"),
    "pays": nos("TRE_R20-Pays"),
}
#: Code system of a zone code by its TRE_R201 type.
ZONE_SYSTEM = {"1": SYS["region"], "2": SYS["departement"], "3": SYS["commune"], "4": SYS["territoire_sante"],
               "5": SYS["pays"]}
FINESS_SYSTEM = "http://finess.esante.gouv.fr"
OI_SYSTEM = "https://oi.esante.gouv.fr"

PROFILE = {
    "HealthcareService": f"{ROR_SD}/ror-healthcareservice",
    "Location": f"{ROR_SD}/ror-location",
    "Organization": f"{ROR_SD}/ror-organization",
}
EXT = {name: f"{ROR_SD}/{name}" for name in (
    "ror-territorial-division", "ror-healthcareservice-sensitive-unit", "ror-healthcareservice-patient-type",
    "ror-healthcareservice-contact", "ror-healthcareservice-contact-telecom", "ror-confidentiality-level",
    "ror-telecom-communication-channel", "ror-available-time-type-of-time",
    "ror-available-time-effective-opening-closing-date", "ror-commune-cog", "ror-act-type",
    "ror-organization-geolocation", "ror-organization-period", "ror-meta-creation-date",
)}
INSEE_CODE_EXT = "https://interop.esante.gouv.fr/ig/fhir/ror/structuredefinition/datatype/fr-address-insee-code"
GEOLOCATION = "http://hl7.org/fhir/StructureDefinition/geolocation"
LOCATION_DISTANCE = "http://hl7.org/fhir/StructureDefinition/location-distance"
ZONE_GEOMETRY = f"{ROR_GIS_SD}/ror-gis-intervention-zone-geometry"
COVERAGE_MOTIF = f"{ROR_GIS_SD}/ror-gis-coverage-motif"
SUBSETTED = {"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue", "code": "SUBSETTED"}
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
