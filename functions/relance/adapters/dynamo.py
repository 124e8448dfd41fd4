"""The DynamoDB store: one table, access patterns first.

| item                | pk                | sk                                   | read by                       |
|---------------------|-------------------|--------------------------------------|-------------------------------|
| customer            | CUST#<id>         | PROFILE                              | BatchGetItem (shard run)      |
| invoice + dunning   | INV#<id>          | STATE                                | GSI OpenByShard (shard run)   |
| action (idempotent) | INV#<id>          | ACT#<step>                           | condition on record           |
| history event       | INV#<id>          | EVT#<utc time>#<kind>#<ref>          | Query pk, begins_with EVT#    |
| outbox entry        | OUTBOX#<shard>    | <run date>#<customer>#<channel>#…    | Query pk (next run)           |
| message's actions   | MSGACTIONS#<key>  | ACTIONS (+ parts, as side records)   | Query pk (channel, by ref.)   |

Open, unpaid invoices carry ``open_shard``/``open_due``: the sparse GSI ``OpenByShard`` lists exactly them,
one partition per shard, so N workers read disjoint shards and nothing scans the table. Customers carry
the key of their shard too (sorted after the invoices, ``CUST#<id>``), so one Query returns a shard's open
invoices and their customers together: a run costs about one request per thousand open invoices.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from botocore.exceptions import ClientError

from ..domain.model import (
    Address,
    Book,
    Customer,
    HistoryEntry,
    Invoice,
    Payment,
    Unusable,
    customer_problems,
    invoice_problems,
)
from ..domain.reconcile import Upserted, merge_export
from ..domain.sharding import shard_of
from ..ports import ActionRecord, ShardSnapshot

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
    )


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
    for key in ("paid_on", "promise_to_pay_until", "completed_on"):
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
    for name in ("paid_on", "promise_to_pay_until", "completed_on"):
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


class DynamoStore:
    """:class:`relance.ports.InvoiceStore` on one DynamoDB table."""

    def __init__(self, client: Any, table: str, shards: int, *, batch_writes: bool = True) -> None:
        self.client = client
        self.table = table
        self.shards = shards
        # False: one item per write request, for the functions that face the internet — they hold no
        # BatchWriteItem permission, which would let them delete any item (template.yaml, least privilege).
        self.batch_writes = batch_writes

    # -- the daily path ----------------------------------------------------------------------------
    def open_invoices(self, shard: int) -> ShardSnapshot:
        """The shard's open invoices and their customers; an item no planner can use is set aside
        (``Book.unusable``) with its reason, and the others are read as usual."""
        invoices: list[Invoice] = []
        versions: dict[str, int] = {}
        kwargs: dict[str, Any] = {
            "TableName": self.table, "IndexName": OPEN_INDEX,
            "KeyConditionExpression": "open_shard = :s", "ExpressionAttributeValues": {":s": _s(str(shard))},
        }
        customers: dict[str, Customer] = {}
        bad_customers: dict[str, tuple[str, str]] = {}
        unusable: list[Unusable] = []
        while True:
            page = self.client.query(**kwargs)
            for item in page["Items"]:
                if item["type"]["S"] == "customer":
                    self._take_customer(item, customers, bad_customers)
                    continue
                invoice = read_invoice(item)
                if isinstance(invoice, Unusable):
                    unusable.append(invoice)
                    continue
                invoices.append(invoice)
                versions[invoice.id] = int(item.get("version", {}).get("N", "0"))
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        missing = {i.customer_id for i in invoices} - set(customers) - set(bad_customers)
        if missing:  # written before customers carried their shard key, or a shard count change
            self._fetch_customers(missing, customers, bad_customers)
        known = []
        for invoice in invoices:
            if invoice.customer_id in customers:
                known.append(invoice)
                continue
            field, problem = bad_customers.get(invoice.customer_id, (
                "customer_id", f"client « {invoice.customer_id} » introuvable dans la table"))
            unusable.append(Unusable.field(invoice.id, invoice.customer_id, field, problem,
                                           f"table item CUST#{invoice.customer_id}"))
        return ShardSnapshot(Book(MappingProxyType(customers), tuple(known), tuple(unusable)), versions)

    @staticmethod
    def _take_customer(item: dict[str, Any], customers: dict[str, Customer],
                       bad: dict[str, tuple[str, str]]) -> None:
        customer = read_customer(item)
        if isinstance(customer, Customer):
            customers[customer.id] = customer
        else:
            customer_id, field, problem = customer
            bad[customer_id] = (field, problem)

    def customers(self, ids: Iterable[str]) -> dict[str, Customer]:
        found: dict[str, Customer] = {}
        self._fetch_customers(ids, found, {})
        return found

    def _fetch_customers(self, ids: Iterable[str], found: dict[str, Customer],
                         bad: dict[str, tuple[str, str]]) -> None:
        wanted = sorted(set(ids))
        for start in range(0, len(wanted), 100):
            keys: list[dict[str, Any]] = [{"pk": _s(f"CUST#{cid}"), "sk": _s("PROFILE")}
                                          for cid in wanted[start:start + 100]]
            request: dict[str, Any] = {self.table: {"Keys": keys}}
            while request:
                answer = self.client.batch_get_item(RequestItems=request)
                for item in answer["Responses"].get(self.table, []):
                    self._take_customer(item, found, bad)
                request = answer.get("UnprocessedKeys") or {}

    def record_unusable(self, aside: Unusable, run_date: date) -> bool:
        """Record on the invoice's history that it is set aside and why (kind ``invalid_data``), once per
        problem: a marker item ``INV#<id>``/``INVALID`` keeps the last one recorded, so a poisoned invoice
        does not add an event every day, and a new problem (or the same after another) is recorded again.
        ``False`` when this problem was already recorded."""
        pk = _s(f"INV#{aside.invoice}")
        at = now_utc()
        digest = hashlib.sha256(f"{aside.reason}|{aside.problem}".encode()).hexdigest()[:32]
        details = {"invoice": _s(aside.invoice), "customer": _s(aside.customer), "reason": _s(aside.reason),
                   "problem": _s(aside.problem[:1000]), "where": _s(aside.where[:300] or "-"),
                   "date": _s(run_date.isoformat())}
        return self._transact_once([
            {"Put": {"TableName": self.table, "ConditionExpression": "attribute_not_exists(pk) OR digest <> :d",
                     "ExpressionAttributeValues": {":d": _s(digest)},
                     "Item": {"pk": pk, "sk": _s("INVALID"), "type": _s("invalid_data"), "digest": _s(digest),
                              "recorded_at": _s(at), **details}}},
            {"Put": {"TableName": self.table, "ConditionExpression": "attribute_not_exists(pk)",
                     "Item": {"pk": pk, "sk": _s(f"EVT#{at}#invalid_data#{digest[:12]}"), "type": _s("event"),
                              "kind": _s("invalid_data"), "at": _s(at), **details}}},
        ])

    def _transact_once(self, items: list[dict[str, Any]]) -> bool:
        """Write ``items`` in one transaction; ``False`` when a condition says it was already written."""
        try:
            self.client.transact_write_items(TransactItems=items)
        except ClientError as err:
            if is_conditional_failure(err):
                return False
            raise
        return True

    def record_action(self, action: ActionRecord, read_version: int) -> bool:
        pk = _s(f"INV#{action.invoice}")
        day = action.run_date.isoformat()
        at = now_utc()
        step_entry = {"M": {"step": _s(action.step), "date": _s(day), "channel": _s(action.channel),
                            **({"tone": _s(action.tone)} if action.tone else {})}}
        details = {"run_date": _s(day), "customer": _s(action.customer), "segment": _s(action.segment),
                   "scenario": _s(action.scenario), "step": _s(action.step), "channel": _s(action.channel),
                   "tone": _s(action.tone or ""), "rules_digest": _s(action.rules_digest),
                   "shard": {"N": str(action.shard)}, "invoice": _s(action.invoice)}
        return self._transact_once([
            {"Put": {"TableName": self.table, "ConditionExpression": "attribute_not_exists(pk)",
                     "Item": {"pk": pk, "sk": _s(f"ACT#{action.step}"), "type": _s("action"),
                              "recorded_at": _s(at), **details}}},
            {"Update": {"TableName": self.table, "Key": {"pk": pk, "sk": _s("STATE")},
                        "ConditionExpression": "version = :v AND #st = :open "
                                               "AND attribute_exists(open_shard)",
                        "UpdateExpression": "SET steps = list_append(if_not_exists(steps, :empty), :entry), "
                                            "last_action_on = :day, #pos = :step, version = version + :one",
                        "ExpressionAttributeNames": {"#st": "status", "#pos": "position"},
                        "ExpressionAttributeValues": {
                            ":v": {"N": str(read_version)}, ":open": _s("open"),
                            ":empty": {"L": []}, ":entry": {"L": [step_entry]}, ":day": _s(day),
                            ":step": _s(action.step), ":one": {"N": "1"}}}},
            {"Put": {"TableName": self.table, "ConditionExpression": "attribute_not_exists(pk)",
                     "Item": {"pk": pk, "sk": _s(f"EVT#{at}#action_planned#{action.step}"),
                              "type": _s("event"), "kind": _s("action_planned"), "at": _s(at),
                              "date": _s(day), **details}}},
            {"Put": {"TableName": self.table,
                     "Item": {"pk": _s(f"OUTBOX#{action.shard}"), "sk": _s(outbox_key(action)),
                              "type": _s("outbox"), "recorded_at": _s(at), **details}}},
        ])

    def pending_outbox(self, shard: int, *, with_cancelled: bool = False) -> list[ActionRecord]:
        kwargs: dict[str, Any] = {"TableName": self.table, "KeyConditionExpression": "pk = :p",
                                  "ExpressionAttributeValues": {":p": _s(f"OUTBOX#{shard}")}, "ConsistentRead": True}
        out: list[ActionRecord] = []
        while True:
            page = self.client.query(**kwargs)
            out.extend(_action_from_item(item) for item in page["Items"])
            if "LastEvaluatedKey" not in page:
                return out if with_cancelled else [a for a in out if not a.cancelled]
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def clear_outbox(self, actions: Sequence[ActionRecord]) -> None:
        requests = [{"DeleteRequest": {"Key": {"pk": _s(f"OUTBOX#{a.shard}"), "sk": _s(outbox_key(a))}}}
                    for a in actions]
        for start in range(0, len(requests), 25):
            pending: dict[str, Any] = {self.table: requests[start:start + 25]}
            while pending:
                answer = self.client.batch_write_item(RequestItems=pending)
                pending = answer.get("UnprocessedItems") or {}

    def put_message_actions(self, key: str, actions: Sequence[dict[str, str]]) -> None:
        """The actions of a message sent by reference (a side record, in parts past DynamoDB's 400 KB item).

        Written before the message is queued; the same key always holds the same actions, so a rerun
        writes the same record again."""
        self.put_record(f"MSGACTIONS#{key}", "ACTIONS", {"type": "message_actions", "actions": list(actions)})

    def message_actions(self, key: str) -> list[dict[str, str]]:
        found = self.records(f"MSGACTIONS#{key}", "ACTIONS")
        return list(found[0]["actions"]) if found else []

    # -- import ------------------------------------------------------------------------------------
    def upsert_customer(self, customer: Customer) -> str:
        """Create or update a customer's profile; returns "created", "updated" or "unchanged"."""
        item = customer_item(customer, self.shards)
        digest = _digest(item)
        names, values, sets = _set_clause({k: v for k, v in item.items() if k not in ("pk", "sk")})
        values[":h"] = _s(digest)
        try:
            answer = self.client.update_item(
                TableName=self.table, Key={"pk": item["pk"], "sk": item["sk"]},
                UpdateExpression=f"SET {sets}, import_hash = :h REMOVE email_status, email_status_reason",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values, ReturnValues="UPDATED_OLD",
                ConditionExpression="attribute_not_exists(import_hash) OR import_hash <> :h")
        except ClientError as err:
            if is_conditional_failure(err):
                return "unchanged"
            raise
        return "updated" if answer.get("Attributes") else "created"

    def upsert_invoice(self, invoice: Invoice) -> str:
        """One row of an export; see :meth:`upsert_invoices`."""
        return self.upsert_invoices([invoice])[0].outcome

    def upsert_customers(self, customers: Sequence[Customer], *, workers: int = IMPORT_WORKERS) -> list[str]:
        """``upsert_customer`` over a small thread pool (a boto3 client is thread-safe)."""
        if len(customers) <= 1:
            return [self.upsert_customer(c) for c in customers]
        with ThreadPoolExecutor(min(workers, len(customers))) as pool:
            return list(pool.map(self.upsert_customer, customers))

    def upsert_invoices(self, invoices: Sequence[Invoice], *, workers: int = IMPORT_WORKERS) -> list[Upserted]:
        """Merge export rows into what relance recorded (``domain.reconcile``), in the order given.

        Each invoice is read (one consistent BatchGetItem per 100), merged, and written only if something
        changed, by an UpdateItem guarded on the version it read (``attribute_not_exists(pk)`` for a new
        one). A webhook or a person changing the invoice meanwhile bumps the version: the guard fails, the
        import reads again and merges on top, so a payment racing an import is never undone. The writes run
        on a small thread pool: BatchWriteItem cannot carry the guards.
        """
        items = self._state_items(i.id for i in invoices)
        if len(invoices) <= 1:
            return [self._upsert_one(i, items.get(i.id)) for i in invoices]
        with ThreadPoolExecutor(min(workers, len(invoices))) as pool:
            return list(pool.map(lambda i: self._upsert_one(i, items.get(i.id)), invoices))

    def _upsert_one(self, invoice: Invoice, item: dict[str, Any] | None) -> Upserted:
        key = {"pk": _s(f"INV#{invoice.id}"), "sk": _s("STATE")}
        for _ in range(10):
            merged = merge_export(invoice, invoice_from_item(item) if item else None)
            kept = "kept_settled" if merged.kept_settled else None
            attributes, removes = _import_attributes(merged.invoice, merged.booked_due, self.shards)
            if item is not None and all(item.get(k) == v for k, v in attributes.items()) \
                    and not any(k in item for k in removes):
                return Upserted(kept or "unchanged", merged.disagreements)
            names, values, sets = _set_clause(attributes)
            values.update({":zero": {"N": "0"}, ":one": {"N": "1"}})
            if item is None:
                condition = "attribute_not_exists(pk)"
            elif "version" in item:
                condition, values[":v"] = "version = :v", item["version"]
            else:
                condition = "attribute_exists(pk) AND attribute_not_exists(version)"
            removed = [f"#r{i}" for i in range(len(removes))]
            names.update({f"#r{i}": k for i, k in enumerate(removes)})
            update = (f"SET {sets}, version = if_not_exists(version, :zero) + :one"
                      + (f" REMOVE {', '.join(removed)}" if removed else ""))
            try:
                self.client.update_item(TableName=self.table, Key=key, UpdateExpression=update,
                                        ConditionExpression=condition, ExpressionAttributeNames=names,
                                        ExpressionAttributeValues=values)
            except ClientError as err:
                if is_conditional_failure(err):  # changed meanwhile (a payment, a person): merge on top
                    item = self.client.get_item(TableName=self.table, Key=key, ConsistentRead=True).get("Item")
                    continue
                if err.response.get("Error", {}).get("Code") == "ValidationException":
                    return Upserted("rejected", (), "ligne refusée par la base de données (valeur trop "
                                                    "volumineuse ou invalide) : rien n’a été écrit")
                raise
            return Upserted(kept or ("updated" if item is not None else "created"), merged.disagreements)
        raise RuntimeError(f"invoice {invoice.id} kept changing while an import merged it")

    def start_import(self, import_id: str, *, chunks: int, rows: int) -> None:
        """The progress counter of an import split into chunks (kept a month, then TTL); a retry keeps it."""
        try:
            self._put_progress(import_id, chunks=chunks, rows=rows)
        except ClientError as err:
            if not is_conditional_failure(err):
                raise

    def _put_progress(self, import_id: str, *, chunks: int, rows: int) -> None:
        self.client.put_item(TableName=self.table, ConditionExpression="attribute_not_exists(pk)", Item={
            "pk": _s(f"IMPORT#{import_id}"), "sk": _s("PROGRESS"), "type": _s("import"), "at": _s(now_utc()),
            "chunks": {"N": str(chunks)}, "rows": {"N": str(rows)}, "chunks_done": {"N": "0"},
            "rows_done": {"N": "0"}, "expiration": {"N": str(int(datetime.now(UTC).timestamp()) + 31 * 86400)}})

    def chunk_done(self, import_id: str, chunk: int, *, rows: int) -> dict[str, int] | None:
        """Count a chunk once (guarded on the set of chunks done); None when it was counted already."""
        try:
            answer = self.client.update_item(
                TableName=self.table, Key={"pk": _s(f"IMPORT#{import_id}"), "sk": _s("PROGRESS")},
                UpdateExpression="ADD chunks_done :one, rows_done :rows, done :chunk",
                ConditionExpression="attribute_exists(pk) AND NOT contains(done, :n)",
                ExpressionAttributeValues={":one": {"N": "1"}, ":rows": {"N": str(rows)},
                                           ":chunk": {"NS": [str(chunk)]}, ":n": {"N": str(chunk)}},
                ReturnValues="ALL_NEW")
        except ClientError as err:
            if is_conditional_failure(err):
                return None
            raise
        item = answer["Attributes"]
        return {k: int(item[k]["N"]) for k in ("chunks", "rows", "chunks_done", "rows_done")}

    def chunk_counted(self, import_id: str, chunk: int) -> bool:
        return str(chunk) in self._progress_item(import_id).get("done", {}).get("NS", [])

    def import_progress(self, import_id: str) -> dict[str, int]:
        item = self._progress_item(import_id)
        return {k: int(item[k]["N"]) for k in ("chunks", "rows", "chunks_done", "rows_done")}

    def _progress_item(self, import_id: str) -> dict[str, Any]:
        return self.client.get_item(TableName=self.table, ConsistentRead=True,
                                    Key={"pk": _s(f"IMPORT#{import_id}"), "sk": _s("PROGRESS")}).get("Item") or {}

    def _state_items(self, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        wanted = sorted(set(ids))
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(wanted), 100):
            request: dict[str, Any] = {self.table: {"Keys": [{"pk": _s(f"INV#{i}"), "sk": _s("STATE")}
                                                             for i in wanted[start:start + 100]],
                                                    "ConsistentRead": True}}
            while request:
                answer = self.client.batch_get_item(RequestItems=request)
                for item in answer["Responses"].get(self.table, []):
                    found[item["id"]["S"]] = item
                request = answer.get("UnprocessedKeys") or {}
        return found

    def seed(self, book: Book) -> None:
        """Write a whole book as it stands, dunning state included (the demo and tests start from it)."""
        items = [customer_item(c, self.shards) for c in book.customers.values()]
        items += [invoice_item(i, self.shards) for i in book.invoices]
        requests = [{"PutRequest": {"Item": item}} for item in items]
        for start in range(0, len(requests), 25):
            pending: dict[str, Any] = {self.table: requests[start:start + 25]}
            while pending:
                pending = self.client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}

    # -- the channels ------------------------------------------------------------------------------
    def invoices(self, ids: Iterable[str]) -> dict[str, Invoice]:
        """Fresh, strongly consistent reads: a channel re-checks before it sends."""
        wanted = sorted(set(ids))
        found: dict[str, Invoice] = {}
        for start in range(0, len(wanted), 100):
            request: dict[str, Any] = {self.table: {"Keys": [{"pk": _s(f"INV#{i}"), "sk": _s("STATE")}
                                                             for i in wanted[start:start + 100]],
                                                    "ConsistentRead": True}}
            while request:
                answer = self.client.batch_get_item(RequestItems=request)
                for item in answer["Responses"].get(self.table, []):
                    invoice = invoice_from_item(item)
                    found[invoice.id] = invoice
                request = answer.get("UnprocessedKeys") or {}
        return found

    def customer(self, customer_id: str) -> Customer | None:
        item = self.client.get_item(TableName=self.table, Key={"pk": _s(f"CUST#{customer_id}"), "sk": _s("PROFILE")},
                                    ConsistentRead=True).get("Item")
        return customer_from_item(item) if item else None

    def append_events(self, events: Sequence[dict[str, Any]]) -> None:
        """Append history events: each ``{"invoice", "kind", "date", …}``; the time makes the key unique."""
        items = [_event_item(event, n) for n, event in enumerate(events)]
        if not self.batch_writes:
            for item in items:
                self.client.put_item(TableName=self.table, Item=item)
            return
        requests = [{"PutRequest": {"Item": item}} for item in items]
        for start in range(0, len(requests), 25):
            pending: dict[str, Any] = {self.table: requests[start:start + 25]}
            while pending:
                pending = self.client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}

    def mark_email_bad(self, customer_id: str, reason: str) -> None:
        """A bounce or complaint: the address is not used again until the next import brings a new one."""
        self.client.update_item(TableName=self.table, Key={"pk": _s(f"CUST#{customer_id}"), "sk": _s("PROFILE")},
                                UpdateExpression="SET email_status = :bad, email_status_reason = :why",
                                ExpressionAttributeValues={":bad": _s("bad"), ":why": _s(reason)})

    def put_record(self, pk: str, sk: str, fields: dict[str, Any], *, expires_at: int | None = None) -> None:
        """A side record (call task, letter, SES message): plain text fields plus a JSON payload.

        A payload too large for one DynamoDB item (400 KB: the call task of a customer with thousands of
        invoices) is kept in parts, written before the record that counts them; readers put them back together.
        ``expires_at`` (Unix seconds) lets DynamoDB's TTL delete a record that only matters for a while."""
        payload = _json_attr(fields)["S"]
        chunks = [payload[i:i + RECORD_CHUNK_CHARS] for i in range(0, len(payload), RECORD_CHUNK_CHARS)] or [""]
        expiration = {"expiration": {"N": str(int(expires_at))}} if expires_at is not None else {}
        for n, chunk in enumerate(chunks[1:], 1):
            self.client.put_item(TableName=self.table, Item={
                "pk": _s(pk), "sk": _s(f"{sk}{PART_MARK}{n:04d}"), "type": _s("record_part"), "part_of": _s(sk),
                "payload": _s(chunk), **expiration})
        item = {"pk": _s(pk), "sk": _s(sk), "type": _s(fields.get("type", "record")), "payload": _s(chunks[0]),
                **expiration}
        if len(chunks) > 1:
            item["payload_parts"] = {"N": str(len(chunks))}
        self.client.put_item(TableName=self.table, Item=item)

    def claim(self, pk: str, sk: str) -> bool:
        """Put a marker once: ``False`` when it was already there (a callback delivered twice)."""
        try:
            self.client.put_item(TableName=self.table, Item={"pk": _s(pk), "sk": _s(sk), "type": _s("claim"),
                                                             "at": _s(now_utc())},
                                 ConditionExpression="attribute_not_exists(pk)")
        except ClientError as err:
            if is_conditional_failure(err):
                return False
            raise
        return True

    def records(self, pk: str, prefix: str = "") -> list[dict[str, Any]]:
        condition = "pk = :p" + (" AND begins_with(sk, :s)" if prefix else "")
        values = {":p": _s(pk), **({":s": _s(prefix)} if prefix else {})}
        return [fields for _, fields in self._side_records(condition, values)]

    def records_through(self, pk: str, last_sk: str) -> list[tuple[str, dict[str, Any]]]:
        """(sk, fields) of the side records of ``pk`` whose sort key is at most ``last_sk``, in key order."""
        return self._side_records("pk = :p AND sk <= :s", {":p": _s(pk), ":s": _s(last_sk)})

    def _side_records(self, condition: str, values: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        items = self._query_all(condition, values)
        parts = {(item["part_of"]["S"], item["sk"]["S"]): item["payload"]["S"] for item in items if "part_of" in item}
        out: list[tuple[str, dict[str, Any]]] = []
        for item in items:
            if "part_of" in item:
                continue
            sk, payload = item["sk"]["S"], item.get("payload", {}).get("S", "")
            count = int(item.get("payload_parts", {}).get("N", "1"))
            if count > 1:
                wanted = [f"{sk}{PART_MARK}{n:04d}" for n in range(1, count)]
                if any((sk, w) not in parts for w in wanted):  # cut off by the key range: read them
                    parts.update({(sk, p["sk"]["S"]): p["payload"]["S"] for p in self._query_all(
                        "pk = :p AND begins_with(sk, :m)", {":p": item["pk"], ":m": _s(sk + PART_MARK)})})
                payload += "".join(parts[(sk, w)] for w in wanted)
            out.append((sk, dict(json.loads(payload, parse_float=Decimal)) if payload else {}))
        return out

    def _query_all(self, condition: str, values: dict[str, Any]) -> list[dict[str, Any]]:
        kwargs: dict[str, Any] = {"TableName": self.table, "ConsistentRead": True,
                                  "KeyConditionExpression": condition, "ExpressionAttributeValues": values}
        items: list[dict[str, Any]] = []
        while True:
            page = self.client.query(**kwargs)
            items.extend(page["Items"])
            if "LastEvaluatedKey" not in page:
                return items
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def delete_record(self, pk: str, sk: str) -> None:
        for part in self._query_all("pk = :p AND begins_with(sk, :m)", {":p": _s(pk), ":m": _s(sk + PART_MARK)}):
            self.client.delete_item(TableName=self.table, Key={"pk": part["pk"], "sk": part["sk"]})
        self.client.delete_item(TableName=self.table, Key={"pk": _s(pk), "sk": _s(sk)})

    def record_delivery(self, invoice_id: str, step: str, delivered_on: date) -> bool:
        """Set ``delivered_on`` on the step entry of an invoice's dunning state (the AR of a formal notice)."""
        found = self.invoice(invoice_id)
        if found is None:
            return False
        invoice, version = found
        index = next((i for i, h in enumerate(invoice.history) if h.step == step), None)
        if index is None:
            return False
        try:
            self.client.update_item(
                TableName=self.table, Key={"pk": _s(f"INV#{invoice_id}"), "sk": _s("STATE")},
                UpdateExpression=f"SET steps[{index}].delivered_on = :d, version = version + :one",
                ConditionExpression="version = :v", ExpressionAttributeValues={
                    ":d": _s(delivered_on.isoformat()), ":one": {"N": "1"}, ":v": {"N": str(version)}})
        except ClientError as err:
            if is_conditional_failure(err):
                return self.record_delivery(invoice_id, step, delivered_on)
            raise
        return True

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
        from ..domain.payments import apply_payment, apply_refund, currency_problem

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
                                          "provider": _s(provider), "event_id": _s(event_id)}}]}}
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

    def cancel_pending(self, invoice_id: str, shard: int, reason: str) -> int:
        """Cancel the invoice's actions recorded but not yet queued (the senders re-check what was queued).

        Each is marked cancelled with its history event in one transaction, and the next flush drops it: marked,
        not deleted, because the payment webhook that calls this may delete nothing (least privilege)."""
        cancelled = 0
        for action in (a for a in self.pending_outbox(shard) if a.invoice == invoice_id):
            event = _event_item({"invoice": action.invoice, "kind": "action_cancelled",
                                 "date": action.run_date.isoformat(), "step": action.step, "channel": action.channel,
                                 "reason": reason}, 0)
            try:
                self.client.transact_write_items(TransactItems=[
                    {"Update": {"TableName": self.table,
                                "Key": {"pk": _s(f"OUTBOX#{action.shard}"), "sk": _s(outbox_key(action))},
                                "UpdateExpression": "SET cancelled = :why",
                                "ConditionExpression": "attribute_exists(pk) AND attribute_not_exists(cancelled)",
                                "ExpressionAttributeValues": {":why": _s(reason)}}},
                    {"Put": {"TableName": self.table, "Item": event}}])
            except ClientError as err:
                if is_conditional_failure(err):
                    continue  # queued (and cleared) or cancelled meanwhile
                raise
            cancelled += 1
        return cancelled

    def update_invoice_state(self, invoice_id: str, *, kind: str, on: date, sets: dict[str, Any],
                             removes: tuple[str, ...] = (), when_status: tuple[str, ...] = (),
                             details: dict[str, str] | None = None) -> bool:
        """Change what people learn (dispute, promise, resume) with the history event, in one transaction."""
        names = {f"#s{i}": k for i, k in enumerate(sets)} | {f"#r{i}": k for i, k in enumerate(removes)}
        values: dict[str, Any] = {f":s{i}": (_s(str(v)) if not isinstance(v, dict) else v)
                                  for i, v in enumerate(sets.values())}
        values[":one"] = {"N": "1"}
        update = "SET " + ", ".join([f"#s{i} = :s{i}" for i in range(len(sets))] + ["version = version + :one"])
        if removes:
            update += " REMOVE " + ", ".join(f"#r{i}" for i in range(len(removes)))
        condition = "attribute_exists(pk)"
        if when_status:
            names["#status"] = "status"
            condition += " AND #status IN (" + ", ".join(f":w{i}" for i in range(len(when_status))) + ")"
            values.update({f":w{i}": _s(v) for i, v in enumerate(when_status)})
        at = now_utc()
        event = {"pk": _s(f"INV#{invoice_id}"), "sk": _s(f"EVT#{at}#{kind}#manual"), "type": _s("event"),
                 "kind": _s(kind), "at": _s(at), "date": _s(on.isoformat()), "channel": _s("people"),
                 **{k: _s(v) for k, v in (details or {}).items() if v}}
        try:
            self.client.transact_write_items(TransactItems=[
                {"Update": {"TableName": self.table, "Key": {"pk": _s(f"INV#{invoice_id}"), "sk": _s("STATE")},
                            "UpdateExpression": update, "ConditionExpression": condition,
                            "ExpressionAttributeNames": names, "ExpressionAttributeValues": values}},
                {"Put": {"TableName": self.table, "Item": event}}])
        except ClientError as err:
            if is_conditional_failure(err):
                return False
            raise
        return True

    def whole_book(self) -> Book:
        """Every customer and invoice, paid ones included: the weekly report (never the daily path)."""
        customers: dict[str, Customer] = {}
        invoices: list[Invoice] = []
        kwargs: dict[str, Any] = {"TableName": self.table, "FilterExpression": "#t IN (:c, :i)",
                                  "ExpressionAttributeNames": {"#t": "type"},
                                  "ExpressionAttributeValues": {":c": _s("customer"), ":i": _s("invoice")}}
        bad_customers: dict[str, tuple[str, str]] = {}
        unusable: list[Unusable] = []
        while True:
            page = self.client.scan(**kwargs)
            for item in page["Items"]:
                if item["type"]["S"] == "customer":
                    self._take_customer(item, customers, bad_customers)
                    continue
                invoice = read_invoice(item)
                if isinstance(invoice, Unusable):
                    unusable.append(invoice)
                else:
                    invoices.append(invoice)
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        known = sorted((i for i in invoices if i.customer_id in customers), key=lambda i: i.id)
        return Book(MappingProxyType(customers), tuple(known), tuple(sorted(unusable, key=lambda u: u.invoice)))

    # -- reading for people ------------------------------------------------------------------------
    def invoice(self, invoice_id: str) -> tuple[Invoice, int] | None:
        answer = self.client.get_item(TableName=self.table, Key={"pk": _s(f"INV#{invoice_id}"), "sk": _s("STATE")},
                                      ConsistentRead=True)
        item = answer.get("Item")
        return (invoice_from_item(item), int(item.get("version", {}).get("N", "0"))) if item else None

    def history(self, invoice_id: str) -> list[dict[str, Any]]:
        kwargs: dict[str, Any] = {"TableName": self.table, "KeyConditionExpression": "pk = :p AND begins_with(sk, :e)",
                                  "ExpressionAttributeValues": {":p": _s(f"INV#{invoice_id}"), ":e": _s("EVT#")},
                                  "ConsistentRead": True}
        events: list[dict[str, Any]] = []
        while True:
            page = self.client.query(**kwargs)
            events.extend({k: _plain(v) for k, v in item.items() if k not in ("pk", "sk", "type")}
                          for item in page["Items"])
            if "LastEvaluatedKey" not in page:
                return events
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


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
