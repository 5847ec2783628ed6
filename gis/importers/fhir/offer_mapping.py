"""Mapping a ROR FHIR HealthcareService to the columns of ``offre`` (pure functions).

Access-control fields fail closed (issue #9):

- ``ror-healthcareservice-sensitive-unit``: only a *clear false* publishes the unit. Clear false:
  the boolean ``false``, the number ``0`` or the strings ``false``, ``non``, ``no``, ``faux``, ``0``
  (case and surrounding spaces ignored). Clear true: ``true``, ``1``, ``oui``, ``yes``, ``vrai``.
  Anything else — another string, another number, an object, an extension without value — marks the
  unit sensitive. Every value that is not a JSON boolean gives a warning in the import report. An
  offer without the extension is not sensitive (the ROR default).
- confidentiality levels of contacts: see :func:`gis.importers.fhir.mapping.level_of` (unknown → 3).

The same rule applies to any access-control field added later: unknown means most restrictive.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from gis.identifiers import system_key
from gis.importers.fhir.mapping import (
    K_ACTE,
    K_ACTIVITE,
    K_CANAL,
    K_CHAMP,
    K_FAMILLE,
    K_MODALITE,
    K_MODE_PEC,
    K_NATURE_CONTACT,
    K_PUBLIC,
    K_SPECIALISATION,
    K_TEMPORALITE,
    K_TYPE_HORAIRE,
    K_TYPE_OFFRE,
    fhir_date,
    level_of,
    text,
    to_float,
    to_int,
)
from gis.importers.fhir.read import as_list, codes, codings, extensions, first_code, value_of

CLEAR_FALSE = frozenset({"false", "non", "no", "faux", "0"})
CLEAR_TRUE = frozenset({"true", "oui", "yes", "vrai", "1"})
_DAYS = {"mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6, "sun": 7}
_CHANNEL_OF_SYSTEM = {"phone": "2", "fax": "3", "email": "4", "url": "5"}


def flag_value(value: Any) -> bool | None:
    """Return True / False for a clear yes / no (see the module docstring), None when unclear.

    Examples
    --------
    >>> flag_value(False), flag_value(" Non "), flag_value(1), flag_value("peut-être")
    (False, False, True, None)
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return {0: False, 1: True}.get(int(value)) if value in (0, 1) else None
    if isinstance(value, str):
        word = value.strip().lower()
        if word in CLEAR_FALSE:
            return False
        if word in CLEAR_TRUE:
            return True
    return None


def sensitive_unit(hs: dict[str, Any], warnings: list[str]) -> bool:
    """Whether the offer is a sensitive unit, failing closed on anything but a clear false.

    Parameters
    ----------
    hs
        The HealthcareService resource.
    warnings
        Receives a French warning for every flag that is not a JSON boolean.

    Returns
    -------
    bool
        True when any ``ror-healthcareservice-sensitive-unit`` extension is not a clear false.
    """
    sensitive = False
    for ext in extensions(hs, "ror-healthcareservice-sensitive-unit"):
        keys = [k for k in ext if k.startswith("value")]
        value = value_of(ext)
        flag = flag_value(value)
        if isinstance(value, bool):
            sensitive = sensitive or value
            continue
        shown = f"{keys[0]} {value!r}" if keys else "sans valeur"
        if flag is None:
            warnings.append(
                f"Unité sensible : valeur illisible ({shown[:80]}) : offre traitée comme unité sensible "
                "(non publiée)."
            )
            sensitive = True
        else:
            lu = "unité sensible" if flag else "unité non sensible"
            warnings.append(f"Unité sensible : valeur non booléenne ({shown[:80]}), lue « {lu} ».")
            sensitive = sensitive or flag
    return sensitive


def contacts_of(hs: dict[str, Any], warnings: list[str] | None = None) -> tuple[list[dict[str, Any]], int]:
    """Contacts of an offer and how many had no confidentiality level.

    Parameters
    ----------
    hs
        The HealthcareService resource.
    warnings
        Receives the French warnings about unknown levels (stored as '3').

    Returns
    -------
    tuple
        ``[{nature, canal, valeur, confidentialite[, nom]}]`` and the number of contacts without a
        level (stored as '3', très restreint, so that nothing unqualified reaches a public map).
    """
    warnings = [] if warnings is None else warnings
    out: list[dict[str, Any]] = []
    unqualified = 0
    for contact in extensions(hs, "ror-healthcareservice-contact"):
        nature = None
        for sub in extensions(contact, "purposeContact"):
            nature = first_code(value_of(sub), K_NATURE_CONTACT) or nature
        name = next((text(value_of(s)) for s in extensions(contact, "name", "nameContact")), None)
        contact_level = level_of(contact, warnings)
        for tel in extensions(contact, "ror-healthcareservice-contact-telecom"):
            valeur = next((text(value_of(s)) for s in extensions(tel, "telecomAddress")), None)
            if not valeur:
                continue
            canal = None
            for sub in extensions(tel, "ror-telecom-communication-channel"):
                canal = first_code(value_of(sub), K_CANAL) or canal
            levels = [lv for lv in (contact_level, level_of(tel, warnings)) if lv]
            if not levels:
                unqualified += 1
            row = {"nature": nature, "canal": canal, "valeur": valeur, "confidentialite": max(levels or ["3"])}
            if name:
                row["nom"] = name
            out.append(row)
    for tel in as_list(hs.get("telecom")):
        if not isinstance(tel, dict) or not text(tel.get("value")):
            continue
        canal = None
        for sub in extensions(tel, "ror-telecom-communication-channel"):
            canal = first_code(value_of(sub), K_CANAL) or canal
        level = level_of(tel, warnings)
        if not level:
            unqualified += 1
        out.append({
            "nature": "MSS" if str(tel.get("system")) == "email" else None,
            "canal": canal or _CHANNEL_OF_SYSTEM.get(str(tel.get("system"))),
            "valeur": text(tel["value"]),
            "confidentialite": level or "3",
        })
    return out, unqualified


def hours_of(hs: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the opening hours (one row per day and slot) from ``availableTime`` and the ROR extensions."""
    out: list[dict[str, Any]] = []
    for slot in as_list(hs.get("availableTime")):
        if not isinstance(slot, dict):
            continue
        days: list[int] = []
        for ext in extensions(slot, "ror-available-time-number-days-of-week"):
            day = to_int(value_of(ext))
            if day and 1 <= day <= 7:
                days.append(day)
        if not days:
            days = [_DAYS[d] for d in as_list(slot.get("daysOfWeek")) if d in _DAYS]
        kind: str | None = None
        for ext in extensions(slot, "ror-available-time-type-of-time"):
            kind = first_code(value_of(ext), K_TYPE_HORAIRE) or kind
        validity = extensions(slot, "ror-available-time-effective-opening-closing-date")
        period = next((value_of(e) for e in validity), None)
        period = period if isinstance(period, dict) else {}
        start, end = slot.get("availableStartTime"), slot.get("availableEndTime")
        each_day: list[int | None] = [*days] or [None]
        for day in each_day:
            out.append({
                "jour": day,
                "debut": start[:5] if isinstance(start, str) else None,
                "fin": end[:5] if isinstance(end, str) else None,
                "toute_la_journee": bool(slot.get("allDay")),
                "type": kind,
                "debut_validite": period.get("start"),
                "fin_validite": period.get("end"),
            })
    out.sort(key=lambda h: (h["jour"] or 0, h["debut"] or "", h["type"] or ""))
    return out


def status_of(hs: dict[str, Any], today: date) -> dict[str, Any]:
    """Statut ('ouverte' / 'fermee_temporairement' / 'fermee'), date_fermeture, date_reouverture."""
    closing = reopening = None
    for na in as_list(hs.get("notAvailable")):
        if not isinstance(na, dict) or not isinstance(na.get("during"), dict):
            continue
        if na.get("id") == "closingReopeningDate" or closing is None:
            closing = fhir_date(na["during"].get("start"))
            reopening = fhir_date(na["during"].get("end"))
    if hs.get("active") is False:
        statut = "fermee_temporairement" if reopening and reopening > today else "fermee"
    elif closing and closing <= today:
        if reopening is None:
            statut = "fermee"
        elif reopening > today:
            statut = "fermee_temporairement"
        else:
            statut = "ouverte"
    else:
        statut = "ouverte"
    return {"statut": statut, "date_fermeture": closing, "date_reouverture": reopening}


def ages_of(hs: dict[str, Any]) -> tuple[list[str], int | None, int | None]:
    """Publics (TRE_R239 codes) and the age range in years of ``ror-healthcareservice-patient-type``."""
    publics: list[str] = []
    age_min = age_max = None
    for ext in extensions(hs, "ror-healthcareservice-patient-type"):
        for sub in extensions(ext, "supportedPatientInfo"):
            for code in codes(value_of(sub), K_PUBLIC):
                if code not in publics:
                    publics.append(code)
        for sub in extensions(ext, "ageRange"):
            rng = value_of(sub)
            if isinstance(rng, dict):
                age_min = _age(rng.get("low"))
                age_max = _age(rng.get("high"))
    return publics, age_min, age_max


def _age(quantity: Any) -> int | None:
    if not isinstance(quantity, dict):
        return to_int(quantity)
    value = to_float(quantity.get("value"))
    if value is None:
        return None
    unit = str(quantity.get("code") or quantity.get("unit") or "a").lower()
    if unit in ("mo", "mois"):
        value = value / 12
    elif unit in ("wk", "d", "h", "min", "semaine", "jour"):
        value = 0
    return int(value)


def offer_fields(hs: dict[str, Any], today: date) -> tuple[dict[str, Any], list[str]]:
    """Columns of ``offre`` (without the references) and warnings."""
    warnings: list[str] = []
    identifiant = None
    for ident in as_list(hs.get("identifier")):
        if isinstance(ident, dict) and text(ident.get("value")):
            identifiant = text(ident["value"])
            break
    characteristic = as_list(hs.get("characteristic"))
    actes: list[str] = []
    for ch in characteristic:
        act_type = {str(value_of(e)) for e in extensions(ch, "ror-act-type")}
        for code in codes(ch, K_ACTE, bare=bool(act_type & {"specificAct", "outsideOfficeAct"})):
            if code not in actes:
                actes.append(code)
    unclassified = sum(
        1 for ch in characteristic for c in codings(ch)
        if system_key(c.get("system")) is None and not extensions(ch, "ror-act-type")
    )
    if unclassified:
        warnings.append(
            f"{unclassified} caractéristique(s) sans système de codage reconnaissable : ignorée(s) "
            "(mode de prise en charge, modalité, temporalité… ne se distinguent que par leur système)."
        )
    publics, age_min, age_max = ages_of(hs)
    if age_min is not None and age_max is not None and age_min > age_max:
        warnings.append(f"Âge minimum ({age_min}) supérieur à l'âge maximum ({age_max}) : âges ignorés.")
        age_min = age_max = None
    sensitive = sensitive_unit(hs, warnings)
    contacts, unqualified = contacts_of(hs, warnings)
    if unqualified:
        warnings.append(
            f"{unqualified} contact(s) sans niveau de confidentialité : enregistré(s) comme « accès très restreint »."
        )
    specialty = as_list(hs.get("specialty"))
    fields = {
        "identifiant": identifiant,
        "nom": text(hs.get("name")),
        "type_offre": first_code(hs.get("category"), K_TYPE_OFFRE),
        "champ": first_code(hs.get("type"), K_CHAMP),
        "activites": [c for s in specialty for c in codes(s, K_ACTIVITE)],
        "familles": [c for s in specialty for c in codes(s, K_FAMILLE, bare=False)],
        "modes_pec": [c for ch in characteristic for c in codes(ch, K_MODE_PEC, bare=False)],
        "publics": publics,
        "modalites_accueil": [c for ch in characteristic for c in codes(ch, K_MODALITE, bare=False)],
        "temporalites": [c for ch in characteristic for c in codes(ch, K_TEMPORALITE, bare=False)],
        "actes": actes,
        "specialisations": [c for ch in characteristic for c in codes(ch, K_SPECIALISATION, bare=False)],
        "age_min": age_min,
        "age_max": age_max,
        "unite_sensible": sensitive,
        "contacts": contacts,
        "horaires": hours_of(hs),
        "derniere_maj": (hs.get("meta") or {}).get("lastUpdated"),
        **status_of(hs, today),
    }
    for key in ("activites", "familles", "modes_pec", "modalites_accueil", "temporalites", "specialisations"):
        fields[key] = list(dict.fromkeys(fields[key]))
    return fields, warnings

