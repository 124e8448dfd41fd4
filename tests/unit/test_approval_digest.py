"""The account manager's digest lists each action awaiting his approval with a preview — the registered letter's
text as it will go, its PDF attached — and how to decide: the staff pages' links when given, else the commands."""

from __future__ import annotations

from datetime import UTC, date, datetime
from email import message_from_bytes, policy

import pytest

from relance.app.approval_digest import letter_preview_pdf, previews
from relance.app.deliver import send_call_digests
from relance.app.evaluate import evaluate_shard
from relance.domain.sharding import shard_of
from relance.rules.loader import load_rules_or_raise

from ..conftest import SAMPLE_RULES
from ..support.books import book, business, invoice
from ..support.fake_store import FakeQueues, FakeSender, FakeStore

SHARDS = 4
MANAGER = "julie.perrin@atelier.example"
DAY = date(2026, 11, 4)  # F1 is due Mon 5 Oct: the formal notice (J+30) is due this Wednesday


@pytest.fixture
def rules():
    return load_rules_or_raise(SAMPLE_RULES)


@pytest.fixture
def store(rules):
    s = FakeStore(SHARDS)
    s.seed(book([business("C1", name="Menuiserie Martin SARL", account_manager=MANAGER,
                          address={"line1": "3 rue des Lilas", "postal_code": "69003", "city": "Lyon"})],
                [invoice("F1", "C1", due="2026-10-05", amount="1234.56",
                         history=[{"step": "relance_1", "channel": "email", "date": "2026-10-12"},
                                  {"step": "relance_2", "channel": "phone", "date": "2026-10-20"},
                                  {"step": "relance_3", "channel": "email", "date": "2026-10-27"}])]))
    report = evaluate_shard(rules=rules, store=s, queue=FakeQueues(), run_date=DAY, shard=shard_of("C1", SHARDS),
                            record_workers=1)
    assert report.awaiting_approval == 1
    return s


def send_daily_notices(*, store, sender, rules, day, now, approval_links=None):
    """The digest as ``app.daily_notices`` sends it (the notices of payments kept for review apart: the moto test
    runs the whole function)."""
    awaiting = previews(store, rules, day, links=approval_links, letter_pdf=letter_preview_pdf)
    return send_call_digests(store=store, sender=sender, rules=rules, day=day, now=now, approvals=awaiting)


def digest(sender):
    (sent,) = sender.sent
    return sent, message_from_bytes(sent["raw"], policy=policy.default)


def test_the_digest_shows_the_formal_notice_as_it_will_go_with_its_pdf_and_the_commands(rules, store):
    sender = FakeSender()
    digests = send_daily_notices(store=store, sender=sender, rules=rules, day=DAY, now=datetime.now(UTC))
    assert list(digests) == [MANAGER]
    sent, mail = digest(sender)
    assert sent["to"] == [MANAGER]
    assert mail["Subject"] == "À approuver le mercredi 4 novembre 2026\u00a0: 1 envoi en attente"
    text = mail.get_body(("plain",)).get_content()
    assert "Mise en demeure en recommandé AR — Menuiserie Martin SARL (client C1) — 1\u202f234,56\u202f€" in text
    assert "Sans réponse le 07/11/2026, il part quand même." in text
    assert "> Objet\u00a0: " in text and "mise en demeure" in text.lower()
    assert "relance invoice approve F1 --step mise_en_demeure" in text
    assert "relance invoice hold F1 --step mise_en_demeure" in text
    (pdf,) = [part for part in mail.iter_attachments()]
    assert pdf.get_filename() == "apercu-mise-en-demeure-F1.pdf"
    assert pdf.get_content().startswith(b"%PDF")


def test_with_the_staff_links_the_digest_gives_them_instead_of_the_commands(rules, store):
    sender = FakeSender()
    seen = []

    def links(awaiting):
        seen.append((awaiting.invoice, awaiting.step, awaiting.account_manager))
        return (f"https://staff.example/a/{awaiting.invoice}", f"https://staff.example/h/{awaiting.invoice}")

    send_daily_notices(store=store, sender=sender, rules=rules, day=DAY, now=datetime.now(UTC), approval_links=links)
    _, mail = digest(sender)
    text = mail.get_body(("plain",)).get_content()
    assert seen == [("F1", "mise_en_demeure", MANAGER)]
    assert "Approuver (il part à la prochaine évaluation)\u00a0: https://staff.example/a/F1" in text
    assert "https://staff.example/h/F1" in text
    assert "relance invoice approve" not in text


def test_once_decided_it_is_no_longer_in_the_digest(rules, store):
    from relance.app import approvals

    approvals.approve(store, "F1", "mise_en_demeure", by=MANAGER, on=DAY)
    sender = FakeSender()
    send_daily_notices(store=store, sender=sender, rules=rules, day=DAY, now=datetime.now(UTC))
    assert sender.sent == []
