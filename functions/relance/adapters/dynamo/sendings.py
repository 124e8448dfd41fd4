"""What the channels keep about a sending, each under its own key, with a TTL where it only matters a while.

| record                     | pk                     | sk                         | read by                       |
|----------------------------|------------------------|----------------------------|-------------------------------|
| send whose answer was lost | SENDING#<message key>  | META                       | the e-mail function's retry   |
| e-mail sent                | SES#<SES message id>   | META                       | the SES events (bounces)      |
| SES « Send » confirmation  | SESKEY#<message tag>   | META                       | a retry, a notification       |
| letter posted              | LETTER#<sending id>    | META                       | the postal status callback    |
| letter whose id was lost   | LETTERREF#<reference>  | META                       | the postal status callback    |
| postal status applied      | POSTAL#<sending id>    | STATUS#<status key>        | once-only marker              |
| call task                  | CALLS#<day>            | <manager>#<customer>#<key> | the day's call digest         |
| call digest sent           | DIGEST#<day>           | <manager>                  | the digest's rerun            |
"""

from __future__ import annotations

from datetime import date
from typing import Any

from ...ports import tag_safe
from .items import _s
from .table import Table

META = "META"


class SendingTable(Table):
    """The sending records, by name: no caller builds a key."""

    # -- e-mail --------------------------------------------------------------------------------------
    def note_outcome_unknown(self, message_key: str, fields: dict[str, Any], *, expires_at: int) -> None:
        """An e-mail whose send may have happened (SES's answer was lost): its retry looks for it first."""
        self._put_record(f"SENDING#{message_key}", META, {"type": "send_outcome_unknown", **fields},
                         expires_at=expires_at)

    def outcome_unknown(self, message_key: str) -> dict[str, Any] | None:
        return _first(self._records(f"SENDING#{message_key}"))

    def keep_email(self, ses_message_id: str, message_body: str) -> None:
        """The message an e-mail carried, found again by SES's id when SES reports a bounce."""
        self._put_record(f"SES#{ses_message_id}", META, {"type": "ses_message", "message": message_body})

    def email_message(self, ses_message_id: str) -> str | None:
        """The queued body of the message SES sent under ``ses_message_id``, or ``None``."""
        found = _first(self._records(f"SES#{ses_message_id}"))
        return str(found["message"]) if found else None

    def confirm_email(self, tag: str, ses_message_id: str, *, expires_at: int) -> None:
        """SES's « Send » event for the e-mail tagged ``tag`` (a message key, kept as SES keeps a tag)."""
        self._put_record(f"SESKEY#{tag_safe(tag)}", META, {"type": "ses_sent", "provider_id": ses_message_id},
                         expires_at=expires_at)

    def email_confirmation(self, tag: str) -> str | None:
        """The SES message id confirmed for ``tag``, or ``None``."""
        found = _first(self._records(f"SESKEY#{tag_safe(tag)}"))
        return str(found["provider_id"]) if found else None

    # -- letters -------------------------------------------------------------------------------------
    def keep_letter(self, sending_id: str, record: dict[str, Any]) -> None:
        self._put_record(f"LETTER#{sending_id}", META, {"type": "letter", **record})

    def letter(self, sending_id: str) -> dict[str, Any] | None:
        return _first(self._records(f"LETTER#{sending_id}"))

    def keep_letter_by_reference(self, reference: str, record: dict[str, Any]) -> None:
        """A letter posted whose sending id never reached us: kept under the reference the provider echoes."""
        self._put_record(f"LETTERREF#{reference}", META, {"type": "letter", **record})

    def letter_by_reference(self, reference: str) -> dict[str, Any] | None:
        return _first(self._records(f"LETTERREF#{reference}"))

    def mark_postal_status_once(self, sending_id: str, status_key: str) -> bool:
        """``False`` when this status of this letter was already applied (a callback delivered twice)."""
        return self._mark_once(f"POSTAL#{sending_id}", f"STATUS#{status_key}")

    # -- calls ---------------------------------------------------------------------------------------
    def add_call_task(self, day: date, task: dict[str, Any]) -> None:
        """A call for the account manager's digest of ``day`` (one per manager, customer and message)."""
        self._put_record(f"CALLS#{day.isoformat()}",
                         f"{task['account_manager']}#{task['customer']}#{task['message_key']}",
                         {"type": "call_task", **task})

    def call_tasks(self, day: date) -> list[dict[str, Any]]:
        return self._records(f"CALLS#{day.isoformat()}")

    def note_digest_sent(self, day: date, manager: str, fields: dict[str, Any]) -> None:
        self._put_record(f"DIGEST#{day.isoformat()}", manager,
                         {"type": "digest", "account_manager": manager, **fields})

    def digests_sent(self, day: date) -> list[dict[str, Any]]:
        return self._records(f"DIGEST#{day.isoformat()}")

    def review_notice(self, day: date) -> dict[str, dict[str, Any]]:
        """What the day's notice of payments kept for review recorded: ``notice`` (the payments it lists, chosen
        before sending) and ``sent`` (its SES id), each when written."""
        return dict(self._side_records("pk = :p", {":p": _s(f"REVIEWNOTICE#{day.isoformat()}")}))

    def note_review_notice(self, day: date, part: str, fields: dict[str, Any], *, expires_at: int) -> None:
        self._put_record(f"REVIEWNOTICE#{day.isoformat()}", part, {"type": f"review_{part}", **fields},
                         expires_at=expires_at)


def _first(records: list[dict[str, Any]]) -> dict[str, Any] | None:
    return records[0] if records else None
