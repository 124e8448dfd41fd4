"""The StaffFunction on the local stack, through the real handler: a call task, the digest the DigestFunction
sends with its link, the page it opens, the outcome recorded — and what the function's role allows.
"""

from __future__ import annotations

import re
import urllib.parse

import pytest

from relance.local.portal import LocalPortal, http_event

from .conftest import book, business, invoice
from .test_channels import enqueue, message, sent_emails
from .test_least_privilege import dynamodb_requests, recorded_calls, refused

DAY = {"RELANCE_TODAY": "2026-11-02"}
FORM = {"content-type": "application/x-www-form-urlencoded"}


@pytest.fixture
def portal(stack, functions):
    with LocalPortal(stack, today="2026-11-02") as portal:
        functions.env.update(portal.env)
        portal.attach(functions)
        yield portal


@pytest.fixture
def seeded(store):
    store.seed(book([business("C1", account_manager="julie@atelier.example"),
                     business("C2", account_manager="marc@atelier.example")],
                    [invoice("F1", "C1", amount="1200.00"), invoice("F2", "C1", amount="80.00"),
                     invoice("F9", "C2", amount="99.00")]))
    return store


def digest_link(stack, functions, portal) -> str:
    enqueue(stack, "PhoneQueue", message("F1", "F2", channel="phone", tone="factuel", step="relance_2"))
    functions.drain("PhoneQueue", "PhoneFunction", **DAY)
    functions.invoke("DigestFunction", {"run_date": "2026-11-02"}, **DAY)
    (digest,) = [m for m in sent_emails(stack) if "Appels de relance" in m["Subject"]]
    assert digest["To"] == "julie@atelier.example"
    found = re.search(re.escape(portal.url) + r"/s/\S+", digest.get_body(("plain",)).get_content())
    assert found, digest.get_body(("plain",)).get_content()
    return found.group(0).removeprefix(portal.url)


def test_the_digest_s_link_opens_the_call_page_and_records_what_the_call_gave(stack, functions, portal, seeded):
    path = digest_link(stack, functions, portal)
    page = portal.invoke(http_event("GET", path, {}))

    assert path.startswith("/s/v1.staffdemo1.")
    assert page["statusCode"] == 200 and "Facture n° F1" in page["body"] and "F9" not in page["body"]
    assert "script-src" not in page["headers"]["Content-Security-Policy"]
    csrf = re.search(r'name="csrf" value="([^"]+)"', page["body"]).group(1)
    body = urllib.parse.urlencode([("csrf", csrf), ("facture", "F1"), ("facture", "F2"), ("issue", "promise"),
                                   ("date", "2026-11-20"), ("note", "virement le 20")]).encode()
    answer = portal.invoke(http_event("POST", f"{path}/appel", FORM, body))

    assert answer["statusCode"] == 303
    for invoice_id in ("F1", "F2"):
        call = next(e for e in seeded.history(invoice_id) if e["kind"] == "call_made")
        assert call["by"] == "julie@atelier.example" and call["source"] == "staff"
        assert seeded.invoice(invoice_id)[0].promise_to_pay_until.isoformat() == "2026-11-20"


def test_a_forged_or_a_portal_token_gets_the_same_404_as_nothing(stack, functions, portal, seeded):
    path = digest_link(stack, functions, portal)
    forged = path[:-4] + ("AAAA" if not path.endswith("AAAA") else "BBBB")
    answers = [portal.invoke(http_event("GET", p, {})) for p in (forged, "/s/nothing", "/s/" + "v1.demo1.e30.x")]

    assert [a["statusCode"] for a in answers] == [404, 404, 404]
    assert len({a["body"] for a in answers}) == 1


def test_the_staff_pages_need_no_more_than_their_role(stack, functions, portal, seeded):
    path = digest_link(stack, functions, portal)
    with recorded_calls() as calls:
        page = portal.invoke(http_event("GET", path, {}))
        csrf = re.search(r'name="csrf" value="([^"]+)"', page["body"]).group(1)
        for fields in ([("facture", "F1"), ("issue", "dispute"), ("motif", "amount")],
                       [("facture", "F2"), ("issue", "wrong_number")]):
            body = urllib.parse.urlencode([("csrf", csrf), *fields]).encode()
            assert portal.invoke(http_event("POST", f"{path}/appel", FORM, body))["statusCode"] == 303
        portal.invoke(http_event("GET", path, {}))
    requests = dynamodb_requests(calls, stack.physical["DataTable"])

    assert {action for action, _ in requests} >= {"dynamodb:GetItem", "dynamodb:Query", "dynamodb:UpdateItem"}
    assert refused("StaffFunction", requests) == []
    assert {service for service, _, _ in calls} <= {"dynamodb", "ssm"}
    assert seeded.invoice("F1")[0].status == "disputed"


def test_approving_and_a_reply_s_suggestion_need_no_more_than_the_role(stack, functions, portal, seeded):
    from datetime import UTC, date, datetime

    from relance.app.staff import SUGGESTION, StaffLinks, approval_link, keys_from_secret
    from relance.local.portal import PORTAL_SECRETS
    from relance.ports import ActionRecord

    links = StaffLinks(keys=keys_from_secret(PORTAL_SECRETS["/relance/staff/link-keys"]), base_url=portal.url,
                       store=seeded, now=lambda: datetime.now(UTC))
    action = ActionRecord(run_date=date(2026, 11, 2), shard=0, invoice="F1", customer="C1", segment="standard",
                          scenario="standard", step="mise_en_demeure", channel="registered_letter", tone="formel")
    assert seeded.request_approval(action, seeded.invoice("F1")[1])
    approve = approval_link(links, manager="julie@atelier.example", customer_id="C1", invoice_id="F1",
                            step="mise_en_demeure").removeprefix(portal.url)
    seeded.keep_reply("R1", {"type": "reply", "customer": "C1", "invoices": ["F2"], "status": "pending",
                             "subject": "RE: relance", "first_lines": "je conteste", "received_on": "2026-11-02",
                             "suggestions": [{"kind": "dispute", "excerpt": "je conteste"}]})
    reply = links.mint(manager="julie@atelier.example", action=SUGGESTION, customer_id="C1", invoices=["F2"],
                       subject="R1").removeprefix(portal.url)
    with recorded_calls() as calls:
        for path, action_path, fields in ((approve, "approuver", []),
                                          (reply, "suggestion", [("suggestion", "dispute"), ("note", "prix")])):
            page = portal.invoke(http_event("GET", path, {}))
            assert page["statusCode"] == 200, page["body"][:300]
            csrf = re.search(r'name="csrf" value="([^"]+)"', page["body"]).group(1)
            body = urllib.parse.urlencode([("csrf", csrf), *fields]).encode()
            answer = portal.invoke(http_event("POST", f"{path}/{action_path}", FORM, body))
            assert answer["statusCode"] == 303, answer["body"][:500]
    requests = dynamodb_requests(calls, stack.physical["DataTable"])

    assert refused("StaffFunction", requests) == []
    assert seeded.invoice("F1")[0].approval.state == "approved"
    assert seeded.invoice("F2")[0].status == "disputed" and seeded.reply("R1")["status"] == "reviewed"
