"""Issue 15: what the dossier's chronology and requête say of calls and of retried sendings — facts, in French."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from relance.app.deliver import ChannelMessage, Channels, MessageAction
from relance.app.manual import record_call
from relance.litigation.documents import render_chronologie, render_requete
from relance.ports import AlreadySent
from relance.rules.loader import load_rules_or_raise

from ..conftest import SAMPLE_RULES
from ..support.books import book, business, invoice
from ..support.fake_store import FakeDocuments, FakeStore
from .test_dossier_pdf import CHRONOLOGY, text_of
from .test_dossier_pdf import business as facts

ENGLISH = ("already posted", "retry", "confirmed by SES", "lost answer")


def flat(pdf: bytes) -> str:
    return " ".join(text_of(pdf).split())


# -- calls: planned is not made ------------------------------------------------------------------------------

def test_a_call_only_planned_reads_as_planned_and_the_requete_claims_no_call():
    f = facts(chronology=CHRONOLOGY)  # its call is a call_task: on the account manager's list
    chronologie, requete = flat(render_chronologie(f)), flat(render_requete(f))
    assert "18/04/2025 Appel téléphonique prévu" in chronologie
    assert "Appel téléphonique passé" not in chronologie and "Appel téléphonique de relance" not in chronologie
    assert "téléphon" not in requete


def test_a_call_made_reads_as_done_with_its_outcome_and_the_requete_says_so():
    made = {"date": "2025-04-22", "kind": "call_made", "channel": "phone",
            "note": "Le gérant promet un virement sous huit jours"}
    f = facts(chronology=(*CHRONOLOGY, made))
    chronologie, requete = flat(render_chronologie(f)), flat(render_requete(f))
    assert "22/04/2025 Appel téléphonique passé Le gérant promet un virement sous huit jours Téléphone" \
        in chronologie
    assert "18/04/2025 Appel téléphonique prévu" in chronologie
    assert "complétées par une relance téléphonique" in requete


@pytest.fixture
def store() -> FakeStore:
    s = FakeStore()
    s.seed(book([business("C1", address={"line1": "3 rue des Lilas", "postal_code": "69003", "city": "Lyon"})],
                [invoice("F1", "C1")]))
    return s


def test_relance_invoice_call_records_a_call_made_with_its_outcome(store):
    assert record_call(store, "F1", date(2026, 11, 3), "  Promet un virement\nle 10 novembre ")
    (event,) = [e for e in store.history("F1") if e["kind"] == "call_made"]
    assert (event["date"], event["channel"], event["note"]) == ("2026-11-03", "phone",
                                                                 "Promet un virement le 10 novembre")
    (invoice_now, _) = store.invoice("F1")
    assert invoice_now.status == "open"  # a call changes nothing by itself; a promise is recorded as one


def test_the_cli_records_a_call(store, monkeypatch, capsys):
    import json

    from relance import cli
    from relance.app import runtime

    class Runtime:
        def __init__(self, settings) -> None:
            self.store = store

    monkeypatch.setattr(runtime, "Runtime", Runtime)
    monkeypatch.setenv("TABLE_NAME", "relance-test")
    code = cli.main(["invoice", "call", "F1", "--outcome", "Injoignable, message laissé", "--on", "2026-11-04",
                     "--format", "json"])
    assert code == 0, capsys.readouterr().err
    assert json.loads(capsys.readouterr().out)["results"] == {"F1": "recorded"}
    assert any(e["kind"] == "call_made" and e["note"] == "Injoignable, message laissé" for e in store.history("F1"))


# -- a sending recorded by a retry: how relance knew is no fact, and no English --------------------------------

class PostedBefore:
    provider = "local"

    def send(self, **_):
        raise AlreadySent("a letter with this reference was already posted")


def test_a_letter_already_posted_is_recorded_sent_without_an_english_note(store):
    rules = load_rules_or_raise(SAMPLE_RULES)
    on = date(2026, 11, 2)
    channels = Channels(rules=rules, store=store, now=lambda: datetime(2026, 11, 2, 9, tzinfo=UTC),
                        today=lambda: on)
    message = ChannelMessage(key="k1", run_date=on, customer="C1", channel="registered_letter", tone="formel",
                             actions=(MessageAction("F1", "mise_en_demeure", "standard", "standard"),))
    delivery = channels.letter(message, provider=PostedBefore(), documents=FakeDocuments(),
                               render_pdf=lambda doc: b"%PDF-1.4 letter")
    assert delivery.outcome == "sent"
    (sent,) = [e for e in store.history("F1") if e["kind"] == "sent"]
    assert sent["recorded_after"] == "already_posted" and "note" not in sent
    chronologie = flat(render_chronologie(facts(chronology=(sent,))))
    assert "02/11/2026 Mise en demeure envoyée en recommandé AR Recommandé AR" in chronologie
    assert not any(word in chronologie for word in ENGLISH)


@pytest.mark.parametrize("note", ["already posted (retry)", "confirmed by SES after a lost answer"])
def test_a_history_recorded_before_carries_its_english_note_to_no_document(note):
    sent = {"date": "2025-03-27", "kind": "sent", "channel": "email", "step": "relance_1b", "note": note}
    f = facts(chronology=(*CHRONOLOGY, sent))
    for text in (flat(render_chronologie(f)), flat(render_requete(f))):
        assert not any(word in text for word in ENGLISH)
    assert "27/03/2025 Relance par e-mail envoyée E-mail" in flat(render_chronologie(f))
