"""How relance's records map to DynamoDB items, and the helpers every access pattern shares."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import UTC, date, datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from botocore.exceptions import ClientError

from ...domain.approval import ApprovalState
from ...domain.model import (
    Address,
    Customer,
    HistoryEntry,
    Invoice,
    Payment,
    Unusable,
    customer_problems,
    invoice_problems,
)
from ...domain.sharding import shard_of
from ...ports import ActionRecord

OPEN_INDEX = "OpenByShard"
OPEN_STATUSES = ("open", "disputed", "litigation")
# What an item written by hand or by an older version can make the mapping raise: a missing attribute
# (KeyError), another type (TypeError), a bad date (ValueError), a bad number (decimal.InvalidOperation).
ITEM_FAULTS: tuple[type[Exception], ...] = (KeyError, TypeError, ValueError, ArithmeticError)
IMPORT_WORKERS = 16  # conditional UpdateItems in flight per import invocation


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def _opt_date(item: dict[str, Any], key: str) -> date | None:
    value = item.get(key)
    return date.fromisoformat(value["S"]) if value and "S" in value else None


def _json_attr(value: Any) -> dict[str, str]:
    """Free columns are stored as JSON text: any shape from any export round-trips exactly."""
    return {"S": json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)}


def _from_json_attr(item: dict[str, Any], key: str) -> MappingProxyType[str, Any]:
    raw = item.get(key)
    if not raw:
        return MappingProxyType({})
    return MappingProxyType(json.loads(raw["S"], parse_float=Decimal))


def now_utc() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def is_conditional_failure(err: ClientError) -> bool:
    code = err.response.get("Error", {}).get("Code", "")
    if code == "ConditionalCheckFailedException":
        return True
    if code == "TransactionCanceledException":
        reasons = err.response.get("CancellationReasons") or []
        return any(r.get("Code") == "ConditionalCheckFailed" for r in reasons)
    return False


# -- mapping ---------------------------------------------------------------------------------------
def customer_item(customer: Customer, shards: int) -> dict[str, Any]:
    a = customer.address
    return {
        "pk": _s(f"CUST#{customer.id}"), "sk": _s("PROFILE"), "type": _s("customer"), "id": _s(customer.id),
        "name": _s(customer.name), "kind": _s(customer.kind), "email": _s(customer.email),
        "phone": _s(customer.phone), "tags": {"L": [_s(t) for t in customer.tags]},
        "language": _s(customer.language), "siren": _s(customer.siren),
        "since": _s(customer.since.isoformat()) if customer.since else {"NULL": True},
        "address": {"M": {"line1": _s(a.line1), "line2": _s(a.line2), "postal_code": _s(a.postal_code),
                          "city": _s(a.city), "country": _s(a.country)}},
        "account_manager": _s(customer.account_manager), "extra": _json_attr(dict(customer.extra)),
        "legal_form": _s(customer.legal_form), "activity": _s(customer.activity),
        "shard": {"N": str(shard_of(customer.id, shards))},
        "open_shard": _s(str(shard_of(customer.id, shards))), "open_due": _s(f"CUST#{customer.id}"),
    }


def customer_from_item(item: dict[str, Any]) -> Customer:
    address = item.get("address", {}).get("M", {})
    return Customer(
        id=item["id"]["S"], name=item["name"]["S"], kind=item["kind"]["S"],  # type: ignore[arg-type]
        # A bounced address is not used again: the channels see none and fall back to a letter.
        email="" if item.get("email_status", {}).get("S") == "bad" else item.get("email", {}).get("S", ""),
        phone=item.get("phone", {}).get("S", ""),
        tags=tuple(t["S"] for t in item.get("tags", {}).get("L", [])),
        language=item.get("language", {}).get("S", "fr") or "fr", siren=item.get("siren", {}).get("S", ""),
        since=_opt_date(item, "since"),
        address=Address(**{k: v.get("S", "") for k, v in address.items()}),
        account_manager=item.get("account_manager", {}).get("S", ""),
        extra=_from_json_attr(item, "extra"),
        legal_form=item.get("legal_form", {}).get("S", ""), activity=item.get("activity", {}).get("S", ""),
    )


def invoice_from_item(item: dict[str, Any]) -> Invoice:
    steps = tuple(
        HistoryEntry(step=s["M"]["step"]["S"], date=date.fromisoformat(s["M"]["date"]["S"]),
                     channel=s["M"].get("channel", {}).get("S", ""),
                     delivered_on=_opt_date(s["M"], "delivered_on"), tone=s["M"].get("tone", {}).get("S") or None)
        for s in item.get("steps", {}).get("L", []))
    payments = tuple(Payment(date.fromisoformat(p["M"]["date"]["S"]), Decimal(p["M"]["amount"]["S"]))
                     for p in item.get("payments", {}).get("L", []))
    return Invoice(
        id=item["id"]["S"], customer_id=item["customer_id"]["S"],
        issue_date=date.fromisoformat(item["issue_date"]["S"]), due_date=date.fromisoformat(item["due_date"]["S"]),
        amount=Decimal(item["amount"]["S"]), amount_due=Decimal(item["amount_due"]["S"]),
        currency=item.get("currency", {}).get("S", "EUR"), status=item.get("status", {}).get("S", "open"),
        paid_on=_opt_date(item, "paid_on"), promise_to_pay_until=_opt_date(item, "promise_to_pay_until"),
        completed_on=_opt_date(item, "completed_on"), payments=payments, history=steps,
        extra=_from_json_attr(item, "extra"),
        booked_due=Decimal(item["booked_due"]["S"]) if "booked_due" in item else None,
        reply_paused_until=_opt_date(item, "reply_paused_until"),
        reply_pending=item.get("reply_pending", {}).get("S", ""),
        approval=_approval(item),
    )


def _approval(item: dict[str, Any]) -> ApprovalState | None:
    found = item.get("approval", {}).get("M")
    if not found:
        return None
    return ApprovalState(step=found["step"]["S"], state=found["state"]["S"],
                         requested_on=date.fromisoformat(found["requested_on"]["S"]),
                         decided_on=_opt_date(found, "decided_on"), by=found.get("by", {}).get("S", ""),
                         channel=found.get("channel", {}).get("S", ""),
                         scenario=found.get("scenario", {}).get("S", ""))


def _first_unreadable(checks: Iterable[tuple[str, Any]]) -> str | None:
    for field, check in checks:
        try:
            check()
        except ITEM_FAULTS:
            return field
    return None


def _invoice_checks(item: dict[str, Any]) -> Iterable[tuple[str, Any]]:
    """Each field of an invoice item read alone, in model order: which one an item cannot give."""
    def day(m: dict[str, Any], key: str, optional: bool = False) -> Any:
        return lambda: (optional and not m.get(key)) or date.fromisoformat(m[key]["S"])

    yield "id", lambda: item["id"]["S"]
    yield "customer_id", lambda: item["customer_id"]["S"]
    yield "issue_date", day(item, "issue_date")
    yield "due_date", day(item, "due_date")
    yield "amount", lambda: Decimal(item["amount"]["S"])
    yield "amount_due", lambda: Decimal(item["amount_due"]["S"])
    for key in ("paid_on", "promise_to_pay_until", "completed_on", "reply_paused_until"):
        yield key, day(item, key, optional=True)
    for i, payment in enumerate(item.get("payments", {}).get("L", [])):
        yield f"payments[{i}].date", day(payment["M"], "date")
        yield f"payments[{i}].amount", lambda p=payment: Decimal(p["M"]["amount"]["S"])
    for i, step in enumerate(item.get("steps", {}).get("L", [])):
        yield f"history[{i}].step", lambda s=step: s["M"]["step"]["S"]
        yield f"history[{i}].date", day(step["M"], "date")
        yield f"history[{i}].delivered_on", day(step["M"], "delivered_on", optional=True)
    yield "extra", lambda: _from_json_attr(item, "extra")


def _key_id(item: dict[str, Any], prefix: str) -> str:
    """The record's id from its key, which every item has (its ``id`` attribute may be what is wrong)."""
    return str(item.get("pk", {}).get("S", "")).removeprefix(prefix)


def read_invoice(item: dict[str, Any]) -> Invoice | Unusable:
    """The invoice of an item, or why it is set aside: an attribute that cannot be read, or a date or an
    amount outside SPEC §3's bounds (31/12/9999, 1e999999999), named as in the data file."""
    invoice_id = _key_id(item, "INV#")
    customer_id = item.get("customer_id", {}).get("S", "") if isinstance(item.get("customer_id"), dict) else ""
    where = f"table item INV#{invoice_id}"
    try:
        invoice = invoice_from_item(item)
    except ITEM_FAULTS as err:
        try:
            field = _first_unreadable(_invoice_checks(item)) or "item"
        except ITEM_FAULTS:  # the lists themselves are not lists of maps
            field = "item"
        return Unusable.field(invoice_id, customer_id, field,
                              f"valeur illisible dans la table ({type(err).__name__} : {err})", where)
    problems = invoice_problems(invoice)
    if problems:
        return Unusable.field(invoice.id, invoice.customer_id, *problems[0], where)
    return invoice


def read_customer(item: dict[str, Any]) -> Customer | tuple[str, str, str]:
    """The customer of an item, or (its id, the field, the French reason) that sets its invoices aside."""
    try:
        customer = customer_from_item(item)
    except ITEM_FAULTS as err:
        field = _first_unreadable((
            ("id", lambda: item["id"]["S"]), ("name", lambda: item["name"]["S"]),
            ("kind", lambda: item["kind"]["S"]),
            ("since", lambda: _opt_date(item, "since")), ("extra", lambda: _from_json_attr(item, "extra")),
        )) or "item"
        return _key_id(item, "CUST#"), f"customer.{field}", f"valeur illisible dans la table ({type(err).__name__})"
    problems = customer_problems(customer)
    if problems:
        return (customer.id, *problems[0])
    return customer


def invoice_item(invoice: Invoice, shards: int) -> dict[str, Any]:
    """The whole invoice item, dunning state included."""
    shard = shard_of(invoice.customer_id, shards)
    item: dict[str, Any] = {
        "pk": _s(f"INV#{invoice.id}"), "sk": _s("STATE"), "type": _s("invoice"), "id": _s(invoice.id),
        "customer_id": _s(invoice.customer_id), "issue_date": _s(invoice.issue_date.isoformat()),
        "due_date": _s(invoice.due_date.isoformat()), "amount": _s(str(invoice.amount)),
        "amount_due": _s(str(invoice.amount_due)), "currency": _s(invoice.currency), "status": _s(invoice.status),
        "payments": {"L": [{"M": {"date": _s(p.date.isoformat()), "amount": _s(str(p.amount))}}
                           for p in invoice.payments]},
        "steps": {"L": [{"M": {"step": _s(h.step), "date": _s(h.date.isoformat()), "channel": _s(h.channel),
                               **({"delivered_on": _s(h.delivered_on.isoformat())} if h.delivered_on else {}),
                               **({"tone": _s(h.tone)} if h.tone else {})}}
                        for h in invoice.history]},
        "extra": _json_attr(dict(invoice.extra)), "shard": {"N": str(shard)}, "version": {"N": "1"},
    }
    if invoice.booked_due is not None:
        item["booked_due"] = _s(str(invoice.booked_due))
    if invoice.reply_pending:
        item["reply_pending"] = _s(invoice.reply_pending)
    if invoice.approval is not None:
        a = invoice.approval
        item["approval"] = {"M": {"step": _s(a.step), "state": _s(a.state),
                                  "requested_on": _s(a.requested_on.isoformat()),
                                  **({"decided_on": _s(a.decided_on.isoformat())} if a.decided_on else {}),
                                  **({"by": _s(a.by)} if a.by else {}),
                                  **({"channel": _s(a.channel)} if a.channel else {}),
                                  **({"scenario": _s(a.scenario)} if a.scenario else {})}}
    for name in ("paid_on", "promise_to_pay_until", "completed_on", "reply_paused_until"):
        value = getattr(invoice, name)
        if value is not None:
            item[name] = _s(value.isoformat())
    if invoice.history:
        item["last_action_on"] = _s(max(h.date for h in invoice.history).isoformat())
        item["position"] = _s(invoice.history[-1].step)
    if is_open(invoice):
        item["open_shard"] = _s(str(shard))
        item["open_due"] = _s(f"{invoice.due_date.isoformat()}#{invoice.id}")
    return item


def is_open(invoice: Invoice) -> bool:
    return invoice.status in OPEN_STATUSES and invoice.amount_due > 0


# A side record's payload beyond this many characters (4 bytes each at most in UTF-8) goes on in parts.
RECORD_CHUNK_CHARS = 90_000
PART_MARK = "#~part#"


def _event_item(event: dict[str, Any], n: int) -> dict[str, Any]:
    at = event.get("at") or now_utc()
    ref = event.get("step") or event.get("ref") or str(n)
    item = {"pk": _s(f"INV#{event['invoice']}"), "sk": _s(f"EVT#{at}#{event['kind']}#{ref}#{n}"),
            "type": _s("event"), "at": _s(at)}
    for key, value in event.items():
        if key not in ("at",) and value not in (None, ""):
            item[key] = _s(str(value))
    return item


def outbox_key(action: ActionRecord) -> str:
    return "#".join((*action.group, action.invoice, action.step))


def _action_from_item(item: dict[str, Any]) -> ActionRecord:
    tone = item.get("tone", {}).get("S") or None
    return ActionRecord(run_date=date.fromisoformat(item["run_date"]["S"]), shard=int(item["shard"]["N"]),
                        invoice=item["invoice"]["S"], customer=item["customer"]["S"], segment=item["segment"]["S"],
                        scenario=item["scenario"]["S"], step=item["step"]["S"], channel=item["channel"]["S"],
                        tone=tone, rules_digest=item.get("rules_digest", {}).get("S", ""),
                        cancelled=item.get("cancelled", {}).get("S", ""))


def _import_attributes(invoice: Invoice, booked_due: Decimal, shards: int) -> tuple[dict[str, Any], list[str]]:
    """What an import writes on an invoice item (never payments, steps, promise or history), and removes."""
    shard = shard_of(invoice.customer_id, shards)
    attributes: dict[str, Any] = {
        "type": _s("invoice"), "id": _s(invoice.id), "customer_id": _s(invoice.customer_id),
        "issue_date": _s(invoice.issue_date.isoformat()), "due_date": _s(invoice.due_date.isoformat()),
        "amount": _s(str(invoice.amount)), "amount_due": _s(str(invoice.amount_due)),
        "booked_due": _s(str(booked_due)), "currency": _s(invoice.currency), "status": _s(invoice.status),
        "extra": _json_attr(dict(invoice.extra)),
        "completed_on": _s(invoice.completed_on.isoformat()) if invoice.completed_on else {"NULL": True},
        "shard": {"N": str(shard)},
    }
    removes = []
    if invoice.paid_on is not None:
        attributes["paid_on"] = _s(invoice.paid_on.isoformat())
    else:
        removes.append("paid_on")
    if is_open(invoice):
        attributes["open_shard"] = _s(str(shard))
        attributes["open_due"] = _s(f"{invoice.due_date.isoformat()}#{invoice.id}")
    else:
        removes += ["open_shard", "open_due"]
    return attributes, removes


def _set_clause(attributes: dict[str, Any]) -> tuple[dict[str, str], dict[str, Any], str]:
    names, values, parts = {}, {}, []
    for i, (key, value) in enumerate(attributes.items()):
        names[f"#a{i}"] = key
        values[f":a{i}"] = value
        parts.append(f"#a{i} = :a{i}")
    return names, values, ", ".join(parts)


def _digest(item: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(item, sort_keys=True).encode()).hexdigest()[:32]


def _plain(value: dict[str, Any]) -> Any:
    (kind, inner), = value.items()
    if kind == "M":
        return {k: _plain(v) for k, v in inner.items()}
    if kind == "L":
        return [_plain(v) for v in inner]
    if kind == "NULL":
        return None
    if kind == "N":
        return Decimal(inner)
    return inner
