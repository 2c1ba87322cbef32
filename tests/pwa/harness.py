"""What the browser tests drive: a server process that can be stopped, SIGKILLed and
started again on the same port (so "offline" means a refused connection, as in the
field), and Debian's Chromium with a persistent profile, through Playwright."""
import contextlib
import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

from flask_migrate import upgrade
from playwright.sync_api import sync_playwright

from server import create_app
from server.access import service as access
from server.demo.serving import free_port, start_gunicorn
from server.devices import service as devices
from server.extensions import db
from server.keys import service as keys
from server.reference import agencies, publish

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
# As the machine probe found: without these, Chromium's background connections are
# refused by the closed network, many at a time.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def wait_for(condition, timeout=30):
    """Poll `condition` until it holds (for state outside the page: the server, the proxy)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def wait_until(page, function, arg=None, timeout=20):
    """Poll a JavaScript function of the page until it returns something truthy, and return
    that. Unlike Playwright's wait_for_function, this never makes the page eval a string,
    which the app's Content-Security-Policy (no 'unsafe-eval') rightly refuses."""
    deadline = time.monotonic() + timeout
    while True:
        value = page.evaluate(function, arg)
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {function[:80]}"
        time.sleep(0.05)


class Station:
    """A Wildledger server for one test: its own SQLite store, keys and port."""

    def __init__(self, tmp_path, public_port=None, dist=ROOT / "pwa" / "dist", host="127.0.0.1"):
        self.home = Path(tmp_path)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # Phones see the server at the public URL: the server itself, or a fault proxy in
        # front. `host` "localhost" for WebAuthn, whose relying party must be a domain name.
        self.public_url = f"http://{host}:{public_port or self.port}"
        self.env = {**os.environ,
                    "DATABASE_URL": f"sqlite:///{self.home / 'store.sqlite'}",
                    "WILDLEDGER_INSTANCE_PATH": str(self.home / "instance"),
                    "WILDLEDGER_KEK_FILE": str(self.home / "kek"),
                    "WILDLEDGER_PUBLIC_URL": self.public_url,
                    "WILDLEDGER_PWA_DIST": str(dist),
                    "WILDLEDGER_LANG": "en"}
        self.process = None
        self.app = self._app()
        with self.app.app_context():
            upgrade()
            keys.init_keys()
            agencies.load()
            publish.publish()

    def _app(self):
        saved = os.environ.copy()
        os.environ.update(self.env)
        try:
            return create_app()
        finally:
            os.environ.clear()
            os.environ.update(saved)

    def enrollment_url(self, agency="VN-HQ-QN", officer="Demo officer"):
        with self.app.app_context():
            token, _row = devices.create_enrollment(access.agency_by_code(agency), officer_name=officer)
            return devices.enrollment_url(token)

    def start(self, failpoints=()):
        env = {**self.env, "WILDLEDGER_FAILPOINTS": ",".join(failpoints)}
        # One worker, so a failpoint's SIGKILL takes down the process that answers.
        self.process = start_gunicorn(self.port, env, workers=1, new_session=True)

    def stop(self):
        """Every process of the server gone and its port refusing connections."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.kill()
        self.process = None

    def kill(self):
        """SIGKILL, master and workers: no answer, no cleanup."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
        self.process = None

    def close(self):
        self.stop()
        with self.app.app_context():
            db.engine.dispose()


CSP_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => window.cspViolations.push(
  {directive: event.effectiveDirective, blocked: event.blockedURI, sample: event.sample}));
"""
OPEN_PHONES = []  # for the failure report (conftest.py): what each phone showed when a test failed


class Phone:
    """Chromium with a persistent profile: closing and reopening it keeps what a real
    browser keeps (IndexedDB, Cache Storage, the service worker)."""

    def __init__(self, profile, locale="vi-VN", playwright=None, timezone=None, args=()):
        OPEN_PHONES.append(self)
        self.profile, self.locale, self.timezone, self.args = Path(profile), locale, timezone, [*CHROMIUM_ARGS, *args]
        # One Playwright per thread: a second phone in the same test shares the first's.
        self._owns_playwright = playwright is None
        self._playwright = playwright or sync_playwright().start()
        self.context = self.page = None
        self.errors = []  # uncaught page errors and console errors: a test ends with none

    def open(self, url=None, clock_ms=None):
        self.context = self._playwright.chromium.launch_persistent_context(
            str(self.profile), executable_path=CHROMIUM, headless=True, args=self.args,
            locale=self.locale, timezone_id=self.timezone, viewport={"width": 390, "height": 844},
            service_workers="allow")
        if clock_ms is not None:
            self.context.clock.install(time=clock_ms / 1000)
        # Every refusal of the Content-Security-Policy, kept where tests can read it.
        self.context.add_init_script(script=CSP_VIOLATIONS)
        self.page = self.context.pages[0] if self.context.pages else self.context.new_page()
        self.page.set_default_timeout(20_000)
        self.page.on("pageerror", lambda error: self.errors.append(f"pageerror: {error}"))
        # Chromium logs every refused connection and every 4xx answer (a clock_skew 401 is
        # part of the protocol) as "Failed to load resource"; anything else is a bug.
        self.page.on("console", lambda m: m.type == "error" and not m.text.startswith("Failed to load resource")
                     and self.errors.append(f"console: {m.text}"))
        if url:
            self.page.goto(url)
        return self.page

    def close(self):
        if self.context:
            self.context.close()
            self.context = self.page = None

    def kill(self):
        """SIGKILL every process of this browser, as Android kills a tab it needs the memory of:
        no pagehide, no unload, nothing flushed. The profile stays; open() starts it again."""
        marker = f"--user-data-dir={self.profile}"
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            with contextlib.suppress(OSError):
                if marker in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").replace("\0", " "):
                    os.kill(int(pid), signal.SIGKILL)
        with contextlib.suppress(Exception):
            self.context.close()
        self.context = self.page = None

    def quit(self):
        if self in OPEN_PHONES:
            OPEN_PHONES.remove(self)
        self.close()
        if self._owns_playwright:
            self._playwright.stop()

    def another(self, profile):
        """A second phone (its own profile) in the same test."""
        return Phone(profile, self.locale, playwright=self._playwright, timezone=self.timezone, args=self.args[len(CHROMIUM_ARGS):])

    def controlled(self):
        """The page is served by the service worker (read only)."""
        return self.page.evaluate("navigator.serviceWorker.controller !== null")

    def wait_controlled(self):
        wait_until(self.page, "() => navigator.serviceWorker.controller !== null")

    def row_counts(self):
        """{store: number of rows} of the app's database (read only), in one transaction: a
        sync moving an envelope from the outbox to the receipts is seen before or after."""
        return self.page.evaluate("""() => new Promise((done) => {
          const open = indexedDB.open("wildledger");
          open.onsuccess = () => {
            const db = open.result, counts = {}, names = [...db.objectStoreNames];
            const tx = db.transaction(names);
            for (const name of names) tx.objectStore(name).count().onsuccess = (e) => { counts[name] = e.target.result; };
            tx.oncomplete = () => { db.close(); done(counts); };
          };
        })""")

    def rows(self, store):
        """Every row of one store of the app's database (read only)."""
        return self.page.evaluate("""(store) => new Promise((done) => {
          const open = indexedDB.open("wildledger");
          open.onsuccess = () => {
            const r = open.result.transaction(store).objectStore(store).getAll();
            r.onsuccess = () => { open.result.close(); done(r.result); };
          };
        })""", store)

    def meta(self, key):
        """One value of the app's meta store, or None (read only)."""
        return self.page.evaluate("""(key) => new Promise((done) => {
          const open = indexedDB.open("wildledger");
          open.onsuccess = () => {
            const r = open.result.transaction("meta").objectStore("meta").get(key);
            r.onsuccess = () => { open.result.close(); done(r.result ?? null); };
          };
        })""", key)

    def dump_storage(self):
        """Everything the origin keeps in IndexedDB, Cache Storage and localStorage, as
        text (bytes as latin-1 and as UTF-8 where they decode). Read only."""
        return self.page.evaluate("""async () => {
          const text = (value) => {
            if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) {
              const bytes = new Uint8Array(value.buffer ?? value, value.byteOffset ?? 0, value.byteLength);
              let latin = ""; for (const b of bytes) latin += String.fromCharCode(b);
              return latin + "\\n" + new TextDecoder().decode(bytes);
            }
            if (value && typeof value === "object" && !(value instanceof CryptoKey)) {
              return Object.entries(value).map(([k, v]) => k + "=" + text(v)).join("\\n");
            }
            return String(value);
          };
          const out = [];
          for (const info of await indexedDB.databases()) {
            const db = await new Promise((ok, fail) => { const r = indexedDB.open(info.name); r.onsuccess = () => ok(r.result); r.onerror = fail; });
            for (const store of db.objectStoreNames) {
              const rows = await new Promise((ok) => { const r = db.transaction(store).objectStore(store).getAll(); r.onsuccess = () => ok(r.result); });
              out.push("idb:" + store + "\\n" + rows.map(text).join("\\n"));
            }
            db.close();
          }
          for (const name of await caches.keys()) {
            const cache = await caches.open(name);
            for (const request of await cache.keys()) {
              out.push("cache:" + request.url + "\\n" + await (await cache.match(request)).text());
            }
          }
          for (let i = 0; i < localStorage.length; i++) out.push("local:" + localStorage.key(i) + "=" + localStorage.getItem(localStorage.key(i)));
          return out.join("\\n");
        }""")


def catalog(locale):
    """The app's compiled catalog, so tests find controls by their translated names."""
    data = json.loads((ROOT / "pwa" / "src" / "locales" / f"{locale}.json").read_text(encoding="utf-8"))["messages"]

    def translate(msgid, plural=None, n=None, **params):
        """ui("Sync now"); ui("{n} record", "{n} records", n=2) for a plural."""
        text = data.get(msgid) or msgid
        if plural is not None:
            params["n"] = n
            # vi, lo and zh_Hans have one plural form; English picks by n.
            text = text[0] if isinstance(text, list) else (msgid if n == 1 else plural)
        for name, value in params.items():
            text = text.replace("{" + name + "}", str(value))
        return text

    return translate


def server_catalog(locale):
    """The server's catalog (form labels, problem messages), as phones pull it."""
    from server.i18n import read_catalog

    messages = {m.id: m.string for m in read_catalog(locale) if m.id and m.string and isinstance(m.id, str)}
    return lambda msgid: messages.get(msgid) or msgid


def field(scope, label):
    """The control whose label is exactly this text (a required field's label ends in *)."""
    return scope.get_by_label(re.compile("^" + re.escape(label) + r"( \*)?$"))


def specimen_type(scope, label):
    """An item's CITES term: "Specimen type" from the forms' v2, "Product" in v1 (an older
    app, or a draft begun before)."""
    return field(scope, label("Specimen type (CITES term)")).or_(field(scope, label("Product (CITES term)")))


def choose_pin_and_enroll(page, pin, ui):
    page.get_by_label(ui("New PIN"), exact=True).fill(pin)
    page.get_by_label(ui("New PIN again"), exact=True).fill(pin)
    page.get_by_role("button", name=ui("Enroll this phone")).click()


def enroll(page, url, pin, ui):
    page.goto(url)
    choose_pin_and_enroll(page, pin, ui)
    page.get_by_text(ui("This phone is enrolled and ready.")).wait_for(timeout=60_000)


def unlock(page, pin, ui, back_to=None):
    """Unlocks; the app returns to the screen it was locked on (`back_to`, its heading), home by default."""
    page.get_by_label(ui("PIN"), exact=True).fill(pin)
    page.get_by_role("button", name=ui("Unlock")).click()
    if back_to:
        page.get_by_role("heading", level=1, name=back_to, exact=True).wait_for()
    else:
        page.get_by_role("heading", name=ui("My records")).wait_for()


def record_state(page, ui, state):
    """The "My records" entries showing this state ("Waiting", "Accepted"…)."""
    return page.locator("li.record").filter(has_text=ui(state))


def fill_minimal_seizure(page, ui, label, officer, species="Manis javanica"):
    """The fewest fields a seizure needs, typed as an officer would."""
    page.get_by_role("button", name=ui("New: {form}", form=label("Seizure"))).click()
    field(page, label("Date of seizure")).fill("2026-11-21")
    field(page, label("Reporting officer")).fill(officer)
    place = page.get_by_role("group", name=label("Place of seizure"))
    field(place, label("Type of location")).select_option("road_checkpoint")
    field(place, label("Place name")).fill("Trạm kiểm soát Km 12")
    item = page.get_by_role("group", name=f"{label('Items seized')} 1")
    field(item, label("Species")).fill(species)
    specimen_type(item, label).select_option("SCA")
    field(item, label("Quantity")).fill("4")
    field(item, label("Unit")).select_option("kg")


def review(page, ui):
    """The form's first tap: the review of what will be sealed."""
    page.get_by_role("button", name=ui("Review"), exact=True).click()
    page.get_by_role("heading", name=ui("Check before submitting")).wait_for()


def submit(page, ui):
    """Review, then the deliberate second tap; back on the screen the form was opened from."""
    review(page, ui)
    page.get_by_role("button", name=ui("Submit"), exact=True).click()
    page.get_by_text(ui("Sealed. The record will be sent at the next sync.")).wait_for()


def discard(page, ui):
    """Discard the open form, and confirm; back on the screen the form was opened from
    (the way back is a history navigation: a language switch before it lands would redraw
    the form instead)."""
    page.get_by_role("button", name=ui("Discard"), exact=True).click()
    page.get_by_role("alertdialog").get_by_role("button", name=ui("Discard"), exact=True).click()
    page.get_by_text(ui("The record was discarded.")).wait_for()
