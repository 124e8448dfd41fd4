"""The digest function's use case, once the day's evaluation is done: each account manager's call digest (with the
actions awaiting his approval, ``app.approval_digest``), then
the company's notices of what was kept for a person — payments relance could not apply, platform statuses it
could not follow. Each is sent once per day, whatever the retries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from ..domain.policy import Rules
from ..ports import EmailSender, NoticeStore
from .approval_digest import ApprovalLinks, letter_preview_pdf, previews
from .deliver import send_call_digests
from .einvoicing import notify_platform_statuses
from .review_notice import notify_payments_kept_for_review
from .staff import StaffLinks, approval_links_of


@dataclass(frozen=True, slots=True)
class DailyNotices:
    digests: dict[str, str]  # account manager → provider id of the digest sent today
    review_notice: str | None  # provider id of the notice of payments kept for review, None: nothing new
    platform_notice: str | None  # provider id of the notice of platform statuses kept for review

    def as_dict(self, day: date) -> dict[str, object]:
        return {"run_date": day.isoformat(), "digests": len(self.digests),
                "review_notice": self.review_notice is not None, "platform_notice": self.platform_notice is not None}


def send_daily_notices(*, store: NoticeStore, sender: EmailSender, rules: Rules, day: date,
                       now: datetime, links: StaffLinks | None = None,
                       approval_links: ApprovalLinks | None = None) -> DailyNotices:
    """``links``: the account managers' staff links — on each call of their digest, and the approve / hold links
    of each action awaiting approval (unless ``approval_links`` is given); without them the digest gives the
    commands."""
    if approval_links is None and links is not None:
        approval_links = approval_links_of(links)
    awaiting = previews(store, rules, day, links=approval_links, letter_pdf=letter_preview_pdf)
    digests = send_call_digests(store=store, sender=sender, rules=rules, day=day, now=now, links=links,
                                approvals=awaiting)
    review = notify_payments_kept_for_review(store=store, sender=sender, company=rules.company, day=day, now=now)
    platform = notify_platform_statuses(store=store, sender=sender, company=rules.company, day=day, now=now)
    return DailyNotices(digests, review, platform)
