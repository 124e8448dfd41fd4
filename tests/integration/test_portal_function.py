"""The PortalFunction on the local stack, through the real handler, with the loopback fake of Stripe: a link in an
e-mail the EmailFunction sent, the page it opens, a payment the webhook applies, and what the portal's role allows.
"""

from __future__ import annotations

import re
import urllib.parse
from decimal import Decimal

import pytest

from relance.adapters.stripe_checkout import StripeCheckout
from relance.local.portal import LocalPortal, http_event, pay_first_invoice
from relance.ports import CheckoutLine, PermanentProviderError
from relance.signing import sign_token

from .conftest import book, business, invoice
from .test_channels import enqueue, message, sent_emails
from .test_least_privilege import dynamodb_requests, recorded_calls, refused

DAY = {"RELANCE_TODAY": "2026-11-02"}


@pytest.fixture
def portal(stack, functions):
    with LocalPortal(stack, today="2026-11-02") as portal:
        functions.env.update(portal.env)
        portal.attach(functions)
        yield portal


@pytest.fixture
def seeded(store):
    store.seed(book([business("C1", email="compta@martin.example"), business("C2", email="c2@example.fr")],
                    [invoice("F1", "C1", amount="1200.00"), invoice("F2", "C1", amount="80.00"),
                     invoice("F9", "C2", amount="99.00")]))


def emailed_link(stack, functions, portal) -> str:
    enqueue(stack, "EmailQueue", message("F1", "F2"))
    functions.drain("EmailQueue", "EmailFunction", **DAY)
    (mail,) = sent_emails(stack)
    text = mail.get_body(("plain",)).get_content()
    found = re.search(r"Régler en ligne ou nous répondre : (\S+)", text)
    assert found, text
    return found.group(1)


def test_the_e_mail_carries_a_link_that_opens_the_customer_s_invoices(stack, functions, portal, seeded):
    link = emailed_link(stack, functions, portal)
    answer = portal.invoke(http_event("GET", link.removeprefix(portal.url), {}))

    assert link.startswith(f"{portal.url}/p/v1.demo1.")
    assert answer["statusCode"] == 200
    assert "Facture n° F1" in answer["body"] and "Facture n° F2" in answer["body"] and "F9" not in answer["body"]
    assert answer["headers"]["Referrer-Policy"] == "no-referrer"


def test_a_token_signed_with_an_unknown_key_or_for_nothing_gets_the_404(stack, functions, portal, seeded):
    from datetime import UTC, datetime

    from relance.signing import SigningKey

    forged = sign_token({"l": "x"}, SigningKey("demo1", "guessed"), now=datetime.now(UTC), ttl_s=600)
    answers = [portal.invoke(http_event("GET", f"/p/{forged}", {})),
               portal.invoke(http_event("GET", "/p/nothing", {}))]

    assert [a["statusCode"] for a in answers] == [404, 404]
    assert answers[0]["body"] == answers[1]["body"]


def test_paying_through_the_fake_checkout_marks_the_invoice_paid_through_the_real_webhook(
        stack, functions, portal, seeded, store):
    link = emailed_link(stack, functions, portal)
    visit = pay_first_invoice(link)

    assert visit["paid"] is True and visit["invoice"] == "F1"
    assert "p/" not in visit["return_url"]  # the return URL carries no token
    assert portal.webhook_answers == [{"status": 200, "outcome": "paid"}]
    assert store.invoice("F1")[0].status == "paid" and store.invoice("F2")[0].status == "open"
    (session,) = portal.stripe.sessions.values()
    assert session["metadata"] == {"invoice_id": "F1"} and session["payment_method_types"] == ["card", "sepa_debit"]
    assert session["amount_total"] == 120000 and session["locale"] == "fr"
    kinds = [e["kind"] for e in store.history("F1")]
    assert "checkout_started" in kinds and "payment" in " ".join(kinds)
    # The payment is known to come through the portal: the dashboard counts what the portal recovered.
    assert [p.source for p in store.invoice("F1")[0].payments] == ["portal"]
    assert [e.get("source") for e in store.history("F1") if e["kind"] == "payment"] == ["portal"]


def test_the_portal_needs_no_more_than_its_role(stack, functions, portal, seeded, store):
    link = emailed_link(stack, functions, portal)
    path = link.removeprefix(portal.url)
    with recorded_calls() as calls:
        page = portal.invoke(http_event("GET", path, {}))
        csrf = re.search(r'name="csrf" value="([^"]+)"', page["body"]).group(1)
        for action, fields in (("promesse", {"facture": "F1", "date": "2026-11-20"}),
                               ("contestation", {"facture": "F2", "motif": "amount", "commentaire": "trop"}),
                               # F2 is contested by then: a plan on it is a request, with or without self-service
                               ("echeancier", {"facture": "F2", "echeances": "3", "confirmer": "1"}),
                               ("payer", {"facture": "F1"})):
            body = urllib.parse.urlencode({"csrf": csrf, **fields}).encode()
            answer = portal.invoke(http_event("POST", f"{path}/{action}", {
                "content-type": "application/x-www-form-urlencoded"}, body))
            assert answer["statusCode"] == 303, (action, answer["body"][:500])
        portal.invoke(http_event("GET", "/paiement/retour?session_id=" + next(iter(portal.stripe.sessions)), {}))
    requests = dynamodb_requests(calls, stack.physical["DataTable"])

    assert {action for action, _ in requests} >= {"dynamodb:GetItem", "dynamodb:Query", "dynamodb:UpdateItem"}
    assert refused("PortalFunction", requests) == []
    s3 = {operation for service, operation, _ in calls if service == "s3"}
    assert s3 <= {"HeadObject", "GetObject"}
    assert store.invoice("F1")[0].promise_to_pay_until.isoformat() == "2026-11-20"
    assert store.invoice("F2")[0].status == "disputed"


def test_the_adapter_and_stripe_s_own_library_both_get_a_session_from_the_fake(portal):
    import stripe

    ours = StripeCheckout(portal.stripe.api_key, api_base=portal.stripe.url).create_session(
        lines=[CheckoutLine("F-1", Decimal("12.34"), "Facture F-1")], currency="EUR",
        success_url="https://p.example/retour?session_id={CHECKOUT_SESSION_ID}", cancel_url="https://p.example/x")
    both = StripeCheckout(portal.stripe.api_key, api_base=portal.stripe.url).create_session(
        lines=[CheckoutLine("F-1", Decimal("12.34"), "Facture F-1"),
               CheckoutLine("F-3", Decimal("0.66"), "Facture F-3")],
        currency="EUR", success_url="https://p.example/retour", cancel_url="https://p.example/x")
    client = stripe.StripeClient(portal.stripe.api_key, base_addresses={"api": portal.stripe.url})
    theirs = getattr(client, "v1", client).checkout.sessions.create(params={
        "mode": "payment", "success_url": "https://p.example/ok", "metadata": {"invoice_id": "F-2"},
        "line_items": [{"quantity": 1, "price_data": {"currency": "eur", "unit_amount": 500,
                                                      "product_data": {"name": "Facture F-2"}}}]})

    assert ours.id.startswith("cs_test_") and ours.url.startswith(portal.stripe.url)
    assert portal.stripe.sessions[ours.id]["amount_total"] == 1234
    assert portal.stripe.sessions[ours.id]["metadata"] == {"invoice_id": "F-1"}
    assert portal.stripe.sessions[both.id]["amount_total"] == 1300
    assert portal.stripe.sessions[both.id]["metadata"] == {"invoice_ids": "F-1,F-3", "invoice_amounts": "12.34,0.66"}
    assert theirs.metadata["invoice_id"] == "F-2" and portal.stripe.sessions[theirs.id]["amount_total"] == 500
    with pytest.raises(PermanentProviderError):
        StripeCheckout("sk_wrong", api_base=portal.stripe.url).create_session(
            lines=[CheckoutLine("F-1", Decimal("1"), "x")], currency="EUR", success_url="https://p.example",
            cancel_url="https://p.example")


def test_without_its_link_keys_the_e_mail_still_goes_out_without_a_link(stack, functions, seeded):
    functions.env.update({"PORTAL_URL": "https://paiement.example.fr"})  # the keys' parameter was never created
    enqueue(stack, "EmailQueue", message("F1"))
    functions.drain("EmailQueue", "EmailFunction", **DAY)
    (mail,) = sent_emails(stack)
    text = mail.get_body(("plain",)).get_content()

    assert "F1" in text and "Régler en ligne" not in text and "paiement.example.fr" not in text


SELF_SERVICE = """
payment_plans:
  self_service:
    when:
      customer.kind: business
    max_installments: 3
    max_days: 90
    min_installment: 100
"""


def test_a_plan_agreed_in_self_service_is_written_and_sent_within_the_portal_s_role(stack, portal, seeded, store,
                                                                                     tmp_path):
    import shutil

    from relance.local.runner import LocalFunctions

    from ..conftest import SAMPLE_RULES

    shutil.copytree(SAMPLE_RULES, tmp_path / "rules")
    main = tmp_path / "rules" / "relance.yaml"
    if "\npayment_plans:" not in main.read_text(encoding="utf-8"):
        main.write_text(main.read_text(encoding="utf-8") + SELF_SERVICE, encoding="utf-8")
    functions = LocalFunctions(stack, tmp_path / "rules", portal.env)
    portal.attach(functions)
    link = emailed_link(stack, functions, portal)
    path = link.removeprefix(portal.url)
    with recorded_calls() as calls:
        page = portal.invoke(http_event("GET", path, {}))
        csrf = re.search(r'name="csrf" value="([^"]+)"', page["body"]).group(1)
        form = {"content-type": "application/x-www-form-urlencoded"}
        fields = [("csrf", csrf), ("facture", "F1"), ("echeances", "3")]
        shown = portal.invoke(http_event("POST", f"{path}/echeancier", form, urllib.parse.urlencode(fields).encode()))
        assert shown["statusCode"] == 200 and "Accepter cet échéancier" in shown["body"]
        confirmed = portal.invoke(http_event("POST", f"{path}/echeancier", form, urllib.parse.urlencode(
            [*fields, ("confirmer", "1")]).encode()))
    requests = dynamodb_requests(calls, stack.physical["DataTable"])

    assert confirmed["statusCode"] == 303 and "fait=echeancier-accepte" in confirmed["headers"]["Location"]
    assert refused("PortalFunction", requests) == []
    written = [params["Key"] for service, operation, params in calls if (service, operation) == ("s3", "PutObject")]
    assert len(written) == 1 and written[0].startswith("plans/C1/echeancier-2026-11-02-")
    assert [i.amount for i in store.invoice("F1")[0].payment_plan.installments] == [Decimal("400.00")] * 3
    kinds = [e["kind"] for e in store.history("F1")]
    assert kinds.count("plan_agreed") == 1 and kinds.count("plan_agreement_sent") == 1
