"""What debtors' replies need: the reply address of each e-mail, the customers of an address, the replies.

| record                   | pk                        | sk            | read by                                   |
|--------------------------|---------------------------|---------------|-------------------------------------------|
| a message's reply token  | REPLYKEY#<message key>    | META          | the e-mail function (the same on a retry) |
| reply token → message    | REPLYTOKEN#<token>        | META          | the inbound function (TTL: 400 days)      |
| customers of an address  | ADDR#<sha256 of address>  | CUST#<id>     | the inbound function (sender matching)    |
| a reply                  | REPLY#<reply id>          | META          | the inbound function, the staff pages     |

An address is kept hashed (lower case): the key holds no personal data. A customer whose address changed leaves
its old record behind; the reader checks each customer's current address, so a stale one never matches.
"""

from __future__ import annotations

import hashlib
from typing import Any

from ...domain.model import Customer
from .items import _s, customer_from_item, is_conditional_failure
from .table import Table

META = "META"


def address_key(address: str) -> str:
    return "ADDR#" + hashlib.sha256(address.strip().lower().encode("utf-8")).hexdigest()[:40]


def address_item(customer: Customer) -> dict[str, Any] | None:
    """The record that finds ``customer`` by its e-mail address (the import and the seed write it), or ``None``."""
    if not customer.email.strip():
        return None
    return {"pk": _s(address_key(customer.email)), "sk": _s(f"CUST#{customer.id}"), "type": _s("address"),
            "customer": _s(customer.id)}


class ReplyTable(Table):
    def claim_reply_token(self, message_key: str, token: str, fields: dict[str, Any], *, expires_at: int) -> str:
        from botocore.exceptions import ClientError

        try:
            self.client.put_item(TableName=self.table, Item={
                "pk": _s(f"REPLYKEY#{message_key}"), "sk": _s(META), "type": _s("reply_key"), "token": _s(token),
                "expiration": {"N": str(int(expires_at))}}, ConditionExpression="attribute_not_exists(pk)")
        except ClientError as err:
            if not is_conditional_failure(err):
                raise
            held = self.client.get_item(TableName=self.table, Key={"pk": _s(f"REPLYKEY#{message_key}"),
                                                                   "sk": _s(META)}, ConsistentRead=True)["Item"]
            token = held["token"]["S"]
            if self.reply_token(token) is not None:
                return token
        self._put_record(f"REPLYTOKEN#{token}", META, {"type": "reply_token", **fields}, expires_at=expires_at)
        return token

    def reply_token(self, token: str) -> dict[str, Any] | None:
        found = self._records(f"REPLYTOKEN#{token}", META)
        return found[0] if found else None

    def customers_by_email(self, address: str) -> list[Customer]:
        wanted = address.strip().lower()
        if not wanted:
            return []
        found = []
        for item in self._query_all("pk = :p", {":p": _s(address_key(wanted))}):
            customer_id = item.get("customer", {}).get("S", "")
            profile = self.client.get_item(TableName=self.table, Key={"pk": _s(f"CUST#{customer_id}"),
                                                                      "sk": _s("PROFILE")},
                                           ConsistentRead=True).get("Item")
            if profile is None:
                continue
            customer = customer_from_item(profile)
            if customer.email.strip().lower() == wanted:
                found.append(customer)
        return found

    def keep_reply(self, reply_id: str, fields: dict[str, Any]) -> bool:
        if not self._mark_once(f"REPLY#{reply_id}", "RECEIVED"):
            return False
        self._put_record(f"REPLY#{reply_id}", META, fields)
        return True

    def reply(self, reply_id: str) -> dict[str, Any] | None:
        found = self._records(f"REPLY#{reply_id}", META)
        return found[0] if found else None

    def update_reply(self, reply_id: str, fields: dict[str, Any]) -> None:
        self._put_record(f"REPLY#{reply_id}", META, fields)
