"""Every server and app string is translated into vi, lo and zh_Hans, every problem code
has a message in each language, and the app's JSON catalogs are what the .po files say."""
import json
import re

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from server.errors import PROBLEMS
from server.i18n import (LOCALES, app_catalog, catalog_path, compile_app_catalogs, extract_app_messages,
                         read_catalog, TRANSLATIONS)

SCRIPTS = {"lo": re.compile("[\u0e80-\u0eff]"), "zh_Hans": re.compile("[\u4e00-\u9fff]")}
PLACEHOLDER = re.compile(r"%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[sdf]|\{\w*\}")
DOMAINS = ("messages", "pwa")


def _texts(message, forms):
    """(English, translation) pairs: one for a plain entry, one per form of a plural. With a
    single form (vi, lo, zh) that form stands for every n, so it answers the plural msgid."""
    if not message.pluralizable:
        return [(message.id, message.string)]
    return [(message.id[0] if n == 0 and forms > 1 else message.id[1], text) for n, text in enumerate(message.string)]


@pytest.mark.parametrize("domain", DOMAINS)
@pytest.mark.parametrize("locale", LOCALES[1:])
def test_catalog_is_complete(locale, domain):
    assert catalog_path(locale, domain).exists(), f"missing: run `flask translate update` ({domain}, {locale})"
    catalog = read_catalog(locale, domain)
    problems = []
    for message in catalog:
        if not message.id:
            assert not message.fuzzy, "header marked fuzzy"
            continue
        if message.fuzzy:
            problems.append(f"fuzzy: {message.id}")
            continue
        for english, text in _texts(message, catalog.num_plurals):
            if not text:
                problems.append(f"empty: {english}")
            elif text == english:
                problems.append(f"same as English: {english}")
            elif sorted(PLACEHOLDER.findall(text)) != sorted(PLACEHOLDER.findall(english)):
                problems.append(f"placeholders differ: {english}")
            elif locale in SCRIPTS and not SCRIPTS[locale].search(text):
                problems.append(f"not in {locale} script: {english}")
    assert problems == []


def test_app_catalog_format():
    catalog = Catalog(locale="vi")
    catalog.add("Sync now", "Đồng bộ ngay")
    catalog.add("Hello {name}", "Xin chào {name}")
    catalog.add(("{n} record waiting", "{n} records waiting"), ("{n} bản ghi đang chờ",))
    catalog.add(("{n} photo", "{n} photos"), ("",))
    catalog.add("Not yet translated", "")
    catalog.add("Guessed", "Đoán", flags=["fuzzy"])
    assert app_catalog(catalog) == {
        "locale": "vi", "plural": "nplurals=1; plural=0;",
        "messages": {"Sync now": "Đồng bộ ngay", "Hello {name}": "Xin chào {name}",
                     "{n} record waiting": ["{n} bản ghi đang chờ"]}}


def test_app_messages_are_extracted_from_javascript(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "view.js").write_text("""import { t, tn } from "./i18n.js";
const pattern = /"not a message"/g;
export const view = (n, name) => `
  <h1>${t("Hello {name}", { name })}</h1>
  <p>${tn("{n} record waiting", "{n} records waiting", n)}</p>`;
// TRANSLATORS: the button that sends sealed records now
export const button = () => t("Sync now") + _("library string") + gettext("another");
""", encoding="utf-8")
    extract_app_messages([tmp_path / "src"], tmp_path / "pwa.pot")
    with open(tmp_path / "pwa.pot", "rb") as handle:
        template = read_po(handle)
    assert {m.id for m in template if m.id} == {"Hello {name}", ("{n} record waiting", "{n} records waiting"),
                                                 "Sync now"}
    assert template["Sync now"].auto_comments == ["TRANSLATORS: the button that sends sealed records now"]


def test_compile_writes_the_app_catalogs(tmp_path):
    compile_app_catalogs(tmp_path)
    written = {path.stem: json.loads(path.read_text(encoding="utf-8")) for path in tmp_path.glob("*.json")}
    assert set(written) == set(LOCALES)
    assert written["en"] == {"locale": "en", "messages": {}, "plural": "nplurals=2; plural=(n != 1);"}
    for locale in LOCALES[1:]:
        assert written[locale] == app_catalog(read_catalog(locale, "pwa"))
        ids = {m.id[0] if m.pluralizable else m.id for m in read_catalog(locale, "pwa") if m.id}
        assert set(written[locale]["messages"]) == ids  # complete catalogs: everything goes


def test_translations_collection_carries_every_problem_message(app):
    """The app shows quarantine reasons by code, in the phone's language, from the pulled
    `translations` collection."""
    from server.reference.publish import SOURCES

    with app.app_context():
        collection = SOURCES["translations"]()
    for locale in LOCALES[1:]:
        messages = collection[locale]["messages"]
        assert [code for code, p in PROBLEMS.items() if str(p.message._args[0]) not in messages] == []


@pytest.mark.parametrize("locale", LOCALES[1:])
def test_every_problem_code_has_a_translated_message(locale):
    translated = {m.id for m in read_catalog(locale) if m.id and m.string}
    assert [code for code, p in PROBLEMS.items() if str(p.message._args[0]) not in translated] == []


@pytest.mark.parametrize("accept, sample", [("vi-VN,vi;q=0.9", "vi"), ("lo", "lo"), ("zh-CN,zh;q=0.9", "zh_Hans"),
                                            ("en-US", "en")])
def test_errors_are_answered_in_the_phones_language(client, accept, sample):
    answer = client.post("/api/v1/sync/push", data=b"{}", headers={"Accept-Language": accept})
    assert answer.json["code"] == "auth_required"
    english = "This request must be signed by an enrolled device."
    if sample == "en":
        assert answer.json["message"] == english
    else:
        assert answer.json["message"] != english
        if sample in SCRIPTS:
            assert SCRIPTS[sample].search(answer.json["message"])


@pytest.mark.parametrize("accept, script", [("lo-LA", SCRIPTS["lo"]), ("zh-CN", SCRIPTS["zh_Hans"])])
def test_enrollment_page_speaks_the_phones_language(client, tmp_path, accept, script):
    client.application.config["PWA_DIST"] = str(tmp_path / "not-built")
    page = client.get("/enroll", headers={"Accept-Language": accept}).get_data(as_text=True)
    assert script.search(page) and "not been built" not in page


def test_command_line_speaks_the_shells_language(app, monkeypatch):
    monkeypatch.setenv("WILDLEDGER_LANG", "vi_VN.UTF-8")
    result = app.test_cli_runner().invoke(args=["ledger", "verify"])
    assert result.exit_code == 0 and "Ledger ok" not in result.output and "0" in result.output


GLOSSARY = json.loads((TRANSLATIONS / "glossary.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("locale", LOCALES[1:])
@pytest.mark.parametrize("domain", DOMAINS)
def test_catalogs_keep_to_the_glossary(locale, domain):
    """One word per key term (translations/glossary.json): "Submit" is never the word for
    "send" (the record leaves at the next sync), a seizure never "arrests", and so on."""
    strays = []
    for message in read_catalog(locale, domain):
        if not message.id:
            continue
        english = " ".join(message.id) if message.pluralizable else message.id
        key = message.id[0] if message.pluralizable else message.id
        texts = message.string if message.pluralizable else (message.string,)
        for term, rule in GLOSSARY["terms"].items():
            if key in GLOSSARY["not_this_sense"].get(term, ()) or not re.search(rule["en"], english, re.I):
                if rule.get("reserved") and any(re.search(rule["use"][locale], text, re.I) for text in texts):
                    strays.append(f"{term}: {key!r} uses the word reserved for {term}: {texts!r}")
                continue
            avoid, unless = rule["avoid"].get(locale), rule.get("unless")
            for text in texts:
                if not re.search(rule["use"][locale], text, re.I):
                    strays.append(f"{term}: {key!r} lacks {rule['use'][locale]!r}: {text!r}")
                if avoid and re.search(avoid, text, re.I) and not (unless and re.search(unless, english, re.I)):
                    strays.append(f"{term}: {key!r} uses {avoid!r}: {text!r}")
    assert not strays, "\n".join(strays)


def test_the_glossary_holds_every_term_in_every_language():
    assert set(GLOSSARY["terms"]) == {"seize", "suspect", "record", "submit", "sync", "quarantine", "PIN"}
    for rule in GLOSSARY["terms"].values():
        assert set(rule["use"]) == set(LOCALES[1:])
