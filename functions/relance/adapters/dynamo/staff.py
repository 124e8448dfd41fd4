"""What the account managers' signed links keep (``app.staff``).

| record      | pk                 | sk   | read by                                      |
|-------------|--------------------|------|----------------------------------------------|
| staff link  | STAFF#<link id>    | LINK | every staff page (TTL: the link's expiry)    |

A partition of its own, apart from the debtors' ``PORTAL#``: the portal's role cannot read a staff link, nor the
staff pages' role a debtor's.
"""

from __future__ import annotations

from typing import Any

from .items import _s
from .table import Table

LINK = "LINK"


class StaffTable(Table):
    def keep_staff_link(self, link_id: str, fields: dict[str, Any], *, expires_at: int) -> None:
        self._put_record(f"STAFF#{link_id}", LINK, {"type": "staff_link", **fields}, expires_at=expires_at)

    def staff_link(self, link_id: str) -> dict[str, Any] | None:
        found = self._records(f"STAFF#{link_id}", LINK)
        return found[0] if found else None

    def revoke_staff_link(self, link_id: str) -> bool:
        found = self.staff_link(link_id)
        if found is None:
            return False
        item = self.client.get_item(TableName=self.table, Key={"pk": _s(f"STAFF#{link_id}"), "sk": _s(LINK)},
                                    ConsistentRead=True).get("Item", {})
        expires = int(item.get("expiration", {}).get("N", "0")) or None
        self._put_record(f"STAFF#{link_id}", LINK, {**found, "revoked": True}, expires_at=expires)
        return True
