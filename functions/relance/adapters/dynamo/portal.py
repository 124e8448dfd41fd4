"""What the debtor portal keeps and reads.

| record             | pk                   | sk   | read by                                     |
|--------------------|----------------------|------|---------------------------------------------|
| portal link        | PORTAL#<link id>     | LINK | every portal page (TTL: the link's expiry)  |
| checkout session   | CHECKOUT#<session>   | META | the page the debtor comes back to (TTL)     |

A customer's open invoices are read from the sparse GSI ``OpenByShard``: the customer's shard, filtered on its
id — one shard's open invoices at most, never a scan of the table.
"""

from __future__ import annotations

from typing import Any

from ...domain.model import Invoice
from ...domain.sharding import shard_of
from .items import OPEN_INDEX, _s, read_invoice
from .table import Table

LINK = "LINK"
META = "META"


class PortalTable(Table):
    def keep_portal_link(self, link_id: str, fields: dict[str, Any], *, expires_at: int) -> None:
        self._put_record(f"PORTAL#{link_id}", LINK, {"type": "portal_link", **fields}, expires_at=expires_at)

    def portal_link(self, link_id: str) -> dict[str, Any] | None:
        found = self._records(f"PORTAL#{link_id}", LINK)
        return found[0] if found else None

    def revoke_portal_link(self, link_id: str) -> bool:
        found = self.portal_link(link_id)
        if found is None:
            return False
        item = self.client.get_item(TableName=self.table, Key={"pk": _s(f"PORTAL#{link_id}"), "sk": _s(LINK)},
                                    ConsistentRead=True).get("Item", {})
        expires = int(item.get("expiration", {}).get("N", "0")) or None
        self._put_record(f"PORTAL#{link_id}", LINK, {**found, "revoked": True}, expires_at=expires)
        return True

    def customer_open_invoices(self, customer_id: str) -> list[Invoice]:
        kwargs: dict[str, Any] = {
            "TableName": self.table, "IndexName": OPEN_INDEX, "KeyConditionExpression": "open_shard = :p",
            "FilterExpression": "customer_id = :c AND #t = :i", "ExpressionAttributeNames": {"#t": "type"},
            "ExpressionAttributeValues": {":p": _s(str(shard_of(customer_id, self.shards))), ":c": _s(customer_id),
                                          ":i": _s("invoice")}}
        found: list[Invoice] = []
        while True:
            page = self.client.query(**kwargs)
            for item in page["Items"]:
                # The index is eventually consistent: read each again, so a payment just applied shows.
                fresh = self.client.get_item(TableName=self.table, Key={"pk": item["pk"], "sk": item["sk"]},
                                             ConsistentRead=True).get("Item")
                invoice = read_invoice(fresh) if fresh else None
                if isinstance(invoice, Invoice) and invoice.status in ("open", "disputed", "litigation") \
                        and invoice.amount_due > 0:
                    found.append(invoice)
            if "LastEvaluatedKey" not in page:
                return found
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def keep_checkout(self, session_id: str, fields: dict[str, Any], *, expires_at: int) -> None:
        self._put_record(f"CHECKOUT#{session_id}", META, {"type": "checkout", **fields}, expires_at=expires_at)

    def checkout(self, session_id: str) -> dict[str, Any] | None:
        found = self._records(f"CHECKOUT#{session_id}", META)
        return found[0] if found else None
