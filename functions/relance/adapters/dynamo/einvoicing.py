"""E-invoicing lifecycle statuses (``EISTATUS#``, ``EIREVIEW#``): applied once per platform message.

| item                 | pk                    | sk                      | read by                       |
|----------------------|-----------------------|-------------------------|-------------------------------|
| status message, once | EISTATUS#<message id> | MARK                    | condition on apply            |
| kept for review      | EIREVIEW#einvoicing   | <status date>#<message> | Query pk (``relance invoice review``) |
"""

from __future__ import annotations

from datetime import date
from typing import Any

from botocore.exceptions import ClientError

from .items import _s, is_conditional_failure, now_utc
from .table import Table

REVIEW_PK = "EIREVIEW#einvoicing"


class EInvoicingTable(Table):
    def apply_platform_status(self, *, message_id: str, invoice_id: str, code: str, on: date,
                              sets: dict[str, str], when_status: tuple[str, ...] = (),
                              details: dict[str, str] | None = None, review: str = "",
                              known_invoice: bool = True) -> str:
        """Record a platform status once per ``message_id`` (its history event, and ``review`` kept for a
        person when not ""), and apply ``sets`` to the invoice only from ``when_status``, in one transaction.

        ``applied`` (the invoice changed), ``recorded`` (an event only: nothing to change, or the invoice's
        status did not allow it), ``duplicate`` (this message was seen before) or ``unmatched`` (no such
        invoice: kept for review)."""
        at = now_utc()
        fields = {"invoice_ref": invoice_id, "code": code, "date": on.isoformat(), **(details or {})}
        marker = {"Put": {"TableName": self.table, "ConditionExpression": "attribute_not_exists(pk)",
                          "Item": {"pk": _s(f"EISTATUS#{message_id}"), "sk": _s("MARK"),
                                   "type": _s("einvoicing_status"), "at": _s(at),
                                   **{k: _s(v) for k, v in fields.items() if v}}}}
        kept: list[dict[str, Any]] = []
        if review or not known_invoice:
            kept = [{"Put": {"TableName": self.table, "Item": {
                "pk": _s(REVIEW_PK), "sk": _s(f"{on.isoformat()}#{message_id}"), "type": _s("einvoicing_review"),
                "at": _s(at), **{k: _s(v) for k, v in fields.items() if v}, "review": _s(review or "unmatched")}}}]
        if not known_invoice:
            return "unmatched" if self._transact_once([marker, *kept]) else "duplicate"

        def event(outcome: str) -> dict[str, Any]:
            return {"Put": {"TableName": self.table, "Item": {
                "pk": _s(f"INV#{invoice_id}"), "sk": _s(f"EVT#{at}#einvoicing_status#{message_id}"),
                "type": _s("event"), "kind": _s("einvoicing_status"), "channel": _s("platform"),
                "message_id": _s(message_id), "outcome": _s(outcome),
                **{k: _s(v) for k, v in fields.items() if v and k != "invoice_ref"}}}}

        if sets:
            names = {f"#s{i}": k for i, k in enumerate(sets)}
            values: dict[str, Any] = {f":s{i}": _s(v) for i, v in enumerate(sets.values())}
            values[":one"] = {"N": "1"}
            condition = "attribute_exists(pk)"
            if when_status:
                names["#status"] = "status"
                condition += " AND #status IN (" + ", ".join(f":w{i}" for i in range(len(when_status))) + ")"
                values.update({f":w{i}": _s(v) for i, v in enumerate(when_status)})
            update = {"Update": {"TableName": self.table,
                                 "Key": {"pk": _s(f"INV#{invoice_id}"), "sk": _s("STATE")},
                                 "UpdateExpression": "SET " + ", ".join([f"#s{i} = :s{i}" for i in range(len(sets))]
                                                                        + ["version = version + :one"]),
                                 "ConditionExpression": condition, "ExpressionAttributeNames": names,
                                 "ExpressionAttributeValues": values}}
            try:
                self.client.transact_write_items(TransactItems=[marker, update, event("applied"), *kept])
                return "applied"
            except ClientError as err:
                if not is_conditional_failure(err):
                    raise
                reasons = err.response.get("CancellationReasons") or []
                if reasons and reasons[0].get("Code") == "ConditionalCheckFailed":
                    return "duplicate"
        return "recorded" if self._transact_once([marker, event("recorded"), *kept]) else "duplicate"

    def einvoicing_reviews(self) -> list[dict[str, str]]:
        """The platform statuses kept for a person: refusals, rejections, unknown codes, unknown invoices."""
        kwargs: dict[str, Any] = {"TableName": self.table, "KeyConditionExpression": "pk = :p",
                                  "ExpressionAttributeValues": {":p": _s(REVIEW_PK)}, "ConsistentRead": True}
        kept: list[dict[str, str]] = []
        while True:
            page = self.client.query(**kwargs)
            kept.extend({"message_id": item["sk"]["S"].partition("#")[2], "review_key": item["sk"]["S"],
                         **{k: v["S"] for k, v in item.items() if "S" in v and k not in ("pk", "sk", "type")}}
                        for item in page["Items"])
            if "LastEvaluatedKey" not in page:
                return kept
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def mark_einvoicing_reviews_notified(self, kept: list[dict[str, str]], on: date) -> None:
        """Note on each status kept for review the day the company was told of it."""
        for status in kept:
            try:
                self.client.update_item(TableName=self.table, Key={"pk": _s(REVIEW_PK), "sk": _s(status["review_key"])},
                                        UpdateExpression="SET notified_on = :d",
                                        ConditionExpression="attribute_exists(pk)",
                                        ExpressionAttributeValues={":d": _s(on.isoformat())})
            except ClientError as err:
                if not is_conditional_failure(err):
                    raise
