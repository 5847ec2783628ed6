"""What the ROR says of an EG's legal status and price, in the terms of ``etablissement`` (pure functions).

``etablissement.statut_juridique`` and ``prix_min`` are first filled from the CNSA annuaire (Public / Privé non
lucratif / Privé commercial; the lowest monthly price, in euros). The ROR FHIR profiles carry:

- the legal status on the **EJ**, not the EG: ``Organization.type[sousEnsembleAgregatStatutJuridique]``
  (TRE_R69 / JDV_J200, FINESS aggregate level 2: 1100 État et collectivités territoriales, 1200 établissement
  public → Public; 2100 organisme privé à but non lucratif → Privé non lucratif; 2200 organisme privé à caractère
  commercial → Privé commercial; 3100 personne morale de droit étranger → not mapped). The detailed
  ``statutJuridique`` (TRE_R72) slice is commented out in the profile: it is kept on ``entite_juridique`` only;
- the prices on the EG: ``ror-organization-price`` 0..* (``priceType`` TRE_R246, ``priceUnit`` TRE_R228 1 hourly,
  2 daily, 3 monthly, 4 per unit, ``amount`` Money, ``welcomeType`` TRE_R240 01 temporaire / 02 permanent,
  ``under60`` …). The CNSA price is that of permanent accommodation, so only the *forfait socle hébergement*
  (TRE_R246 02) of permanent or unspecified accommodation, not the under-60 rate, is compared. A monthly amount is
  taken as is; a daily one is converted to a month of 30 days (the conversion and the amount read are kept in the
  provenance); hourly and per-unit prices are not comparable and are ignored;
- **no EG capacity**: the ROR gives capacities per Location (``ror-location-supported-capacity``, read onto the
  offers) and, on the EG, only the places habilitated for social help (``ror-organization-nb-permanent-social-help-
  place`` / ``…-temporary-…``), which are not the EG's capacity. ``etablissement.capacite`` stays the CNSA figure.
"""

from __future__ import annotations

from typing import Any

from gis.importers.fhir.mapping import K_SOUS_ENSEMBLE_SJ, to_float
from gis.importers.fhir.read import as_list, extensions, first_code, value_of

#: TRE_R69 aggregate (level 2) → the legal-status label the CNSA annuaire uses.
LEGAL_STATUS_OF_AGGREGATE = {"1100": "Public", "1200": "Public", "2100": "Privé non lucratif",
                             "2200": "Privé commercial"}
K_TYPE_TARIF = {"R246", "J36"}
K_UNITE_PRIX = {"R228", "J205"}
K_TEMPORALITE_ACCUEIL = {"R240", "J30"}
FORFAIT_SOCLE_HEBERGEMENT = "02"
PERMANENT = "02"
MONTHLY, DAILY = "3", "2"
DAYS_PER_MONTH = 30


def legal_status(ej: dict[str, Any] | None, stored_code: str | None = None) -> str | None:
    """Return the legal-status label of an EJ resource (else of the code stored for it), None when not mapped.

    Parameters
    ----------
    ej
        The EJ Organization of this input, if any.
    stored_code
        ``entite_juridique.statut_juridique`` of an EJ known from an earlier import (a TRE_R69 code maps).

    Returns
    -------
    str or None
        ``Public``, ``Privé non lucratif`` or ``Privé commercial``.

    Examples
    --------
    >>> legal_status({"type": [{"coding": [{"system": "https://mos.esante.gouv.fr/NOS/TRE_R69-Finess"
    ...     "AgregatStatutJuridiqueNiv2/FHIR/TRE-R69-FinessAgregatStatutJuridiqueNiv2", "code": "2200"}]}]})
    'Privé commercial'
    """
    code = None
    if ej is not None:
        code = first_code(as_list(ej.get("type")), K_SOUS_ENSEMBLE_SJ, bare=False)
    return LEGAL_STATUS_OF_AGGREGATE.get(code or stored_code or "")


def _code(ext: dict[str, Any], name: str, keys: set[str]) -> str | None:
    """Code of the sub-extension ``name`` (system one of ``keys`` or none), leading zeros removed."""
    sub = next(iter(extensions(ext, name)), None)
    code = first_code(value_of(sub), keys) if sub is not None else None
    return (code.lstrip("0") or "0") if code else None


def _price_line(ext: dict[str, Any], warnings: list[str]) -> tuple[float, dict[str, Any]] | None:
    """(monthly amount, how it was read) of one comparable ``ror-organization-price``; None otherwise."""
    if _code(ext, "priceType", K_TYPE_TARIF) != FORFAIT_SOCLE_HEBERGEMENT.lstrip("0"):
        return None
    welcome = _code(ext, "welcomeType", K_TEMPORALITE_ACCUEIL)
    under60 = next((value_of(e) for e in extensions(ext, "under60")), None)
    if welcome not in (None, PERMANENT.lstrip("0")) or under60 is True:
        return None
    money = next((value_of(e) for e in extensions(ext, "amount")), None)
    amount = to_float(money.get("value")) if isinstance(money, dict) else None
    currency = money.get("currency") if isinstance(money, dict) else None
    unit = _code(ext, "priceUnit", K_UNITE_PRIX)
    if amount is None or amount <= 0 or currency not in (None, "EUR"):
        warnings.append("Tarif (ror-organization-price) sans montant en euros lisible : ignoré.")
        return None
    start = next((value_of(e) for e in extensions(ext, "startDate")), None)
    read = {"montant_lu": amount, "unite_lue": {MONTHLY: "mensuel", DAILY: "journalier"}.get(unit or "", unit)}
    if isinstance(start, str):
        read["debut_validite"] = start[:10]
    if unit == MONTHLY:
        return round(amount, 2), read
    if unit == DAILY:
        return round(amount * DAYS_PER_MONTH, 2), {**read, "conversion": f"tarif journalier × {DAYS_PER_MONTH} jours"}
    return None  # hourly or per-unit prices: not comparable with a monthly accommodation price


def lowest_price(eg: dict[str, Any], warnings: list[str]) -> tuple[float | None, dict[str, Any]]:
    """Return the lowest monthly accommodation price of an EG resource and how it was read (see the module docstring).

    Parameters
    ----------
    eg
        The EG Organization.
    warnings
        Receives French warnings for unreadable prices.

    Returns
    -------
    tuple
        The monthly amount in euros (None without a comparable price), and ``{montant_lu, unite_lue,
        debut_validite?, conversion?}`` of the price chosen (empty without one).
    """
    found = [p for ext in extensions(eg, "ror-organization-price") if (p := _price_line(ext, warnings)) is not None]
    if not found:
        return None, {}
    amount, read = min(found, key=lambda p: p[0])
    return amount, read
