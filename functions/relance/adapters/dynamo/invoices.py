"""Invoices, customers and their history (``INV#``/``CUST#``)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import date
from types import MappingProxyType
from typing import Any

from botocore.exceptions import ClientError

from ...domain.model import (
    Book,
    Customer,
    Invoice,
    Unusable,
)
from ...ports import ShardSnapshot
from .items import (
    OPEN_INDEX,
    _key_id,
    _plain,
    _s,
    customer_from_item,
    customer_item,
    invoice_from_item,
    invoice_item,
    is_conditional_failure,
    now_utc,
    read_customer,
    read_invoice,
)
from .replies import address_item
from .table import Table


class InvoiceTable(Table):
    """Invoices, customers and their history: the daily read, the channels' re-check, what people learn."""

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

    def seed(self, book: Book) -> None:
        """Write a whole book as it stands, dunning state included (the demo and tests start from it)."""
        items = [customer_item(c, self.shards) for c in book.customers.values()]
        items += [a for c in book.customers.values() if (a := address_item(c)) is not None]
        items += [invoice_item(i, self.shards) for i in book.invoices]
        requests = [{"PutRequest": {"Item": item}} for item in items]
        for start in range(0, len(requests), 25):
            pending: dict[str, Any] = {self.table: requests[start:start + 25]}
            while pending:
                pending = self.client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}

    # -- the channels ------------------------------------------------------------------------------
    def invoices(self, ids: Iterable[str]) -> dict[str, Invoice | Unusable]:
        """Fresh, strongly consistent reads: a channel re-checks before it sends. An item that cannot be used
        (poisoned after planning) comes back as why, so that the channel records it instead of failing."""
        wanted = sorted(set(ids))
        found: dict[str, Invoice | Unusable] = {}
        for start in range(0, len(wanted), 100):
            request: dict[str, Any] = {self.table: {"Keys": [{"pk": _s(f"INV#{i}"), "sk": _s("STATE")}
                                                             for i in wanted[start:start + 100]],
                                                    "ConsistentRead": True}}
            while request:
                answer = self.client.batch_get_item(RequestItems=request)
                for item in answer["Responses"].get(self.table, []):
                    found[_key_id(item, "INV#")] = read_invoice(item)
                request = answer.get("UnprocessedKeys") or {}
        return found

    def customer(self, customer_id: str) -> Customer | None:
        item = self.client.get_item(TableName=self.table, Key={"pk": _s(f"CUST#{customer_id}"), "sk": _s("PROFILE")},
                                    ConsistentRead=True).get("Item")
        return customer_from_item(item) if item else None

    def mark_email_bad(self, customer_id: str, reason: str) -> None:
        """A bounce or complaint: the address is not used again until the next import brings a new one."""
        self.client.update_item(TableName=self.table, Key={"pk": _s(f"CUST#{customer_id}"), "sk": _s("PROFILE")},
                                UpdateExpression="SET email_status = :bad, email_status_reason = :why",
                                ExpressionAttributeValues={":bad": _s("bad"), ":why": _s(reason)})

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

    def checked_invoice(self, invoice_id: str) -> Invoice | Unusable | None:
        """The invoice, or why its item is set aside (a field unreadable or outside SPEC §3's bounds): what a
        person's command reads before it records anything on it."""
        item = self.client.get_item(TableName=self.table, Key={"pk": _s(f"INV#{invoice_id}"), "sk": _s("STATE")},
                                    ConsistentRead=True).get("Item")
        return read_invoice(item) if item else None

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


