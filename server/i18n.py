"""Languages: locale choice and the one translation workflow (STYLE 8).

Two gettext domains, both in translations/<lang>/LC_MESSAGES/: `messages` (the server,
extracted from server/ with babel.cfg) and `pwa` (the officer app, extracted from the
JavaScript in pwa/src and pwa/sw with babel-pwa.cfg: `t("Hello {name}", {name})` and
`tn("{n} record", "{n} records", n)`). .po files are committed; the server's .mo files and
the app's pwa/src/locales/<lang>.json are build output of `flask translate compile`.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import click
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from flask import has_request_context, request
from flask.cli import AppGroup

from .version import server_version

LOCALES = ("en", "vi", "lo", "zh_Hans")
LANGUAGE_COOKIE = "wl_lang"
ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
PWA_SOURCES = (ROOT / "pwa" / "src", ROOT / "pwa" / "sw")
PWA_LOCALES = ROOT / "pwa" / "src" / "locales"
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
        # The language a person chose in the console (a cookie, kept per browser) comes first.
        chosen = request.cookies.get(LANGUAGE_COOKIE)
        if chosen in LOCALES:
            return chosen
        tags = [tag for tag, _quality in request.accept_languages]
    else:
        tags = [os.environ.get(name, "") for name in ("WILDLEDGER_LANG", "LC_ALL", "LC_MESSAGES", "LANG")]
    return next((locale for locale in map(_match, filter(None, tags)) if locale), "en")


translate = AppGroup("translate", help="Extract, update and compile message catalogs.")


def _pybabel(*args):
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], check=True)


_PROJECT = ("--project", "Wildledger", "--version", server_version(), "--copyright-holder", "Wildledger team")


def _merge(domain, pot):
    """Merge a fresh template into each language's catalog, starting the ones missing."""
    for locale in LOCALES[1:]:
        if catalog_path(locale, domain).exists():
            _pybabel("update", "-D", domain, "-i", str(pot), "-d", str(TRANSLATIONS), "-l", locale,
                     "--no-fuzzy-matching")
        else:
            _pybabel("init", "-D", domain, "-i", str(pot), "-d", str(TRANSLATIONS), "-l", locale)
    pot.unlink()


def extract_app_messages(sources, pot):
    """The app's t() and tn() calls in the JavaScript under `sources`, into the template
    `pot`. Only the app's own functions: `_` or `gettext` in a library is not ours."""
    _pybabel("extract", "-F", str(TRANSLATIONS / "babel-pwa.cfg"), "--no-default-keywords",
             "-k", "t", "-k", "tn:1,2", "--add-comments", "TRANSLATORS:", "--no-location",
             "--sort-output", *_PROJECT, "-o", str(pot), *map(str, sources))


@translate.command("update")
def update():
    """Extract messages and merge them into every catalog (server and app)."""
    pot = TRANSLATIONS / "messages.pot"
    _pybabel("extract", "-F", str(TRANSLATIONS / "babel.cfg"), "-k", "_l", "--no-location",
             "--sort-output", *_PROJECT, "-o", str(pot), str(ROOT / "server"))
    _merge("messages", pot)
    pot = TRANSLATIONS / "pwa.pot"
    sources = [folder for folder in PWA_SOURCES if folder.is_dir()]
    if not sources:
        raise click.ClickException(f"no app sources in {', '.join(map(str, PWA_SOURCES))}")
    extract_app_messages(sources, pot)
    _merge("pwa", pot)


def app_catalog(catalog):
    """A `pwa` catalog as the app loads it: msgid → text, or the list of plural forms for a
    `tn` entry (keyed by its singular), and the catalog's Plural-Forms rule. Empty and
    fuzzy entries are left out, so the app shows the English text."""
    messages = {}
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        if message.pluralizable:
            if all(message.string):
                messages[message.id[0]] = list(message.string)
        elif message.string:
            messages[message.id] = message.string
    return {"locale": str(catalog.locale), "messages": messages, "plural": catalog.plural_forms}


def compile_app_catalogs(folder=PWA_LOCALES):
    """Write <folder>/<lang>.json for every language; English is the msgids themselves.
    Unchanged files are not rewritten, so the app is not rebuilt for nothing."""
    folder.mkdir(parents=True, exist_ok=True)
    for locale in LOCALES:
        catalog = Catalog(locale=locale) if locale == LOCALES[0] else read_catalog(locale, "pwa")
        text = json.dumps(app_catalog(catalog), ensure_ascii=False, sort_keys=True, indent=1) + "\n"
        path = folder / f"{locale}.json"
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")


@translate.command("compile")
def compile_catalogs():
    """Build the .mo files the server reads and the JSON catalogs the app bundles."""
    _pybabel("compile", "-D", "messages", "-d", str(TRANSLATIONS), "--statistics")
    compile_app_catalogs()
    click.echo("compiled")
