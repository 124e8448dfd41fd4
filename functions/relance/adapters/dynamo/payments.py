"""Payments (``PAYEVT#``, ``CHARGE#``, ``REVIEW#``, ``UNMATCHED#``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from ...domain.model import (
    Invoice,
)
from ...domain.sharding import shard_of
from .items import (
    OPEN_STATUSES,
    _s,
    is_conditional_failure,
    now_utc,
)
from .table import Table


class PaymentTable(Table):
    """Payments and refunds applied once per provider event, and those kept for review."""

    # -- payments and what people learn ----------------------------------------------------------
    def apply_payment(self, *, provider: str, event_id: str, invoice_id: str, amount: Decimal, currency: str,
                      on: date, kind: str = "payment", details: dict[str, str] | None = None, charge: str = "",
                      charge_refunded: Decimal | None = None, refund_ids: Sequence[str] = ()) -> str:
        """Apply a payment or refund once per provider event; returns the outcome.

        "duplicate" (this event was already applied), "unmatched" (no such invoice: kept for review),
        "review" (a provider's payment in another currency than the invoice's, or not in euros: kept for
        review under ``REVIEW#<provider>``, never applied), or the effect: "partial", "paid", "overpaid",
        "refund", "reopened". Two events at once are serialised by the invoice's version: the loser reads
        again and applies on top.

        A refund of a card ``charge`` whose cumulative ``charge_refunded`` is known (Stripe) counts what is
        new: that total less what relance already counted for the charge (kept under ``CHARGE#<provider>``,
        updated in the same transaction). Nothing new is "duplicate". ``refund_ids`` go on the history.
        """
        from ...domain.payments import apply_payment, apply_refund, currency_problem

        marker = {"Put": {"TableName": self.table, "ConditionExpression": "attribute_not_exists(pk)",
                          "Item": {"pk": _s(f"PAYEVT#{provider}"), "sk": _s(event_id), "type": _s("payment_event"),
                                   "invoice": _s(invoice_id), "at": _s(now_utc())}}}
        for _ in range(10):
            found = self.invoice(invoice_id) if invoice_id else None
            if found is None:
                try:
                    self.client.transact_write_items(TransactItems=[marker, {"Put": {
                        "TableName": self.table, "Item": {
                            "pk": _s(f"UNMATCHED#{provider}"), "sk": _s(event_id), "type": _s("unmatched_payment"),
                            "invoice_ref": _s(invoice_id), "amount": _s(str(amount)), "currency": _s(currency),
                            "date": _s(on.isoformat()), "kind": _s(kind), "at": _s(now_utc())}}}])
                except ClientError as err:
                    if is_conditional_failure(err):
                        return "duplicate"
                    raise
                return "unmatched"
            invoice, version = found
            # What a person records by hand is in the invoice's currency; what a provider reports is checked.
            problem = None if provider == "manual" else currency_problem(invoice.currency, currency)
            if problem is not None:
                return self._keep_for_review(marker, provider=provider, event_id=event_id, invoice=invoice,
                                             amount=amount, currency=currency, on=on, kind=kind, reason=problem,
                                             details=details)
            extra_items: list[dict[str, Any]] = []
            applied, new_ids = amount, list(refund_ids)
            if kind == "refund" and charge and charge_refunded is not None:
                counted, new_ids, guard = self._charge_refunds(provider, charge, charge_refunded, refund_ids)
                applied = charge_refunded - counted
                if applied <= 0:
                    return self._mark_only(marker)
                extra_items.append(guard)
            effect = apply_refund(invoice, applied) if kind == "refund" else apply_payment(invoice, applied, on)
            sets = ["amount_due = :due", "#st = :status", "version = version + :one",
                    "payments = list_append(if_not_exists(payments, :empty), :payment)"]
            removes: list[str] = []
            signed = -applied if kind == "refund" else applied
            values: dict[str, Any] = {
                ":due": _s(str(effect.amount_due)), ":status": _s(effect.status), ":one": {"N": "1"},
                ":v": {"N": str(version)}, ":empty": {"L": []},
                ":payment": {"L": [{"M": {"date": _s(on.isoformat()), "amount": _s(str(signed)),
                                          "provider": _s(provider), "event_id": _s(event_id),
                                          **({"source": _s(source)} if (source := (details or {}).get("source"))
                                             else {})}}]}}
            if effect.paid_on is not None:
                sets.append("paid_on = :paid_on")
                values[":paid_on"] = _s(effect.paid_on.isoformat())
            else:
                removes.append("paid_on")
            if effect.overpaid > 0:
                sets.append("overpaid = :over")
                values[":over"] = _s(str(effect.overpaid))
            if effect.status in OPEN_STATUSES and effect.amount_due > 0:
                shard = shard_of(invoice.customer_id, self.shards)
                sets += ["open_shard = :shard", "open_due = :open_due"]
                values[":shard"] = _s(str(shard))
                values[":open_due"] = _s(f"{invoice.due_date.isoformat()}#{invoice.id}")
            else:
                removes += ["open_shard", "open_due"]
            update = f"SET {', '.join(sets)}" + (f" REMOVE {', '.join(removes)}" if removes else "")
            event = {"pk": _s(f"INV#{invoice_id}"), "sk": _s(f"EVT#{now_utc()}#{kind}#{event_id}"),
                     "type": _s("event"), "kind": _s(kind), "at": _s(now_utc()), "date": _s(on.isoformat()),
                     "amount": _s(str(applied)), "currency": _s(currency), "provider": _s(provider),
                     "provider_id": _s(event_id), "outcome": _s(effect.outcome),
                     **{k: _s(v) for k, v in (details or {}).items() if v}}
            if charge:
                event["charge"] = _s(charge)
            if new_ids:
                event["refund_ids"] = {"L": [_s(rid) for rid in new_ids]}
            try:
                self.client.transact_write_items(TransactItems=[
                    marker,
                    {"Update": {"TableName": self.table, "Key": {"pk": _s(f"INV#{invoice_id}"), "sk": _s("STATE")},
                                "UpdateExpression": update, "ConditionExpression": "version = :v",
                                "ExpressionAttributeNames": {"#st": "status"}, "ExpressionAttributeValues": values}},
                    {"Put": {"TableName": self.table, "Item": event}},
                    *extra_items,
                ])
            except ClientError as err:
                reasons = err.response.get("CancellationReasons") or []
                if reasons and reasons[0].get("Code") == "ConditionalCheckFailed":
                    return "duplicate"
                if is_conditional_failure(err):
                    continue  # the invoice changed meanwhile: read it again
                raise
            if effect.status == "paid":
                self.cancel_pending(invoice_id, shard_of(invoice.customer_id, self.shards), "paid")
            return effect.outcome
        raise RuntimeError(f"invoice {invoice_id} kept changing while a payment was applied")

    def _charge_refunds(self, provider: str, charge: str, total: Decimal,
                        refund_ids: Sequence[str]) -> tuple[Decimal, list[str], dict[str, Any]]:
        """What relance already counted as refunded on ``charge``, the listed refund ids it had not seen, and
        the transaction item that records ``total`` on condition that nobody counted anything meanwhile."""
        key = {"pk": _s(f"CHARGE#{provider}"), "sk": _s(charge)}
        item = self.client.get_item(TableName=self.table, Key=key, ConsistentRead=True).get("Item")
        counted = Decimal(item["refunded"]["S"]) if item else Decimal(0)
        seen = [v["S"] for v in item.get("refund_ids", {}).get("L", [])] if item else []
        new_ids = [rid for rid in dict.fromkeys(refund_ids) if rid not in seen]
        put: dict[str, Any] = {"TableName": self.table,
                               "Item": {**key, "type": _s("charge_refunds"), "refunded": _s(str(total)),
                                        "refund_ids": {"L": [_s(rid) for rid in [*seen, *new_ids]]},
                                        "at": _s(now_utc())}}
        if item:
            put.update(ConditionExpression="refunded = :before",
                       ExpressionAttributeValues={":before": item["refunded"]})
        else:
            put["ConditionExpression"] = "attribute_not_exists(pk)"
        return counted, new_ids, {"Put": put}

    def _mark_only(self, marker: dict[str, Any]) -> str:
        """An event that brings nothing new (a refund already counted): remembered, so a replay is cheap."""
        try:
            self.client.transact_write_items(TransactItems=[marker])
        except ClientError as err:
            if not is_conditional_failure(err):
                raise
        return "duplicate"

    def _keep_for_review(self, marker: dict[str, Any], *, provider: str, event_id: str, invoice: Invoice,
                         amount: Decimal, currency: str, on: date, kind: str, reason: str,
                         details: dict[str, str] | None) -> str:
        """Keep a payment relance must not apply (``reason``) next to the unmatched ones, and say so on the
        invoice's history; the invoice itself is untouched. Once per provider event."""
        fields = {"invoice_ref": _s(invoice.id), "amount": _s(str(amount)), "currency": _s(currency),
                  "invoice_currency": _s(invoice.currency), "date": _s(on.isoformat()), "kind": _s(kind),
                  "reason": _s(reason), "at": _s(now_utc())}
        event = {"pk": _s(f"INV#{invoice.id}"), "sk": _s(f"EVT#{now_utc()}#payment_review#{event_id}"),
                 "type": _s("event"), "kind": _s("payment_review"), "date": _s(on.isoformat()),
                 "provider": _s(provider), "provider_id": _s(event_id), "payment_kind": _s(kind),
                 "outcome": _s(reason), **{k: v for k, v in fields.items() if k not in ("invoice_ref", "kind")},
                 **{k: _s(v) for k, v in (details or {}).items() if v}}
        try:
            self.client.transact_write_items(TransactItems=[marker, {"Put": {"TableName": self.table, "Item": {
                "pk": _s(f"REVIEW#{provider}"), "sk": _s(event_id), "type": _s("payment_review"), **fields}}},
                {"Put": {"TableName": self.table, "Item": event}}])
        except ClientError as err:
            if is_conditional_failure(err):
                return "duplicate"
            raise
        return "review"

    def review_payments(self, providers: Sequence[str] = ("stripe", "generic")) -> list[dict[str, str]]:
        """What providers reported that relance did not apply, for a person to look at: payments in another
        currency (``REVIEW#``, with their reason) and payments of no known invoice (``UNMATCHED#``)."""
        kept: list[dict[str, str]] = []
        for provider in providers:
            for prefix, reason in (("REVIEW", ""), ("UNMATCHED", "unmatched")):
                kwargs: dict[str, Any] = {"TableName": self.table, "KeyConditionExpression": "pk = :p",
                                          "ExpressionAttributeValues": {":p": _s(f"{prefix}#{provider}")},
                                          "ConsistentRead": True}
                while True:
                    page = self.client.query(**kwargs)
                    kept.extend({"provider": provider, "event_id": item["sk"]["S"], "reason": reason,
                                 **{k: v["S"] for k, v in item.items() if "S" in v and k not in ("pk", "sk", "type")}}
                                for item in page["Items"])
                    if "LastEvaluatedKey" not in page:
                        break
                    kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return kept

    def mark_review_notified(self, kept: Sequence[dict[str, str]], on: date) -> None:
        """Note on each payment kept for review (as ``review_payments`` lists them) the day the company was told
        of it, so that the next notice lists only what came since. A payment no longer kept is left alone."""
        for payment in kept:
            prefix = "UNMATCHED" if payment["reason"] == "unmatched" else "REVIEW"
            try:
                self.client.update_item(
                    TableName=self.table,
                    Key={"pk": _s(f"{prefix}#{payment['provider']}"), "sk": _s(payment["event_id"])},
                    UpdateExpression="SET notified_on = :d", ConditionExpression="attribute_exists(pk)",
                    ExpressionAttributeValues={":d": _s(on.isoformat())})
            except ClientError as err:
                if not is_conditional_failure(err):
                    raise

