"""The app's security policy refuses an injected script; where the phone has a screen lock
(a platform authenticator with WebAuthn's PRF extension, here Chromium's virtual one), the
PIN alone no longer opens the data, so a copied profile cannot be guessed offline
(issue 13)."""
import pytest
from playwright.sync_api import Error as PlaywrightError

from .harness import (
    Phone,
    Station,
    catalog,
    enroll,
    fill_minimal_seizure,
    server_catalog,
    submit,
    unlock,
)

PIN = "270918"
SCREEN_LOCK_REFUSED = ("The phone's screen lock was not confirmed. This phone's data opens with the PIN and the "
                       "screen lock together.")
ui, label = catalog("vi"), server_catalog("vi")


def test_an_injected_inline_script_is_blocked(station, phone):
    page = phone.open()
    enroll(page, station.enrollment_url(), PIN, ui)
    with pytest.raises(PlaywrightError, match="Content Security Policy"):
        page.add_script_tag(content="window.injected = true")
    assert page.evaluate("window.injected === undefined")
    [violation] = page.evaluate("window.cspViolations")
    assert violation["directive"] == "script-src-elem" and violation["blocked"] == "inline"
    assert [e for e in phone.errors if "Content Security Policy" not in e] == []


class Authenticator:
    """Chromium's virtual platform authenticator (CDP WebAuthn domain), with PRF, on one page."""

    def __init__(self, page):
        self.session = page.context.new_cdp_session(page)
        self.session.send("WebAuthn.enable", {"enableUI": False})
        self.id = self.session.send("WebAuthn.addVirtualAuthenticator", {"options": {
            "protocol": "ctap2", "ctap2Version": "ctap2_1", "transport": "internal", "hasResidentKey": True,
            "hasUserVerification": True, "isUserVerified": True, "hasPrf": True,
            "automaticPresenceSimulation": True}})["authenticatorId"]

    def credentials(self):
        return self.session.send("WebAuthn.getCredentials", {"authenticatorId": self.id})["credentials"]

    def user_verified(self, verified):
        """The officer passes (or fails, or cancels) the screen lock."""
        self.session.send("WebAuthn.setUserVerified", {"authenticatorId": self.id, "isUserVerified": verified})

    def remove(self):
        self.session.send("WebAuthn.removeVirtualAuthenticator", {"authenticatorId": self.id})


@pytest.fixture
def localhost(tmp_path):
    station = Station(tmp_path / "server", host="localhost")  # a relying party must be a domain name
    station.start()
    yield station
    station.close()


def test_with_a_screen_lock_the_pin_alone_opens_nothing(localhost, tmp_path):
    phone = Phone(tmp_path / "profile")
    try:
        page = phone.open("about:blank")
        authenticator = Authenticator(page)
        enroll(page, localhost.enrollment_url(), PIN, ui)
        vault = phone.meta("vault")
        assert vault["prf"] is not None and vault["kdf"]["name"] == "argon2id"
        assert len(authenticator.credentials()) == 1
        fill_minimal_seizure(page, ui, label, "Officer with a screen lock")
        submit(page, ui)
        page.get_by_role("button", name=ui("Settings")).click()
        page.get_by_text(ui("The data on this phone opens with the PIN and the phone's screen lock together: "
                            "a copy of it cannot be opened anywhere else.")).wait_for()

        page.get_by_role("button", name=ui("Lock")).first.click()
        unlock(page, PIN, ui, back_to=ui("Settings"))  # the PIN, then the screen lock (the authenticator says yes)

        page.get_by_role("button", name=ui("Lock")).first.click()
        authenticator.user_verified(False)  # the screen lock refused: not a wrong PIN
        page.get_by_label(ui("PIN"), exact=True).fill(PIN)
        page.get_by_role("button", name=ui("Unlock")).click()
        page.get_by_text(ui(SCREEN_LOCK_REFUSED)).wait_for()
        assert phone.meta("vault")["failures"] == 0

        authenticator.remove()  # the profile copied to another machine: no authenticator there
        page.get_by_label(ui("PIN"), exact=True).fill(PIN)
        page.get_by_role("button", name=ui("Unlock")).click()
        page.get_by_text(ui(SCREEN_LOCK_REFUSED)).wait_for()
        assert phone.meta("vault")["failures"] == 0
        assert [e for e in phone.errors if "NotAllowedError" not in e] == []
    finally:
        phone.quit()
