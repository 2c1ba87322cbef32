"""Every screen an officer passes through in part 1 speaks the chosen language: after
switching, no English source string of the app or of the form remains visible."""
import re

from server.forms.definition import published_definitions

from .harness import ROOT, Phone, Station, catalog, discard, enroll, server_catalog

PIN = "909090"
LANGUAGES = {"vi": "Tiếng Việt", "lo": "ພາສາລາວ", "zh_Hans": "简体中文"}


def english_strings():
    """The app's msgids and the seizure form's labels, as visible text would hold them."""
    app = set()
    for path in (ROOT / "translations" / "vi" / "LC_MESSAGES").glob("pwa.po"):
        app.update(re.findall(r'^msgid "(.+)"$', path.read_text(encoding="utf-8"), re.M))
    form = published_definitions()["seizure.v1"]

    def labels(fields):
        for field in fields:
            yield field["label"]
            yield from labels(field.get("fields", []))

    strings = {s.split("{")[0].strip() for s in app} | set(labels(form["fields"]))
    return {s for s in strings if len(s) > 3}


def visible_english(page, strings):
    text = page.locator("body").inner_text()
    return sorted(s for s in strings if re.search(r"(?<![\w])" + re.escape(s) + r"(?![\w])", text))


def test_home_and_the_seizure_form_show_no_english_after_a_language_switch(tmp_path):
    station = Station(tmp_path / "server")
    phone = Phone(tmp_path / "profile", locale="en-US")
    strings = english_strings()
    try:
        station.start()
        page = phone.open()
        enroll(page, station.enrollment_url(), PIN, catalog("en"))
        assert {"Sync now", "My records", "Drafts"} <= set(visible_english(page, strings))  # the check sees English
        for code, name in LANGUAGES.items():
            ui, label = catalog(code), server_catalog(code)
            page.locator("select#language").select_option(code)
            page.get_by_role("heading", name=ui("My records")).wait_for()
            assert page.evaluate("document.documentElement.lang") == {"zh_Hans": "zh-Hans"}.get(code, code)
            assert visible_english(page, strings) == [], code
            page.get_by_role("button", name=ui("New: {form}", form=label("Seizure"))).click()
            page.get_by_role("button", name=ui("Review"), exact=True).wait_for()
            assert visible_english(page, strings) == [], code
            discard(page, ui)
        assert phone.errors == []
    finally:
        phone.quit()
        station.close()
