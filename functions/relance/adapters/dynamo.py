"""The DynamoDB store: one table, access patterns first.

| item                | pk                | sk                                   | read by                       |
|---------------------|-------------------|--------------------------------------|-------------------------------|
| customer            | CUST#<id>         | PROFILE                              | BatchGetItem (shard run)      |
| invoice + dunning   | INV#<id>          | STATE                                | GSI OpenByShard (shard run)   |
| action (idempotent) | INV#<id>          | ACT#<step>                           | condition on record           |
| history event       | INV#<id>          | EVT#<utc time>#<kind>#<ref>          | Query pk, begins_with EVT#    |
| outbox entry        | OUTBOX#<shard>    | <run date>#<customer>#<channel>#…    | Query pk (next run)           |

Open, unpaid invoices carry ``open_shard``/``open_due``: the sparse GSI ``OpenByShard`` lists exactly them,
one partition per shard, so N workers read disjoint shards and nothing scans the table. Customers carry
the key of their shard too (sorted after the invoices, ``CUST#<id>``), so one Query returns a shard's open
invoices and their customers together: a run costs about one request per thousand open invoices.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from botocore.exceptions import ClientError

from ..domain.model import Address, Book, Customer, HistoryEntry, Invoice, Payment
from ..domain.sharding import shard_of
from ..ports import ActionRecord, ShardSnapshot

OPEN_INDEX = "OpenByShard"
OPEN_STATUSES = ("open", "disputed", "litigation")


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
                     delivered_on=_opt_date(s["M"], "delivered_on"))
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
    )


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
                               **({"delivered_on": _s(h.delivered_on.isoformat())} if h.delivered_on else {})}}
                        for h in invoice.history]},
        "extra": _json_attr(dict(invoice.extra)), "shard": {"N": str(shard)}, "version": {"N": "1"},
    }
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

    def __init__(self, client: Any, table: str, shards: int) -> None:
        self.client = client
        self.table = table
        self.shards = shards

    # -- the daily path ----------------------------------------------------------------------------
    def open_invoices(self, shard: int) -> ShardSnapshot:
        invoices: list[Invoice] = []
        versions: dict[str, int] = {}
        kwargs: dict[str, Any] = {
            "TableName": self.table, "IndexName": OPEN_INDEX,
            "KeyConditionExpression": "open_shard = :s", "ExpressionAttributeValues": {":s": _s(str(shard))},
        }
        customers: dict[str, Customer] = {}
        while True:
            page = self.client.query(**kwargs)
            for item in page["Items"]:
                if item["type"]["S"] == "customer":
                    customer = customer_from_item(item)
                    customers[customer.id] = customer
                    continue
                invoice = invoice_from_item(item)
                invoices.append(invoice)
                versions[invoice.id] = int(item.get("version", {}).get("N", "0"))
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        missing = {i.customer_id for i in invoices} - set(customers)
        if missing:  # written before customers carried their shard key, or a shard count change
            customers.update(self.customers(missing))
        known = [i for i in invoices if i.customer_id in customers]
        return ShardSnapshot(Book(MappingProxyType(customers), tuple(known)), versions)

    def customers(self, ids: Iterable[str]) -> dict[str, Customer]:
        wanted = sorted(set(ids))
        found: dict[str, Customer] = {}
        for start in range(0, len(wanted), 100):
            keys: list[dict[str, Any]] = [{"pk": _s(f"CUST#{cid}"), "sk": _s("PROFILE")}
                                          for cid in wanted[start:start + 100]]
            request: dict[str, Any] = {self.table: {"Keys": keys}}
            while request:
                answer = self.client.batch_get_item(RequestItems=request)
                for item in answer["Responses"].get(self.table, []):
                    customer = customer_from_item(item)
                    found[customer.id] = customer
                request = answer.get("UnprocessedKeys") or {}
        return found

    def record_action(self, action: ActionRecord, read_version: int) -> bool:
        pk = _s(f"INV#{action.invoice}")
        day = action.run_date.isoformat()
        at = now_utc()
        step_entry = {"M": {"step": _s(action.step), "date": _s(day), "channel": _s(action.channel)}}
        details = {"run_date": _s(day), "customer": _s(action.customer), "segment": _s(action.segment),
                   "scenario": _s(action.scenario), "step": _s(action.step), "channel": _s(action.channel),
                   "tone": _s(action.tone or ""), "rules_digest": _s(action.rules_digest),
                   "shard": {"N": str(action.shard)}, "invoice": _s(action.invoice)}
        try:
            self.client.transact_write_items(TransactItems=[
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
        except ClientError as err:
            if is_conditional_failure(err):
                return False
            raise
        return True

    def pending_outbox(self, shard: int) -> list[ActionRecord]:
        kwargs: dict[str, Any] = {"TableName": self.table, "KeyConditionExpression": "pk = :p",
                                  "ExpressionAttributeValues": {":p": _s(f"OUTBOX#{shard}")}, "ConsistentRead": True}
        out: list[ActionRecord] = []
        while True:
            page = self.client.query(**kwargs)
            out.extend(_action_from_item(item) for item in page["Items"])
            if "LastEvaluatedKey" not in page:
                return out
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def clear_outbox(self, actions: Sequence[ActionRecord]) -> None:
        requests = [{"DeleteRequest": {"Key": {"pk": _s(f"OUTBOX#{a.shard}"), "sk": _s(outbox_key(a))}}}
                    for a in actions]
        for start in range(0, len(requests), 25):
            pending: dict[str, Any] = {self.table: requests[start:start + 25]}
            while pending:
                answer = self.client.batch_write_item(RequestItems=pending)
                pending = answer.get("UnprocessedItems") or {}

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
        """Create or update an invoice's accounting data, never its dunning state or history.

        An invoice already settled here (a payment arrived, it was cancelled) is not reopened by an
        export that predates it: only its figures are refreshed. Returns "created", "updated",
        "unchanged" or "kept_settled".
        """
        shard = shard_of(invoice.customer_id, self.shards)
        data = {
            "type": _s("invoice"), "id": _s(invoice.id), "customer_id": _s(invoice.customer_id),
            "issue_date": _s(invoice.issue_date.isoformat()), "due_date": _s(invoice.due_date.isoformat()),
            "amount": _s(str(invoice.amount)), "amount_due": _s(str(invoice.amount_due)),
            "currency": _s(invoice.currency), "extra": _json_attr(dict(invoice.extra)),
            "completed_on": _s(invoice.completed_on.isoformat()) if invoice.completed_on else {"NULL": True},
            "shard": {"N": str(shard)},
        }
        digest = _digest({**data, "status": _s(invoice.status),
                          "paid_on": _s(invoice.paid_on.isoformat()) if invoice.paid_on else {"NULL": True}})
        key = {"pk": _s(f"INV#{invoice.id}"), "sk": _s("STATE")}
        names, values, sets = _set_clause(data)
        values.update({":h": _s(digest), ":zero": {"N": "0"}, ":one": {"N": "1"}})
        same = "(attribute_not_exists(import_hash) OR import_hash <> :h)"
        if is_open(invoice):
            names["#st"] = "status"
            values.update({":status": _s(invoice.status), ":shard": _s(str(shard)),
                           ":due": _s(f"{invoice.due_date.isoformat()}#{invoice.id}"), ":o": _s("open"),
                           ":d": _s("disputed"), ":l": _s("litigation")})
            # A status set by people (disputed, litigation) is kept; "open" never overrides it.
            status = "#st = if_not_exists(#st, :status)" if invoice.status == "open" else "#st = :status"
            try:
                return self._update(key, f"SET {sets}, {status}, open_shard = :shard, open_due = :due, "
                                         "import_hash = :h, version = if_not_exists(version, :zero) + :one",
                                    names, values, f"{same} AND (attribute_not_exists(pk) OR #st IN (:o, :d, :l))")
            except ClientError as err:
                if not is_conditional_failure(err):
                    raise
            for k in (":status", ":shard", ":due", ":o", ":d", ":l", ":zero"):
                values.pop(k)
            names.pop("#st")
            result = self._update(key, f"SET {sets}, import_hash = :h, version = version + :one", names, values,
                                  f"{same} AND attribute_exists(pk)", missing_ok=True)
            return "unchanged" if result == "unchanged" else "kept_settled"
        names["#st"] = "status"
        values[":status"] = _s(invoice.status if invoice.status in ("paid", "cancelled") else "paid")
        paid = ", paid_on = :paid_on" if invoice.paid_on else ""
        if invoice.paid_on:
            values[":paid_on"] = _s(invoice.paid_on.isoformat())
        return self._update(key, f"SET {sets}, #st = :status{paid}, import_hash = :h, "
                                 "version = if_not_exists(version, :zero) + :one REMOVE open_shard, open_due",
                            names, values, same, missing_ok=True)

    def _update(self, key: dict[str, Any], expression: str, names: dict[str, str], values: dict[str, Any],
                condition: str, *, missing_ok: bool = False) -> str:
        try:
            answer = self.client.update_item(
                TableName=self.table, Key=key, UpdateExpression=expression, ExpressionAttributeNames=names,
                ExpressionAttributeValues=values, ConditionExpression=condition, ReturnValues="UPDATED_OLD")
        except ClientError as err:
            if missing_ok and is_conditional_failure(err):
                return "unchanged"
            raise
        return "updated" if answer.get("Attributes") else "created"

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
        requests = []
        for n, event in enumerate(events):
            at = event.get("at") or now_utc()
            ref = event.get("step") or event.get("ref") or str(n)
            item = {"pk": _s(f"INV#{event['invoice']}"), "sk": _s(f"EVT#{at}#{event['kind']}#{ref}#{n}"),
                    "type": _s("event"), "at": _s(at)}
            for key, value in event.items():
                if key not in ("at",) and value not in (None, ""):
                    item[key] = _s(str(value))
            requests.append({"PutRequest": {"Item": item}})
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
        """A small side record (call task, letter, SES message): plain text fields plus a JSON payload.

        ``expires_at`` (Unix seconds) lets DynamoDB's TTL delete a record that only matters for a while."""
        item = {"pk": _s(pk), "sk": _s(sk), "type": _s(fields.get("type", "record")),
                "payload": _json_attr(fields)}
        if expires_at is not None:
            item["expiration"] = {"N": str(int(expires_at))}
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
        kwargs: dict[str, Any] = {"TableName": self.table, "ConsistentRead": True,
                                  "KeyConditionExpression": condition, "ExpressionAttributeValues": values}
        out: list[tuple[str, dict[str, Any]]] = []
        while True:
            page = self.client.query(**kwargs)
            out.extend((item["sk"]["S"], dict(_from_json_attr(item, "payload"))) for item in page["Items"])
            if "LastEvaluatedKey" not in page:
                return out
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def delete_record(self, pk: str, sk: str) -> None:
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
                      on: date, kind: str = "payment", details: dict[str, str] | None = None) -> str:
        """Apply a payment or refund once per provider event; returns the outcome.

        "duplicate" (this event was already applied), "unmatched" (no such invoice: kept for review),
        or the effect: "partial", "paid", "overpaid", "refund", "reopened". Two events at once are
        serialised by the invoice's version: the loser reads again and applies on top.
        """
        from ..domain.payments import apply_payment, apply_refund

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
            effect = apply_refund(invoice, amount) if kind == "refund" else apply_payment(invoice, amount, on)
            sets = ["amount_due = :due", "#st = :status", "version = version + :one",
                    "payments = list_append(if_not_exists(payments, :empty), :payment)"]
            removes: list[str] = []
            signed = -amount if kind == "refund" else amount
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
                     "amount": _s(str(amount)), "currency": _s(currency), "provider": _s(provider),
                     "provider_id": _s(event_id), "outcome": _s(effect.outcome),
                     **{k: _s(v) for k, v in (details or {}).items() if v}}
            try:
                self.client.transact_write_items(TransactItems=[
                    marker,
                    {"Update": {"TableName": self.table, "Key": {"pk": _s(f"INV#{invoice_id}"), "sk": _s("STATE")},
                                "UpdateExpression": update, "ConditionExpression": "version = :v",
                                "ExpressionAttributeNames": {"#st": "status"}, "ExpressionAttributeValues": values}},
                    {"Put": {"TableName": self.table, "Item": event}},
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

    def cancel_pending(self, invoice_id: str, shard: int, reason: str) -> int:
        """Drop the invoice's actions recorded but not yet queued (the senders re-check what was queued)."""
        pending = [a for a in self.pending_outbox(shard) if a.invoice == invoice_id]
        if pending:
            self.clear_outbox(pending)
            self.append_events([{"invoice": a.invoice, "kind": "action_cancelled", "date": a.run_date.isoformat(),
                                 "step": a.step, "channel": a.channel, "reason": reason} for a in pending])
        return len(pending)

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
        while True:
            page = self.client.scan(**kwargs)
            for item in page["Items"]:
                if item["type"]["S"] == "customer":
                    customer = customer_from_item(item)
                    customers[customer.id] = customer
                else:
                    invoices.append(invoice_from_item(item))
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        known = sorted((i for i in invoices if i.customer_id in customers), key=lambda i: i.id)
        return Book(MappingProxyType(customers), tuple(known))

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


def outbox_key(action: ActionRecord) -> str:
    return "#".join((*action.group, action.invoice, action.step))


def _action_from_item(item: dict[str, Any]) -> ActionRecord:
    tone = item.get("tone", {}).get("S") or None
    return ActionRecord(run_date=date.fromisoformat(item["run_date"]["S"]), shard=int(item["shard"]["N"]),
                        invoice=item["invoice"]["S"], customer=item["customer"]["S"], segment=item["segment"]["S"],
                        scenario=item["scenario"]["S"], step=item["step"]["S"], channel=item["channel"]["S"],
                        tone=tone, rules_digest=item.get("rules_digest", {}).get("S", ""))


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
