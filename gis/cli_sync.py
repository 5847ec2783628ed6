"""``ror-gis sync fhir``: harvest a ROR FHIR server (or another ror-gis) into the database."""

from __future__ import annotations

import logging

import click

from gis.db import connect
from gis.importers.report import count_lines
from gis.settings import get_settings


@click.group()
def sync() -> None:
    """Synchronise les données depuis un serveur FHIR du ROR."""


@sync.command("fhir")
@click.argument("base_url")
@click.option("--token", envvar="ROR_GIS_FHIR_TOKEN", help="Jeton porteur (Authorization: Bearer).")
@click.option("--cert", type=click.Path(exists=True, dir_okay=False), help="Certificat client (TLS mutuel, PEM).")
@click.option("--key", type=click.Path(exists=True, dir_okay=False), help="Clé privée du certificat client (PEM).")
@click.option("--ca", type=click.Path(exists=True, dir_okay=False),
              help="Autorités de certification du serveur (PEM, ex. IGC-Santé).")
@click.option("--source", default="ror-fhir", show_default=True, help="Source des lignes écrites.")
@click.option("--page-size", default=200, show_default=True, type=click.IntRange(1, 1000), help="_count demandé.")
@click.option("--timeout", default=30.0, show_default=True, type=float, help="Délai par requête (s).")
@click.option("--retries", default=5, show_default=True, type=click.IntRange(0, 20), help="Nouvelles tentatives.")
@click.option("--full", is_flag=True, help="Tout moissonner (ignorer la dernière synchronisation).")
@click.option("--no-deletions", is_flag=True, help="Ne pas supprimer les offres que le serveur ne publie plus.")
@click.option("--dry-run", is_flag=True, help="Afficher ce qui changerait, sans rien enregistrer.")
def sync_fhir_cmd(base_url: str, token: str | None, cert: str | None, key: str | None, ca: str | None, source: str,
                  page_size: int, timeout: float, retries: int, full: bool, no_deletions: bool, dry_run: bool) -> None:
    """Moissonne les offres d'un serveur FHIR du ROR (pages, reprise, mise à jour incrémentale)."""
    from gis.cli import _refresh_derived, init_db
    from gis.sync import sync_fhir
    from gis.sync.client import ClientOptions

    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per page otherwise
    settings = get_settings()
    init_db(settings)
    options = ClientOptions(token=token, cert=cert, key=key, ca=ca, timeout_s=timeout, retries=retries)
    with connect(settings.database_url) as conn:
        result = sync_fhir(conn, base_url, options=options, source=source, page_size=page_size, dry_run=dry_run,
                           full=full, deletions=not no_deletions)
        title = "Simulation (rien n'est enregistré)" if dry_run else "Synchronisation terminée"
        click.echo(f"{title} : {result.pages} page(s)" + (", reprise après interruption" if result.resumed else "")
                   + (f", depuis {result.since}" if result.since else "") + ".")
        for line in count_lines(result.counts):
            click.echo(line)
        if result.run_id is not None:
            click.echo(f"Voir « ror-gis imports {result.run_id} ».")
        if not dry_run:
            _refresh_derived(conn, coverage_done=True)
