"""The debtor portal through its router, as a browser would reach it: a link from a message, the pages, the forms.

The store is the in-memory fake; the clock is fixed; the payment provider is a fake that records its sessions.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from html import unescape
from urllib.parse import urlencode

import pytest

from relance.app.portal import Links, Portal
from relance.domain.model import Book, Customer, Invoice
from relance.domain.portal import creditor_reference, reference_is_valid
from relance.ports import CheckoutSession
from relance.rules.loader import load_rules
from relance.signing import SigningKey, sign_token
from relance.web import portal as web
from relance.web.handler import ROUTES
from relance.web.http import Request
from tests.conftest import SAMPLE_RULES
from tests.support.fake_store import FakeStore

TODAY = date(2026, 11, 16)
NOW = datetime(2026, 11, 16, 9, 30, tzinfo=UTC)
KEYS = [SigningKey("k2", "new-secret"), SigningKey("k1", "old-secret")]
BASE = "https://paiement.atelier.example"
FORM = "application/x-www-form-urlencoded"


class FakeCheckout:
    def __init__(self) -> None:
        self.sessions: list[dict] = []

    def create_session(self, **fields) -> CheckoutSession:
        self.sessions.append(fields)
        return CheckoutSession(f"cs_test_{len(self.sessions)}", f"https://checkout.stripe.com/c/pay/cs_test_{len(self.sessions)}")


@pytest.fixture(scope="module")
def rules():
    return load_rules(SAMPLE_RULES).rules


@pytest.fixture
def store():
    store = FakeStore()
    store.seed(Book({"C1": Customer("C1", "Menuiserie Martin SARL", "business", email="compta@martin.example",
                                    account_manager="julie@atelier.example"),
                     "C2": Customer("C2", "Camille Durand", "consumer")},
                    (Invoice("F-1", "C1", date(2026, 9, 1), date(2026, 10, 1), Decimal("1200.00"), Decimal("1200.00")),
                     Invoice("F-2", "C1", date(2026, 10, 5), date(2026, 11, 4), Decimal("300.50"), Decimal("300.50")),
                     Invoice("F-9", "C2", date(2026, 10, 5), date(2026, 11, 4), Decimal("99.00"), Decimal("99.00")))))
    return store


@pytest.fixture
def told():
    return []


@pytest.fixture
def checkout():
    return FakeCheckout()


@pytest.fixture
def links(store):
    return Links(keys=KEYS, base_url=BASE, store=store, now=lambda: NOW)


@pytest.fixture(autouse=True)
def services(rules, store, links, told, checkout):
    portal = Portal(store=store, rules=rules, today=lambda: TODAY, now=lambda: NOW,
                    notify=lambda customer, subject, text: told.append((customer.id, subject, text)))
    web.use(web.Services(rules=rules, links=links, portal=portal, today=lambda: TODAY, now=lambda: NOW,
                         base_url=BASE, checkout=lambda: checkout, checkout_origin="https://checkout.stripe.com"))
    yield
    web.use(None)


def path_of(url: str) -> str:
    return url.removeprefix(BASE)


def get(path: str, **headers):
    route, _, query = path.partition("?")
    return ROUTES.dispatch(Request("GET", route, dict(p.split("=", 1) for p in query.split("&") if p), headers))


def post(path: str, fields: list[tuple[str, str]], **headers):
    return ROUTES.dispatch(Request("POST", path, {}, {"content-type": FORM, **headers}, urlencode(fields).encode()))


def csrf_of(body: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', body).group(1)


def text_of(body: str) -> str:
    """What a reader sees: no tags, non-breaking spaces as spaces, one space between words."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", body)).replace("\u00a0", " ").replace("\u202f", " "))


@pytest.fixture
def link(links, rules):
    return path_of(links.mint("C1", "email", rules).url)


# -- the link ------------------------------------------------------------------------------------------------

def test_a_link_from_an_e_mail_shows_the_customer_s_open_invoices_with_amounts_due_dates_and_days_late(link):
    page = get(link)
    text = text_of(page.body)

    assert page.status == 200
    assert "Menuiserie Martin SARL" in text
    assert "Facture n° F-1" in text and "Facture n° F-2" in text and "F-9" not in text
    assert "01/10/2026, 46 jours de retard" in text
    assert "Reste à payer 1 200,00 €" in text
    assert "Total dû : 1 500,50 €" in text


def test_the_link_carries_no_customer_data_only_a_random_id(link):
    token = link.removeprefix("/p/")

    assert "C1" not in token and "Martin" not in token
    import base64
    import json
    claims = json.loads(base64.urlsafe_b64decode(token.split(".")[2] + "=="))
    assert set(claims) == {"l", "exp"}


def test_a_forged_an_expired_a_revoked_and_an_unknown_link_all_get_the_same_404(links, rules, store, link):
    not_found = get("/nulle-part").body
    forged = link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB")
    expired_links = Links(keys=KEYS, base_url=BASE, store=store, now=lambda: NOW - timedelta(days=31))
    expired = path_of(expired_links.mint("C1", "email", rules).url)
    revoked = path_of(links.mint("C1", "email", rules).url)
    store.revoke_portal_link(links.open(revoked.removeprefix("/p/")).link_id)
    # A well-signed token whose link was never recorded (a key leaked, say): still nothing.
    unknown = "/p/" + sign_token({"l": "never-issued"}, KEYS[0], now=NOW, ttl_s=3600)

    for path in (forged, expired, revoked, unknown, "/p/v1.k2.e30.AAAA", "/p/" + "x" * 3000):
        answer = get(path)
        assert (answer.status, answer.body) == (404, not_found), path


def test_a_link_signed_with_the_previous_key_still_opens_while_it_is_accepted(store, rules):
    old = Links(keys=[KEYS[1]], base_url=BASE, store=store, now=lambda: NOW)
    link = path_of(old.mint("C1", "email", rules).url)

    assert get(link).status == 200


def test_a_letter_s_short_link_leads_to_the_same_page_and_lives_longer(links, rules):
    minted = links.mint("C1", "letter", rules)
    short = path_of(minted.short_url)
    answer = get(short)

    assert len(short) <= 32  # typed by hand from a letter
    assert answer.status == 303 and answer.headers["Location"] == path_of(minted.url)
    assert get(short[:-1] + ("x" if short[-1] != "x" else "y")).status == 404
    later = Links(keys=KEYS, base_url=BASE, store=links.store, now=lambda: NOW + timedelta(days=45))
    assert later.open(path_of(minted.url).removeprefix("/p/")) is not None  # 60 days for a letter, 30 by e-mail


def test_every_portal_page_forbids_scripts_and_referrers(link):
    headers = get(link).headers

    assert headers["Referrer-Policy"] == "no-referrer"
    assert "script-src" not in headers["Content-Security-Policy"]
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert headers["Cache-Control"] == "no-store"


# -- bank transfer -------------------------------------------------------------------------------------------

def test_the_transfer_details_give_a_checked_structured_reference_and_an_epc_qr_code(link):
    page = get(link).body
    reference = re.search(r"Référence à indiquer</dt><dd class=\"mono\">([^<]+)<", page).group(1).replace(" ", "")

    assert reference == creditor_reference("CC1") and reference_is_valid(reference)
    assert "FR76 3000 4013 2800 0107 4260 566" in page
    assert "<svg" in page and "Code QR de virement" in page


def test_the_creditor_reference_is_the_iso_11649_one():
    # The standard's own example: RF18 5390 0754 7034.
    assert creditor_reference("539007547034") == "RF18539007547034"
    assert reference_is_valid("RF18 5390 0754 7034") and not reference_is_valid("RF19 5390 0754 7034")


# -- the forms -----------------------------------------------------------------------------------------------

def test_a_promise_within_the_rules_is_recorded_with_the_link_s_id_and_the_manager_told(link, store, told):
    csrf = csrf_of(get(link).body)
    answer = post(link + "/promesse", [("csrf", csrf), ("facture", "F-1"), ("date", "2026-12-01")])

    assert answer.status == 303 and answer.headers["Location"].endswith("?fait=promesse#confirmation")
    assert store.invoice("F-1")[0].promise_to_pay_until == date(2026, 12, 1)
    assert store.invoice("F-2")[0].promise_to_pay_until is None
    event = store.history("F-1")[-1]
    assert event["kind"] == "promise" and event["until"] == "2026-12-01" and event["source"] == "portal"
    assert event["link_id"] and event["at"].startswith("2026-11-16T09:30")
    assert told[0][0] == "C1" and "01/12/2026" in told[0][2]
    assert "Votre promesse de paiement est enregistrée" in text_of(get(answer.headers["Location"].split("#")[0]).body)


def test_a_promise_beyond_the_rules_limit_is_refused_and_nothing_recorded(link, store, told):
    csrf = csrf_of(get(link).body)
    answer = post(link + "/promesse", [("csrf", csrf), ("facture", "F-1"), ("date", "2027-03-01")])

    assert answer.status == 400
    assert "au plus tard le 16/12/2026" in text_of(answer.body)
    assert store.invoice("F-1")[0].promise_to_pay_until is None and told == []


def test_a_dispute_needs_a_reason_from_the_rules_list_then_pauses_the_invoice_for_review(link, store, told):
    csrf = csrf_of(get(link).body)
    refused = post(link + "/contestation", [("csrf", csrf), ("facture", "F-2"), ("motif", "je-ne-veux-pas")])
    answer = post(link + "/contestation", [("csrf", csrf), ("facture", "F-2"), ("motif", "defective"),
                                           ("commentaire", "Porte livrée rayée <b>")])

    assert refused.status == 400 and "Choisissez un motif" in text_of(refused.body)
    assert answer.status == 303
    assert store.invoice("F-2")[0].status == "disputed" and store.invoice("F-1")[0].status == "open"
    event = store.history("F-2")[-1]
    assert (event["kind"], event["reason"], event["review_until"]) == ("dispute", "defective", "2026-12-01")
    assert "Travaux ou marchandise non conformes" in told[0][2] and "01/12/2026" in told[0][2]


def test_a_portal_dispute_pauses_reminders_dispute_pause_days_then_they_resume_unless_a_person_decides(
        link, store, told, rules):
    from relance.app import manual
    from relance.domain.model import why_held
    from relance.domain.planner import Planner

    # dispute_pause_days is 15 in the sample rules: made on Monday 16/11, the pause holds through 01/12 (16 + 15),
    # the planner reminds again from 02/12 — F-2 was due 04/11 and is still unpaid.
    assert rules.portal.dispute_pause_days == 15
    csrf = csrf_of(get(link).body)
    post(link + "/contestation", [("csrf", csrf), ("facture", "F-2"), ("motif", "defective"), ("commentaire", "")])
    disputed = store.invoice("F-2")[0]

    assert why_held(disputed, date(2026, 12, 1)) == "disputed"
    assert why_held(disputed, date(2026, 12, 2)) is None
    planner = Planner(rules)
    held = planner.plan(store.whole_book(), date(2026, 12, 1))
    resumed = planner.plan(store.whole_book(), date(2026, 12, 2))
    assert ("F-2", "paused: disputed") in [(s.invoice, s.reason) for s in held.skipped]
    assert "F-2" not in [s.invoice for s in resumed.skipped]
    assert "F-2" in {a.invoice for a in resumed.actions}
    # The account manager is told when the reminders start again if no one decides.
    assert "01/12/2026" in told[0][2] and "02/12/2026" in told[0][2]

    # Once the pause has ended, the page the next reminder links to offers to pay it online again.
    web.use(web.Services(rules=rules, links=web.services().links, portal=web.services().portal,
                         today=lambda: date(2026, 12, 2), now=lambda: NOW, base_url=BASE,
                         checkout=web.services().checkout, checkout_origin="https://checkout.stripe.com"))
    page = get(link).body
    assert '<input type="hidden" name="facture" value="F-2">' in page
    web.use(web.Services(rules=rules, links=web.services().links, portal=web.services().portal,
                         today=lambda: TODAY, now=lambda: NOW, base_url=BASE,
                         checkout=web.services().checkout, checkout_origin="https://checkout.stripe.com"))
    assert '<input type="hidden" name="facture" value="F-2">' not in get(link).body

    # A person who confirms the dispute keeps it for good; one who lifts it reopens the invoice.
    assert manual.record_dispute(store, "F-2", date(2026, 11, 20), "rayure confirmée") is True
    assert why_held(store.invoice("F-2")[0], date(2027, 1, 4)) == "disputed"
    assert manual.resume(store, "F-2", date(2026, 11, 25)) is True
    assert (store.invoice("F-2")[0].status, store.invoice("F-2")[0].dispute_until) == ("open", None)


def test_a_plan_request_goes_to_the_account_manager_as_a_request(link, store, told):
    csrf = csrf_of(get(link).body)
    # Four installments, beyond the sample rules' self-service: confirmed, the choice is a request for a person.
    answer = post(link + "/echeancier", [("csrf", csrf), ("facture", "F-1"), ("facture", "F-2"),
                                         ("echeances", "4"), ("commentaire", "Trésorerie tendue"),
                                         ("confirmer", "1")])

    assert answer.status == 303
    for invoice in ("F-1", "F-2"):
        event = store.history(invoice)[-1]
        assert (event["kind"], event["installments"], event["status"]) == ("plan_request", "4", "for_review")
    assert "1500.50" in told[0][2] and "4 échéances" in told[0][2]
    assert store.invoice("F-1")[0].status == "open"  # a request changes nothing until a person agrees


def test_a_form_cannot_reach_another_customer_s_invoice(link, store):
    csrf = csrf_of(get(link).body)
    answer = post(link + "/promesse", [("csrf", csrf), ("facture", "F-9"), ("date", "2026-12-01")])

    assert answer.status == 400
    assert store.invoice("F-9")[0].promise_to_pay_until is None and store.history("F-9") == []


def test_a_post_without_the_form_token_or_from_another_site_is_refused(link, store):
    csrf = csrf_of(get(link).body)
    fields = [("facture", "F-1"), ("date", "2026-12-01")]

    assert post(link + "/promesse", fields).status == 403
    assert post(link + "/promesse", [("csrf", "x" * 43), *fields]).status == 403
    assert post(link + "/promesse", [("csrf", csrf), *fields], origin="https://evil.example").status == 403
    assert post(link + "/promesse", [("csrf", csrf), *fields], **{"sec-fetch-site": "cross-site"}).status == 403
    assert store.history("F-1") == []


def test_a_form_token_is_bound_to_its_link(links, rules, link):
    other = path_of(links.mint("C1", "email", rules).url)
    csrf = csrf_of(get(other).body)

    assert post(link + "/promesse", [("csrf", csrf), ("facture", "F-1"), ("date", "2026-12-01")]).status == 403


# -- paying --------------------------------------------------------------------------------------------------

def test_paying_creates_a_checkout_session_with_our_invoice_id_and_return_urls_without_the_token(link, checkout, store):
    csrf = csrf_of(get(link).body)
    answer = post(link + "/payer", [("csrf", csrf), ("facture", "F-2")])
    (session,) = checkout.sessions
    token = link.removeprefix("/p/")

    assert answer.status == 303 and answer.headers["Location"] == "https://checkout.stripe.com/c/pay/cs_test_1"
    # The form's page lets the browser follow that redirect, to the payment page and nowhere else.
    assert "form-action 'self' https://checkout.stripe.com;" in get(link).headers["Content-Security-Policy"]
    assert [(line.invoice_id, line.amount) for line in session["lines"]] == [("F-2", Decimal("300.50"))]
    assert token not in session["success_url"] and token not in session["cancel_url"]
    assert session["success_url"] == f"{BASE}/paiement/retour?session_id={{CHECKOUT_SESSION_ID}}"
    assert store.history("F-2")[-1]["kind"] == "checkout_started"


def test_paying_chosen_invoices_makes_one_session_with_a_line_each_oldest_due_first(link, checkout, store):
    csrf = csrf_of(get(link).body)
    assert "Payer les factures cochées en ligne" in text_of(get(link).body)

    answer = post(link + "/payer", [("csrf", csrf), ("facture", "F-2"), ("facture", "F-1"), ("facture", "F-9")])

    (session,) = checkout.sessions  # F-9 is another customer's: ignored
    assert answer.status == 303
    assert [(line.invoice_id, line.amount) for line in session["lines"]] == [
        ("F-1", Decimal("1200.00")), ("F-2", Decimal("300.50"))]
    assert session["currency"] == "EUR"
    assert store.history("F-1")[-1]["kind"] == store.history("F-2")[-1]["kind"] == "checkout_started"
    assert store.history("F-2")[-1]["amount"] == "1500.50"


def test_the_return_page_after_paying_two_invoices_says_both_are_paid_once_both_are(link, store):
    csrf = csrf_of(get(link).body)
    post(link + "/payer", [("csrf", csrf), ("facture", "F-1"), ("facture", "F-2")])
    store.apply_payment(provider="stripe", event_id="evt_1#1", invoice_id="F-1", amount=Decimal("1200.00"),
                        currency="EUR", on=TODAY)
    half = get("/paiement/retour?session_id=cs_test_1")
    store.apply_payment(provider="stripe", event_id="evt_1#2", invoice_id="F-2", amount=Decimal("300.50"),
                        currency="EUR", on=TODAY)

    assert "en cours de confirmation" in text_of(half.body)
    assert "Les factures n° F-1, F-2 sont payées." in text_of(get("/paiement/retour?session_id=cs_test_1").body)


def test_the_return_page_says_paid_only_once_the_webhook_applied_the_payment(link, store):
    csrf = csrf_of(get(link).body)
    post(link + "/payer", [("csrf", csrf), ("facture", "F-2")])
    pending = get("/paiement/retour?session_id=cs_test_1")
    store.apply_payment(provider="stripe", event_id="evt_1", invoice_id="F-2", amount=Decimal("300.50"),
                        currency="EUR", on=TODAY)
    paid = get("/paiement/retour?session_id=cs_test_1")

    assert pending.status == 200 and "en cours de confirmation" in text_of(pending.body)
    assert "La facture n° F-2 est payée" in text_of(paid.body)
    assert get("/paiement/retour?session_id=cs_forged").status == 404
    assert "Facture n° F-2" not in text_of(get(link).body)


def test_the_stylesheet_is_served_from_the_portal_itself():
    answer = get("/static/portal.css")

    assert answer.status == 200 and answer.headers["Content-Type"].startswith("text/css")


# -- what the logs and the API keep --------------------------------------------------------------------------

def test_the_portal_logs_no_token_name_or_amount(link, caplog):
    import logging

    caplog.set_level(logging.DEBUG, logger="relance.portal")  # the local runner may have raised its level
    csrf = csrf_of(get(link).body)
    post(link + "/promesse", [("csrf", csrf), ("facture", "F-1"), ("date", "2026-12-01")])
    post(link + "/contestation", [("csrf", "forged"), ("facture", "F-2"), ("motif", "amount")])
    get("/p/forged-token")
    logged = " ".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)

    assert "portal" in logged  # it does log: the route and the outcome
    token = link.removeprefix("/p/")
    for secret in (token, token.split(".")[2], "Menuiserie", "Martin", "1200", "1 200", "forged-token", "C1"):
        assert secret not in logged, secret


def test_the_http_api_throttles_the_portal_s_forms_and_logs_routes_not_paths():
    from relance.local.template import load_template
    from tests.conftest import REPO

    api = load_template(REPO / "template.yaml")["Resources"]["HttpApi"]["Properties"]
    routes = {e["Properties"]["Path"] for e in load_template(REPO / "template.yaml")["Resources"]["PortalFunction"][
        "Properties"]["Events"].values()}

    assert api["RouteSettings"]["POST /p/{token}/{action}"]["ThrottlingRateLimit"] <= 5
    assert "/p/{token}/{action}" in routes and "/p/{token}" in routes
    assert "$context.path" not in api["AccessLogSettings"]["Format"]  # a portal path holds a link's token
    assert "$context.routeKey" in api["AccessLogSettings"]["Format"]


# -- payment plans in self-service (SPEC §2.9) ----------------------------------------------------------------

@pytest.fixture
def self_service(rules, store, links, told):
    """The rules' self-service: up to 3 monthly installments, the last within 100 days, each at least 150 €; the
    written agreement kept in fake documents and e-mailed through a fake sender."""
    from dataclasses import replace

    from relance.app.plan_agreement import portal_agreement
    from relance.domain.plans import PaymentPlanRules, SelfService
    from tests.support.fake_store import FakeDocuments, FakeSender

    limited = replace(rules, payment_plans=PaymentPlanRules(self_service=SelfService(
        max_installments=3, max_days=100, min_installment=Decimal("150"))))
    documents, sender = FakeDocuments(), FakeSender()
    agreement = portal_agreement(rules=limited, documents=documents, history=store, sender=sender,
                                 today=lambda: TODAY, now=lambda: NOW)
    portal = Portal(store=store, rules=limited, today=lambda: TODAY, now=lambda: NOW, agreement=agreement,
                    notify=lambda customer, subject, text: told.append((customer.id, subject, text)))
    web.use(web.Services(rules=limited, links=links, portal=portal, today=lambda: TODAY, now=lambda: NOW,
                         base_url=BASE))
    return documents, sender


def test_the_page_shows_the_proposed_schedule_before_the_debtor_confirms(self_service, link, store):
    page = get(link)
    assert "Voir l’échéancier proposé" in page.body and "Jusqu’à 3 mensualités" in text_of(page.body)
    answer = post(link + "/echeancier", [("csrf", csrf_of(page.body)), ("facture", "F-1"), ("facture", "F-2"),
                                         ("echeances", "3")])

    assert answer.status == 200
    text = text_of(answer.body)
    # 1 500,50 € in three: 400,00 + 100,16 twice, then 400,00 + 100,18 (each invoice's cents on its last one)
    assert "n° 1 16/12/2026 500,16 €" in text and "n° 2 15/01/2027 500,16 €" in text
    assert "n° 3 14/02/2027 500,18 €" in text and "Total 1 500,50 €" in text
    assert "Accepter cet échéancier" in text
    assert all(store.invoice(i)[0].payment_plan is None for i in ("F-1", "F-2"))  # nothing agreed yet
    assert not [e for e in store.history("F-1") if e["kind"].startswith("plan")]


def test_a_plan_inside_the_limits_is_agreed_at_once_written_sent_and_the_manager_told(self_service, link, store,
                                                                                      told):
    documents, sender = self_service
    page = get(link)
    proposal = post(link + "/echeancier", [("csrf", csrf_of(page.body)), ("facture", "F-1"), ("facture", "F-2"),
                                           ("echeances", "3")])
    confirmed = post(link + "/echeancier", re.findall(r'name="([a-z]+)" value="([^"]*)"', proposal.body))

    assert confirmed.status == 303
    assert confirmed.headers["Location"].endswith("?fait=echeancier-accepte#confirmation")
    plan = store.invoice("F-1")[0].payment_plan
    assert plan is not None and plan.agreed_on == TODAY and [i.amount for i in plan.installments] == [
        Decimal("400.00")] * 3
    assert store.invoice("F-2")[0].payment_plan.total == Decimal("300.50")
    agreed = [e for e in store.history("F-1") if e["kind"] == "plan_agreed"]
    assert agreed[0]["by"] == "portal_self_service" and agreed[0]["who"]  # the link's id, as evidence
    assert [key for key in documents.objects if key.startswith("plans/C1/echeancier-2026-11-16-")]
    assert sender.sent[0]["to"] == ["compta@martin.example"]
    assert [e["kind"] for e in store.history("F-2")][-1] == "plan_agreement_sent"
    (text,) = [t for _, s, t in told if s == "Échéancier accepté en ligne"]
    assert "F-1, F-2 (1500.50 €) en 3 échéances" in text and "14/02/2027 : 500.18 €" in text
    assert "envoyé par e-mail" in text
    back = confirmed.headers["Location"].removesuffix("#confirmation")
    assert "Votre échéancier est accepté" in text_of(get(back).body)


def test_a_plan_outside_the_limits_shows_why_and_stays_a_request_for_a_person(self_service, link, store, told):
    documents, sender = self_service
    page = get(link)
    proposal = post(link + "/echeancier", [("csrf", csrf_of(page.body)), ("facture", "F-1"), ("echeances", "4"),
                                           ("commentaire", "Trésorerie tendue")])

    assert proposal.status == 200
    assert "Au plus 3 échéances sans l’accord d’un conseiller." in text_of(proposal.body)
    assert "Envoyer ma demande" in proposal.body and "Accepter cet échéancier" not in proposal.body
    confirmed = post(link + "/echeancier", re.findall(r'name="([a-z]+)" value="([^"]*)"', proposal.body))

    assert confirmed.status == 303 and confirmed.headers["Location"].endswith("?fait=echeancier#confirmation")
    assert store.invoice("F-1")[0].payment_plan is None
    assert store.history("F-1")[-1]["kind"] == "plan_request" and store.history("F-1")[-1]["installments"] == "4"
    assert documents.objects == {} and sender.sent == []
    assert told[-1][1] == "Demande d’échéancier" and "Trésorerie tendue" in told[-1][2]


def test_an_installment_below_the_minimum_is_outside_the_limits(self_service, link):
    page = get(link)
    proposal = post(link + "/echeancier", [("csrf", csrf_of(page.body)), ("facture", "F-2"), ("echeances", "3")])
    assert "Chaque échéance doit être d’au moins 150,00 €." in text_of(proposal.body)
