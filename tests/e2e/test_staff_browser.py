"""The account managers' pages in a real browser (headless Chromium through chromium-driver, as the portal's): the
call digest the real DigestFunction sends, its link opened, the call's outcome recorded; an approval decided; each
page checked with axe-core for serious or critical accessibility violations. Skipped when the browser is absent.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest

from relance.adapters.dynamo import DynamoStore
from relance.app.messages import ChannelMessage, MessageAction
from relance.local.portal import PORTAL_SECRETS, LocalPortal
from relance.local.runner import LocalFunctions
from relance.local.stack import LocalStack

from ..conftest import SAMPLE_RULES
from ..support.books import book, business, invoice
from .test_portal_browser import browser, click_and_wait, pytestmark, serious_violations  # noqa: F401

DAY = date(2026, 11, 16)
JULIE = "julie@atelier.example"


@pytest.fixture(scope="module")
def stack():
    with LocalStack() as stack:
        yield stack


@pytest.fixture
def portal(stack):
    stack.reset()
    store = DynamoStore(stack.client("dynamodb"), stack.physical["DataTable"], 16)
    store.seed(book([business("C1", name="Menuiserie Martin SARL", email="compta@martin.example",
                              phone="04 78 00 00 00", account_manager=JULIE)],
                    [invoice("F-2026-0412", "C1", amount="1200.00", due_date="2026-10-01"),
                     invoice("F-2026-0420", "C1", amount="480.00", due_date="2026-10-20")]))
    with LocalPortal(stack, today=DAY.isoformat()) as portal:
        functions = LocalFunctions(stack, SAMPLE_RULES, portal.env)
        portal.attach(functions)
        portal.store = store
        yield portal


def digest_link(portal) -> str:
    """The call link in the digest the DigestFunction sends after the PhoneFunction made the call task."""
    from email import message_from_bytes, policy

    from moto.ses.models import ses_backends

    message = ChannelMessage(key="call-1", run_date=DAY, customer="C1", channel="phone", tone="ferme",
                             actions=(MessageAction("F-2026-0412", "relance_2", "standard", "standard"),
                                      MessageAction("F-2026-0420", "relance_2", "standard", "standard")))
    portal.stack.client("sqs").send_message(QueueUrl=portal.stack.physical["PhoneQueue"], MessageBody=message.body())
    portal.functions.drain("PhoneQueue", "PhoneFunction", RELANCE_TODAY=DAY.isoformat())
    portal.functions.invoke("DigestFunction", {"run_date": DAY.isoformat()}, RELANCE_TODAY=DAY.isoformat())
    for raw in reversed(ses_backends["123456789012"][portal.stack.region].sent_messages):
        data = raw.raw_data.encode() if isinstance(raw.raw_data, str) else raw.raw_data
        text = message_from_bytes(data, policy=policy.default).get_body(("plain",)).get_content()
        found = re.search(re.escape(portal.url) + r"/s/\S+", text)
        if found:
            return found.group(0)
    raise AssertionError("no digest with a staff link")


def test_an_account_manager_records_a_promise_from_the_digest_s_link(portal, browser):  # noqa: F811
    from selenium.webdriver.common.by import By

    browser.get(digest_link(portal))
    assert browser.find_element(By.TAG_NAME, "h1").text == "Noter l’issue d’un appel"
    assert "Menuiserie Martin SARL" in browser.find_element(By.CSS_SELECTOR, ".customer").text
    assert serious_violations(browser) == []

    browser.find_element(By.ID, "issue-promise").click()
    browser.execute_script("arguments[0].value = arguments[1]", browser.find_element(By.NAME, "date"), "2026-12-01")
    browser.find_element(By.NAME, "note").send_keys("Virement prévu début décembre")
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form button[type=submit]"))

    assert "L’issue de l’appel est enregistrée" in browser.find_element(By.ID, "confirmation").text
    assert JULIE in browser.find_element(By.CSS_SELECTOR, ".history").text
    assert serious_violations(browser) == []
    store = portal.store
    for invoice_id in ("F-2026-0412", "F-2026-0420"):
        assert store.invoice(invoice_id)[0].promise_to_pay_until == date(2026, 12, 1)
        call = next(e for e in store.history(invoice_id) if e["kind"] == "call_made")
        assert call["by"] == JULIE and "Virement prévu début décembre" in call["note"]


def test_an_account_manager_approves_a_formal_notice_and_a_forged_link_shows_nothing(portal, browser):  # noqa: F811
    from selenium.webdriver.common.by import By

    from relance.app.staff import StaffLinks, approval_link, keys_from_secret
    from relance.ports import ActionRecord

    store = portal.store
    action = ActionRecord(run_date=DAY, shard=0, invoice="F-2026-0412", customer="C1", segment="standard",
                          scenario="standard", step="mise_en_demeure", channel="registered_letter", tone="formel")
    assert store.request_approval(action, store.invoice("F-2026-0412")[1])
    links = StaffLinks(keys=keys_from_secret(PORTAL_SECRETS["/relance/staff/link-keys"]), base_url=portal.url,
                       store=store, now=lambda: datetime.now(UTC))
    url = approval_link(links, manager=JULIE, customer_id="C1", invoice_id="F-2026-0412", step="mise_en_demeure")

    browser.get(url[:-4] + ("AAAA" if not url.endswith("AAAA") else "BBBB"))
    assert browser.find_element(By.TAG_NAME, "h1").text == "Page introuvable"

    browser.get(url)
    assert browser.find_element(By.TAG_NAME, "h1").text == "Envoi à approuver"
    assert serious_violations(browser) == []
    click_and_wait(browser, browser.find_element(By.XPATH, "//button[normalize-space()='Approuver l’envoi']"))

    assert "Envoi approuvé" in browser.find_element(By.ID, "confirmation").text
    assert store.invoice("F-2026-0412")[0].approval.state == "approved"
    assert store.invoice("F-2026-0412")[0].approval.by == JULIE
