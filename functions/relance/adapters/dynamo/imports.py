"""Imports: export rows merged into the invoices, and a split import's progress."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from ...domain.model import (
    Customer,
    Invoice,
)
from ...domain.reconcile import Upserted, merge_export
from .items import (
    IMPORT_WORKERS,
    _digest,
    _import_attributes,
    _s,
    _set_clause,
    customer_item,
    invoice_from_item,
    is_conditional_failure,
    now_utc,
)
from .replies import address_item
from .table import Table


class ImportTable(Table):
    """Imports of accounting exports: merged row by row, progress of a split import (``IMPORT#``)."""

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
        if (address := address_item(customer)) is not None:  # a reply from this address finds the customer
            self.client.put_item(TableName=self.table, Item=address)
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

