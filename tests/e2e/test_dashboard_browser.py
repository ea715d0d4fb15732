"""The dashboard in a real browser (Debian's Chromium, headless) against the app served by uvicorn on loopback:
a privacy officer logs in, reports an incident, watches its AP countdown, records the assessment and the decision,
sees the incident move on, and closes it. Screenshots of the incidents page go to test-artifacts/."""

from __future__ import annotations

import os
import re
import shutil
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from incidents import services
from incidents.config import EXAMPLE_PROFILE, REPO_ROOT, Settings
from incidents.services import users
from incidents.times import local
from incidents.workspace import Workspace

CHROMIUM = Path(os.environ.get("BREACH_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = REPO_ROOT / "test-artifacts"
PASSWORD = "een lange wachtzin voor de test"


def _browser_or_skip() -> None:
    """Skip with the reason when the browser is missing, unless BREACH_REQUIRE_BROWSER=1 (then fail)."""
    problem = None
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        problem = "Playwright for Python is not installed (uv pip install playwright)"
    if problem is None and not (CHROMIUM.exists() or shutil.which(str(CHROMIUM))):
        problem = f"no Chromium at {CHROMIUM}: run .ci/browser.sh (apt-get install chromium) as root"
    if problem:
        if os.environ.get("BREACH_REQUIRE_BROWSER") == "1":
            pytest.fail(f"BREACH_REQUIRE_BROWSER=1 but {problem}")
        pytest.skip(problem)


def _lifecycle_only(ws: Workspace, incident_id: str, step: object, run_input: object) -> None:
    """Stands in for the response flow (which needs Prefect): writes the draft of the message to the people,
    sends it once approved, and moves the incident as far as the facts allow."""
    now = datetime.now(UTC)
    decision = services.decision_of(ws.uow(), incident_id)
    if decision is not None and decision[1]:
        services.draft_message(ws.uow(), ws.profile, ws.settings.templates_dir, incident_id, "response-flow", now)
        services.notify_subjects(ws.uow(), ws.profile, ws.mailer, ws.settings.templates_dir, incident_id,
                                 ws.settings.mail_from, now)
    services.advance(ws.uow(), incident_id, now)


AXE = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"


def axe_violations(page) -> list[str]:  # type: ignore[no-untyped-def]
    """axe-core's WCAG 2.1 A/AA violations on the page as shown (the context must bypass the page's CSP, which
    allows no injected script)."""
    if not AXE.exists():
        if os.environ.get("BREACH_REQUIRE_BROWSER") == "1":
            pytest.fail(f"BREACH_REQUIRE_BROWSER=1 but axe-core is missing at {AXE} (make setup-dev installs it)")
        return []
    page.add_script_tag(path=str(AXE))
    return page.evaluate("""async () => {
        const result = await axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a",
                                                                                "wcag21aa"]}});
        return result.violations.map(v => `${v.id} (${v.nodes.length}): ${v.help}: ` +
                                          v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(", "));
    }""")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    """The dashboard on a free loopback port, on a fresh workspace with one privacy officer (Dutch)."""
    _browser_or_skip()
    import uvicorn

    from breach.web import create_app

    settings = Settings.from_env({"BREACH_HOME": str(tmp_path / "ws"), "BREACH_PROFILE": str(EXAMPLE_PROFILE)})
    ws = Workspace(settings=settings)
    users.add_user(ws.uow(), "olga", PASSWORD, "privacy_officer", "nl", "test", datetime.now(UTC))
    app = create_app(ws, launcher=_lifecycle_only)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("the dashboard did not start")
        threading.Event().wait(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def test_a_privacy_officer_handles_an_incident_from_report_to_decision(served):
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    aware = local(datetime.now(UTC) - timedelta(hours=55))  # 17 hours left: the countdown shows amber
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="nl-NL",
                                          timezone_id="Europe/Amsterdam")
            page = context.new_page()
            page.set_default_timeout(15_000)

            # nothing without a login: the incidents page sends the browser to the login form
            page.goto(f"{served}/incidents")
            expect(page).to_have_url(re.compile(r"/login\?next="))
            page.get_by_label("Gebruikersnaam").fill("olga")
            page.get_by_label("Wachtwoord").fill(PASSWORD)
            page.get_by_role("button", name="Inloggen").click()
            expect(page.get_by_role("heading", name="Open incidenten")).to_be_visible()

            # report an incident
            page.get_by_role("link", name="Incident melden").first.click()
            page.get_by_label("Titel").fill("Map met coachverslagen was openbaar via een link")
            page.get_by_label("Wat er gebeurde").fill("Een map met verslagen was te openen voor iedereen met de link.")
            page.get_by_label("Ontdekt op").fill((aware - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
            page.get_by_label("Bekend op").fill(aware.strftime("%Y-%m-%dT%H:%M"))
            page.get_by_label("Waarom later dan de ontdekking").fill(
                "De volgende ochtend is de link zelf geopend om te zien of de verslagen echt open stonden.")
            page.get_by_label("Bron", exact=True).select_option("data_subject")
            page.get_by_label("Coachverslagen (Google Drive)").check()
            page.get_by_role("button", name="Opslaan").click()

            # its page: the stage and the AP countdown, amber with less than a day left
            expect(page.locator("#stage")).to_have_text("ontdekt")
            countdown = page.locator("#countdown .clock")
            expect(countdown).to_contain_text(re.compile(r"nog 1[67]:\d\d uur"))
            expect(countdown).to_have_class(re.compile(r"\bamber\b"))
            incident_id = page.locator("h1 .id").inner_text()
            assert re.fullmatch(r"DL-\d{4}-\d{4}", incident_id)

            # the IT assessment, through the form
            page.get_by_role("link", name="Beoordeling vastleggen").click()
            page.get_by_label("Samenvatting").fill("Verslagen van 39 coachees waren zes weken openbaar te bekijken.")
            page.get_by_label("Vertrouwelijkheid").select_option("unknown_recipients")
            # the organisation's own categories are offered as boxes to tick, with what each holds
            page.get_by_role("group", name="Soorten gegevens").get_by_label("coachverslagen").check()
            page.get_by_role("group", name="Soorten gegevens").get_by_label("contactgegevens").check()
            page.get_by_label("Aantal betrokkenen, minstens").fill("39")
            page.get_by_label("Aantal betrokkenen, hoogstens").fill("45")
            page.get_by_role("button", name="Opslaan").click()
            expect(page.locator("#stage")).to_have_text("beoordeeld, wacht op besluit")
            expect(page.locator("#assessment")).to_contain_text("39 tot 45 personen")

            # the incidents page while the clock runs, as the team sees it on a screen
            page.get_by_role("link", name="Open incidenten").first.click()
            row = page.locator(f'tr[data-incident="{incident_id}"]')
            expect(row).to_contain_text("beoordeeld, wacht op besluit")
            expect(row.locator(".clock")).to_have_class(re.compile(r"\bamber\b"))
            expect(row).to_contain_text(re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d CES?T"))
            page.screenshot(path=str(ARTIFACTS / "dashboard-incidents.png"), full_page=True)
            row.get_by_role("link", name=incident_id).click()

            # the decision, which only the privacy officer records; a reason that is too short comes back marked
            page.get_by_role("link", name="Besluit vastleggen").click()
            page.get_by_role("group", name="Melden bij de AP (art. 33)").get_by_label("nee").check()
            page.get_by_role("group", name="Betrokkenen informeren (art. 34)").get_by_label("nee").check()
            page.get_by_label("Motivering").fill("kort")
            page.get_by_role("button", name="Opslaan").click()
            expect(page.get_by_label("Motivering")).to_have_attribute("aria-invalid", "true")
            page.get_by_label("Motivering").fill("Alleen bekeken door de coachee zelf volgens het Drive-logboek.")
            page.get_by_role("button", name="Opslaan").click()

            # the state moves on: no AP notice and no notices to the people are needed
            expect(page.locator("#stage")).to_have_text("betrokkenen informeren niet nodig")
            expect(page.locator("#decision")).to_contain_text("volgens het Drive-logboek")
            expect(page.locator("#timeline")).to_contain_text("Besluit: melden bij de AP: nee; betrokkenen informeren: nee.")
            expect(page.locator("#timeline")).to_contain_text("olga")
            expect(page.locator("#countdown")).to_contain_text("niet nodig")

            # and on a phone: readable without scrolling sideways
            phone = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2,
                                        is_mobile=True, has_touch=True, locale="nl-NL",
                                        timezone_id="Europe/Amsterdam", storage_state=context.storage_state())
            small = phone.new_page()
            small.goto(f"{served}/incidents")
            expect(small.locator(f'tr[data-incident="{incident_id}"]')).to_contain_text(
                "betrokkenen informeren niet nodig")
            assert small.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), \
                "the incidents page scrolls sideways on a phone"
            small.screenshot(path=str(ARTIFACTS / "dashboard-incidents-phone.png"), full_page=True)

            # nothing left but closing it, which the privacy officer does here too; it stays in the register
            page.get_by_role("link", name="Afsluiten").click()
            page.get_by_label("Afgesloten: de nazorg is klaar").check()
            page.get_by_label("Reden").fill("Geen melding nodig; deelinstelling van de map hersteld.")
            page.get_by_label("Wat we ervan leren").fill("Delen via een link stond standaard open.")
            page.get_by_label("Wat we veranderen").fill("Delen via een link staat nu uit voor de hele organisatie.")
            page.get_by_role("button", name="Opslaan").click()
            expect(page.locator("#stage")).to_have_text("afgesloten")
            expect(page.get_by_role("status")).to_contain_text("Het incident is afgesloten.")
            expect(page.get_by_role("link", name="Afsluiten")).to_have_count(0)
        finally:
            browser.close()
    assert (ARTIFACTS / "dashboard-incidents.png").stat().st_size > 10_000


def test_a_public_communication_is_written_downloaded_and_recorded_online(served, tmp_path):
    """Art. 34(3)(c) in the browser: too many people to reach one by one, so the page is written, downloaded to be
    put on the website, and recorded online; the incident then no longer waits for it."""
    from playwright.sync_api import expect, sync_playwright

    from tests.integration.test_public_notice import assessment
    from tests.integration.test_register import a_report

    ws = Workspace(settings=Settings.from_env({"BREACH_HOME": str(tmp_path / "ws"),
                                               "BREACH_PROFILE": str(EXAMPLE_PROFILE)}))
    now = datetime.now(UTC)
    incident_id = services.report_incident(ws.uow(), ws.profile, a_report(now), "olga", now)
    services.record_assessment(ws.uow(), ws.profile, incident_id, assessment(), "it", now)
    services.decide(ws.uow(), incident_id, "olga", now, templates=ws.settings.templates_dir, language="nl")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="nl-NL",
                                          timezone_id="Europe/Amsterdam", accept_downloads=True)
            page = context.new_page()
            page.set_default_timeout(15_000)
            page.goto(f"{served}/incidents/{incident_id}")
            page.get_by_label("Gebruikersnaam").fill("olga")
            page.get_by_label("Wachtwoord").fill(PASSWORD)
            page.get_by_role("button", name="Inloggen").click()
            expect(page.locator(".waiting")).to_contain_text("openbare mededeling in plaats van een bericht aan ieder")

            page.get_by_role("link", name="Openbare mededeling").click()
            page.get_by_label("Adres van de pagina").fill("https://www.qoers.nl/datalek")
            page.get_by_role("button", name="Nieuwe versie schrijven").click()
            expect(page.get_by_role("status")).to_contain_text("De openbare mededeling is geschreven")
            expect(page.locator(".waiting")).to_contain_text("de goedkeuring van de geschreven openbare mededeling")

            # nothing goes online before the privacy officer approved the version as written
            page.get_by_role("link", name="Openbare mededeling").click()
            expect(page.get_by_role("button", name="Vastleggen: staat online")).to_have_count(0)
            page.get_by_role("button", name="Deze versie goedkeuren").click()
            expect(page.get_by_role("status")).to_contain_text("De openbare mededeling is goedgekeurd")
            expect(page.locator(".waiting")).to_contain_text("het online zetten van de openbare mededeling")

            page.get_by_role("link", name="Openbare mededeling").click()
            expect(page.get_by_text("Goedgekeurd door olga")).to_be_visible()
            expect(page.locator(".versions")).to_contain_text("Versie 1: geschreven, nog niet gepubliceerd")
            with page.expect_download() as download:
                page.get_by_role("link", name="kort bericht").first.click()
            message = Path(download.value.path()).read_text(encoding="utf-8")
            assert "https://www.qoers.nl/datalek" in message and download.value.suggested_filename == \
                "public-message-v1.nl.txt"

            page.get_by_role("button", name="Vastleggen: staat online").click()
            expect(page.get_by_role("status")).to_contain_text("de betrokkenen gelden als geïnformeerd")
            expect(page.locator(".waiting")).not_to_contain_text("openbare mededeling")
            expect(page.locator("#timeline")).to_contain_text("Versie 1 van de openbare mededeling staat online.")
        finally:
            browser.close()


def test_the_message_is_previewed_tested_approved_and_only_then_sent(served, tmp_path):
    """GDPR art. 34(2) in the browser: the privacy officer reviews the message to the people as they will get it
    (also at phone width), sends a test to the team, approves it, and only then are the people told; an edit
    after the approval makes a version that needs approval again. axe-core checks each page on the way."""
    from playwright.sync_api import expect, sync_playwright

    from incidents.model import Decision
    from tests.conftest import EXAMPLES
    from tests.integration.test_register import a_report, the_assessment

    ws = Workspace(settings=Settings.from_env({"BREACH_HOME": str(tmp_path / "ws"),
                                               "BREACH_PROFILE": str(EXAMPLE_PROFILE)}))
    now = datetime.now(UTC)
    incident_id = services.report_incident(ws.uow(), ws.profile, a_report(now), "olga", now)
    services.record_assessment(ws.uow(), ws.profile, incident_id, the_assessment(), "it", now)
    services.import_subjects(ws.uow(), incident_id, EXAMPLES / "subjects.csv", "olga", now)
    services.record_decision(ws.uow(), incident_id, Decision(notify_authority=True, notify_subjects=True,
                                                             reason="coaching reports open to anyone"), "olga", now)
    outbox = ws.settings.outbox / incident_id
    problems: dict[str, list[str]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="nl-NL",
                                          timezone_id="Europe/Amsterdam", bypass_csp=True)
            page = context.new_page()
            page.set_default_timeout(15_000)
            page.goto(f"{served}/incidents/{incident_id}")
            page.get_by_label("Gebruikersnaam").fill("olga")
            page.get_by_label("Wachtwoord").fill(PASSWORD)
            page.get_by_role("button", name="Inloggen").click()
            expect(page.locator(".waiting")).to_contain_text("goedkeuring van het bericht aan de betrokkenen")
            problems["incident"] = axe_violations(page)

            # the preview: each language as on a phone, greeted as someone without a name on the list
            page.get_by_role("link", name="Bericht aan de betrokkenen", exact=True).click()
            expect(page.locator(".version")).to_contain_text("Versie 1")
            expect(page.locator(".version")).to_contain_text("wacht op goedkeuring")
            dutch = page.frame_locator('iframe[src$=".nl.html"]')
            expect(dutch.locator("body")).to_contain_text("Beste heer/mevrouw,")
            expect(dutch.locator("body")).to_contain_text("Wat kunt u zelf doen?")
            english = page.frame_locator('iframe[src$=".en.html"]')
            expect(english.locator("body")).to_contain_text("What can you do yourself?")
            frame_width = page.locator("iframe.phone").first.evaluate("f => f.getBoundingClientRect().width")
            assert 300 <= frame_width <= 400, f"the preview is {frame_width}px wide, not a phone's width"
            problems["message"] = axe_violations(page)
            assert not outbox.joinpath("subject_notice").exists(), "someone was told before the approval"

            # a test to the privacy contact: the real message, to the team only
            page.get_by_label("Naar").select_option(str(ws.profile.privacy_contact.email))
            page.get_by_role("button", name="Proef versturen").click()
            expect(page.get_by_role("status")).to_contain_text("De proef is verstuurd.")
            assert len(list(outbox.joinpath("subject_notice_test").glob("*.eml"))) == 2
            assert not outbox.joinpath("subject_notice").exists()

            # approved: now everyone on the list is told
            page.get_by_role("button", name="Deze versie goedkeuren").click()
            expect(page.get_by_role("status")).to_contain_text("Het bericht aan de betrokkenen is goedgekeurd")
            assert len(list(outbox.joinpath("subject_notice").glob("*.eml"))) == 38
            expect(page.locator("#timeline")).to_contain_text("olga")

            # an edit after the approval is a new version, which needs approval again
            page.get_by_role("link", name="Bericht aan de betrokkenen", exact=True).click()
            expect(page.locator(".version")).to_contain_text("goedgekeurd door olga")
            page.get_by_role("group", name="Nederlands").get_by_label("Wat hebben wij gedaan?").fill(
                "Wij hebben de map dezelfde dag afgesloten.")
            page.get_by_role("group", name="Engels").get_by_label("Wat hebben wij gedaan?").fill(
                "We closed the folder the same day.")
            page.get_by_role("button", name="Opslaan als nieuwe versie").click()
            expect(page.get_by_role("status")).to_contain_text("Opgeslagen als versie 2")
            expect(page.locator(".version")).to_contain_text("wacht op goedkeuring")
            expect(page.frame_locator('iframe[src$="v2.en.html"]').locator("body")).to_contain_text(
                "We closed the folder the same day.")
            page.get_by_role("button", name="Deze versie goedkeuren").click()
            expect(page.get_by_role("status")).to_contain_text("goedgekeurd")

            # the review page on a phone: nothing to scroll sideways
            phone = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2,
                                        is_mobile=True, has_touch=True, locale="nl-NL",
                                        timezone_id="Europe/Amsterdam", storage_state=context.storage_state())
            small = phone.new_page()
            small.goto(f"{served}/incidents/{incident_id}/message")
            expect(small.locator(".version")).to_contain_text("Versie 2")
            assert small.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), \
                "the review page scrolls sideways on a phone"
            small.screenshot(path=str(ARTIFACTS / "dashboard-message-phone.png"), full_page=True)
        finally:
            browser.close()
    assert problems == {"incident": [], "message": []}, problems


def test_every_dashboard_page_passes_axe_core(served, tmp_path):
    """WCAG 2.1 A and AA as axe-core checks them, on every page a user can open: the login, the lists, an incident
    before and after the decision with each of its forms, the review of the message, the public communication,
    the register and the AP notice."""
    from playwright.sync_api import sync_playwright

    from tests.integration.test_public_notice import assessment
    from tests.integration.test_register import a_report, the_assessment
    from tests.support.decided import decided as decide_with_notice

    ws = Workspace(settings=Settings.from_env({"BREACH_HOME": str(tmp_path / "ws"),
                                               "BREACH_PROFILE": str(EXAMPLE_PROFILE)}))
    now = datetime.now(UTC)
    assessed = services.report_incident(ws.uow(), ws.profile, a_report(now), "olga", now)
    services.record_assessment(ws.uow(), ws.profile, assessed, the_assessment(), "it", now)
    decided = services.report_incident(ws.uow(), ws.profile, a_report(now), "olga", now)
    decide_with_notice(ws, decided, now, actor="olga")
    public = services.report_incident(ws.uow(), ws.profile, a_report(now), "olga", now)
    services.record_assessment(ws.uow(), ws.profile, public, assessment(), "it", now)
    services.decide(ws.uow(), public, "olga", now, templates=ws.settings.templates_dir, language="nl")
    users.add_user(ws.uow(), "edith", PASSWORD, "privacy_officer", "en", "test", now)  # the English pages
    # a second organisation both users serve: the overview, the choice on the report form, the lists' column
    from incidents.profile import load_profile
    from incidents.services import organisations
    from tests.integration.test_organisations import jansen_profile

    jansen = organisations.add_organisation(ws.uow(), "jansen", load_profile(jansen_profile(tmp_path)), "test", now)
    for name in ("olga", "edith"):
        users.set_role(ws.uow(), name, "responder", "test", now, jansen.id)
    profile, version = ws.newest_profile(jansen.id)
    bakery = services.report_incident(ws.uow(), profile, a_report(now), "olga", now, organisation_id=jansen.id,
                                      profile_version=version)
    pages = ["/incidents", "/incidents/new", "/incidents/new?org=jansen", "/register", "/organisations",
             f"/incidents/{bakery}", f"/incidents/{assessed}",
             f"/incidents/{assessed}/assessment", f"/incidents/{assessed}/decision", f"/incidents/{decided}",
             f"/incidents/{decided}/filing", f"/incidents/{decided}/subjects", f"/incidents/{decided}/message",
             f"/incidents/{decided}/authority-notice", f"/incidents/{decided}/closing", f"/incidents/{public}/public"]
    found: dict[str, list[str]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            for language in ("nl-NL", "en-GB"):
                context = browser.new_context(viewport={"width": 1280, "height": 900}, locale=language,
                                              timezone_id="Europe/Amsterdam", bypass_csp=True)
                page = context.new_page()
                page.set_default_timeout(15_000)
                page.goto(f"{served}/login")
                found[f"{language} /login"] = axe_violations(page)
                dutch = language == "nl-NL"
                page.get_by_label("Gebruikersnaam" if dutch else "User name").fill("olga" if dutch else "edith")
                page.get_by_label("Wachtwoord" if dutch else "Password").fill(PASSWORD)
                page.get_by_role("button", name="Inloggen" if dutch else "Log in").click()
                page.wait_for_url(re.compile(r"/incidents"))
                for path in pages:
                    answer = page.goto(f"{served}{path}")
                    assert answer is not None and answer.status == 200, path
                    found[f"{language} {path}"] = axe_violations(page)
                context.close()
        finally:
            browser.close()
    assert {page: problems for page, problems in found.items() if problems} == {}


def test_a_keyboard_user_skips_the_header_and_always_sees_where_the_focus_is(served):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(locale="nl-NL").new_page()
            page.goto(f"{served}/login")
            page.keyboard.press("Tab")
            skip = page.get_by_role("link", name="Naar de inhoud")
            expect(skip).to_be_focused()
            assert skip.evaluate("e => e.getBoundingClientRect().left >= 0"), "the skip link stays off screen"
            page.keyboard.press("Enter")
            page.keyboard.press("Tab")
            focused = page.evaluate("document.activeElement.closest('main') !== null")
            assert focused, "after the skip link the focus is not in the page's content"
            outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
            assert outline not in ("none", ""), "the focused field shows no outline"
        finally:
            browser.close()
