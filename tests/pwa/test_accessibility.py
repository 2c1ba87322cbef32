"""The officer app is usable by everyone on a small phone, and runs under its security policy:
no Content-Security-Policy violation on any screen; no serious or critical axe-core
violation on any screen; at 200 % text on a 360 px wide screen nothing scrolls sideways,
a form's Submit can still be reached and pressed, its sticky bar leaves most of the screen
to the form and never hides the field that has keyboard focus (WCAG 2.4.11); an offered
update does not cover Submit; every control is a touch target of at least 44 × 44 CSS px
(WCAG 2.5.5).

One phone is enrolled for the module, with one sealed record so "My records" and a
record's screen have something to show; each test tours the same screens in order."""
import json

import pytest

from .harness import (ROOT, Phone, Station, catalog, discard, enroll, fill_minimal_seizure, review, server_catalog,
                      submit, unlock)

PIN = "314159"
ui, label = catalog("vi"), server_catalog("vi")
AXE = ROOT / "pwa" / "node_modules" / "axe-core" / "axe.min.js"
TAP = 44  # CSS px, WCAG 2.5.5 (AAA) and the platforms' own guidelines
SMALL_PHONE = {"width": 360, "height": 640}
DEFAULT_VIEWPORT = {"width": 390, "height": 844}  # as harness.Phone opens it


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    assert AXE.exists(), f"{AXE} missing: cd pwa && npm ci"
    station = Station(tmp_path_factory.mktemp("server"))
    phone = Phone(tmp_path_factory.mktemp("profile"))
    try:
        station.start()
        page = phone.open()
        enroll(page, station.enrollment_url(), PIN, ui)
        fill_minimal_seizure(page, ui, label, "Lê Văn Tám")
        submit(page, ui)
        page.locator("li.record").first.wait_for()
        yield page
        assert phone.errors == []
    finally:
        phone.quit()
        station.close()


def button(page, name):
    return page.get_by_role("button", name=name, exact=True)


def heading(page, name):
    page.get_by_role("heading", level=1, name=name, exact=True).wait_for()


def show_species_options(page, group_label):
    """Type in the first item's species so its list of matches (role=option) is on screen."""
    item = page.get_by_role("group", name=f"{label(group_label)} 1")
    item.get_by_role("combobox").first.fill("Manis")
    page.locator("ul[role=listbox] [role=option]").first.wait_for()


def tour(page):
    """Every screen in turn, from home back to home: yields each screen's name once it is up."""
    heading(page, "Wildledger")
    button(page, ui("Lock")).first.click()
    heading(page, ui("Unlock Wildledger"))
    yield "unlock"
    button(page, ui("Forgot your PIN?")).click()
    heading(page, ui("Forgot your PIN?"))
    yield "forgot PIN"
    button(page, ui("Back")).click()
    unlock(page, PIN, ui)
    yield "home"
    for form, group in (("Seizure", "Items seized"), ("Market observation", "Items offered")):
        button(page, ui("New: {form}", form=label(form))).click()
        heading(page, label(form))
        show_species_options(page, group)
        yield f"{form} form"
        button(page, ui("Discard")).click()
        page.get_by_role("alertdialog").wait_for()
        yield f"{form} discard question"
        page.get_by_role("alertdialog").get_by_role("button", name=ui("Discard"), exact=True).click()
        heading(page, "Wildledger")
    fill_minimal_seizure(page, ui, label, "Lê Văn Tám")
    review(page, ui)
    yield "review"
    button(page, ui("Back to the form")).click()
    heading(page, label("Seizure"))
    discard(page, ui)
    heading(page, "Wildledger")
    button(page, ui("My records")).click()
    heading(page, ui("My records"))
    yield "my records"
    page.locator("li.record button").first.click()
    button(page, ui("Make a correction")).wait_for()
    yield "record"
    button(page, ui("Back")).click()
    heading(page, ui("My records"))
    button(page, ui("Back")).click()
    heading(page, "Wildledger")
    button(page, ui("Settings")).click()
    heading(page, ui("Settings"))
    yield "settings"
    button(page, ui("Change the PIN")).first.click()
    heading(page, ui("Change the PIN"))
    yield "change PIN"
    button(page, ui("Cancel")).click()
    heading(page, ui("Settings"))
    button(page, ui("Back")).click()
    heading(page, "Wildledger")


SCREENS = ["unlock", "forgot PIN", "home", "Seizure form", "Seizure discard question", "Market observation form",
           "Market observation discard question", "review", "my records", "record",
           "settings", "change PIN"]


def test_the_tour_reaches_every_screen(page):
    assert list(tour(page)) == SCREENS


def test_every_screen_runs_under_the_content_security_policy(page):
    """No inline script or style, no eval: the policy refuses nothing the app does, from
    enrollment (the module's fixture) through every screen."""
    for screen in tour(page):
        assert page.evaluate("window.cspViolations") == [], screen


# -- a. axe-core ------------------------------------------------------------------------------

AXE_RUN = """async () => {
  const result = await axe.run(document, { resultTypes: ["violations"] });
  return result.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map((n) => ({ target: n.target.join(" "), html: n.html.slice(0, 160),
                                             why: n.failureSummary })),
  }));
}"""


def test_axe_finds_no_serious_or_critical_violation(page):
    found = {}
    for screen in tour(page):
        if not page.evaluate("typeof axe !== 'undefined'"):
            # The app's policy refuses inline script tags; an evaluated expression comes through
            # the debugging protocol, which the policy does not govern.
            page.evaluate(AXE.read_text() + "\n;true")
        violations = page.evaluate(AXE_RUN)
        if violations:
            found[screen] = violations
    assert found == {}, "axe-core:\n" + json.dumps(found, ensure_ascii=False, indent=1)


# -- b. 200 % text on a 360 px screen -----------------------------------------------------------

OVERFLOW = """() => {
  const root = document.documentElement, width = root.clientWidth;
  const wide = [...document.querySelectorAll("body *")].filter((node) => node.getBoundingClientRect().right > width + 0.5)
    .map((node) => node.tagName.toLowerCase() + (node.id ? "#" + node.id : "") + (node.className ? "." + String(node.className).replace(/ /g, ".") : "")
      + " right=" + Math.round(node.getBoundingClientRect().right) + " " + JSON.stringify((node.textContent || "").slice(0, 40)));
  return { scrollWidth: root.scrollWidth, clientWidth: width, wide: wide.slice(0, 8) };
}"""

# The Submit button's centre is the Submit button (nothing drawn over it), all of it on screen.
REACHABLE = """(button) => {
  const box = button.getBoundingClientRect(), bar = button.closest(".actions");
  const top = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
  return { onTop: button === top || button.contains(top),
           inViewport: box.top >= 0 && box.left >= 0 && box.bottom <= innerHeight && box.right <= innerWidth,
           barHeight: bar ? bar.getBoundingClientRect().height : 0, screenHeight: innerHeight };
}"""

# Where keyboard focus is (Tab, or the on-screen keyboard's Next), and whether the form's sticky
# bar hides all of it (WCAG 2.4.11 Focus Not Obscured).
FOCUSED = """() => {
  const node = document.activeElement, bar = document.querySelector(".actions.sticky");
  const box = node.getBoundingClientRect(), top = bar.getBoundingClientRect().top;
  return { inBar: bar.contains(node), hidden: box.top >= top || box.bottom <= 0,
           what: node.tagName.toLowerCase() + " " + (node.labels?.[0]?.textContent ?? node.textContent).slice(0, 40) };
}"""


def focus_hidden_under_the_bar(page):
    page.locator("h1").focus()
    hidden = []
    for _ in range(300):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused["inBar"]:
            return hidden
        if focused["hidden"]:
            hidden.append(focused["what"])
    return hidden + ["Tab never reached the bar"]


@pytest.fixture
def large_text(page):
    page.set_viewport_size(SMALL_PHONE)
    yield
    page.evaluate("document.documentElement.style.fontSize = ''")
    page.set_viewport_size(DEFAULT_VIEWPORT)


def test_at_200_percent_text_and_360_px_nothing_scrolls_sideways_and_submit_is_reachable(page, large_text):
    problems = {}
    for screen in tour(page):
        # Set on every screen: the unlock screen is reached without a reload, but cheap to repeat.
        page.evaluate("document.documentElement.style.fontSize = '200%'")
        # The app's sizes are in rem: the text really doubled.
        assert page.evaluate("getComputedStyle(document.querySelector('h1')).fontSize") == "48px", screen
        overflow = page.evaluate(OVERFLOW)
        if overflow["scrollWidth"] > overflow["clientWidth"]:
            problems[screen] = overflow
        if screen.endswith(" form"):
            submit_button = button(page, ui("Review"))
            submit_button.scroll_into_view_if_needed()
            reach = submit_button.evaluate(REACHABLE)
            # Not only under it: the bar must leave most of the screen to the form.
            if not (reach["onTop"] and reach["inViewport"] and reach["barHeight"] < reach["screenHeight"] / 2):
                problems[f"{screen}: Submit"] = reach
            hidden = focus_hidden_under_the_bar(page)
            if hidden:
                problems[f"{screen}: focus hidden under the Submit bar"] = hidden
            if f"{screen}: Submit" not in problems:
                # Pressed for real: the form answers (fields need attention), nothing is sealed.
                submit_button.click(timeout=5_000)
                page.locator("main > p.error[role=alert]:not([hidden])").wait_for()
    assert problems == {}, json.dumps(problems, ensure_ascii=False, indent=1)


# -- c. touch targets --------------------------------------------------------------------------

SMALL_TARGETS = """(tap) => {
  const selector = "button, select, input:not([type=hidden]), textarea, a[href], [role=option], [role=checkbox], [role=button], [role=link]";
  return [...document.querySelectorAll(selector)].filter((node) => node.checkVisibility({ visibilityProperty: true }))
    .map((node) => ({ node, box: node.getBoundingClientRect() }))
    .filter(({ box }) => box.width < tap - 0.01 || box.height < tap - 0.01)
    .map(({ node, box }) => node.tagName.toLowerCase() + (node.id ? "#" + node.id : "")
      + (node.getAttribute("role") ? "[role=" + node.getAttribute("role") + "]" : "")
      + " " + JSON.stringify((node.textContent || node.getAttribute("aria-label") || node.name || "").trim().slice(0, 30))
      + " " + Math.round(box.width * 10) / 10 + "×" + Math.round(box.height * 10) / 10);
}"""


def test_every_control_is_a_44_px_touch_target(page):
    small = {}
    for screen in tour(page):
        found = page.evaluate(SMALL_TARGETS, TAP)
        if found:
            small[screen] = found
    assert small == {}, json.dumps(small, ensure_ascii=False, indent=1)


def test_an_offered_update_does_not_cover_the_forms_submit(page):
    """While "Reload to update" is offered, the end of a form (its Submit) can still be
    scrolled to and pressed. The offer is put up as main.js does (test_update brings a
    real one)."""
    button(page, ui("New: {form}", form=label("Seizure"))).click()
    heading(page, label("Seizure"))
    try:
        page.evaluate("""([text, action]) => {
          const bar = document.getElementById("update");
          bar.replaceChildren(Object.assign(document.createElement("span"), { textContent: text }),
                              Object.assign(document.createElement("button"), { type: "button", textContent: action }));
          bar.hidden = false;
        }""", [ui("A new version of the app is ready."), ui("Reload to update")])
        page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
        reach = button(page, ui("Review")).evaluate(REACHABLE)
        assert reach["onTop"] and reach["inViewport"], reach
        assert page.get_by_role("button", name=ui("Reload to update")).evaluate(REACHABLE)["inViewport"]
    finally:
        page.evaluate("document.getElementById('update').replaceChildren(); document.getElementById('update').hidden = true")
        discard(page, ui)
        heading(page, "Wildledger")
