"""What the internet-facing functions really ask of DynamoDB and S3, against what template.yaml grants them.

The local stack does not enforce IAM: these tests record every call a function makes while it handles a real
request, and check each one against its role's statements (actions, and the partition keys allowed by the
``dynamodb:LeadingKeys`` condition). A new code path that needs more fails here, not in production.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from fnmatch import fnmatchcase
from typing import Any

import botocore.client
import pytest

from relance.domain.sharding import shard_of
from relance.local.demo import put_demo_secrets, signed_http_event, stripe_invoice_paid
from relance.local.template import load_template
from relance.ports import ActionRecord

from ..conftest import REPO
from .conftest import SHARDS, book, business, invoice
from .test_channels import enqueue, http_event, message
from .test_webhook_function import stripe_header

DAY = {"RELANCE_TODAY": "2026-11-02"}


@contextmanager
def recorded_calls() -> Iterator[list[tuple[str, str, dict[str, Any]]]]:
    calls: list[tuple[str, str, dict[str, Any]]] = []
    original = botocore.client.BaseClient._make_api_call

    def record(self, operation_name, api_params):
        calls.append((self.meta.service_model.service_name, operation_name, api_params))
        return original(self, operation_name, api_params)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(botocore.client.BaseClient, "_make_api_call", record)
        yield calls


def dynamodb_requests(calls, table: str) -> list[tuple[str, str]]:
    """(IAM action, partition key) of each DynamoDB item request on ``table``."""
    out = []
    for service, operation, params in calls:
        if service != "dynamodb":
            continue
        if operation == "TransactWriteItems":
            for item in params["TransactItems"]:
                (kind, request), = item.items()
                action = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem",
                          "ConditionCheck": "ConditionCheckItem"}[kind]
                key = request.get("Key") or request["Item"]
                if request["TableName"] == table:
                    out.append((f"dynamodb:{action}", key["pk"]["S"]))
        elif operation in ("BatchWriteItem", "BatchGetItem"):
            for request in params["RequestItems"].get(table, []):
                out.append((f"dynamodb:{operation}", json.dumps(request)))
        elif params.get("TableName") == table:
            if operation == "Query":
                pk = params["ExpressionAttributeValues"][":p"]["S"]
            else:
                pk = (params.get("Key") or params["Item"])["pk"]["S"]
            out.append((f"dynamodb:{operation}", pk))
    return out


def granted(function: str) -> list[dict]:
    spec = load_template(REPO / "template.yaml")["Resources"][function]["Properties"]
    return [s for policy in spec["Policies"] if "Statement" in policy for s in policy["Statement"]]


def allowed(function: str, action: str, pk: str) -> bool:
    for statement in granted(function):
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        if action not in actions:
            continue
        patterns = statement.get("Condition", {}).get("ForAllValues:StringLike", {}).get("dynamodb:LeadingKeys")
        if patterns is None or any(fnmatchcase(pk, p) for p in patterns):
            return True
    return False


def refused(function: str, requests: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(action, pk) for action, pk in requests if not allowed(function, action, pk)]


def test_the_payment_webhook_needs_no_more_than_its_role(stack, store, functions):
    put_demo_secrets(stack)
    store.seed(book([business()], [invoice("F1", amount="1200.00")]))
    shard = shard_of("C1", SHARDS)
    snapshot = store.open_invoices(shard)
    # A reminder recorded but not queued yet: the payment cancels it (the path that used to delete).
    store.record_action(ActionRecord("F1", "C1", "standard", "standard", "relance_1", "email", "courtois",
                                     run_date=date(2026, 11, 2), shard=shard), snapshot.versions["F1"])
    body = stripe_invoice_paid("F1", Decimal("1200.00"), date(2026, 11, 16))
    with recorded_calls() as calls:
        answer = functions.invoke("WebhookFunction",
                                  signed_http_event("/webhooks/stripe", body, "stripe-signature", stripe_header(body)))
    assert answer["statusCode"] == 200
    requests = dynamodb_requests(calls, stack.physical["DataTable"])
    assert {action for action, _ in requests} >= {"dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem",
                                                  "dynamodb:UpdateItem"}
    assert refused("WebhookFunction", requests) == []
    assert store.pending_outbox(shard) == [] and [e["kind"] for e in store.history("F1")][-1] == "action_cancelled"


def test_the_postal_status_callback_needs_no_more_than_its_role(stack, store, functions):
    from relance.adapters.postal_callback import sign_status_callback

    store.seed(book([business("C1", address={"line1": "3 rue des Lilas", "postal_code": "69003", "city": "Lyon"})],
                    [invoice("F5", "C1", history=[{"step": "mise_en_demeure", "date": "2026-11-02",
                                                   "channel": "registered_letter"}])]))
    stack.client("ssm").put_parameter(Name="/relance/postal/callback-secret", Value="s3cret", Type="SecureString")
    enqueue(stack, "RegisteredLetterQueue", message("F5", channel="registered_letter", tone="formel",
                                                    step="mise_en_demeure"))
    functions.drain("RegisteredLetterQueue", "LetterFunction", **DAY)
    (sent,) = [e for e in store.history("F5") if e["kind"] == "sent"]
    body = json.dumps({"provider_id": sent["provider_id"], "status": "delivered", "event_date": "2026-11-05",
                       "delivered_on": "2026-11-05", "tracking_number": sent["tracking_number"]}).encode()
    signed = {"x-relance-signature": sign_status_callback(body, "s3cret", now=datetime.now(UTC))}
    with recorded_calls() as calls:
        answer = functions.invoke("PostalStatusFunction", http_event(body, signed))
    assert json.loads(answer["body"]) == {"outcomes": ["recorded"]}
    requests = dynamodb_requests(calls, stack.physical["DataTable"])
    assert refused("PostalStatusFunction", requests) == []
    s3_actions = {f"s3:{operation}" for service, operation, _ in calls if service == "s3"}
    assert all(allowed("PostalStatusFunction", a, "") for a in s3_actions)
