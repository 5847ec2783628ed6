"""``ror-gis tokens create|list|revoke``: the API tokens (see :mod:`gis.tokens`)."""

from __future__ import annotations

import click

from gis import tokens
from gis.db import connect
from gis.settings import get_settings


@click.group()
def tokens_group() -> None:
    """Jetons d'accès à l'API (rôles, périmètre, expiration)."""


@tokens_group.command("create")
@click.option("--role", required=True, type=click.Choice(["professionnel", "referent", "administrateur"]),
              help="Rôle du jeton.")
@click.option("--etablissement", "etablissements", multiple=True, metavar="FINESS",
              help="FINESS ET d'un établissement du périmètre d'un référent (répétable).")
@click.option("--expire", metavar="DATE", help="Dernier jour de validité (AAAA-MM-JJ) ; défaut : dans un an.")
@click.option("--nom", help="Personne ou application à qui le jeton est remis.")
@click.option("--habilite-sensible", is_flag=True, help="Autorise la consultation des unités sensibles.")
def create_cmd(role: str, etablissements: tuple[str, ...], expire: str | None, nom: str | None,
               habilite_sensible: bool) -> None:
    """Crée un jeton et l'affiche une seule fois (seule son empreinte est conservée)."""
    with connect(get_settings().database_url) as conn:
        token_id, token = tokens.create_token(conn, role=role, etablissements=etablissements, expire=expire,
                                              nom=nom, habilite_sensible=habilite_sensible)
        conn.commit()
    click.echo(f"Jeton {token_id} créé ({role}). Conservez-le : il ne sera plus jamais affiché.", err=True)
    click.echo(token)


@tokens_group.command("list")
def list_cmd() -> None:
    """Affiche les jetons (jamais leur secret)."""
    with connect(get_settings().database_url) as conn:
        rows = tokens.list_tokens(conn)
    if not rows:
        click.echo("Aucun jeton.")
    for t in rows:
        scope = f" périmètre {','.join(t.etablissements)}" if t.etablissements else ""
        used = f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "jamais"
        click.echo(f"#{t.id} rgt_{t.prefix}_…  {t.role:<14} {t.etat:<8} expire {t.expires_at:%Y-%m-%d}"
                   f"  utilisé {used}{' sensibles' if t.habilite_sensible else ''}{scope}  {t.nom or ''}".rstrip())


@tokens_group.command("revoke")
@click.argument("token_id", type=int)
def revoke_cmd(token_id: int) -> None:
    """Révoque un jeton (refusé dès la requête suivante) et ferme ses sessions."""
    with connect(get_settings().database_url) as conn:
        changed = tokens.revoke_token(conn, token_id)
        conn.commit()
    click.echo(f"Jeton {token_id} révoqué." if changed else f"Jeton {token_id} déjà révoqué.")
