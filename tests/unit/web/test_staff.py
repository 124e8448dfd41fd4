"""The account managers' pages through their router, as a browser reaches them from the call digest's link.

The store is the in-memory fake; the clock is fixed.
"""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from html import unescape
from urllib.parse import urlencode

import pytest

from relance.app import manual
from relance.app.staff import CALL, StaffDesk, StaffLinks
from relance.domain.model import Book, Customer, Invoice
from relance.litigation.history import events_of, timeline
from relance.rules.loader import load_rules
from relance.signing import SigningKey, sign_token
from relance.web import staff as web
from relance.web.http import Request
from tests.conftest import SAMPLE_RULES
from tests.support.fake_store import FakeStore

TODAY = date(2026, 11, 16)
NOW = datetime(2026, 11, 16, 9, 30, tzinfo=UTC)
KEYS = [SigningKey("s2", "staff-new-secret"), SigningKey("s1", "staff-old-secret")]
BASE = "https://paiement.atelier.example"
FORM = "application/x-www-form-urlencoded"
JULIE = "julie@atelier.example"


@pytest.fixture(scope="module")
def rules():
    return load_rules(SAMPLE_RULES).rules


@pytest.fixture
def store():
    store = FakeStore()
    store.seed(Book({"C1": Customer("C1", "Menuiserie Martin SARL", "business", email="compta@martin.example",
                                    phone="+33 1 23 45 67 89", account_manager=JULIE),
                     "C2": Customer("C2", "Camille Durand", "consumer", account_manager="marc@atelier.example")},
                    (Invoice("F-1", "C1", date(2026, 9, 1), date(2026, 10, 1), Decimal("1200.00"), Decimal("1200.00")),
                     Invoice("F-2", "C1", date(2026, 10, 5), date(2026, 11, 4), Decimal("300.50"), Decimal("300.50")),
                     Invoice("F-9", "C2", date(2026, 10, 5), date(2026, 11, 4), Decimal("99.00"), Decimal("99.00")))))
    return store


@pytest.fixture
def links(store):
    return StaffLinks(keys=KEYS, base_url=BASE, store=store, now=lambda: NOW)


@pytest.fixture(autouse=True)
def services(rules, store, links):
    desk = StaffDesk(store=store, rules=rules, links=links, today=lambda: TODAY, now=lambda: NOW)
    web.use(web.Services(rules=rules, links=links, desk=desk, today=lambda: TODAY, now=lambda: NOW, base_url=BASE))
    yield
    web.use(None)


def path_of(url: str) -> str:
    return url.removeprefix(BASE)


def get(path: str, **headers):
    route, _, query = path.partition("?")
    return web.ROUTES.dispatch(Request("GET", route, dict(p.split("=", 1) for p in query.split("&") if p), headers))


def post(path: str, fields: list[tuple[str, str]], **headers):
    return web.ROUTES.dispatch(Request("POST", path, {}, {"content-type": FORM, **headers},
                                       urlencode(fields).encode()))


def csrf_of(body: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', body).group(1)


def text_of(body: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", body)).replace("\u00a0", " ").replace("\u202f", " "))


@pytest.fixture
def link(links):
    return path_of(links.mint(manager=JULIE, action=CALL, customer_id="C1", invoices=["F-1", "F-2"]))


def calls_of(store, invoice_id: str) -> list[dict]:
    return [e for e in store.history(invoice_id) if e["kind"] == "call_made"]


# -- the link ------------------------------------------------------------------------------------------------

def test_a_call_link_shows_the_customer_its_invoices_and_the_outcome_form(link):
    page = get(link)
    text = text_of(page.body)

    assert page.status == 200
    assert "Noter l’issue d’un appel" in text and "Menuiserie Martin SARL" in text and "+33 1 23 45 67 89" in text
    assert "Facture n° F-1" in text and "Facture n° F-2" in text and "F-9" not in text
    assert "01/10/2026, 46 jours de retard" in text and "Reste dû 1 200,00 €" in text
    for label in ("Client joint", "Client injoignable", "Promesse de paiement", "Le client conteste",
                  "Numéro erroné"):
        assert label in text
    assert "Marchandise ou prestation non reçue" in text  # the rules' dispute reasons


def test_the_link_names_no_one_its_claims_are_a_random_id_the_action_and_a_keyed_hash(link):
    token = link.removeprefix("/s/")
    claims = json.loads(base64.urlsafe_b64decode(token.split(".")[2] + "=="))

    assert set(claims) == {"l", "a", "m", "exp"} and claims["a"] == "appel"
    for personal in ("julie", "atelier", "C1", "F-1", "Martin"):
        assert personal not in json.dumps(claims) and personal not in token


def test_forged_expired_revoked_unknown_and_portal_links_all_get_the_same_404(links, store, link):
    not_found = get("/nulle-part").body
    forged = link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB")
    expired = path_of(StaffLinks(keys=KEYS, base_url=BASE, store=store, now=lambda: NOW - timedelta(days=8))
                      .mint(manager=JULIE, action=CALL, customer_id="C1", invoices=["F-1"]))
    revoked = path_of(links.mint(manager=JULIE, action=CALL, customer_id="C1", invoices=["F-1"]))
    assert links.revoke(links.open(revoked.removeprefix("/s/")).link_id)
    unknown = "/s/" + sign_token({"l": "never-issued", "a": "appel", "m": "x"}, KEYS[0], now=NOW, ttl_s=3600)
    other_key = path_of(StaffLinks(keys=[SigningKey("s2", "not-our-secret")], base_url=BASE, store=store,
                                   now=lambda: NOW).mint(manager=JULIE, action=CALL, customer_id="C1",
                                                         invoices=["F-1"]))

    for path in (forged, expired, revoked, unknown, other_key, "/s/v1.s2.e30.AAAA", "/s/" + "x" * 3000):
        answer = get(path)
        assert (answer.status, answer.body) == (404, not_found), path
        assert post(f"{path}/appel", [("csrf", "x"), ("facture", "F-1"), ("issue", "reached")]).status == 404


def test_a_link_made_for_another_manager_does_not_open_once_the_customer_is_not_theirs(links, store):
    # Marc's link on Julie's customer (the customer was handed over, or the record names someone else).
    marcs = path_of(links.mint(manager="marc@atelier.example", action=CALL, customer_id="C1", invoices=["F-1"]))

    assert get(marcs).status == 404
    assert post(f"{marcs}/appel", [("csrf", "x"), ("facture", "F-1"), ("issue", "reached")]).status == 404
    assert calls_of(store, "F-1") == []


def test_a_token_whose_manager_hash_does_not_match_its_record_is_refused(links, store, link):
    token = link.removeprefix("/s/")
    access = links.open(token)
    record = store.staff_link(access.link_id)
    store.keep_staff_link(access.link_id, {**record, "manager": "marc@atelier.example"}, expires_at=0)
    store.seed(Book({"C1": Customer("C1", "Menuiserie Martin SARL", "business",
                                    account_manager="marc@atelier.example")}, ()))

    assert get(link).status == 404


def test_a_link_signed_with_the_previous_key_still_opens_while_it_is_accepted(store):
    old = StaffLinks(keys=[KEYS[1]], base_url=BASE, store=store, now=lambda: NOW)
    assert get(path_of(old.mint(manager=JULIE, action=CALL, customer_id="C1", invoices=["F-1"]))).status == 200


def test_every_staff_page_forbids_scripts_frames_and_referrers(link):
    headers = get(link).headers

    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert "script-src" not in headers["Content-Security-Policy"]
    assert headers["Referrer-Policy"] == "no-referrer" and headers["X-Frame-Options"] == "DENY"
    assert headers["Cache-Control"] == "no-store"


def test_the_staff_router_serves_no_portal_page():
    assert get("/p/anything").status == 404 and get("/static/portal.css").status == 404


# -- recording a call ----------------------------------------------------------------------------------------

def test_a_call_that_gave_a_promise_records_the_call_and_the_promise_with_who_and_when(link, store):
    csrf = csrf_of(get(link).body)
    answer = post(f"{link}/appel", [("csrf", csrf), ("facture", "F-1"), ("issue", "promise"),
                                   ("date", "2026-12-10"), ("note", "virement en fin de mois")])

    assert answer.status == 303 and answer.headers["Location"] == f"{link}?fait=appel#confirmation"
    call, = calls_of(store, "F-1")
    assert call["by"] == JULIE and call["source"] == "staff" and call["at"]
    assert call["note"] == ("Client joint\u00a0: promesse de paiement au plus tard le 10/12/2026. "
                            "virement en fin de mois")
    promise, = [e for e in store.history("F-1") if e["kind"] == "promise"]
    assert promise["until"] == "2026-12-10" and promise["by"] == JULIE
    invoice = store.checked_invoice("F-1")
    assert invoice.promise_to_pay_until == date(2026, 12, 10)
    assert calls_of(store, "F-2") == []  # not ticked
    page = text_of(get(f"{link}?fait=appel").body)
    assert "L’issue de l’appel est enregistrée" in page
    assert f"16/11/2026 – {JULIE} – facture F-1 : Client joint : promesse de paiement" in page


def test_a_call_that_gave_a_dispute_stops_the_reminders_with_the_reason_from_the_rules_list(link, store):
    csrf = csrf_of(get(link).body)
    answer = post(f"{link}/appel", [("csrf", csrf), ("facture", "F-1"), ("facture", "F-2"), ("issue", "dispute"),
                                   ("motif", "defective"), ("note", "porte mal posée")])

    assert answer.status == 303
    for invoice_id in ("F-1", "F-2"):
        assert store.checked_invoice(invoice_id).status == "disputed"
        dispute, = [e for e in store.history(invoice_id) if e["kind"] == "dispute"]
        assert dispute["reason"] == "Travaux ou marchandise non conformes" and dispute["by"] == JULIE


@pytest.mark.parametrize("result, words", [("reached", "Client joint."),
                                           ("not_reached", "Client injoignable"),
                                           ("wrong_number", "Numéro erroné")])
def test_a_call_without_promise_or_dispute_is_a_fact_in_the_history_and_changes_no_state(link, store, result,
                                                                                          words):
    csrf = csrf_of(get(link).body)
    assert post(f"{link}/appel", [("csrf", csrf), ("facture", "F-2"), ("issue", result)]).status == 303

    call, = calls_of(store, "F-2")
    assert call["note"].startswith(words) and call["result"] == result
    invoice = store.checked_invoice("F-2")
    assert invoice.status == "open" and invoice.promise_to_pay_until is None


def test_the_dossier_s_chronology_tells_the_call_as_made_with_what_it_gave(link, store):
    csrf = csrf_of(get(link).body)
    post(f"{link}/appel", [("csrf", csrf), ("facture", "F-1"), ("issue", "not_reached"), ("note", "messagerie")])

    told = [e for e in timeline([], events_of(store.history("F-1"))) if e.kind == "call_made"]
    assert [e.note for e in told] == ["Client injoignable (pas de réponse, message laissé ou non). messagerie"]


@pytest.mark.parametrize("fields, problem", [
    ([("issue", "promise")], "Indiquez la date promise par le client."),
    ([("issue", "promise"), ("date", "2026-11-01")], "La date promise ne peut pas être passée."),
    ([("issue", "dispute")], "Choisissez le motif de la contestation."),
    ([("issue", "dispute"), ("motif", "other")], "Précisez la contestation dans la note."),
    ([("issue", "hurlé")], "Choisissez ce que l’appel a donné."),
    ([("issue", "reached"), ("facture", "F-9")], "Choisissez au moins une facture."),
])
def test_an_incomplete_form_is_shown_again_with_what_is_missing_and_nothing_is_recorded(link, store, fields,
                                                                                          problem):
    csrf = csrf_of(get(link).body)
    chosen = [] if any(k == "facture" for k, _ in fields) else [("facture", "F-1")]
    answer = post(f"{link}/appel", [("csrf", csrf), *chosen, *fields])

    assert answer.status == 400 and problem in text_of(answer.body)
    assert calls_of(store, "F-1") == [] and calls_of(store, "F-9") == []


def test_a_form_without_its_token_or_posted_from_another_site_is_refused(link, store):
    csrf = csrf_of(get(link).body)
    fields = [("facture", "F-1"), ("issue", "reached")]

    assert post(f"{link}/appel", [("csrf", "forged"), *fields]).status == 403
    assert post(f"{link}/appel", [("csrf", csrf), *fields], **{"sec-fetch-site": "cross-site"}).status == 403
    assert post(f"{link}/appel", [("csrf", csrf), *fields], origin="https://evil.example").status == 403
    assert calls_of(store, "F-1") == []
    assert post(f"{link}/appel", [("csrf", csrf), *fields], origin=BASE).status == 303


def test_a_form_token_of_one_link_does_not_serve_another(links, link, store):
    other = path_of(links.mint(manager=JULIE, action=CALL, customer_id="C1", invoices=["F-1"]))
    csrf = csrf_of(get(other).body)

    assert post(f"{link}/appel", [("csrf", csrf), ("facture", "F-1"), ("issue", "reached")]).status == 403


def test_the_page_and_the_command_line_record_a_call_through_the_same_function(link, store, monkeypatch):
    seen = []
    real = manual.record_call
    monkeypatch.setattr(manual, "record_call", lambda *a, **k: seen.append(a[1]) or real(*a, **k))
    post(f"{link}/appel", [("csrf", csrf_of(get(link).body)), ("facture", "F-2"), ("issue", "reached")])

    assert seen == ["F-2"]


def test_the_logs_name_no_token_no_manager_and_no_customer(link, caplog):
    import logging

    with caplog.at_level(logging.INFO, logger="relance.staff"):
        get(link)
        post(f"{link}/appel", [("csrf", csrf_of(get(link).body)), ("facture", "F-1"), ("issue", "reached")])
        get("/s/forged")
    logged = " ".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    for secret in (link.removeprefix("/s/"), JULIE, "Martin", "C1", "F-1"):
        assert secret not in logged


# -- the call digest carries the links -----------------------------------------------------------------------

def test_each_call_of_the_digest_carries_its_manager_s_link_which_opens_that_call_s_page(store, links, rules):
    from email import message_from_bytes, policy

    from relance.app.deliver import send_call_digests
    from tests.support.fake_store import FakeSender

    for customer, manager, ids in (("C1", JULIE, ["F-1", "F-2"]), ("C2", "marc@atelier.example", ["F-9"])):
        store.add_call_task(TODAY, {"message_key": f"m-{customer}", "account_manager": manager, "customer": customer,
                                    "customer_name": customer, "phone": "", "tone": "ferme", "step": "appel",
                                    "script": "Bonjour", "total": "10.00",
                                    "invoices": [{"id": i, "amount_due": "5.00", "days_late": 3, "already": []}
                                                 for i in ids]})
    sender = FakeSender()
    send_call_digests(store=store, sender=sender, rules=rules, day=TODAY, now=NOW, links=links)

    found = {}
    for raw in sender.sent:
        mail = message_from_bytes(raw["raw"], policy=policy.default)
        text = mail.get_body(("plain",)).get_content()
        (url,) = re.findall(re.escape(BASE) + r"/s/\S+", text)
        assert "relance invoice promise" not in text and "lien personnel" in text
        found[str(mail["To"])] = path_of(url)
    julies = text_of(get(found[JULIE]).body)
    assert "Facture n° F-1" in julies and "Facture n° F-2" in julies and "F-9" not in julies
    assert "Facture n° F-9" in text_of(get(found["marc@atelier.example"]).body)


def test_without_staff_links_the_digest_still_gives_the_commands(store, rules):
    from relance.app.deliver import send_call_digests
    from tests.support.fake_store import FakeSender

    store.add_call_task(TODAY, {"message_key": "m", "account_manager": JULIE, "customer": "C1", "customer_name": "C1",
                                "phone": "", "tone": "ferme", "step": "appel", "script": "Bonjour", "total": "1.00",
                                "invoices": [{"id": "F-1", "amount_due": "1.00", "days_late": 3, "already": []}]})
    sender = FakeSender()
    send_call_digests(store=store, sender=sender, rules=rules, day=TODAY, now=NOW)

    assert b"relance invoice promise F-1" in sender.sent[0]["raw"] and b"/s/" not in sender.sent[0]["raw"]


# -- a reply's suggestions -----------------------------------------------------------------------------------

@pytest.fixture
def reply_link(store, links):
    store.keep_reply("R1", {"type": "reply", "raw_key": "inbound/r1", "received_at": "2026-11-16T08:12:00+00:00",
                            "received_on": "2026-11-16", "sender": "compta@martin.example",
                            "sender_name": "Compta Martin", "subject": "RE: Facture F-1", "automatic": False,
                            "customer": "C1", "invoices": ["F-1", "F-2"], "matched_by": "reply_address",
                            "message_key": "k1", "first_lines": "Bonjour,\nje réglerai le 4 décembre.\nCordialement",
                            "suggestions": [{"kind": "promise", "on": "2026-12-04", "excerpt": "je réglerai le 4 "
                                                                                              "décembre"}],
                            "status": "pending"})
    return path_of(links.mint(manager=JULIE, action="suggestion", customer_id="C1", invoices=["F-1", "F-2"],
                              subject="R1"))


def test_a_reply_link_shows_the_reply_and_what_relance_read_in_it(reply_link):
    page = get(reply_link)
    text = text_of(page.body)

    assert page.status == 200
    assert "Réponse d’un client" in text and "RE: Facture F-1" in text and "je réglerai le 4 décembre." in text
    assert "Le client promet de payer" in text and "Les relances attendront jusqu’au 04/12/2026" in text
    assert 'value="2026-12-04"' in page.body and "Classer sans suite" in text


def test_accepting_a_suggested_promise_applies_it_and_marks_the_reply_reviewed_by_the_manager(reply_link, store):
    csrf = csrf_of(get(reply_link).body)
    answer = post(f"{reply_link}/suggestion", [("csrf", csrf), ("suggestion", "promise"), ("date", "2026-12-04")])

    assert answer.status == 303 and answer.headers["Location"] == f"{reply_link}?fait=suggestion#confirmation"
    for invoice_id in ("F-1", "F-2"):
        assert store.checked_invoice(invoice_id).promise_to_pay_until == date(2026, 12, 4)
        reviewed, = [e for e in store.history(invoice_id) if e["kind"] == "reply_reviewed"]
        assert reviewed["by"] == JULIE and reviewed["decision"] == "promise" and reviewed["at"]
    text = text_of(get(f"{reply_link}?fait=suggestion").body)
    assert "Votre décision est enregistrée" in text and f"Réponse examinée par {JULIE}" in text
    assert "promesse acceptée" in text and "Accepter" not in text
    again = post(f"{reply_link}/suggestion", [("csrf", csrf), ("suggestion", "dispute"), ("note", "x")])
    assert again.status == 400 and "déjà été examinée" in text_of(again.body)


def test_dismissing_a_reply_records_the_review_and_changes_no_invoice(reply_link, store):
    csrf = csrf_of(get(reply_link).body)
    assert post(f"{reply_link}/suggestion", [("csrf", csrf), ("suggestion", "dismissed"),
                                             ("note", "simple accusé de réception")]).status == 303

    reviewed, = [e for e in store.history("F-1") if e["kind"] == "reply_reviewed"]
    assert reviewed["decision"] == "dismissed" and reviewed["by"] == JULIE
    assert store.checked_invoice("F-1").promise_to_pay_until is None and store.checked_invoice("F-1").status == "open"


def test_a_suggestion_form_is_refused_on_a_call_link_and_a_call_form_on_a_reply_link(link, reply_link, store):
    assert post(f"{link}/suggestion", [("csrf", csrf_of(get(link).body)), ("suggestion", "dismissed")]).status == 404
    assert post(f"{reply_link}/appel", [("csrf", csrf_of(get(reply_link).body)), ("facture", "F-1"),
                                        ("issue", "reached")]).status == 404
    assert calls_of(store, "F-1") == [] and store.reply("R1")["status"] == "pending"


def test_a_reply_link_about_another_customer_s_reply_opens_nothing(store, links, reply_link):
    wrong = path_of(links.mint(manager="marc@atelier.example", action="suggestion", customer_id="C2",
                               invoices=["F-9"], subject="R1"))

    csrf = links.csrf(links.open(wrong.removeprefix("/s/")))  # its own form token, as if the page had opened

    assert get(wrong).status == 404
    assert post(f"{wrong}/suggestion", [("csrf", csrf), ("suggestion", "dismissed")]).status == 404
    assert store.reply("R1")["status"] == "pending"


# -- an action awaiting approval -----------------------------------------------------------------------------

@pytest.fixture
def approval_link(store, links):
    from relance.app.staff import approval_link
    from relance.ports import ActionRecord

    action = ActionRecord(run_date=TODAY, shard=0, invoice="F-1", customer="C1", segment="standard",
                          scenario="standard", step="mise_en_demeure", channel="registered_letter", tone="formel")
    assert store.request_approval(action, store.invoice("F-1")[1])
    return path_of(approval_link(links, manager=JULIE, customer_id="C1", invoice_id="F-1", step="mise_en_demeure"))


def test_an_approval_link_shows_the_action_awaiting_and_both_choices(approval_link):
    page = get(approval_link)
    text = text_of(page.body)

    assert page.status == 200
    assert "Envoi à approuver" in text and "Mise en demeure" in text and "n° F-1" in text
    assert "Demandé le 16/11/2026" in text
    assert "Approuver l’envoi" in text and "Retenir l’envoi" in text


def test_approving_from_the_link_records_who_and_when_and_a_second_click_changes_nothing(approval_link, store):
    csrf = csrf_of(get(approval_link).body)
    answer = post(f"{approval_link}/approuver", [("csrf", csrf)])

    assert answer.status == 303 and answer.headers["Location"] == f"{approval_link}?fait=approuve#confirmation"
    invoice = store.invoice("F-1")[0]
    assert (invoice.approval.state, invoice.approval.by, invoice.approval.decided_on) == ("approved", JULIE, TODAY)
    approved, = [e for e in store.history("F-1") if e["kind"] == "approved"]
    assert approved["by"] == JULIE and approved["at"]
    text = text_of(get(f"{approval_link}?fait=approuve").body)
    assert "Envoi approuvé : il part au prochain passage" in text and f"Envoi approuvé par {JULIE}" in text
    again = post(f"{approval_link}/approuver", [("csrf", csrf)])
    assert again.status == 409 and "déjà fait" in text_of(again.body)
    assert len([e for e in store.history("F-1") if e["kind"] == "approved"]) == 1


def test_holding_from_the_link_keeps_it_from_going_and_it_may_be_approved_later(approval_link, store):
    csrf = csrf_of(get(approval_link).body)
    assert post(f"{approval_link}/retenir", [("csrf", csrf)]).status == 303
    assert store.invoice("F-1")[0].approval.state == "held"
    assert "Envoi retenu par" in text_of(get(approval_link).body)

    assert post(f"{approval_link}/approuver", [("csrf", csrf)]).status == 303
    assert store.invoice("F-1")[0].approval.state == "approved"


def test_an_approval_form_without_its_token_or_from_another_site_decides_nothing(approval_link, store):
    csrf = csrf_of(get(approval_link).body)

    assert post(f"{approval_link}/approuver", [("csrf", "forged")]).status == 403
    assert post(f"{approval_link}/approuver", [("csrf", csrf)], **{"sec-fetch-site": "cross-site"}).status == 403
    assert post(f"{approval_link}/retenir", [("csrf", csrf)], origin="https://evil.example").status == 403
    assert store.invoice("F-1")[0].approval.state == "pending"


def test_a_call_link_cannot_approve_and_an_approval_link_cannot_record_a_call(link, approval_link, store):
    assert post(f"{link}/approuver", [("csrf", csrf_of(get(link).body))]).status == 404
    assert post(f"{approval_link}/appel", [("csrf", csrf_of(get(approval_link).body)), ("facture", "F-1"),
                                           ("issue", "reached")]).status == 404
    assert store.invoice("F-1")[0].approval.state == "pending" and calls_of(store, "F-1") == []


def test_the_digest_hook_gives_approve_and_hold_addresses_that_open_the_same_confirming_page(links, store,
                                                                                             approval_link):
    from relance.app.approvals import Awaiting
    from relance.app.staff import approval_links_of

    approve, hold = approval_links_of(links)(Awaiting("F-1", "C1", "mise_en_demeure", "registered_letter", "formel",
                                                      "standard", TODAY, JULIE))
    assert approve.endswith("?choix=approuver#decision") and hold.endswith("?choix=retenir#decision")
    assert get(path_of(approve.split("#")[0])).status == 200  # a GET shows, never decides
    assert store.invoice("F-1")[0].approval.state == "pending"


def test_the_reply_notice_carries_the_link_whose_page_applies_the_suggestion(store, links, rules):
    from email import message_from_bytes, policy

    from relance.app.replies import receive_reply
    from tests.support.fake_store import FakeDocuments, FakeSender
    from tests.unit.test_replies import DOMAIN, french_reply, token_for

    token = token_for(store, ["F-1"])
    documents, sender = FakeDocuments(), FakeSender()
    documents.put("inbound/m1", french_reply("Bonjour, je réglerai le 4 décembre.", To=f"<r+{token}@{DOMAIN}>"),
                  "message/rfc822")
    outcome = receive_reply("inbound/m1", store=store, documents=documents, sender=sender, rules=rules,
                            reply_domain=DOMAIN, today=TODAY, now=NOW, links=links)

    assert outcome.outcome == "matched" and outcome.notified == JULIE
    notice = message_from_bytes(sender.sent[-1]["raw"], policy=policy.default).get_body(("plain",)).get_content()
    (url,) = re.findall(re.escape(BASE) + r"/s/\S+", notice)
    page = get(path_of(url))
    assert page.status == 200 and "je réglerai le 4 décembre" in text_of(page.body)
    answer = post(f"{path_of(url)}/suggestion", [("csrf", csrf_of(page.body)), ("suggestion", "promise"),
                                                 ("date", "2026-12-04")])
    assert answer.status == 303
    assert store.checked_invoice("F-1").promise_to_pay_until == date(2026, 12, 4)
    assert store.reply(outcome.reply_id)["reviewed_by"] == JULIE
