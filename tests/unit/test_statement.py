"""The statement of account (issue 14, item 3): every message lists the customer's other open invoices, apart
from the sums it demands; templates get them as ``other_invoices`` and ``other_total``; a custom template that
does not use them still renders; a settled, disputed or litigated invoice is never listed as open."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from decimal import Decimal
from io import BytesIO
from pathlib import Path

import pytest
from pypdf import PdfReader

from relance.app.messages import STATEMENT_MAX, ChannelMessage, MessageAction
from relance.domain.fmt import days
from relance.domain.model import Address, Customer, Invoice, on_statement
from relance.domain.render import render_message
from relance.letters import LetterDocument, LetterLine, sender_from
from relance.letters.pdf import render_letter_pdf
from relance.rules.loader import load_rules_or_raise

from ..conftest import SAMPLE_RULES

TODAY = date(2026, 11, 2)
CUSTOMER = Customer(id="C1", name="Client Un", kind="business", email="c1@client.example",
                    address=Address("3 rue des Lilas", "", "69003", "Lyon"))


def bill(iid: str, due: date, amount: str = "1200.00", **fields) -> Invoice:
    return Invoice(id=iid, customer_id="C1", issue_date=date(2026, 9, 1), due_date=due, amount=Decimal(amount),
                   amount_due=Decimal(amount), **fields)


DEMANDED = [bill("F1", date(2026, 10, 1))]
OTHERS = [bill("F9", date(2026, 11, 20), "80.50"), bill("F7", date(2026, 10, 18), "250.00"),
          bill("F8", date(2026, 10, 10), "999.00", status="paid", paid_on=date(2026, 10, 30)),
          bill("F6", date(2026, 10, 12), "555.00", status="disputed")]


def flat(text: str) -> str:
    return " ".join(text.replace("\u202f", " ").replace("\u00a0", " ").split())


def render(rules, channel: str, tone: str, others=()) -> str:
    rendered = render_message(rules, customer=CUSTOMER, invoices=DEMANDED, channel=channel, tone=tone,
                              step_id="relance_1", at="J+5", template=None, today=TODAY, others=others)
    return flat(rendered.body)


@pytest.fixture(scope="module")
def sample():
    return load_rules_or_raise(SAMPLE_RULES)


@pytest.mark.parametrize(("channel", "tone"), [("email", t) for t in ("courtois", "factuel", "ferme", "formel",
                                                                      "preventif", "default")]
                         + [("phone", t) for t in ("courtois", "factuel", "ferme", "formel", "default")])
def test_every_sample_email_and_call_script_lists_the_others_below_the_sums_demanded(sample, channel, tone):
    text = render(sample, channel, tone, OTHERS)
    demanded, heading, listed = text.partition("Pour information, ")
    assert heading, text
    assert "F1" in demanded and "1 200,00 €" in demanded
    assert not re.search(r"F[6-9]", demanded)
    # Most overdue first, with how late; the paid and the disputed invoices are not open.
    assert re.search(r"n° F7 du 01/09/2026, échue le 18/10/2026 \(15 jours de retard\) : 250,00 €.*"
                     r"n° F9 du 01/09/2026, échéance le 20/11/2026 : 80,50 €", listed, re.IGNORECASE), listed
    assert "Total de ces autres factures : 330,50 €" in listed
    assert "F8" not in text and "F6" not in text


@pytest.mark.parametrize("channel", ["email", "phone", "letter", "registered_letter"])
def test_without_other_open_invoices_no_statement_is_written(sample, channel):
    text = render(sample, channel, "factuel")
    assert "Pour information" not in text and "autres factures" not in text


def test_the_formal_notice_names_what_it_demands_apart_from_what_it_lists(sample):
    text = render(sample, "registered_letter", "formel", OTHERS)
    assert "mettons en demeure de nous payer la somme de 1 200,00 €" in text
    assert ("Cette mise en demeure ne porte que sur la facture n° F1. Vos autres factures ouvertes (330,50 €), "
            "rappelées pour information sous le tableau, n’en font pas partie.") in text
    two = flat(render_message(sample, customer=CUSTOMER, invoices=[*DEMANDED, bill("F2", date(2026, 10, 28))],
                              channel="registered_letter", tone="formel", step_id="mise_en_demeure", at="J+30",
                              template=None, today=TODAY).body)
    assert "les factures n° F1, F2, récapitulées dans le présent courrier" in two  # a joined invoice is named


def test_a_custom_template_without_the_variable_still_renders(sample, tmp_path: Path):
    directory = tmp_path / "rules"
    for source in SAMPLE_RULES.rglob("*"):
        target = directory / source.relative_to(SAMPLE_RULES)
        if source.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(source.read_bytes())
    (directory / "templates" / "email" / "courtois.fr.j2").write_text(
        "Objet : Rappel {{ invoices|map(attribute='id')|join(', ') }}\n\nBonjour, {{ total|money }} restent dus.\n",
        encoding="utf-8")
    rules = load_rules_or_raise(directory)
    text = render(rules, "email", "courtois", OTHERS)
    assert text == "Bonjour, 1 200,00 € restent dus."


def test_a_settled_disputed_or_litigated_invoice_is_not_open():
    assert on_statement(bill("A", date(2026, 10, 1)), TODAY)
    assert on_statement(bill("A", date(2026, 12, 1)), TODAY)  # not yet due: listed too
    assert not on_statement(replace(bill("A", date(2026, 12, 1)), issue_date=date(2026, 11, 16)), TODAY)  # issued later
    assert not on_statement(bill("A", date(2026, 10, 1), status="paid"), TODAY)
    assert not on_statement(bill("A", date(2026, 10, 1), paid_on=TODAY), TODAY)
    assert not on_statement(replace(bill("A", date(2026, 10, 1)), amount_due=Decimal(0)), TODAY)
    assert not on_statement(bill("A", date(2026, 10, 1), status="cancelled"), TODAY)
    assert not on_statement(bill("A", date(2026, 10, 1), status="disputed"), TODAY)
    assert not on_statement(bill("A", date(2026, 10, 1), status="litigation"), TODAY)


def test_the_queued_message_carries_the_statement_and_keeps_it_when_rerouted():
    message = ChannelMessage("k", TODAY, "C1", "email", "courtois", (MessageAction("F1", "relance_1", "s", "s"),),
                             statement=("F7", "F9"))
    again = ChannelMessage.from_body(message.body())
    assert again.statement == ("F7", "F9")
    assert ChannelMessage.from_body(message.rerouted("letter").body()).statement == ("F7", "F9")
    bare = ChannelMessage("k", TODAY, "C1", "email", "courtois", (MessageAction("F1", "relance_1", "s", "s"),))
    assert "statement" not in bare.body() and ChannelMessage.from_body(bare.body()).statement == ()


def test_of_actions_leaves_the_message_own_invoices_out_and_caps_the_list():
    from relance.ports import ActionRecord

    record = ActionRecord(invoice="F1", customer="C1", segment="s", scenario="s", step="relance_1",
                          channel="email", tone="courtois", run_date=TODAY, shard=0)
    ids = [f"G{n:04d}" for n in range(STATEMENT_MAX + 50)]
    message = ChannelMessage.of_actions([record], statement=["F1", *ids])
    assert message.statement == tuple(ids[:STATEMENT_MAX])


def test_the_letter_lists_the_others_under_the_invoice_table(sample):
    line = LetterLine("F1", date(2026, 9, 1), date(2026, 10, 1), Decimal("1200.00"), Decimal("1200.00"))
    other = LetterLine("F7", date(2026, 9, 1), date(2026, 10, 18), Decimal("250.00"), Decimal("250.00"))
    document = LetterDocument(sender=sender_from(sample.company), recipient_name="Client Un",
                              recipient_address=CUSTOMER.address, place="Lyon", date=TODAY, subject="Relance",
                              body="Madame, Monsieur,\n\nNous attendons votre règlement.\n\nCordialement.",
                              lines=(line,), others=(other,))
    text = flat(" ".join(p.extract_text() for p in PdfReader(BytesIO(render_letter_pdf(document))).pages))
    table, _, listed = text.partition("Pour information, vos autres factures ouvertes")
    assert "F1" in table and "Total dû 1 200,00 €" in table and "F7" not in table
    assert "Facture n° F7 du 01/09/2026, échue le 18/10/2026 (15 jours de retard) : 250,00 €" in listed
    assert "Total de ces autres factures : 250,00 €" in listed
    without = flat(" ".join(p.extract_text() for p in PdfReader(BytesIO(render_letter_pdf(
        replace(document, others=())))).pages))
    assert "Pour information" not in without


def test_days_has_one_spelling():
    assert [days(n) for n in (0, 1, 2, 45)] == ["0 jour", "1 jour", "2 jours", "45 jours"]


def test_the_dossier_copy_of_a_joined_formal_notice_is_the_formal_notice(sample):
    # F2's first reminder joined the registered letter that put F1 en demeure (SPEC §2.8): its history says
    # « relance_1, registered_letter, formel »; the copy the dossier rebuilds is that formal notice, not a reminder.
    from relance.domain.claim import formal_notice
    from relance.domain.model import HistoryEntry
    from relance.litigation.dossier import formal_notice_copy

    joined = bill("F2", date(2026, 10, 28), history=(HistoryEntry("relance_1", TODAY, "registered_letter",
                                                                  tone="formel"),))
    assert formal_notice(joined, TODAY) is not None
    piece = formal_notice_copy(sample, joined, CUSTOMER)
    assert piece is not None
    text = flat(" ".join(p.extract_text() for p in PdfReader(BytesIO(piece.data)).pages))
    assert "mettons en demeure" in text and "F2" in text
