"""Every screen of the officer app speaks Vietnamese, Lao and Simplified Chinese: after a
switch with the header's Language select, no English source string of the app (its t()
and tn() msgids, extracted afresh from pwa/src) or of the server's catalog (form titles
and labels) is visible: text, placeholders, accessible names, the options of selects.

The switch happens in the middle of the tour, on a different screen for each language,
and redraws that screen in place: what was typed (a reporting officer, a weight, half a
PIN) is still there, a number still meaning what it meant.

The tour: not enrolled, enroll, home, the directory (a crossing chosen: its counterparts),
a contact, the phrasebook, seizure form, market observation form (a second row of items
added), my records, a record's screen, settings, change the PIN, unlock, forgot the PIN."""
import json
import re

import pytest
from babel.messages.pofile import read_po

from server.directory import service as directory
from server.i18n import PWA_SOURCES, extract_app_messages, read_catalog

from .harness import (ROOT, Phone, Station, catalog, choose_pin_and_enroll, discard, field, fill_minimal_seizure,
                      server_catalog, submit, unlock, wait_until)

PIN = "246813"
MONG_CAI = "VN-CN:mong-cai--dongxing"
CONTACT = "demo/CN-HG-DX/duty"  # for Vietnamese phones, on the Chinese side of Móng Cái
LANGUAGES = ("vi", "lo", "zh_Hans")
TAGS = {"vi": "vi", "lo": "lo", "zh_Hans": "zh-Hans"}
# {name} in the app's strings, %(name)s in the server's.
PLACEHOLDER = re.compile(r"\{\w+\}|%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[sdif]")
LONG = 12  # a msgid this long is looked for inside texts too, not only as a whole text


class English:
    """The English source strings that must not be seen in one language, as patterns."""

    def __init__(self, locale, app_ids):
        app = json.loads((ROOT / "pwa" / "src" / "locales" / f"{locale}.json").read_text(encoding="utf-8"))["messages"]
        server = {m.id: m.string for m in read_catalog(locale) if m.id and isinstance(m.id, str)}
        self.patterns, self.templates = [], []
        for msgid in app_ids:
            ids = msgid if isinstance(msgid, tuple) else (msgid,)
            shown = app.get(ids[0])
            shown = shown[0] if isinstance(shown, list) else shown
            for text in ids:
                self._add(text, shown)
            if shown and PLACEHOLDER.search(shown):
                self.templates.append(pattern(shown))  # "Thêm: {label}": the label is looked at too
        for msgid, shown in server.items():
            self._add(msgid, shown)

    def _add(self, msgid, shown):
        literal = PLACEHOLDER.sub("", msgid)
        # A brand or a code the same in every language ("CITES") is not English left behind.
        if len(literal.strip()) < 4 or not re.search(r"[A-Za-z]", literal) or (shown and msgid in shown):
            return
        self.patterns.append((msgid, pattern(msgid), len(literal) >= LONG))
        if PLACEHOLDER.search(msgid):
            self.templates.append(pattern(msgid))

    def pieces(self, text):
        """The text, without a required field's " *" or a row's number, and what fills a template's blanks."""
        out = {text, re.sub(r"\s*\*$", "", text), re.sub(r"\s+\d+$", "", text)}
        for template in self.templates:
            match = template.fullmatch(text)
            if match:
                for group in match.groups():
                    out |= {group, re.sub(r"\s+\d+$", "", group)}
        return out

    def seen(self, texts):
        found = set()
        for text in texts:
            pieces = self.pieces(text)
            for msgid, regex, long in self.patterns:
                if any(regex.fullmatch(piece) for piece in pieces) or (long and regex.search(text)):
                    found.add(msgid)
        return sorted(found)


def pattern(msgid):
    parts = PLACEHOLDER.split(msgid)
    return re.compile("(.+?)".join(re.escape(part) for part in parts), re.S)


def app_msgids(tmp_path):
    """The app's strings as the code has them now (not only those already in the catalogs)."""
    pot = tmp_path / "pwa.pot"
    extract_app_messages([folder for folder in PWA_SOURCES if folder.is_dir()], pot)
    with open(pot, "rb") as handle:
        return [message.id for message in read_po(handle) if message.id]


# Every piece of text the officer can see or hear on the screen: visible text nodes, the
# accessible names and placeholders of controls, and every option of a visible select.
VISIBLE_TEXTS = """() => {
  const texts = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (parent.closest("select, datalist, script, style") || !parent.checkVisibility({ visibilityProperty: true })) continue;
    texts.push(node.textContent);
  }
  for (const node of document.querySelectorAll("[placeholder], [aria-label], [title], [alt], input[type=button], input[type=submit]")) {
    if (!node.checkVisibility({ visibilityProperty: true })) continue;
    for (const name of ["placeholder", "aria-label", "title", "alt", "value"]) {
      if (name !== "value" || node.type === "button" || node.type === "submit") texts.push(node.getAttribute(name) ?? "");
    }
  }
  for (const select of document.querySelectorAll("select")) {
    if (select.checkVisibility({ visibilityProperty: true })) texts.push(...[...select.options].map((o) => o.text), ...[...select.querySelectorAll("optgroup")].map((g) => g.label));
  }
  return texts.map((text) => text.replace(/\\s+/g, " ").trim()).filter(Boolean);
}"""


class Tour:
    """One phone going round the screens; `ui` and `label` follow the language it shows."""

    CYCLE = ["home", "directory", "contact", "phrasebook", "seizure form", "market form", "my records", "record", "settings", "change PIN", "unlock",
             "forgot PIN"]

    def __init__(self, page, english):
        self.page, self.english = page, english
        self.at = None
        self.code = "en"
        self.found = {}

    @property
    def ui(self):
        return catalog(self.code)

    @property
    def label(self):
        return server_catalog(self.code)

    def button(self, name):
        return self.page.get_by_role("button", name=name, exact=True)

    def heading(self, name):
        self.page.get_by_role("heading", level=1, name=name, exact=True).wait_for()

    def switch(self, code):
        # The app announces the end of a switch (the screen redrawn, typed values put back)
        # with a "wl:language" event; <html lang> changes before the redraw.
        self.page.evaluate("window.switched = false; addEventListener('wl:language', () => (window.switched = true), { once: true })")
        self.page.locator("select#language").select_option(code)
        wait_until(self.page, "() => window.switched === true", timeout=10)
        self.code = code
        assert self.page.evaluate("document.documentElement.lang") == TAGS[code]

    def check(self, screen):
        seen = self.english[self.code].seen(self.page.evaluate(VISIBLE_TEXTS))
        if seen:
            self.found.setdefault(self.code, {})[screen] = seen

    def advance(self):
        """To the next screen of the cycle, by the buttons an officer presses."""
        ui, label, page = self.ui, self.label, self.page
        going = self.CYCLE[(self.CYCLE.index(self.at) + 1) % len(self.CYCLE)]
        if going == "home":  # from "forgot PIN"
            self.button(ui("Back")).click()
            self.heading(ui("Unlock Wildledger"))
            unlock(page, PIN, ui, back_to=ui("Settings"))  # where it was locked
            self.button(ui("Back")).click()
            self.heading("Wildledger")
        elif going == "directory":
            self.button(ui("Directory")).click()
            self.heading(ui("Directory"))
            page.locator("select#crossing").select_option(MONG_CAI)
            page.locator("article.counterpart").first.wait_for()
        elif going == "contact":
            page.locator(f'li.contact[data-key="{CONTACT}"]').first.get_by_role("button").click()
            self.button(ui("Show as QR code")).wait_for()
        elif going == "phrasebook":
            self.button(ui("Phrasebook")).click()
            self.heading(ui("Phrasebook"))
        elif going == "seizure form":
            for heading in (None, ui("Directory"), "Wildledger"):  # phrasebook → contact → directory → home
                self.button(ui("Back")).click()
                if heading:
                    self.heading(heading)
            self.button(ui("New: {form}", form=label("Seizure"))).click()
            self.heading(label("Seizure"))
        elif going == "market form":
            discard(page, ui)
            self.heading("Wildledger")
            self.button(ui("New: {form}", form=label("Market observation"))).click()
            self.heading(label("Market observation"))
            self.button(ui("Add: {label}", label=label("Items offered"))).click()
            page.get_by_role("group", name=f"{label('Items offered')} 2", exact=True).wait_for()
        elif going == "my records":
            discard(page, ui)
            self.heading("Wildledger")
            self.button(ui("My records")).click()
            self.heading(ui("My records"))
        elif going == "record":
            page.locator("li.record button").first.click()
            self.button(ui("Make a correction")).wait_for()
        elif going == "settings":
            self.button(ui("Back")).click()
            self.heading(ui("My records"))
            self.button(ui("Back")).click()
            self.heading("Wildledger")
            self.button(ui("Settings")).click()
            self.heading(ui("Settings"))
        elif going == "change PIN":
            self.button(ui("Change the PIN")).click()
            self.heading(ui("Change the PIN"))
        elif going == "unlock":
            self.button(ui("Cancel")).click()
            self.heading(ui("Settings"))
            self.button(ui("Lock")).click()
            self.heading(ui("Unlock Wildledger"))
        elif going == "forgot PIN":
            self.button(ui("Forgot your PIN?")).click()
            self.heading(ui("Forgot your PIN?"))
        self.at = going

    def go_to(self, screen):
        while self.at != screen:
            self.advance()

    def round(self):
        """Every other screen of the cycle once, checked, back to where it started."""
        for _ in range(len(self.CYCLE) - 1):
            self.advance()
            self.check(self.at)
        self.advance()


@pytest.fixture(scope="module")
def english(tmp_path_factory):
    ids = app_msgids(tmp_path_factory.mktemp("pot"))
    return {code: English(code, ids) for code in LANGUAGES}


def test_the_check_sees_english(english):
    vi = english["vi"]
    assert vi.seen(["Sync now", "Reporting officer *", "Suspects 2", "Thêm: Suspects", "Last sync: 12:00",
                    "Nothing was found at this address. Sorry."]) == [
        "Last sync: {time}", "Nothing was found at this address.", "Reporting officer", "Suspects", "Sync now"]
    assert vi.seen(["Đồng bộ ngay", "Wildledger", "Manis javanica", "CITES", "12,5"]) == []


def test_every_screen_in_each_language_after_switching_in_place(tmp_path, english):
    station = Station(tmp_path / "server")
    with station.app.app_context():
        assert directory.import_file(ROOT / "server" / "demo" / "directory.csv").ok
    phone = Phone(tmp_path / "profile", locale="en-US")
    try:
        station.start()
        page = phone.open(station.public_url)
        tour = Tour(page, english)
        page.get_by_text("This phone is not enrolled yet.").wait_for()
        assert "This phone is not enrolled yet." in english["vi"].seen(page.evaluate(VISIBLE_TEXTS))  # sees English
        for code in LANGUAGES:
            tour.switch(code)
            tour.check("not enrolled")

        page.goto(station.enrollment_url())
        tour.heading(tour.ui("Enroll this phone"))
        page.get_by_label(tour.ui("New PIN"), exact=True).fill(PIN)
        for code in LANGUAGES:
            tour.switch(code)
            tour.check("enroll")
            assert page.get_by_label(tour.ui("New PIN"), exact=True).input_value() == PIN, code
        choose_pin_and_enroll(page, PIN, tour.ui)
        page.get_by_text(tour.ui("This phone is enrolled and ready.")).wait_for(timeout=60_000)
        fill_minimal_seizure(page, tour.ui, tour.label, "Lê Văn Tám")
        submit(page, tour.ui)
        tour.at = "home"

        # Vietnamese, switched to on the seizure form being typed.
        tour.go_to("seizure form")
        officer = field(page, tour.label("Reporting officer"))
        officer.fill("Nguyễn Thị Đổi Ngữ")
        weight = field(page.get_by_role("group", name=f"{tour.label('Items seized')} 1"), tour.label("Total weight (kg), when the unit is not kg"))
        weight.fill("1.250")  # typed in Chinese: one and a quarter kilograms
        tour.switch("vi")
        tour.check("seizure form")
        officer = field(page, tour.label("Reporting officer"))
        weight = field(page.get_by_role("group", name=f"{tour.label('Items seized')} 1"), tour.label("Total weight (kg), when the unit is not kg"))
        assert officer.input_value() == "Nguyễn Thị Đổi Ngữ"
        assert weight.input_value() == "1,25"  # the same weight, as Vietnamese write it (not 1.250 = 1250)
        tour.round()

        # Lao, switched to on a record's screen.
        tour.go_to("record")
        tour.switch("lo")
        tour.check("record")
        tour.round()

        # Chinese, switched to on the unlock screen with half the PIN typed.
        tour.go_to("unlock")
        page.get_by_label(tour.ui("PIN"), exact=True).fill(PIN[:3])
        tour.switch("zh_Hans")
        tour.check("unlock")
        assert page.get_by_label(tour.ui("PIN"), exact=True).input_value() == PIN[:3]
        tour.round()

        assert tour.found == {}, "English on screen:\n" + json.dumps(tour.found, ensure_ascii=False, indent=1)
        assert phone.errors == []
    finally:
        phone.quit()
        station.close()
