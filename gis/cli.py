"""The ``ror-gis`` command line: schema, loaders, server."""

from __future__ import annotations

import sys

import click
import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from data.communes.fetch import Fetcher
from gis.db import connect, migrate
from gis.errors import RorGisError
from gis.progress import Progress
from gis.settings import Settings, get_settings


def _fail(exc: RorGisError) -> None:
    click.secho(f"Erreur : {exc.message}", fg="red", err=True)
    details = exc.details if isinstance(exc.details, list) else []
    for line in details[:50]:
        click.echo(f"  - {line}", err=True)
    sys.exit(1)


def ensure_database(url: str) -> bool:
    """Create the database named in ``url`` if it does not exist. Returns True if created."""
    try:
        with psycopg.connect(url):
            return False
    except psycopg.OperationalError as exc:
        if "does not exist" not in str(exc):
            raise
    params = conninfo_to_dict(url)
    dbname = params.get("dbname")
    admin = make_conninfo(url, dbname="postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
    return True


def init_db(settings: Settings) -> list[str]:
    if ensure_database(settings.database_url):
        click.echo("Base de données créée.", err=True)
    with connect(settings.database_url) as conn:
        return migrate(conn)


def fetcher_for(settings: Settings) -> Fetcher:
    return Fetcher(
        settings.resolved_data_dir(),
        settings.cache_dir,
        mirror_url=settings.mirror_url,
        allow_download=settings.download,
        log=lambda m: click.echo(m, err=True),
    )


@click.group()
def main() -> None:
    """ror-gis : service cartographique du ROR Île-de-France."""


@main.group()
def db() -> None:
    """Schéma de la base."""


@db.command("init")
def db_init() -> None:
    """Crée ou met à jour le schéma (migrations)."""
    settings = get_settings()
    applied = init_db(settings)
    click.echo(f"Schéma à jour ({len(applied)} migration(s) appliquée(s) : {', '.join(applied) or 'aucune'}).")


@main.group()
def load() -> None:
    """Chargement des données."""


def run_geography(settings: Settings, region: str) -> None:
    from gis.importers.geography import load_geography

    with connect(settings.database_url) as conn:
        summary = load_geography(conn, fetcher_for(settings), region=region, progress=Progress("géographie"))
    for line in summary.lines():
        click.echo(line)


@load.command("geography")
@click.option("--region", default="11", show_default=True, help="Code région INSEE, ou 'all' (France entière).")
def load_geography_cmd(region: str) -> None:
    """Charge la géographie de référence (COG 2026, contours IGN 2018, arrondissements de Paris)."""
    settings = get_settings()
    try:
        init_db(settings)
        run_geography(settings, region)
    except RorGisError as exc:
        _fail(exc)


def _serve(host: str, port: int, workers: int, reload: bool = False) -> None:
    import uvicorn

    click.echo(f"API : http://{host}:{port}/docs   santé : http://{host}:{port}/health", err=True)
    uvicorn.run(
        "api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        proxy_headers=True,
    )


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int)
def serve(host: str, port: int, workers: int) -> None:
    """Lance l'API."""
    _serve(host, port, workers)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="Charger les données sans lancer le serveur.")
def demo(host: str, port: int, no_serve: bool) -> None:
    """Prépare tout pour la démonstration (schéma, données) puis lance le service."""
    settings = get_settings()
    try:
        init_db(settings)
        run_geography(settings, "11")
    except RorGisError as exc:
        _fail(exc)
    if not no_serve:
        _serve(host, port, 1)


if __name__ == "__main__":  # pragma: no cover
    main()
