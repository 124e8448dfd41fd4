"""The collection dashboard: KPIs on a hand-built book, the HTML page and the CSV of the same figures.

The book below is read on D = Tue 30 June 2026. Every expected figure is worked out by hand in a comment.

Rules (RULES): segments, first match wins —
  gros_encours  customer.open_balance >= 5000  → standard
  particuliers  customer.kind: consumer         → doux
  pros          (everything else)               → standard
  standard: relance_1 J+5 email factuel · relance_2 J+15 phone ferme · mise_en_demeure J+30 registered_letter
            formel · injonction J+45 litigation (no tone)
  doux:     relance_1 J+7 email courtois · mise_en_demeure J+40 registered_letter formel

Customers: A Alpha SARL, B Beta SAS, E Epsilon SAS (businesses); C Claire Dupont (consumer).

inv  cust issued      due         amount left  status                    paid / payments  history
I1   A    2026-04-01  2026-05-01  3000   3000  open                      —                r1 05-06, r2 05-16, mdm 05-31
I2   A    2026-05-15  2026-06-14  2500   2000  open                      500 on 06-20     r1 06-19
I3   A    2026-03-01  2026-03-31  1200   0     paid                      1200 on 04-09    r1 04-05
I4   B    2026-02-01  2026-03-03  800    0     paid                      800 on 03-20     r1 03-08, r2 03-18
I5   B    2026-05-20  2026-07-20  1500   1500  open                      —                —
I6   B    2026-04-10  2026-05-10  600    600   disputed                  —                r1 05-15
I7   C    2026-03-15  2026-03-25  400    400   open, promise until 07-10 —                r1 04-01
I8   C    2026-06-01  2026-06-15  900    900   open                      paid_on 06-26    r1 06-22
I9   B    2026-06-01  2026-06-10  700    700   open                      —                r1 06-26
I10  E    2021-01-15  2021-02-15  350    350   open                      —                r1 2021-02-20, mdm 03-20,
                                                                                          injonction 04-10
I11  B    2026-04-20  2026-05-20  1000   1000  litigation                —                —
I12  A    2026-05-01  2026-05-31  5000   5000  cancelled                 —                r1 05-06
I13  B    2026-06-01  2026-07-01  100    100   open, in USD              —                —
"""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
from dataclasses import replace
from datetime import date
from decimal import Decimal
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path
from types import MappingProxyType

import pytest

from relance.datafile import load_book
from relance.domain.fmt import money, percent
from relance.domain.model import Book, Customer, HistoryEntry, Invoice, Payment
from relance.report.csv import render_csv
from relance.report.html import render_html
from relance.report.kpis import Kpis, compute_kpis
from relance.rules.loader import load_rules_or_raise

from ..conftest import SAMPLE_RULES

D = date(2026, 6, 30)
COMPANY = "Atelier Bois & Fils"

RULES = """\
version: 1
segments:
  - name: gros_encours
    when:
      customer.open_balance: ">= 5000"
    scenario: standard
  - name: particuliers
    when:
      customer.kind: consumer
    scenario: doux
  - name: pros
    scenario: standard
scenarios:
  standard:
    steps:
      - {id: relance_1, at: J+5, channel: email, tone: factuel}
      - {id: relance_2, at: J+15, channel: phone, tone: ferme}
      - {id: mise_en_demeure, at: J+30, channel: registered_letter, tone: formel}
      - {id: injonction, at: J+45, channel: litigation}
  doux:
    steps:
      - {id: relance_1, at: J+7, channel: email, tone: courtois}
      - {id: mise_en_demeure, at: J+40, channel: registered_letter, tone: formel}
"""


def d(text: str) -> date:
    return date.fromisoformat(text if text.count("-") == 2 and len(text) == 10 else f"2026-{text}")


def step(name: str, day: str, channel: str) -> HistoryEntry:
    return HistoryEntry(step=name, date=d(day), channel=channel)


R1, R2, MDM, INJ = "relance_1", "relance_2", "mise_en_demeure", "injonction"


def invoice(iid: str, cid: str, issued: str, due: str, amount: str, left: str | None = None, *,
            status: str = "open", paid_on: str | None = None, payments: tuple[tuple[str, str], ...] = (),
            history: tuple[HistoryEntry, ...] = (), currency: str = "EUR",
            promise: str | None = None) -> Invoice:
    return Invoice(id=iid, customer_id=cid, issue_date=d(issued), due_date=d(due), amount=Decimal(amount),
                   amount_due=Decimal(amount if left is None else left), currency=currency, status=status,
                   paid_on=d(paid_on) if paid_on else None, promise_to_pay_until=d(promise) if promise else None,
                   payments=tuple(Payment(d(day), Decimal(x)) for day, x in payments), history=history)


def customer(cid: str, name: str, kind: str = "business") -> Customer:
    return Customer(id=cid, name=name, kind=kind)  # type: ignore[arg-type]


def hand_book() -> Book:
    customers = [customer("A", "Alpha SARL"), customer("B", "Beta SAS"), customer("C", "Claire Dupont", "consumer"),
                 customer("E", "Epsilon SAS")]
    invoices = (
        invoice("I1", "A", "04-01", "05-01", "3000",
                history=(step(R1, "05-06", "email"), step(R2, "05-16", "phone"),
                         step(MDM, "05-31", "registered_letter"))),
        invoice("I2", "A", "05-15", "06-14", "2500", "2000", payments=(("06-20", "500"),),
                history=(step(R1, "06-19", "email"),)),
        invoice("I3", "A", "03-01", "03-31", "1200", "0", status="paid", paid_on="04-09",
                payments=(("04-09", "1200"),), history=(step(R1, "04-05", "email"),)),
        invoice("I4", "B", "02-01", "03-03", "800", "0", status="paid", payments=(("03-20", "800"),),
                history=(step(R1, "03-08", "email"), step(R2, "03-18", "phone"))),
        invoice("I5", "B", "05-20", "07-20", "1500"),
        invoice("I6", "B", "04-10", "05-10", "600", status="disputed", history=(step(R1, "05-15", "email"),)),
        invoice("I7", "C", "03-15", "03-25", "400", promise="07-10", history=(step(R1, "04-01", "email"),)),
        invoice("I8", "C", "06-01", "06-15", "900", paid_on="06-26", history=(step(R1, "06-22", "email"),)),
        invoice("I9", "B", "06-01", "06-10", "700", history=(step(R1, "06-26", "email"),)),
        invoice("I10", "E", "2021-01-15", "2021-02-15", "350",
                history=(step(R1, "2021-02-20", "email"), step(MDM, "2021-03-20", "registered_letter"),
                         step(INJ, "2021-04-10", "litigation"))),
        invoice("I11", "B", "04-20", "05-20", "1000", status="litigation"),
        invoice("I12", "A", "05-01", "05-31", "5000", status="cancelled", history=(step(R1, "05-06", "email"),)),
        invoice("I13", "B", "06-01", "07-01", "100", currency="USD"),
    )
    return Book(MappingProxyType({c.id: c for c in customers}), invoices)


@pytest.fixture
def rules(rules_dir):
    return load_rules_or_raise(rules_dir(RULES))


@pytest.fixture
def kpis(rules) -> Kpis:
    return compute_kpis(hand_book(), rules, D)


def test_open_balance_counts_each_invoice_left_to_pay_on_the_date(kpis):
    # Open on D: I1 3000 · I2 2000 · I5 1500 · I6 600 · I7 400 · I9 700 · I10 350 · I11 1000 = 9550 (8 invoices).
    # Not: I3, I4 paid; I8 paid_on 06-26 ≤ D; I12 cancelled; I13 in USD.
    assert (kpis.open_total, kpis.open_count) == (Decimal("9550"), 8)
    # Late (due before D): all but I5 → 9550 − 1500 = 8050, 7 invoices; 8050 / 9550 = 84.29 % → 84.3.
    assert (kpis.overdue_total, kpis.overdue_count, kpis.overdue_share) == (Decimal("8050"), 7, Decimal("84.3"))
    assert kpis.other_currency_count == 1


def test_aged_balance_buckets_the_open_amounts_by_days_late(kpis):
    # Days late on D: I1 60 (May has 31 days) · I2 16 · I5 −20 · I6 51 · I7 97 · I9 20 · I10 1961 · I11 41.
    # Not due: I5 1500 (15.7 %) · 1–30: I2 + I9 = 2700 (28.3 %) · 31–60: I1 + I6 + I11 = 4600 (48.2 %)
    # · 61–90: none · > 90: I7 + I10 = 750 (7.9 %).
    assert [(b.key, b.amount, b.count, b.share) for b in kpis.aged] == [
        ("not_due", Decimal("1500"), 1, Decimal("15.7")),
        ("late_1_30", Decimal("2700"), 2, Decimal("28.3")),
        ("late_31_60", Decimal("4600"), 3, Decimal("48.2")),
        ("late_61_90", Decimal("0"), 0, Decimal("0.0")),
        ("late_over_90", Decimal("750"), 2, Decimal("7.9")),
    ]


def test_dso_is_open_balance_over_the_last_90_days_of_invoicing_times_90(kpis):
    # The 90 days up to D run from 2 April to 30 June. Invoiced then (not cancelled, in euros): I2 2500 · I5 1500
    # · I6 600 · I8 900 · I9 700 · I11 1000 = 7200 (I1, issued 1 April, is one day too early).
    # DSO = 9550 / 7200 × 90 = 119.375 → 119.4 days.
    assert kpis.dso_sales == Decimal("7200")
    assert kpis.dso_days == Decimal("119.4")


def test_average_days_late_plain_and_weighted_by_amount(kpis):
    # I10: 2021-02-15 → 2026-02-15 is 1826 days (29 Feb 2024), + 135 to 30 June = 1961.
    # Plain: (60 + 16 + 51 + 97 + 20 + 1961 + 41) / 7 = 2246 / 7 = 320.857 → 320.9.
    # Weighted: (3000×60 + 2000×16 + 600×51 + 400×97 + 700×20 + 350×1961 + 1000×41) / 8050
    #         = (180000 + 32000 + 30600 + 38800 + 14000 + 686350 + 41000) / 8050 = 1022750 / 8050 = 127.05 → 127.0.
    assert kpis.average_days_late == Decimal("320.9")
    assert kpis.weighted_days_late == Decimal("127.0")


def test_recovery_rate_is_the_share_of_what_fell_overdue_in_90_days_that_was_paid(kpis):
    # Due from 1 April to 29 June (I3, due 31 March, is one day too early): I1, I2, I6, I8, I9, I11.
    # Left unpaid at the due date: I1 3000 · I2 2000 + 500 paid on 06-20 = 2500 · I6 600 · I8 900 · I9 700
    # · I11 1000 = 8700. Paid by D: I2's 500 (partial) + I8's 900 (paid_on 06-26) = 1400.
    # 1400 / 8700 = 16.09 % → 16.1.
    rec = kpis.recovery
    assert (rec.fell_overdue, rec.recovered, rec.count, rec.rate) == (
        Decimal("8700"), Decimal("1400"), 6, Decimal("16.1"))


def test_stages_split_the_open_balance_one_stage_per_invoice(kpis):
    # I10 is prescribed (5 years after 2021-02-15) though it reached litigation; I11 status litigation;
    # I6 disputed; I7 promise until 07-10 ≥ D; I1 had a registered letter; I2, I9 a reminder; I5 nothing.
    assert [(s.key, s.amount, s.count, s.share) for s in kpis.stages] == [
        ("prescribed", Decimal("350"), 1, Decimal("3.7")),
        ("litigation", Decimal("1000"), 1, Decimal("10.5")),
        ("disputed", Decimal("600"), 1, Decimal("6.3")),
        ("promise", Decimal("400"), 1, Decimal("4.2")),
        ("formal_notice", Decimal("3000"), 1, Decimal("31.4")),
        ("reminded", Decimal("2700"), 2, Decimal("28.3")),
        ("not_reminded", Decimal("1500"), 1, Decimal("15.7")),
    ]
    assert sum(s.amount for s in kpis.stages) == kpis.open_total


def test_top_debtors_rank_customers_by_amount_late(kpis):
    # A: I1 3000 + I2 2000 = 5000 late, oldest 60 days, open 5000.
    # B: I6 600 + I9 700 + I11 1000 = 2300 late, oldest 51, open 2300 + I5 1500 = 3800 (I13 in USD left out).
    # C: I7 400, 97 days. E: I10 350, 1961 days.
    assert [(t.customer_id, t.name, t.overdue_amount, t.overdue_count, t.oldest_days_late, t.open_amount)
            for t in kpis.top_debtors] == [
        ("A", "Alpha SARL", Decimal("5000"), 2, 60, Decimal("5000")),
        ("B", "Beta SAS", Decimal("2300"), 3, 51, Decimal("3800")),
        ("C", "Claire Dupont", Decimal("400"), 1, 97, Decimal("400")),
        ("E", "Epsilon SAS", Decimal("350"), 1, 1961, Decimal("350")),
    ]


def test_step_effectiveness_by_segment_at_the_step_date(kpis):
    # Window: a step counts when dated 23 June or earlier (D − 7); paid within = settled in [step, step + 7].
    # A's open balance at each step date decides gros_encours (≥ 5000):
    #   05-06: I1 3000 only (I2 not yet issued, I3 paid 04-09, I12 cancelled) → pros.
    #   05-16, 05-31, 06-19: I1 3000 + I2 2500 (its 500 came on 06-20) = 5500 → gros_encours.
    #   04-05: I1 3000 + I3 1200 (paid 04-09) = 4200 → pros.
    # gros_encours · relance_1: I2 06-19, unpaid, 500 received 06-20 → 1 counted, 0 paid, 500 recovered.
    # gros_encours · relance_2: I1 05-16 · mise_en_demeure: I1 05-31 → unpaid.
    # particuliers · relance_1 (doux, courtois): I7 04-01 unpaid; I8 06-22 paid 06-26 → 1/2 = 50 %, 900.
    # pros · relance_1: I1 05-06, I3 04-05 (paid 04-09 → 1200), I4 03-08 (paid 03-20, too late), I6 05-15,
    #   I10 2021-02-20, and I9 06-26 (too recent: carried out, not counted) → 6 sent, 5 counted, 1 paid = 20 %.
    # pros · relance_2: I4 03-18, paid 03-20 → 1/1 = 100 %, 800.
    # pros · mise_en_demeure, injonction (no tone): I10, unpaid. I12 (cancelled) is left out.
    assert [(e.segment, e.step, e.at, e.channel, e.tone, e.carried_out, e.counted, e.paid_within, e.recovered,
             e.share) for e in kpis.effectiveness] == [
        ("gros_encours", R1, "J+5", "email", "factuel", 1, 1, 0, Decimal("500"), Decimal("0.0")),
        ("gros_encours", R2, "J+15", "phone", "ferme", 1, 1, 0, Decimal("0"), Decimal("0.0")),
        ("gros_encours", MDM, "J+30", "registered_letter", "formel", 1, 1, 0, Decimal("0"), Decimal("0.0")),
        ("particuliers", R1, "J+7", "email", "courtois", 2, 2, 1, Decimal("900"), Decimal("50.0")),
        ("pros", R1, "J+5", "email", "factuel", 6, 5, 1, Decimal("1200"), Decimal("20.0")),
        ("pros", R2, "J+15", "phone", "ferme", 1, 1, 1, Decimal("800"), Decimal("100.0")),
        ("pros", MDM, "J+30", "registered_letter", "formel", 1, 1, 0, Decimal("0"), Decimal("0.0")),
        ("pros", INJ, "J+45", "litigation", None, 1, 1, 0, Decimal("0"), Decimal("0.0")),
    ]
    assert kpis.pending_steps == 1


def test_step_effectiveness_by_tone_in_the_rules_order(kpis):
    # courtois: particuliers r1 → 1/2, 900. factuel: gros r1 (0/1, 500) + pros r1 (1/5, 1200) → 1/6 = 16.7 %, 1700.
    # ferme: gros r2 (0/1) + pros r2 (1/1, 800) → 1/2. formel: 0/2. No tone (injonction): 0/1.
    assert [(t.tone, t.carried_out, t.counted, t.paid_within, t.recovered, t.share) for t in kpis.by_tone] == [
        ("courtois", 2, 2, 1, Decimal("900"), Decimal("50.0")),
        ("factuel", 7, 6, 1, Decimal("1700"), Decimal("16.7")),
        ("ferme", 2, 2, 1, Decimal("800"), Decimal("50.0")),
        ("formel", 2, 2, 0, Decimal("0"), Decimal("0.0")),
        (None, 1, 1, 0, Decimal("0"), Decimal("0.0")),
    ]


def test_a_step_whose_window_is_not_over_is_not_measured(rules):
    # Sent 24 June, paid 25 June: the 7-day window ends 1 July, after D → carried out, not counted.
    book = hand_book()
    late = invoice("L", "B", "05-01", "06-19", "100", paid_on="06-25", history=(step(R1, "06-24", "email"),))
    kpis = compute_kpis(Book(book.customers, (late,)), rules, D)
    (effect,) = kpis.effectiveness
    assert (effect.carried_out, effect.counted, effect.paid_within, effect.share) == (1, 0, 0, None)


# --- the CSV ---------------------------------------------------------------------------------------------

def csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "UTF-8 with a BOM, for Excel"
    return list(csv.reader(io.StringIO(data[3:].decode("utf-8")), delimiter=";"))


def test_csv_is_one_row_per_figure_for_french_excel(kpis):
    rows = csv_rows(render_csv(kpis))
    assert rows[0] == ["section", "indicateur", "valeur", "unité"]
    assert all(len(row) == 4 for row in rows)
    by_name = {(row[0], row[1]): (row[2], row[3]) for row in rows[1:]}
    assert by_name[("Synthèse", "Encours total")] == ("9550,00", "€")
    assert by_name[("Synthèse", "DSO")] == ("119,4", "jours")
    assert by_name[("Synthèse", "Taux de recouvrement sur 90 jours")] == ("16,1", "%")
    assert by_name[("Balance âgée", "31 à 60 jours — montant")] == ("4600,00", "€")
    assert by_name[("Principaux débiteurs", "n° 2 — client")] == ("Beta SAS", "")
    assert by_name[("Efficacité des relances",
                    "particuliers · relance_1 (J+7, e-mail, courtois) — part payée sous 7 jours")] == ("50,0", "%")
    assert by_name[("Efficacité par ton", "factuel — montant recouvré")] == ("1700,00", "€")
    assert by_name[("Efficacité par ton", "sans ton — mesurées")] == ("1", "relances")


class _Figures(HTMLParser):
    """Collects every <data value="…">shown</data> pair and the page's text."""

    def __init__(self) -> None:
        super().__init__()
        self.pairs: set[tuple[str, str]] = set()
        self.text: list[str] = []
        self._value: str | None = None
        self._shown: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "data":
            self._value, self._shown = dict(attrs)["value"] or "", []

    def handle_endtag(self, tag):
        if tag == "data" and self._value is not None:
            self.pairs.add((self._value, "".join(self._shown)))
            self._value = None

    def handle_data(self, data):
        self.text.append(data)
        if self._value is not None:
            self._shown.append(data)


def shown_as(value: str, unit: str) -> str:
    """How the HTML page shows a CSV value: French money, percent, days."""
    if value == "":
        return "n/c"
    number = Decimal(value.replace(",", "."))
    if unit == "€":
        return money(number)
    if unit == "%":
        return percent(number)
    if unit == "jours":
        return f"{value}\u00a0{'jour' if number in (0, 1) else 'jours'}"
    return value


def assert_html_shows_csv(html: str, data: bytes) -> None:
    page = _Figures()
    page.feed(html)
    text = "".join(page.text)
    for section, name, value, unit in csv_rows(data)[1:]:
        value = value[1:] if value.startswith("'") else value
        if unit:
            assert (value, shown_as(value, unit)) in page.pairs, f"{section} / {name}: {value} {unit} not in the page"
        else:
            assert value in text, f"{section} / {name}: {value!r} not in the page"


def test_html_shows_every_figure_of_the_csv_formatted_in_french(kpis):
    html = render_html(kpis, company_name=COMPANY, on=D)
    assert_html_shows_csv(html, render_csv(kpis))
    assert f"9{chr(0x202f)}550,00{chr(0x202f)}€" in html
    assert "30 juin 2026" in html


def test_html_is_one_self_contained_french_page(kpis):
    html = render_html(kpis, company_name=COMPANY, on=D)
    assert html.startswith("<!DOCTYPE html>")
    assert '<html lang="fr">' in html and '<meta charset="utf-8">' in html
    assert "<script" not in html and "<link" not in html and "@import" not in html and "url(" not in html
    assert html.count("<svg") == 2  # the aged balance and « Quelle relance fait payer ? »
    urls = {part.split('"')[0] for part in html.split('="http')[1:]}
    assert urls <= {"://www.w3.org/2000/svg"}, "nothing is fetched from elsewhere"
    assert "Quelle relance fait payer\u202f?" in html
    assert "Atelier Bois &amp; Fils" in html


def test_user_text_is_escaped_in_html_and_neutralised_in_csv(rules):
    customers = [customer("X", "<script>alert(1)</script>"), customer("Y", '=HYPERLINK("x")'),
                 customer("Z", "@SUM(A1)")]
    invoices = tuple(invoice(f"F{c.id}", c.id, "04-01", "05-01", "100") for c in customers)
    kpis = compute_kpis(Book(MappingProxyType({c.id: c for c in customers}), invoices), rules, D)
    html = render_html(kpis, company_name="<b>Moi</b>", on=D)
    assert "<script>" not in html and "<b>Moi</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "=HYPERLINK(&quot;x&quot;)" in html
    data = render_csv(kpis)
    cells = [cell for row in csv_rows(data) for cell in row]
    assert "'=HYPERLINK(\"x\")" in cells and "'@SUM(A1)" in cells
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)
    assert_html_shows_csv(html, data)


def test_the_report_csv_neutralises_full_width_formula_signs_as_the_import_report_does(rules):
    # Given a customer whose name starts with a full-width equals sign, which Excel reads as « = »
    customers = [customer("W", "＝HYPERLINK(\"x\")")]
    invoices = tuple(invoice(f"F{c.id}", c.id, "04-01", "05-01", "100") for c in customers)
    kpis = compute_kpis(Book(MappingProxyType({c.id: c for c in customers}), invoices), rules, D)
    # Then the CSV shows it as text, with the same apostrophe the import's error report puts
    cells = [cell for row in csv_rows(render_csv(kpis)) for cell in row]
    assert "'＝HYPERLINK(\"x\")" in cells
    assert not any(cell.startswith(("＝", "＋", "－", "＠")) for cell in cells)


def test_an_empty_book_renders_with_figures_not_available(rules):
    kpis = compute_kpis(Book(MappingProxyType({}), ()), rules, D)
    assert (kpis.open_total, kpis.dso_days, kpis.recovery.rate, kpis.effectiveness) == (Decimal(0), None, None, ())
    html = render_html(kpis, company_name=COMPANY, on=D)
    assert "n/c" in html and "Aucune relance" in html
    assert_html_shows_csv(html, render_csv(kpis))


# --- the sample ------------------------------------------------------------------------------------------

SAMPLE_ON = date(2026, 11, 30)


def sample_kpis() -> tuple[Kpis, str]:
    rules = load_rules_or_raise(SAMPLE_RULES)
    book = load_book(Path(str(resources.files("relance.sample").joinpath("data.json"))))
    return compute_kpis(book, rules, SAMPLE_ON), rules.company.name


def test_the_sample_renders_with_step_effectiveness():
    kpis, company = sample_kpis()
    assert kpis.effectiveness
    assert all(e.counted <= e.carried_out for e in kpis.effectiveness)
    html = render_html(kpis, company_name=company, on=SAMPLE_ON)
    assert_html_shows_csv(html, render_csv(kpis))


def test_the_sample_page_is_not_blank_in_headless_chromium(tmp_path):
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("Chromium is not installed (Debian: apt-get install chromium; `make test` installs it)")
    from PIL import Image

    kpis, company = sample_kpis()
    page = tmp_path / "report.html"
    page.write_text(render_html(kpis, company_name=company, on=SAMPLE_ON), encoding="utf-8")
    png = tmp_path / "report.png"
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
                    f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={png}", "--window-size=1280,2000",
                    page.as_uri()], check=True, capture_output=True, timeout=120)
    assert png.exists()
    with Image.open(png) as image:
        rgb = image.convert("RGB")
        assert rgb.size == (1280, 2000)
        colours = rgb.getcolors(maxcolors=1 << 20) or []
        background = max(colours)[0]
        assert len(colours) > 200, "text, charts and tiles give many distinct colours"
        assert sum(n for n, _ in colours) - background > 0.2 * 1280 * 2000, "a fifth of the page is not background"
        assert any(c == (0x1F, 0x4E, 0x79) for _, c in colours), "the header's colour: the inline CSS applied"


def test_footnotes_give_the_windows_dates(kpis):
    html = render_html(kpis, company_name=COMPANY, on=D)
    assert "(du 2 avril 2026 au 30 juin 2026)" in html  # DSO: the 90 days of invoicing
    assert "échéance du 1er avril 2026 au 29 juin 2026" in html  # recovery: due dates
    assert "au plus tard le 23 juin 2026" in html  # effectiveness: steps whose 7 days are over


def test_replacing_a_history_channel_by_the_rules_step_keeps_the_stage(rules):
    # A history entry recorded without its channel takes the step's channel from the rules.
    book = hand_book()
    i1 = next(i for i in book.invoices if i.id == "I1")
    bare = replace(i1, history=tuple(replace(h, channel="") for h in i1.history))
    kpis = compute_kpis(Book(book.customers, (bare,)), rules, D)
    assert [(s.key, s.count) for s in kpis.stages if s.count] == [("formal_notice", 1)]
