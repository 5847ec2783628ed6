"""The ``ror-gis`` command line: schema, loaders, server.

Output for people goes through ``click.echo`` (results on stdout, progress and errors on stderr);
library code logs through ``logging`` (INFO and above on stderr, as text or JSON lines: :mod:`gis.logs`,
setting ``ROR_GIS_LOG_FORMAT``), and long loops draw a
``click.progressbar``. Click's own messages (help, usage errors) are in French (:mod:`gis.cli_fr`).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, NoReturn

import click
import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from gis import cli_fr, logs
from gis.db import Conn, connect, migrate
from gis.errors import RorGisError
from gis.importers.report import ImportReport, count_lines
from gis.progress import Bar, Progress
from gis.settings import Settings, get_settings
from gis.sources import Fetcher

cli_fr.install()


def _fail(exc: RorGisError) -> NoReturn:
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
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(str(dbname))))
    return True


def init_db(settings: Settings) -> list[str]:
    """Create the database if needed and apply the migrations; return their names."""
    if ensure_database(settings.database_url):
        click.echo("Base de données créée.", err=True)
    with connect(settings.database_url) as conn:
        return migrate(conn)


def fetcher_for(settings: Settings) -> Fetcher:
    """Return the source fetcher of the settings (downloads logged by ``gis.sources``)."""
    return Fetcher(
        settings.resolved_data_dir(),
        settings.cache_dir,
        mirror_url=settings.mirror_url,
        allow_download=settings.download,
    )


def _bar(label: str, total: int) -> Bar:
    return click.progressbar(length=total, label=label, file=sys.stderr)


def progress_for(label: str) -> Progress:
    """Return a Progress whose steps are logged and whose counters draw a ``click.progressbar`` on stderr."""
    return Progress(label, bar=_bar)


class _Cli(click.Group):
    """Domain errors end every command the same way: a French message on stderr and exit code 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except RorGisError as exc:
            _fail(exc)


@click.group(cls=_Cli)
def main() -> None:
    """ror-gis : service cartographique du ROR Île-de-France."""
    logs.configure()


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
    """Load the geography of ``region``, print its summary, refresh the derived data."""
    from gis.importers.geography import load_geography

    with connect(settings.database_url) as conn:
        summary = load_geography(conn, fetcher_for(settings), region=region, progress=progress_for("géographie"))
        for line in summary.lines():
            click.echo(line)
        _refresh_derived(conn)


def _print_report(report: ImportReport) -> None:
    for line in report.lines():
        click.echo(line)


def _refresh_derived(conn: Conn, *, coverage_done: bool = False) -> None:
    from gis.maintenance import after_load

    derived = after_load(conn, coverage_done=coverage_done)
    if derived["offres"] == 0:
        click.echo("Couverture : aucune offre chargée pour l'instant (elles viennent de « load fhir » ou "
                   "« load demo »).")
    else:
        click.echo(f"Couverture recalculée : {derived['couverture']} lignes commune × offre "
                   f"pour {derived['offres']} offres.")


def summary_lines(summary: dict[str, Any]) -> list[str]:
    """Return a demo generation summary as short lines."""
    flat: dict[str, Any] = {}
    for key, value in summary.items():
        if isinstance(value, dict):
            flat.update({f"{key}.{k}": v for k, v in value.items()})
        elif isinstance(value, list):
            flat.update({f"{key}.{i}": v for i, v in enumerate(value, 1)})
        else:
            flat[key] = value
    return count_lines(flat)


@load.command("geography")
@click.option("--region", default="11", show_default=True, help="Code région INSEE, ou 'all' (France entière).")
def load_geography_cmd(region: str) -> None:
    """Charge la géographie de référence (COG 2026, contours IGN 2018, arrondissements de Paris)."""
    settings = get_settings()
    init_db(settings)
    run_geography(settings, region)


def run_nomenclatures(settings: Settings) -> None:
    """Load the NOS code lists and print the report."""
    from gis.importers.nomenclatures import load_nomenclatures

    with connect(settings.database_url) as conn:
        _print_report(load_nomenclatures(conn, settings.resolved_data_dir()))


def run_establishments(settings: Settings) -> None:
    """Load the real establishment files, print the report, refresh the derived data."""
    from gis.importers.etablissements import load_establishments

    with connect(settings.database_url) as conn:
        _print_report(load_establishments(conn, settings.resolved_data_dir(), progress=progress_for("établissements")))
        _refresh_derived(conn)


def run_offres_pa(settings: Settings) -> None:
    """Load the real offers for older people of the CNSA annuaire, print the report, refresh the derived data."""
    from gis.importers.offres_pa import load_cnsa_offers

    with connect(settings.database_url) as conn:
        _print_report(load_cnsa_offers(conn, settings.resolved_data_dir(), progress=progress_for("offres PA")))
        _refresh_derived(conn, coverage_done=True)


def run_fhir(settings: Settings, paths: list[Path], *, fictif: bool = False, source: str = "fhir") -> None:
    """Import FHIR files, print the report, refresh the derived data."""
    from gis.importers.fhir import load_fhir

    with connect(settings.database_url) as conn:
        _print_report(load_fhir(conn, paths, source=source, fictif=fictif, progress=progress_for("fhir")))
        _refresh_derived(conn, coverage_done=True)


def run_demo_data(settings: Settings, out: Path, seed: int) -> dict[str, Any]:
    """Generate the fictitious demo Bundles into ``out``; return the generation summary."""
    from gis.demo import generate

    with connect(settings.database_url) as conn:
        return generate(conn, out, seed=seed)


DEMO_SEED = 20261123


def run_load_demo(settings: Settings) -> None:
    """Load everything for the demonstration.

    Geography, nomenclatures, real establishments, the real offers for older people of the CNSA annuaire,
    then fictitious offers generated from them (replacing the previous demo set exactly).
    """
    from gis.demo import load_demo

    init_db(settings)
    run_geography(settings, "11")
    run_nomenclatures(settings)
    run_establishments(settings)
    run_offres_pa(settings)
    out = settings.cache_dir / "demo-fhir"
    with connect(settings.database_url) as conn:
        summary, report = load_demo(conn, out, seed=DEMO_SEED, progress=progress_for("démo"))
        click.echo(f"Données fictives générées dans {out} :")
        for line in summary_lines(summary):
            click.echo(line)
        _print_report(report)
        _refresh_derived(conn, coverage_done=True)


@load.command("nomenclatures")
def load_nomenclatures_cmd() -> None:
    """Charge les nomenclatures NOS du ROR (types d'offre, activités, catégories…)."""
    settings = get_settings()
    init_db(settings)
    run_nomenclatures(settings)


@load.command("finess")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--departement", "departements", multiple=True, help="Département à garder (répétable ; défaut : ceux chargés)."
)
def load_finess_cmd(file: Path, departements: tuple[str, ...]) -> None:
    """Charge une extraction FINESS etalab (cs1100507, géolocalisée)."""
    from gis.importers.finess import load_finess

    settings = get_settings()
    init_db(settings)
    with connect(settings.database_url) as conn:
        _print_report(load_finess(conn, file, departements=set(departements) or None))
        _refresh_derived(conn)


@load.command("establishments")
def load_establishments_cmd() -> None:
    """Charge les fichiers réels d'établissements d'Île-de-France (dossier de données)."""
    settings = get_settings()
    init_db(settings)
    run_establishments(settings)


@load.command("offres-pa")
def load_offres_pa_cmd() -> None:
    """Crée les offres réelles pour personnes âgées de l'annuaire CNSA (≈ 2021), une par unité déclarée."""
    settings = get_settings()
    init_db(settings)
    run_offres_pa(settings)


@load.command("fhir")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--fictif", is_flag=True, help="Marquer les ressources comme données fictives.")
def load_fhir_cmd(paths: tuple[Path, ...], fictif: bool) -> None:
    """Charge des ressources FHIR du ROR (Bundle JSON, NDJSON, ressource seule ou dossier)."""
    settings = get_settings()
    init_db(settings)
    run_fhir(settings, list(paths), fictif=fictif)


@load.command("demo")
def load_demo_cmd() -> None:
    """Géographie, nomenclatures, établissements réels, offres réelles CNSA et offres FICTIVES de démonstration."""
    run_load_demo(get_settings())


@main.command("demo-data")
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("--seed", default=DEMO_SEED, show_default=True, type=int)
@click.option("--national", is_flag=True,
              help="Jeu national : ~100 000 offres et ~25 000 établissements inventés sur toute la France.")
@click.option("--offres", default=100_000, show_default=True, type=click.IntRange(min=1),
              help="Avec --national : nombre approximatif d'offres.")
@click.option("--par-fichier", default=2_000, show_default=True, type=click.IntRange(min=1),
              help="Avec --national : offres au plus par fichier.")
def demo_data_cmd(out: Path, seed: int, national: bool, offres: int, par_fichier: int) -> None:
    """Génère des offres et territoires FICTIFS (Bundles FHIR) à partir des établissements chargés."""
    if national:
        from gis.demo.national import generate_national

        with connect(get_settings().database_url) as conn:
            summary = generate_national(conn, out, seed=seed, offers=offres, per_file=par_fichier,
                                        progress=progress_for("démo nationale"))
    else:
        summary = run_demo_data(get_settings(), out, seed)
    click.echo(f"Données fictives écrites dans {out} :")
    for line in summary_lines(summary):
        click.echo(line)


@main.command("imports")
@click.argument("run_id", required=False, type=int)
def imports_cmd(run_id: int | None) -> None:
    """Affiche les derniers imports, ou le détail d'un import (lignes rejetées ou signalées)."""
    from gis.import_runs import get_run, recent_runs, run_rejections

    with connect(get_settings().database_url) as conn:
        if run_id is None:
            runs = recent_runs(conn)
            if not runs:
                click.echo("Aucun import enregistré.")
            for r in runs:
                click.echo(
                    f"#{r['id']} {r['started_at']:%Y-%m-%d %H:%M} {r['kind']:<14} {r['statut']:<8} "
                    f"{r.get('duree_s', 0):>6.1f} s  rejets {r['rejets']:<5} alertes {r['alertes']:<5} "
                    f"{r['source']}"
                )
            return
        run = get_run(conn, run_id)
        if run is None:
            raise RorGisError(f"Import inconnu : {run_id}.")
        click.echo(f"#{run['id']} {run['kind']} ({run['source']}) : {run['statut']}, "
                   f"{run['started_at']:%Y-%m-%d %H:%M:%S}, {run.get('duree_s', 0):.1f} s, "
                   f"rejets {run['rejets']}, alertes {run['alertes']}.")
        if run["message"]:
            click.echo(run["message"])
        for line in count_lines(run["counts"]):
            click.echo(line)
        for r in run_rejections(conn, run_id):
            click.echo(f"  [{r['gravite']}] {r['reference']} : {r['motif']}")


def _serve(host: str, port: int, workers: int | None, reload: bool = False) -> None:
    """Run uvicorn with uvloop and httptools, one worker per core unless told otherwise."""
    import os

    import uvicorn

    settings = get_settings()
    workers = workers or settings.workers or os.cpu_count() or 1
    base = f"http://{host}:{port}"
    click.echo(f"Recherche : {base}/   API : {base}/docs   santé : {base}/health   "
               f"intégration : {base}/cartes/integrer", err=True)
    uvicorn.run(
        "api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=1 if reload else workers,
        reload=reload,
        proxy_headers=True,
        loop="uvloop",
        http="httptools",
        access_log=settings.access_log,
        log_config=logs.uvicorn_config(settings.log_format),
    )


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=None, type=click.IntRange(min=1),
              help="Processus serveurs (défaut : ROR_GIS_WORKERS, sinon un par cœur).")
def serve(host: str, port: int, workers: int | None) -> None:
    """Lance l'API (uvloop + httptools, un processus par cœur par défaut)."""
    _serve(host, port, workers)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="Charger les données sans lancer le serveur.")
def demo(host: str, port: int, no_serve: bool) -> None:
    """Prépare tout pour la démonstration (schéma, données) puis lance le service."""
    settings = get_settings()
    run_load_demo(settings)
    if not no_serve:
        _serve(host, port, None)


# `ror-gis sync …` lives in its own module (registered here, after main is defined).
from gis.cli_sync import sync  # noqa: E402
from gis.cli_tokens import tokens_group  # noqa: E402

main.add_command(sync)
main.add_command(tokens_group, "tokens")


if __name__ == "__main__":  # pragma: no cover
    main()
