"""The debtor portal in a real browser: Debian's chromium, headless, driven by selenium through chromium-driver.

A demo-like e-mail is sent by the real EmailFunction; its link is opened as the debtor would; payment goes through
the loopback fake of Stripe and its signed webhook; each page is checked with axe-core (vendored under
tests/support/axe, MPL-2.0) for serious or critical accessibility violations. Skipped, with the reason, when the
browser or its driver is not installed (`make test` installs them).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest

from relance.adapters.dynamo import DynamoStore
from relance.app.messages import ChannelMessage, MessageAction
from relance.local.portal import LocalPortal
from relance.local.runner import LocalFunctions
from relance.local.stack import LocalStack

from ..conftest import REPO, SAMPLE_RULES
from ..support.books import book, business, invoice

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
AXE = Path(__file__).resolve().parent.parent / "support" / "axe" / "axe.min.js"
DAY = date(2026, 11, 16)

pytestmark = pytest.mark.skipif(not (os.access(CHROMIUM, os.X_OK) and os.access(DRIVER, os.X_OK)),
                                reason="chromium and chromium-driver are not installed (Debian: apt-get install "
                                       "chromium chromium-driver; `make test` installs them)")


@pytest.fixture(scope="module")
def stack():
    with LocalStack() as stack:
        yield stack


# The sample rules' payment plans in self-service (SPEC §2.9), added when the sample does not say them: a business
# may agree alone up to 3 monthly installments over 90 days, each of at least 100 €.
SELF_SERVICE = """
payment_plans:
  self_service:
    when:
      customer.kind: business
    max_installments: 3
    max_days: 90
    min_installment: 100
"""


@pytest.fixture(scope="module")
def rules(tmp_path_factory):
    folder = tmp_path_factory.mktemp("rules")
    shutil.copytree(SAMPLE_RULES, folder, dirs_exist_ok=True)
    main = folder / "relance.yaml"
    if "\npayment_plans:" not in main.read_text(encoding="utf-8"):
        main.write_text(main.read_text(encoding="utf-8") + SELF_SERVICE, encoding="utf-8")
    return folder


@pytest.fixture
def portal(stack, rules, tmp_path):
    stack.reset()
    store = DynamoStore(stack.client("dynamodb"), stack.physical["DataTable"], 16)
    store.seed(book([business("C1", name="Menuiserie Martin SARL", email="compta@martin.example",
                              account_manager="julie@atelier.example")],
                    [invoice("F-2026-0412", "C1", amount="1200.00", due_date="2026-10-01"),
                     invoice("F-2026-0420", "C1", amount="480.00", due_date="2026-10-20"),
                     invoice("F-2026-0431", "C1", amount="96.00", due_date="2026-11-02")]))
    with LocalPortal(stack, today=DAY.isoformat(), out_dir=tmp_path) as portal:
        functions = LocalFunctions(stack, rules, portal.env)
        portal.attach(functions)
        portal.store = store
        yield portal


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-background-networking", "--disable-component-update", "--no-first-run",
                     "--window-size=412,915"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def emailed_link(portal) -> str:
    """The link in the e-mail the EmailFunction sends for the customer's overdue invoices (as in the demo)."""
    from email import message_from_bytes, policy

    from moto.ses.models import ses_backends

    sqs = portal.stack.client("sqs")
    message = ChannelMessage(key="demo-1", run_date=DAY, customer="C1", channel="email", tone="factuel",
                             actions=(MessageAction("F-2026-0412", "relance_2", "standard", "standard"),
                                      MessageAction("F-2026-0420", "relance_2", "standard", "standard")))
    sqs.send_message(QueueUrl=portal.stack.physical["EmailQueue"], MessageBody=message.body())
    portal.functions.drain("EmailQueue", "EmailFunction", RELANCE_TODAY=DAY.isoformat())
    raw = ses_backends["123456789012"][portal.stack.region].sent_messages[-1].raw_data
    mail = message_from_bytes(raw.encode() if isinstance(raw, str) else raw, policy=policy.default)
    return re.search(r"Régler en ligne ou nous répondre : (\S+)", mail.get_body(("plain",)).get_content()).group(1)


def serious_violations(driver) -> list[str]:
    driver.execute_script(AXE.read_text(encoding="utf-8"))
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']}).then(r => done(JSON.stringify(r.violations)),"
        " e => done(JSON.stringify([{id: 'axe-error', impact: 'critical', help: String(e), nodes: []}])));")
    return [f"{v['id']} ({v['impact']}): {v['help']}" for v in json.loads(result)
            if v["impact"] in ("serious", "critical")]


def click_and_wait(driver, element) -> None:
    """Click, then wait until the browser has left the page (a form's answer, a redirect followed)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    page = driver.find_element(By.TAG_NAME, "html")
    element.click()
    WebDriverWait(driver, 30).until(expected_conditions.staleness_of(page))
    WebDriverWait(driver, 30).until(lambda d: d.execute_script("return document.readyState") == "complete")


def fill_and_send(driver, form: str, *, wait: bool = True, **fields) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    section = driver.find_element(By.ID, form).find_element(By.XPATH, "./ancestor::section")
    for name, value in fields.items():
        element = section.find_element(By.NAME, name)
        if element.tag_name == "select":
            Select(element).select_by_value(value)
        elif element.get_attribute("type") == "date":
            driver.execute_script("arguments[0].value = arguments[1]", element, value)
        else:
            element.send_keys(value)
    button = section.find_element(By.CSS_SELECTOR, "button[type=submit]")
    if wait:
        click_and_wait(driver, button)
    else:
        button.click()


def test_a_debtor_pays_one_invoice_online_and_comes_back_to_a_page_that_shows_it_paid(portal, browser):
    from selenium.webdriver.common.by import By

    browser.get(emailed_link(portal))
    assert browser.find_element(By.TAG_NAME, "h1").text == "Vos factures en attente de règlement"
    invoices = [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".invoice h3")]
    assert invoices == ["Facture n° F-2026-0412", "Facture n° F-2026-0420", "Facture n° F-2026-0431"]
    assert "46 jours de retard" in browser.find_element(By.ID, "facture-F-2026-0412").text
    assert serious_violations(browser) == []
    screenshot = os.environ.get("RELANCE_PORTAL_SCREENSHOT")
    if screenshot:  # docs/portal.png in the README, taken from this very page
        browser.set_window_size(412, 1400)
        browser.save_screenshot(screenshot)
        browser.set_window_size(412, 915)

    click_and_wait(browser, browser.find_element(By.ID, "facture-F-2026-0412").find_element(By.CSS_SELECTOR,
                                                                                          "form.pay button"))
    assert browser.current_url.startswith(portal.stripe.url + "/pay/cs_test_")
    assert browser.find_element(By.ID, "amount").text == "1200.00 EUR"
    click_and_wait(browser, browser.find_element(By.ID, "pay"))

    assert browser.current_url.startswith(portal.url + "/paiement/retour?session_id=cs_test_")
    assert "/p/" not in browser.current_url
    assert browser.find_element(By.ID, "statut").text == "La facture n° F-2026-0412 est payée."
    assert serious_violations(browser) == []
    assert portal.store.invoice("F-2026-0412")[0].status == "paid"


def test_a_debtor_pays_two_chosen_invoices_in_one_payment_and_each_is_paid(portal, browser):
    from selenium.webdriver.common.by import By

    browser.get(emailed_link(portal))
    form = browser.find_element(By.CSS_SELECTOR, "form.pay-several")
    boxes = {b.get_attribute("value"): b for b in form.find_elements(By.NAME, "facture")}
    assert list(boxes) == ["F-2026-0412", "F-2026-0420", "F-2026-0431"]  # all checked, oldest due first
    boxes["F-2026-0412"].click()  # unchecked: this one is paid another day

    click_and_wait(browser, form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    assert browser.current_url.startswith(portal.stripe.url + "/pay/cs_test_")
    assert browser.find_element(By.ID, "amount").text == "576.00 EUR"  # 480,00 + 96,00
    click_and_wait(browser, browser.find_element(By.ID, "pay"))

    assert browser.find_element(By.ID, "statut").text == "Les factures n° F-2026-0420, F-2026-0431 sont payées."
    assert serious_violations(browser) == []
    assert [portal.store.invoice(i)[0].status for i in ("F-2026-0412", "F-2026-0420", "F-2026-0431")] == [
        "open", "paid", "paid"]


def test_a_debtor_promises_a_date_then_contests_an_invoice_then_asks_for_a_plan(portal, browser):
    from selenium.webdriver.common.by import By

    link = emailed_link(portal)
    browser.get(link)
    fill_and_send(browser, "promettre", date=(DAY + timedelta(days=10)).isoformat())
    assert "Votre promesse de paiement est enregistrée" in browser.find_element(By.ID, "confirmation").text
    assert portal.store.invoice("F-2026-0420")[0].promise_to_pay_until == DAY + timedelta(days=10)

    browser.get(link)
    section = browser.find_element(By.ID, "contester").find_element(By.XPATH, "./ancestor::section")
    section.find_element(By.CSS_SELECTOR, "input[value='F-2026-0431']").click()
    fill_and_send(browser, "contester", motif="defective", commentaire="Plan de travail rayé à la livraison")
    assert "Votre contestation est enregistrée" in browser.find_element(By.ID, "confirmation").text
    assert portal.store.invoice("F-2026-0431")[0].status == "disputed"
    assert serious_violations(browser) == []

    # Four installments: beyond what the rules let a debtor agree alone. The page shows the schedule and why, and
    # the debtor sends it to a person (SPEC §2.9).
    fill_and_send(browser, "echelonner", echeances="4", commentaire="Trésorerie tendue ce trimestre")
    assert "Au plus 3 échéances sans l’accord d’un conseiller." in browser.find_element(By.ID, "avis").text
    assert len(browser.find_elements(By.CSS_SELECTOR, "#echeances tbody tr")) == 4
    assert serious_violations(browser) == []
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    assert "Votre demande d’échéancier est transmise" in browser.find_element(By.ID, "confirmation").text
    kinds = {e["kind"]: e for e in portal.store.history("F-2026-0412")}
    assert kinds["plan_request"]["installments"] == "4" and kinds["plan_request"]["link_id"]
    assert portal.store.invoice("F-2026-0412")[0].payment_plan is None


def test_a_debtor_agrees_a_plan_within_the_limits_after_seeing_its_schedule_and_receives_it_in_writing(
        portal, browser):
    from pypdf import PdfReader
    from selenium.webdriver.common.by import By

    browser.get(emailed_link(portal))
    fill_and_send(browser, "echelonner", echeances="3")
    # 1 200 + 480 + 96 = 1 776 € in three monthly installments from 16 December 2026
    rows = [r.text.replace("\u202f", " ") for r in browser.find_elements(By.CSS_SELECTOR, "#echeances tbody tr")]
    assert rows == ["n° 1 16/12/2026 592,00 €", "n° 2 15/01/2027 592,00 €", "n° 3 14/02/2027 592,00 €"]
    assert portal.store.invoice("F-2026-0412")[0].payment_plan is None  # shown, not yet agreed
    assert serious_violations(browser) == []
    click_and_wait(browser, browser.find_element(By.XPATH, "//button[text()='Accepter cet échéancier']"))

    assert "Votre échéancier est accepté" in browser.find_element(By.ID, "confirmation").text
    plans = {i: portal.store.invoice(i)[0].payment_plan for i in ("F-2026-0412", "F-2026-0420", "F-2026-0431")}
    assert {i: p.total for i, p in plans.items()} == {"F-2026-0412": 1200, "F-2026-0420": 480, "F-2026-0431": 96}
    agreed = [e for e in portal.store.history("F-2026-0412") if e["kind"] == "plan_agreed"]
    assert agreed[0]["by"] == "portal_self_service"
    (written,) = portal.agreements  # copied under out/echeanciers/ from the documents bucket
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(written).pages)
    assert "Échéancier de paiement" in text and f"lien n° {agreed[0]['who']}" in text
    assert "Total des échéances 1 776,00 €" in text.replace("\u202f", " ")
    assert serious_violations(browser) == []
    # … and by e-mail, the same document attached
    from email import message_from_bytes, policy

    from moto.ses.models import ses_backends

    mails = [message_from_bytes(m.raw_data.encode() if isinstance(m.raw_data, str) else m.raw_data,
                                policy=policy.default)
             for m in ses_backends["123456789012"][portal.stack.region].sent_messages]
    (mail,) = [m for m in mails if m["To"] == "compta@martin.example" and m["Subject"].startswith("Échéancier")]
    (attached,) = [part for part in mail.iter_attachments()]
    assert attached.get_filename() == "echeancier-2026-11-16.pdf"
    assert attached.get_content() == written.read_bytes()


def test_a_promise_beyond_the_rules_limit_is_refused_on_the_page(portal, browser):
    from selenium.webdriver.common.by import By

    link = emailed_link(portal)
    browser.get(link)
    fill_and_send(browser, "promettre", wait=False, date=(DAY + timedelta(days=90)).isoformat())
    # The browser itself holds the form back (the date field's max is the rules' limit)…
    field = browser.find_element(By.ID, "promesse-date")
    assert browser.execute_script("return arguments[0].validity.rangeOverflow", field) is True
    assert browser.find_elements(By.ID, "confirmation") == []
    # … and a browser that would not, gets the server's refusal.
    browser.execute_script("arguments[0].removeAttribute('max')", field)
    click_and_wait(browser, browser.find_element(By.ID, "promettre").find_element(
        By.XPATH, "./ancestor::section").find_element(By.CSS_SELECTOR, "button[type=submit]"))

    assert "au plus tard le 16/12/2026" in browser.find_element(By.ID, "probleme").text
    assert portal.store.invoice("F-2026-0412")[0].promise_to_pay_until is None
    assert serious_violations(browser) == []


def test_a_forged_link_shows_the_same_page_as_an_unknown_address(portal, browser):
    from selenium.webdriver.common.by import By

    link = emailed_link(portal)
    browser.get(link[:-4] + "AAAA")
    forged = browser.find_element(By.TAG_NAME, "main").text
    browser.get(portal.url + "/nulle-part")

    assert forged == browser.find_element(By.TAG_NAME, "main").text
    assert "Page introuvable" in forged
    assert serious_violations(browser) == []


def test_the_vendored_axe_is_the_one_its_licence_comes_with():
    assert AXE.read_text(encoding="utf-8").startswith("/*! axe v4.10.2")
    assert "Mozilla Public License" in (AXE.parent / "LICENSE").read_text(encoding="utf-8")
    assert (REPO / "tests" / "support" / "axe" / "LICENSE").exists()


def test_the_accessibility_check_does_find_a_serious_violation_when_there_is_one(browser):
    # A form field without a label and an image without text: what the portal's pages must never have.
    browser.get("data:text/html;charset=utf-8,<!doctype html><html lang='fr'><title>t</title><main>"
                "<input type='text' name='x'><img src='data:,' width='10' height='10'></main></html>")

    assert any(v.startswith(("label", "image-alt")) for v in serious_violations(browser))
