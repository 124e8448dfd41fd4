"""In-memory fakes of the ports (``relance.ports``): the store, a queue, an e-mail sender, documents.

:class:`FakeStore` keeps the semantics the application relies on — an invoice's version guarding every
change, an action recorded once per invoice + step, a problem recorded once, payments applied once per
provider event, the outbox, once-only markers, side records read back as written (JSON, money as
``Decimal``) — without a table. ``tests/integration/test_store_contract.py`` runs the same checks on it and
on the DynamoDB adapter against moto, so the two cannot drift apart.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from relance.domain.approval import ApprovalState
from relance.domain.model import Book, Customer, HistoryEntry, Invoice, Payment, Unusable
from relance.domain.payments import apply_payment, apply_refund, currency_problem
from relance.domain.plans import PaymentPlan
from relance.domain.reconcile import Upserted, merge_export
from relance.domain.sharding import shard_of
from relance.ports import ActionRecord, ShardSnapshot

OPEN_STATUSES = ("open", "disputed", "litigation")


def _is_open(invoice: Invoice) -> bool:
    return invoice.status in OPEN_STATUSES and invoice.amount_due > 0


def _stored(fields: dict[str, Any]) -> dict[str, Any]:
    """Fields as a side record gives them back: through JSON, numbers as ``Decimal``."""
    return dict(json.loads(json.dumps(fields, ensure_ascii=False, sort_keys=True, default=str),
                           parse_float=Decimal))


class FakeStore:
    """Every store port of ``relance.ports``, in memory; thread-safe like a table (the evaluator records in
    parallel)."""

    def __init__(self, shards: int = 16) -> None:
        self.shards = shards
        self._lock = threading.RLock()
        self._ticks = itertools.count()
        self.customers_by_id: dict[str, Customer] = {}
        self._bad_email: dict[str, str] = {}
        self._invoices: dict[str, tuple[Invoice, int]] = {}
        self._overpaid: dict[str, Decimal] = {}
        self._actions: set[tuple[str, str]] = set()
        self._invalid: dict[str, str] = {}
        self._events: dict[str, list[tuple[str, dict[str, Any]]]] = {}
        self._outbox: dict[int, dict[str, ActionRecord]] = {}
        self._message_actions: dict[str, list[dict[str, str]]] = {}
        self._parked: dict[str, dict[str, Any]] = {}
        self._sendings: dict[tuple[str, str], dict[str, Any]] = {}
        self._calls: dict[date, dict[str, dict[str, Any]]] = {}
        self._digests: dict[date, dict[str, dict[str, Any]]] = {}
        self._marks: set[tuple[str, str]] = set()
        self._einvoicing_seen: set[str] = set()
        self._einvoicing_reviews: list[dict[str, str]] = []
        self._payment_events: set[tuple[str, str]] = set()
        self._charges: dict[tuple[str, str], tuple[Decimal, list[str]]] = {}
        self._kept: list[dict[str, str]] = []
        self._imports: dict[str, dict[str, Any]] = {}
        self._awaiting: dict[tuple[str, str], dict[str, Any]] = {}

    # -- setting up ------------------------------------------------------------------------------------
    def seed(self, book: Book) -> None:
        with self._lock:
            self.customers_by_id.update(book.customers)
            for invoice in book.invoices:
                self._invoices[invoice.id] = (invoice, 1)

    def _customer_as_read(self, customer: Customer) -> Customer:
        return replace(customer, email="") if customer.id in self._bad_email else customer

    def _event(self, invoice_id: str, fields: dict[str, Any]) -> None:
        at = datetime.now(UTC).isoformat(timespec="microseconds")
        event = {"at": at, **{k: (v if isinstance(v, list) else str(v)) for k, v in fields.items()
                              if v not in (None, "")}}
        self._events.setdefault(invoice_id, []).append((f"{at}#{next(self._ticks):08d}", event))

    # -- the daily path --------------------------------------------------------------------------------
    def open_invoices(self, shard: int) -> ShardSnapshot:
        with self._lock:
            customers = {c.id: self._customer_as_read(c) for c in self.customers_by_id.values()
                         if shard_of(c.id, self.shards) == shard}
            found = sorted((pair for pair in self._invoices.values()
                            if _is_open(pair[0]) and shard_of(pair[0].customer_id, self.shards) == shard),
                           key=lambda pair: (pair[0].due_date, pair[0].id))
            known = [i for i, _ in found if i.customer_id in customers]
            unusable = tuple(Unusable.field(i.id, i.customer_id, "customer_id",
                                            f"client « {i.customer_id} » introuvable dans la table",
                                            f"table item CUST#{i.customer_id}")
                             for i, _ in found if i.customer_id not in customers)
            return ShardSnapshot(Book(MappingProxyType(customers), tuple(known), unusable),
                                 {i.id: v for i, v in found})

    def record_unusable(self, aside: Unusable, run_date: date) -> bool:
        digest = hashlib.sha256(f"{aside.reason}|{aside.problem}".encode()).hexdigest()[:32]
        with self._lock:
            if self._invalid.get(aside.invoice) == digest:
                return False
            self._invalid[aside.invoice] = digest
            self._event(aside.invoice, {"kind": "invalid_data", "invoice": aside.invoice, "customer": aside.customer,
                                        "reason": aside.reason, "problem": aside.problem[:1000],
                                        "where": aside.where[:300] or "-", "date": run_date.isoformat()})
            return True

    def record_action(self, action: ActionRecord, read_version: int) -> bool:
        with self._lock:
            found = self._invoices.get(action.invoice)
            if (action.invoice, action.step) in self._actions or found is None:
                return False
            invoice, version = found
            held = invoice.status != "open" and not (invoice.status == "disputed" and invoice.dispute_until is not None
                                                     and invoice.dispute_until < action.run_date)
            if version != read_version or held or not _is_open(invoice):
                return False
            self._actions.add((action.invoice, action.step))
            entry = HistoryEntry(action.step, action.run_date, action.channel)
            self._invoices[action.invoice] = (replace(invoice, history=(*invoice.history, entry)), version + 1)
            self._event(action.invoice, {"kind": "action_planned", "date": action.run_date.isoformat(),
                                         "run_date": action.run_date.isoformat(), "customer": action.customer,
                                         "segment": action.segment, "scenario": action.scenario,
                                         "step": action.step, "channel": action.channel, "tone": action.tone or "",
                                         "rules_digest": action.rules_digest, "shard": action.shard,
                                         "invoice": action.invoice})
            self._outbox.setdefault(action.shard, {})[_outbox_key(action)] = action
            return True

    # -- approvals ---------------------------------------------------------------------------------------
    def request_approval(self, action: ActionRecord, read_version: int) -> bool:
        with self._lock:
            found = self._invoices.get(action.invoice)
            if found is None:
                return False
            invoice, version = found
            if (version != read_version or invoice.status != "open" or not _is_open(invoice)
                    or (invoice.approval is not None and invoice.approval.step == action.step)):
                return False
            approval = ApprovalState(action.step, "pending", action.run_date, channel=action.channel,
                                     scenario=action.scenario)
            self._invoices[action.invoice] = (replace(invoice, approval=approval), version + 1)
            details = {"run_date": action.run_date.isoformat(), "customer": action.customer,
                       "segment": action.segment, "scenario": action.scenario, "step": action.step,
                       "channel": action.channel, "tone": action.tone or "", "rules_digest": action.rules_digest,
                       "shard": str(action.shard), "invoice": action.invoice}
            self._event(action.invoice, {"kind": "approval_requested", "date": action.run_date.isoformat(),
                                         **details})
            self._awaiting[(action.invoice, action.step)] = _stored(
                {k: v for k, v in {**details, "requested_on": action.run_date.isoformat()}.items()})
            return True

    def decide_approval(self, invoice_id: str, step: str, *, state: str, kind: str, on: date, by: str,
                        from_states: tuple[str, ...], details: dict[str, str] | None = None) -> bool:
        with self._lock:
            found = self._invoices.get(invoice_id)
            if found is None:
                return False
            invoice, version = found
            approval = invoice.approval
            if approval is None or approval.step != step or approval.state not in from_states:
                return False
            decided = replace(approval, state=state, decided_on=on, by=by)
            self._invoices[invoice_id] = (replace(invoice, approval=decided), version + 1)
            self._event(invoice_id, {"kind": kind, "date": on.isoformat(), "invoice": invoice_id, "step": step,
                                     "by": by, "channel": "people", **{k: v for k, v in (details or {}).items() if v}})
            self._awaiting.pop((invoice_id, step), None)
            return True

    def awaiting_approvals(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(self._awaiting[k]) for k in sorted(self._awaiting)]

    def pending_outbox(self, shard: int, *, with_cancelled: bool = False) -> list[ActionRecord]:
        with self._lock:
            out = [a for _, a in sorted(self._outbox.get(shard, {}).items())]
        return out if with_cancelled else [a for a in out if not a.cancelled]

    def clear_outbox(self, actions: Sequence[ActionRecord]) -> None:
        with self._lock:
            for action in actions:
                self._outbox.get(action.shard, {}).pop(_outbox_key(action), None)

    def cancel_pending(self, invoice_id: str, shard: int, reason: str) -> int:
        cancelled = 0
        with self._lock:
            for key, action in list(self._outbox.get(shard, {}).items()):
                if action.invoice != invoice_id or action.cancelled:
                    continue
                self._outbox[shard][key] = replace(action, cancelled=reason)
                self._event(invoice_id, {"invoice": invoice_id, "kind": "action_cancelled",
                                         "date": action.run_date.isoformat(), "step": action.step,
                                         "channel": action.channel, "reason": reason})
                cancelled += 1
        return cancelled

    def put_message_actions(self, key: str, actions: Sequence[dict[str, str]]) -> None:
        with self._lock:
            self._message_actions[key] = [dict(a) for a in actions]

    def message_actions(self, key: str) -> list[dict[str, str]]:
        with self._lock:
            return [dict(a) for a in self._message_actions.get(key, [])]

    # -- parked litigation steps -----------------------------------------------------------------------
    def park(self, ready_on: date, key: str, fields: dict[str, Any]) -> None:
        with self._lock:
            self._parked[f"{ready_on.isoformat()}#{key}"] = _stored(fields)

    def parked_until(self, day: date) -> list[tuple[str, dict[str, Any]]]:
        with self._lock:
            return [(k, dict(v)) for k, v in sorted(self._parked.items()) if k <= f"{day.isoformat()}#\uffff"]

    def unpark(self, parked_id: str) -> None:
        with self._lock:
            self._parked.pop(parked_id, None)

    # -- reading ---------------------------------------------------------------------------------------
    def invoice(self, invoice_id: str) -> tuple[Invoice, int] | None:
        with self._lock:
            return self._invoices.get(invoice_id)

    def checked_invoice(self, invoice_id: str) -> Invoice | None:
        """Everything this store holds was written as an ``Invoice``: nothing in it is ever unusable."""
        found = self.invoice(invoice_id)
        return found[0] if found else None

    def invoices(self, ids: Iterable[str]) -> dict[str, Invoice]:
        with self._lock:
            return {i: self._invoices[i][0] for i in set(ids) if i in self._invoices}

    def customer(self, customer_id: str) -> Customer | None:
        with self._lock:
            found = self.customers_by_id.get(customer_id)
            return self._customer_as_read(found) if found else None

    def customers(self, ids: Iterable[str]) -> dict[str, Customer]:
        with self._lock:
            return {i: self._customer_as_read(self.customers_by_id[i]) for i in set(ids) if i in self.customers_by_id}

    def history(self, invoice_id: str) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(e) for _, e in sorted(self._events.get(invoice_id, []), key=lambda pair: pair[0])]

    def whole_book(self) -> Book:
        with self._lock:
            customers = {c.id: self._customer_as_read(c) for c in self.customers_by_id.values()}
            invoices = sorted((i for i, _ in self._invoices.values() if i.customer_id in customers),
                              key=lambda i: i.id)
            return Book(MappingProxyType(customers), tuple(invoices))

    # -- history and what people learn -----------------------------------------------------------------
    def append_events(self, events: Sequence[dict[str, Any]]) -> None:
        with self._lock:
            for event in events:
                self._event(str(event["invoice"]), dict(event))

    def mark_email_bad(self, customer_id: str, reason: str) -> None:
        with self._lock:
            self._bad_email[customer_id] = reason

    def update_invoice_state(self, invoice_id: str, *, kind: str, on: date, sets: dict[str, Any],
                             removes: tuple[str, ...] = (), when_status: tuple[str, ...] = (),
                             details: dict[str, str] | None = None) -> bool:
        with self._lock:
            found = self._invoices.get(invoice_id)
            if found is None or (when_status and found[0].status not in when_status):
                return False
            invoice, version = found
            changes: dict[str, Any] = {name: "" if name == "reply_pending" else None for name in removes}
            for name, value in sets.items():
                changes[name] = date.fromisoformat(value) if name.endswith(("_until", "_on")) else value
            self._invoices[invoice_id] = (replace(invoice, **changes), version + 1)
            self._event(invoice_id, {"kind": kind, "date": on.isoformat(), "channel": "people",
                                     **{k: v for k, v in (details or {}).items() if v}})
            return True

    def record_payment_plan(self, invoice_id: str, plan: PaymentPlan, *, on: date,
                            details: dict[str, str]) -> bool:
        with self._lock:
            found = self._invoices.get(invoice_id)
            if found is None or found[0].status != "open" or found[0].payment_plan is not None:
                return False
            invoice, version = found
            self._invoices[invoice_id] = (replace(invoice, payment_plan=plan, promise_to_pay_until=None), version + 1)
            self._event(invoice_id, {"kind": "plan_agreed", "date": on.isoformat(), "channel": "people",
                                     **{k: v for k, v in details.items() if v}})
            return True

    def apply_platform_status(self, *, message_id: str, invoice_id: str, code: str, on: date,
                              sets: dict[str, str], when_status: tuple[str, ...] = (),
                              details: dict[str, str] | None = None, review: str = "",
                              known_invoice: bool = True) -> str:
        with self._lock:
            if message_id in self._einvoicing_seen:
                return "duplicate"
            self._einvoicing_seen.add(message_id)
            fields = {k: v for k, v in {"invoice_ref": invoice_id, "code": code, "date": on.isoformat(),
                                        **(details or {})}.items() if v}
            if review or not known_invoice:
                self._einvoicing_reviews.append({"message_id": message_id, **fields,
                                                 "review_key": f"{on.isoformat()}#{message_id}",
                                                 "review": review or "unmatched"})
            if not known_invoice:
                return "unmatched"
            found = self._invoices.get(invoice_id)
            applied = bool(sets) and found is not None and (not when_status or found[0].status in when_status)
            if applied:
                invoice, version = found
                changes = {k: date.fromisoformat(v) if k.endswith(("_until", "_on")) else v for k, v in sets.items()}
                self._invoices[invoice_id] = (replace(invoice, **changes), version + 1)
            self._event(invoice_id, {"kind": "einvoicing_status", "channel": "platform", "message_id": message_id,
                                     "outcome": "applied" if applied else "recorded",
                                     **{k: v for k, v in fields.items() if k != "invoice_ref"}})
            return "applied" if applied else "recorded"

    def einvoicing_reviews(self) -> list[dict[str, str]]:
        with self._lock:
            return sorted((dict(r) for r in self._einvoicing_reviews), key=lambda r: (r["date"], r["message_id"]))

    def mark_einvoicing_reviews_notified(self, kept: list[dict[str, str]], on: date) -> None:
        with self._lock:
            keys = {k["review_key"] for k in kept}
            for review in self._einvoicing_reviews:
                if review["review_key"] in keys:
                    review["notified_on"] = on.isoformat()

    def record_delivery(self, invoice_id: str, step: str, delivered_on: date) -> bool:
        with self._lock:
            found = self._invoices.get(invoice_id)
            if found is None:
                return False
            invoice, version = found
            index = next((i for i, h in enumerate(invoice.history) if h.step == step), None)
            if index is None:
                return False
            history = list(invoice.history)
            history[index] = replace(history[index], delivered_on=delivered_on)
            self._invoices[invoice_id] = (replace(invoice, history=tuple(history)), version + 1)
            return True

    # -- payments --------------------------------------------------------------------------------------
    def apply_payment(self, *, provider: str, event_id: str, invoice_id: str, amount: Decimal, currency: str,
                      on: date, kind: str = "payment", details: dict[str, str] | None = None, charge: str = "",
                      charge_refunded: Decimal | None = None, refund_ids: Sequence[str] = ()) -> str:
        with self._lock:
            if (provider, event_id) in self._payment_events:
                return "duplicate"
            found = self._invoices.get(invoice_id) if invoice_id else None
            if found is None:
                self._payment_events.add((provider, event_id))
                self._kept.append({"provider": provider, "event_id": event_id, "reason": "unmatched",
                                   "invoice_ref": invoice_id, "amount": str(amount), "currency": currency,
                                   "date": on.isoformat(), "kind": kind})
                return "unmatched"
            invoice, version = found
            problem = None if provider == "manual" else currency_problem(invoice.currency, currency)
            if problem is not None:
                self._payment_events.add((provider, event_id))
                self._kept.append({"provider": provider, "event_id": event_id, "reason": problem,
                                   "invoice_ref": invoice.id, "amount": str(amount), "currency": currency,
                                   "invoice_currency": invoice.currency, "date": on.isoformat(), "kind": kind})
                self._event(invoice.id, {"kind": "payment_review", "date": on.isoformat(), "provider": provider,
                                         "provider_id": event_id, "payment_kind": kind, "outcome": problem,
                                         "amount": str(amount), "currency": currency,
                                         "invoice_currency": invoice.currency, "reason": problem,
                                         **(details or {})})
                return "review"
            applied, new_ids = amount, list(dict.fromkeys(refund_ids))
            if kind == "refund" and charge and charge_refunded is not None:
                counted, seen = self._charges.get((provider, charge), (Decimal(0), []))
                new_ids = [r for r in new_ids if r not in seen]
                applied = charge_refunded - counted
                self._payment_events.add((provider, event_id))
                if applied <= 0:
                    return "duplicate"
                self._charges[(provider, charge)] = (charge_refunded, [*seen, *new_ids])
            self._payment_events.add((provider, event_id))
            effect = apply_refund(invoice, applied) if kind == "refund" else apply_payment(invoice, applied, on)
            signed = -applied if kind == "refund" else applied
            if effect.overpaid > 0:
                self._overpaid[invoice.id] = effect.overpaid
            self._invoices[invoice.id] = (replace(
                invoice, amount_due=effect.amount_due, status=effect.status, paid_on=effect.paid_on,
                payments=(*invoice.payments, Payment(on, signed, (details or {}).get("source", "")))), version + 1)
            self._event(invoice.id, {"kind": kind, "date": on.isoformat(), "amount": str(applied),
                                     "currency": currency, "provider": provider, "provider_id": event_id,
                                     "outcome": effect.outcome, "charge": charge,
                                     **({"refund_ids": new_ids} if new_ids else {}),
                                     **{k: v for k, v in (details or {}).items() if v}})
        if effect.status == "paid":
            self.cancel_pending(invoice_id, shard_of(invoice.customer_id, self.shards), "paid")
        return effect.outcome

    def review_payments(self, providers: Sequence[str] = ("stripe", "generic")) -> list[dict[str, str]]:
        with self._lock:
            return [dict(k) for k in self._kept if k["provider"] in providers]

    # -- imports ---------------------------------------------------------------------------------------
    def upsert_customer(self, customer: Customer) -> str:
        with self._lock:
            before = self.customers_by_id.get(customer.id)
            if before == customer:
                return "unchanged"
            self.customers_by_id[customer.id] = customer
            self._bad_email.pop(customer.id, None)  # a new profile from the accounting: its address is tried again
            return "updated" if before is not None else "created"

    def upsert_customers(self, customers: Sequence[Customer]) -> list[str]:
        return [self.upsert_customer(c) for c in customers]

    def upsert_invoice(self, invoice: Invoice) -> str:
        return self.upsert_invoices([invoice])[0].outcome

    def upsert_invoices(self, invoices: Sequence[Invoice]) -> list[Upserted]:
        out = []
        with self._lock:
            for exported in invoices:
                found = self._invoices.get(exported.id)
                merged = merge_export(exported, found[0] if found else None)
                kept = "kept_settled" if merged.kept_settled else None
                m = merged.invoice
                if found is None:
                    new = replace(m, payments=(), history=(), promise_to_pay_until=None, booked_due=merged.booked_due)
                else:
                    new = replace(found[0], customer_id=m.customer_id, issue_date=m.issue_date, due_date=m.due_date,
                                  amount=m.amount, amount_due=m.amount_due, booked_due=merged.booked_due,
                                  currency=m.currency, status=m.status, extra=m.extra, completed_on=m.completed_on,
                                  paid_on=m.paid_on)
                if found is not None and new == found[0]:
                    out.append(Upserted(kept or "unchanged", merged.disagreements))
                    continue
                self._invoices[exported.id] = (new, (found[1] if found else 0) + 1)
                out.append(Upserted(kept or ("updated" if found else "created"), merged.disagreements))
        return out

    def start_import(self, import_id: str, *, chunks: int, rows: int) -> None:
        with self._lock:
            self._imports.setdefault(import_id, {"chunks": chunks, "rows": rows, "chunks_done": 0, "rows_done": 0,
                                                 "done": set()})

    def chunk_done(self, import_id: str, chunk: int, *, rows: int) -> dict[str, int] | None:
        with self._lock:
            progress = self._imports.get(import_id)
            if progress is None or chunk in progress["done"]:
                return None
            progress["done"].add(chunk)
            progress["chunks_done"] += 1
            progress["rows_done"] += rows
            return self.import_progress(import_id)

    def chunk_counted(self, import_id: str, chunk: int) -> bool:
        with self._lock:
            return chunk in self._imports.get(import_id, {"done": set()})["done"]

    def import_progress(self, import_id: str) -> dict[str, int]:
        with self._lock:
            progress = self._imports[import_id]
            return {k: progress[k] for k in ("chunks", "rows", "chunks_done", "rows_done")}

    # -- sending records -------------------------------------------------------------------------------
    def _keep(self, kind: str, key: str, fields: dict[str, Any]) -> None:
        with self._lock:
            self._sendings[(kind, key)] = _stored(fields)

    def _kept_record(self, kind: str, key: str) -> dict[str, Any] | None:
        with self._lock:
            found = self._sendings.get((kind, key))
            return dict(found) if found is not None else None

    # -- the portal ------------------------------------------------------------------------------------
    def keep_portal_link(self, link_id: str, fields: dict[str, Any], *, expires_at: int) -> None:
        self._keep("portal_link", link_id, {"type": "portal_link", **fields})

    def portal_link(self, link_id: str) -> dict[str, Any] | None:
        return self._kept_record("portal_link", link_id)

    def revoke_portal_link(self, link_id: str) -> bool:
        found = self.portal_link(link_id)
        if found is None:
            return False
        self._keep("portal_link", link_id, {**found, "revoked": True})
        return True

    # -- the staff links ------------------------------------------------------------------------------
    def keep_staff_link(self, link_id: str, fields: dict[str, Any], *, expires_at: int) -> None:
        self._keep("staff_link", link_id, {"type": "staff_link", **fields})

    def staff_link(self, link_id: str) -> dict[str, Any] | None:
        return self._kept_record("staff_link", link_id)

    def revoke_staff_link(self, link_id: str) -> bool:
        found = self.staff_link(link_id)
        if found is None:
            return False
        self._keep("staff_link", link_id, {**found, "revoked": True})
        return True

    def customer_open_invoices(self, customer_id: str) -> list[Invoice]:
        with self._lock:
            return [i for i, _ in self._invoices.values() if i.customer_id == customer_id and _is_open(i)]

    # -- replies ---------------------------------------------------------------------------------------
    def claim_reply_token(self, message_key: str, token: str, fields: dict[str, Any], *, expires_at: int) -> str:
        with self._lock:
            held = self._sendings.get(("reply_key", message_key))
            if held is not None:
                return str(held["token"])
            self._sendings[("reply_key", message_key)] = {"token": token}
            self._sendings[("reply_token", token)] = _stored({"type": "reply_token", **fields})
            return token

    def reply_token(self, token: str) -> dict[str, Any] | None:
        return self._kept_record("reply_token", token)

    def customers_by_email(self, address: str) -> list[Customer]:
        wanted = address.strip().lower()
        with self._lock:
            return [self._customer_as_read(c) for c in self.customers_by_id.values()
                    if c.email and c.email.strip().lower() == wanted]

    def keep_reply(self, reply_id: str, fields: dict[str, Any]) -> bool:
        with self._lock:
            if ("reply", reply_id) in self._sendings:
                return False
            self._sendings[("reply", reply_id)] = _stored(fields)
            return True

    def reply(self, reply_id: str) -> dict[str, Any] | None:
        return self._kept_record("reply", reply_id)

    def update_reply(self, reply_id: str, fields: dict[str, Any]) -> None:
        self._keep("reply", reply_id, fields)

    def keep_checkout(self, session_id: str, fields: dict[str, Any], *, expires_at: int) -> None:
        self._keep("checkout", session_id, {"type": "checkout", **fields})

    def checkout(self, session_id: str) -> dict[str, Any] | None:
        return self._kept_record("checkout", session_id)

    def note_outcome_unknown(self, message_key: str, fields: dict[str, Any], *, expires_at: int) -> None:
        self._keep("sending", message_key, {"type": "send_outcome_unknown", **fields})

    def outcome_unknown(self, message_key: str) -> dict[str, Any] | None:
        return self._kept_record("sending", message_key)

    def keep_email(self, ses_message_id: str, message_body: str) -> None:
        self._keep("email", ses_message_id, {"type": "ses_message", "message": message_body})

    def email_message(self, ses_message_id: str) -> str | None:
        found = self._kept_record("email", ses_message_id)
        return str(found["message"]) if found else None

    def confirm_email(self, tag: str, ses_message_id: str, *, expires_at: int) -> None:
        self._keep("confirmation", _tag(tag), {"type": "ses_sent", "provider_id": ses_message_id})

    def email_confirmation(self, tag: str) -> str | None:
        found = self._kept_record("confirmation", _tag(tag))
        return str(found["provider_id"]) if found else None

    def keep_letter(self, sending_id: str, record: dict[str, Any]) -> None:
        self._keep("letter", sending_id, {"type": "letter", **record})

    def letter(self, sending_id: str) -> dict[str, Any] | None:
        return self._kept_record("letter", sending_id)

    def keep_letter_by_reference(self, reference: str, record: dict[str, Any]) -> None:
        self._keep("letter_ref", reference, {"type": "letter", **record})

    def letter_by_reference(self, reference: str) -> dict[str, Any] | None:
        return self._kept_record("letter_ref", reference)

    def mark_postal_status_once(self, sending_id: str, status_key: str) -> bool:
        with self._lock:
            if (sending_id, status_key) in self._marks:
                return False
            self._marks.add((sending_id, status_key))
            return True

    def add_call_task(self, day: date, task: dict[str, Any]) -> None:
        with self._lock:
            key = f"{task['account_manager']}#{task['customer']}#{task['message_key']}"
            self._calls.setdefault(day, {})[key] = _stored({"type": "call_task", **task})

    def call_tasks(self, day: date) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(t) for _, t in sorted(self._calls.get(day, {}).items())]

    def note_digest_sent(self, day: date, manager: str, fields: dict[str, Any]) -> None:
        with self._lock:
            self._digests.setdefault(day, {})[manager] = _stored(
                {"type": "digest", "account_manager": manager, **fields})

    def digests_sent(self, day: date) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(d) for _, d in sorted(self._digests.get(day, {}).items())]


def _outbox_key(action: ActionRecord) -> str:
    return "#".join((*action.group, action.invoice, action.step))


def _tag(value: str) -> str:
    from relance.ports import tag_safe

    return tag_safe(value)


class FakeQueues:
    """:class:`relance.ports.MessageQueue`: what was queued, per channel; ``refuse`` makes it take nothing."""

    def __init__(self) -> None:
        self.queued: dict[str, list[tuple[str, str]]] = {}
        self.refuse = False

    def send(self, channel: str, bodies: Sequence[tuple[str, str]]) -> set[str]:
        if self.refuse:
            return set()
        self.queued.setdefault(channel, []).extend(bodies)
        return {key for key, _ in bodies}

    def bodies(self, channel: str) -> list[dict[str, Any]]:
        return [json.loads(body) for _, body in self.queued.get(channel, [])]


class FakeSender:
    """:class:`relance.ports.EmailSender`: the raw messages it was given; ``fail`` raises instead."""

    def __init__(self, fail: Callable[[], None] | None = None) -> None:
        self.sent: list[dict[str, Any]] = []
        self.fail = fail

    def send(self, *, raw: bytes, sender: str, to: Sequence[str], reply_to: str, tags: dict[str, str]) -> str:
        if self.fail is not None:
            self.fail()
        self.sent.append({"raw": raw, "sender": sender, "to": list(to), "reply_to": reply_to, "tags": dict(tags)})
        return f"fake-{len(self.sent)}"


class FakeDocuments:
    """:class:`relance.ports.Documents` in a dict."""

    def __init__(self) -> None:
        self.objects: dict[str, tuple[bytes, str]] = {}

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self.objects[key] = (data, content_type)

    def get(self, key: str) -> bytes | None:
        found = self.objects.get(key)
        return found[0] if found else None

    def presign(self, key: str, seconds: int) -> str:
        return f"https://documents.example/{key}?expires={seconds}"
