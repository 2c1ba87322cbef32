"""Languages: locale choice and the one translation workflow (STYLE 8).

Catalogs live in translations/<lang>/LC_MESSAGES/messages.po (server) and, from the
PWA issues on, pwa.po. .po files are committed; .mo files are build output.
"""
import os
import subprocess
import sys
from pathlib import Path

import click
from babel.messages.pofile import read_po
from flask import has_request_context, request
from flask.cli import AppGroup

LOCALES = ("en", "vi", "lo", "zh_Hans")
TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"
_BROWSER_TAGS = {"en": "en", "vi": "vi", "lo": "lo", "zh": "zh_Hans", "zh-cn": "zh_Hans",
                 "zh-hans": "zh_Hans", "zh-sg": "zh_Hans"}


def catalog_path(locale, domain="messages"):
    return TRANSLATIONS / locale / "LC_MESSAGES" / f"{domain}.po"


def read_catalog(locale, domain="messages"):
    """The committed .po catalog of a language, as babel reads it."""
    with open(catalog_path(locale, domain), "rb") as handle:
        return read_po(handle)


def _match(tag):
    tag = tag.lower().replace("_", "-").split(".")[0]
    return _BROWSER_TAGS.get(tag) or _BROWSER_TAGS.get(tag.split("-")[0])


def select_locale():
    """In a request, Accept-Language (browsers send zh-CN, not zh_Hans); on the command
    line, WILDLEDGER_LANG or the shell's LANG (vi_VN.UTF-8, zh_CN.UTF-8, lo_LA…)."""
    if has_request_context():
        tags = [tag for tag, _quality in request.accept_languages]
    else:
        tags = [os.environ.get(name, "") for name in ("WILDLEDGER_LANG", "LC_ALL", "LC_MESSAGES", "LANG")]
    return next((locale for locale in map(_match, filter(None, tags)) if locale), "en")


translate = AppGroup("translate", help="Extract, update and compile message catalogs.")


def _pybabel(*args):
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], check=True)


@translate.command("update")
def update():
    """Extract messages and merge them into every catalog."""
    pot = TRANSLATIONS / "messages.pot"
    _pybabel("extract", "-F", str(TRANSLATIONS / "babel.cfg"), "-k", "_l", "--no-location",
             "--sort-output", "-o", str(pot), str(TRANSLATIONS.parent / "server"))
    for locale in LOCALES[1:]:
        if catalog_path(locale).exists():
            _pybabel("update", "-i", str(pot), "-d", str(TRANSLATIONS), "-l", locale, "--no-fuzzy-matching")
        else:
            _pybabel("init", "-i", str(pot), "-d", str(TRANSLATIONS), "-l", locale)
    pot.unlink()


@translate.command("compile")
def compile_catalogs():
    """Build the .mo files the server reads."""
    _pybabel("compile", "-d", str(TRANSLATIONS), "--statistics")
    click.echo("compiled")
