"""The DynamoDB store: one table, access patterns first, one module each.

| item              | pk                | sk                                 | read by                     | module   |
|-------------------|-------------------|------------------------------------|-----------------------------|----------|
| customer          | CUST#<id>         | PROFILE                            | BatchGetItem (shard run)    | invoices |
| invoice + dunning | INV#<id>          | STATE                              | GSI OpenByShard (shard run) | invoices |
| history event     | INV#<id>          | EVT#<utc time>#<kind>#<ref>        | Query pk, begins_with EVT#  | invoices |
| import progress   | IMPORT#<id>       | PROGRESS                           | GetItem                     | imports  |
| action, once      | INV#<id>          | ACT#<step>                         | condition on record         | outbox   |
| outbox entry      | OUTBOX#<shard>    | <run date>#<customer>#<channel>#…  | Query pk (next run)         | outbox   |
| message's actions | MSGACTIONS#<key>  | ACTIONS (+ parts, as side records) | Query pk (channel, by ref.) | outbox   |
| parked step       | PARKED            | <ready day>#<key>                  | Query pk, sk ≤ day          | outbox   |
| awaiting approval | APPROVALS         | <invoice>#<step>                   | Query pk (the digest)       | approvals|
| payment event     | PAYEVT#<provider> | <event id>                         | condition on apply          | payments |
| e-invoice status  | EISTATUS#<msg id> | MARK (and EIREVIEW#einvoicing)     | condition on apply          | einvoicing
| portal records    | PORTAL#<link id>, CHECKOUT#<session id>: see ``portal``                                          |
| staff links       | STAFF#<link id>: see ``staff``                                                                   |
| sending records   | SENDING#, SES#, SESKEY#, LETTER#, LETTERREF#, POSTAL#, CALLS#, DIGEST#: see ``sendings`` |
| replies           | REPLYKEY#, REPLYTOKEN#, ADDR#, REPLY#: see ``replies``                                       |

Open, unpaid invoices carry ``open_shard``/``open_due``: the sparse GSI ``OpenByShard`` lists exactly them,
one partition per shard, so N workers read disjoint shards and nothing scans the table. Customers carry
the key of their shard too (sorted after the invoices, ``CUST#<id>``), so one Query returns a shard's open
invoices and their customers together: a run costs about one request per thousand open invoices.

No code outside this package builds a key: every access pattern is a named method.
"""

from __future__ import annotations

from .approvals import ApprovalTable
from .einvoicing import EInvoicingTable
from .imports import ImportTable
from .invoices import InvoiceTable
from .items import (
    ITEM_FAULTS,
    OPEN_INDEX,
    OPEN_STATUSES,
    customer_from_item,
    customer_item,
    invoice_from_item,
    invoice_item,
    is_conditional_failure,
    is_open,
    outbox_key,
    read_customer,
    read_invoice,
)
from .outbox import OutboxTable
from .payments import PaymentTable
from .portal import PortalTable
from .replies import ReplyTable
from .sendings import SendingTable
from .staff import StaffTable

__all__ = ["ITEM_FAULTS", "OPEN_INDEX", "OPEN_STATUSES", "DynamoStore", "customer_from_item", "customer_item",
           "invoice_from_item", "invoice_item", "is_conditional_failure", "is_open", "outbox_key", "read_customer",
           "read_invoice"]


class DynamoStore(InvoiceTable, ImportTable, OutboxTable, SendingTable, PaymentTable, EInvoicingTable,
                  PortalTable, StaffTable, ApprovalTable, ReplyTable):
    """Every port of :mod:`relance.ports` the application uses, on one DynamoDB table."""
