"""French texts for the messages click writes itself (help option, usage errors).

Click marks its messages for ``gettext`` (``from gettext import gettext as _`` in each of its
modules) but ships no French catalogue. :func:`install` points those module-level ``_`` and
``ngettext`` at the table below, so ``ror-gis`` users read « Affiche cette aide et quitte. » and
« Erreur : argument manquant » instead of English. Messages not in the table stay as click wrote them.
"""

from __future__ import annotations

import importlib

FRENCH: dict[str, str] = {
    "Show this message and exit.": "Affiche cette aide et quitte.",
    "Show the version and exit.": "Affiche la version et quitte.",
    "Usage:": "Utilisation :",
    "Options": "Options",
    "Commands": "Commandes",
    "Positional arguments": "Arguments",
    "Error: {message}": "Erreur : {message}",
    "Try '{command} {option}' for help.": "Aide : « {command} {option} ».",
    "Missing argument": "Argument manquant",
    "Missing option": "Option manquante",
    "Missing parameter": "Paramètre manquant",
    "Missing parameter: {param_name}": "Paramètre manquant : {param_name}",
    "Missing {param_type}": "{param_type} manquant",
    "Missing command.": "Commande manquante.",
    "No such command {name!r}.": "Commande inconnue : {name!r}.",
    "No such option {name!r}.": "Option inconnue : {name!r}.",
    "Option {name!r} does not take a value.": "L'option {name!r} ne prend pas de valeur.",
    "Invalid value: {message}": "Valeur invalide : {message}",
    "Invalid value for {param_hint}: {message}": "Valeur invalide pour {param_hint} : {message}",
    "{value!r} is not a valid {number_type}.": "{value!r} n'est pas un {number_type} valide.",
    "integer": "nombre entier",
    "float": "nombre décimal",
    "{value} is not in the range {range}.": "{value} n'est pas dans l'intervalle {range}.",
    "Choose from:\n\t{choices}": "Valeurs possibles :\n\t{choices}",
    "{name} {filename!r} does not exist.": "{name} {filename!r} introuvable.",
    "{name} {filename!r} is a directory.": "{name} {filename!r} est un dossier.",
    "{name} {filename!r} is a file.": "{name} {filename!r} est un fichier.",
    "{name} {filename!r} is not readable.": "{name} {filename!r} illisible.",
    "{name} {filename!r} is not writable.": "{name} {filename!r} protégé en écriture.",
    "file": "fichier",
    "directory": "dossier",
    "path": "chemin",
    "File": "Fichier",
    "Directory": "Dossier",
    "Path": "Chemin",
    "default: {default}": "défaut : {default}",
    "Aborted!": "Interrompu.",
    "unknown error": "erreur inconnue",
    "Got unexpected extra argument ({args})": "Argument en trop : {args}",
    "Got unexpected extra arguments ({args})": "Arguments en trop : {args}",
    "Did you mean {possibility}?": "Vouliez-vous dire {possibility} ?",
    "(Did you mean one of: {possibilities}?)": "(Vouliez-vous dire l'une de : {possibilities} ?)",
}
_MODULES = ("click.core", "click.exceptions", "click.types", "click.formatting", "click.decorators",
            "click.parser", "click.termui")


def gettext(message: str) -> str:
    """French text of a click message (the message itself when it is not translated)."""
    return FRENCH.get(message, message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """Plural-aware variant of :func:`gettext`."""
    return gettext(singular if n == 1 else plural)


def install() -> None:
    """Make click's own messages French (idempotent)."""
    for name in _MODULES:
        module = importlib.import_module(name)
        if hasattr(module, "_"):
            module._ = gettext  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = ngettext  # type: ignore[attr-defined]
