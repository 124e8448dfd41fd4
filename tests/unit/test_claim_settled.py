"""SPEC §5 as rewritten for issue 15: settled and cancelled invoices, the 40 € only when late, the CGV floor
over every half-year, the taux légal from 2021, prescription interrupted by the debtor (art. 2240) and the
formal notice's deadline counted as CPC 640-642 count it.

Every figure is computed by hand in a comment: amount = base × rate × days / 36 500, summed unrounded,
rounded once, half up. Business default rate 2025-H1 = ECB 3.15 + 10 = 13.15 %, 2025-H2 = 12.15 %.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from relance.domain.claim import Rates, compute_claim, eligibility
from relance.domain.legal import notice_last_day, prescription_date
from relance.domain.model import Address, Customer, HistoryEntry, Invoice, Payment
from relance.domain.policy import Legal

RATES = Rates.load()
LEGAL = Legal()


def debtor(kind: str = "business", postal_code: str = "69003", city: str = "Lyon") -> Customer:
    return Customer(id="C1", name="Menuiserie Martin SARL", kind=kind,  # type: ignore[arg-type]
                    address=Address(line1="3 rue des Lilas", postal_code=postal_code, city=city))


def invoice(amount: str = "2400.00", due: date = date(2025, 3, 15), *, amount_due: str | None = None,
            payments: tuple[Payment, ...] = (), **fields) -> Invoice:
    paid = sum((p.amount for p in payments), Decimal(0))
    return Invoice(id="F-1", customer_id="C1", issue_date=due - timedelta(days=30), due_date=due,
                   amount=Decimal(amount), payments=payments,
                   amount_due=Decimal(amount) - paid if amount_due is None else Decimal(amount_due), **fields)


def figures(claim) -> tuple[str, str, str, str]:
    payload = claim.as_json()
    return payload["principal"], payload["interest"], payload["indemnity"], payload["total"]


# -- settled invoices ------------------------------------------------------------------------------------

def test_an_invoice_paid_on_a_day_without_a_payments_list_was_paid_in_full_that_day():
    # 2 400 € due 15/03/2025, paid on 14/04/2025 (no payments list; the export left amount_due at 2 400):
    # 16 Mar–14 Apr = 30 days at 13.15 %: 2 400 × 13.15 × 30 / 36 500 = 25.939 7… → 25.94;
    # principal 0 (paid), + 40 € (not paid by the due date) → 65.94 €. Before: 2 400 € claimed again.
    for amount_due in ("2400.00", "0.00"):
        inv = invoice(status="paid", paid_on=date(2025, 4, 14), amount_due=amount_due)
        claim = compute_claim(inv, debtor(), LEGAL, date(2025, 10, 1), RATES)

        assert figures(claim) == ("0.00", "25.94", "40.00", "65.94")
        assert [(p["from"], p["to"], p["days"], p["base"]) for p in claim.as_json()["periods"]] == [
            ("2025-03-16", "2025-04-14", 30, "2400.00")]


def test_interest_runs_to_each_payment_day_not_to_the_day_of_the_claim():
    # 3 000 € due 15/03/2025; 1 000 € paid 14/04, 2 000 € paid 14/05; claimed on 01/12/2025:
    # 16 Mar–14 Apr: 30 days on 3 000 at 13.15 %: 3 000 × 13.15 × 30 / 36 500 = 32.424 66…
    # 15 Apr–14 May: 30 days on 2 000 at 13.15 %: 2 000 × 13.15 × 30 / 36 500 = 21.616 44…
    # 54.041 10… → 54.04, + 40 € = 94.04 €; nothing after 14 May.
    inv = invoice("3000.00", payments=(Payment(date(2025, 4, 14), Decimal("1000.00")),
                                       Payment(date(2025, 5, 14), Decimal("2000.00"))))
    claim = compute_claim(inv, debtor(), LEGAL, date(2025, 12, 1), RATES)

    assert figures(claim) == ("0.00", "54.04", "40.00", "94.04")
    assert claim.periods[-1].end == date(2025, 5, 14)


def test_no_recovery_indemnity_from_a_debtor_who_paid_everything_by_the_due_date():
    # Paid 2 400 € on 10/03/2025, due 15/03: nothing accrues, no 40 € → 0.00 everywhere.
    on_time = invoice(status="paid", payments=(Payment(date(2025, 3, 10), Decimal("2400.00")),))
    assert figures(compute_claim(on_time, debtor(), LEGAL, date(2025, 10, 1), RATES)) == (
        "0.00", "0.00", "0.00", "0.00")
    # paid_on on the due date itself, no payments list: on time too.
    on_the_day = invoice(status="paid", paid_on=date(2025, 3, 15), amount_due="0.00")
    assert figures(compute_claim(on_the_day, debtor(), LEGAL, date(2025, 10, 1), RATES)) == (
        "0.00", "0.00", "0.00", "0.00")


def test_a_part_paid_by_the_due_date_still_owes_the_indemnity():
    # 2 400 € due 15/03/2025, 1 000 € paid on 15/03: 1 400 € left, on 01/10/2025:
    # 1 400 × 13.15 × 107 / 36 500 = 53.969 04… ; 1 400 × 12.15 × 93 / 36 500 = 43.340 55…
    # 97.309 59… → 97.31; 1 400 + 97.31 + 40 = 1 537.31 €.
    inv = invoice(payments=(Payment(date(2025, 3, 15), Decimal("1000.00")),))
    assert figures(compute_claim(inv, debtor(), LEGAL, date(2025, 10, 1), RATES)) == (
        "1400.00", "97.31", "40.00", "1537.31")


def test_an_invoice_marked_paid_without_any_date_is_not_claimed_again():
    claim = compute_claim(invoice(status="paid"), debtor(), LEGAL, date(2025, 10, 1), RATES)

    assert figures(claim) == ("0.00", "0.00", "0.00", "0.00")
    assert "sans date de paiement" in claim.warnings[0]


def test_a_cancelled_invoice_has_no_claim():
    claim = compute_claim(invoice(status="cancelled"), debtor(), LEGAL, date(2025, 10, 1), RATES)

    assert figures(claim) == ("0.00", "0.00", "0.00", "0.00") and claim.periods == ()
    assert claim.warnings == ("facture annulée : aucune somme n’est due",)


# -- CGV rate floor over every half-year covered ---------------------------------------------------------

def test_a_cgv_rate_below_the_floor_of_a_past_half_year_is_warned_naming_each_one():
    # CGV 9 %, due 15/06/2023, claimed 01/03/2024 → half-years 2023-H1, 2023-H2, 2024-H1.
    # 3 × taux légal: 2023-H1 3 × 2.06 = 6.18 (9 is above) · 2023-H2 3 × 4.22 = 12.66 · 2024-H1 3 × 5.07 = 15.21.
    inv = invoice(due=date(2023, 6, 15))
    claim = compute_claim(inv, debtor(), Legal(late_interest=Decimal("9")), date(2024, 3, 1), RATES)

    (warning,) = [w for w in claim.warnings if "CGV" in w]
    assert "second semestre 2023" in warning and "12,66\u202f%" in warning
    assert "premier semestre 2024" in warning and "15,21\u202f%" in warning
    assert "premier semestre 2023" not in warning and "L441-10" in warning


def test_a_cgv_rate_above_every_floor_is_not_warned():
    inv = invoice(due=date(2023, 6, 15))
    claim = compute_claim(inv, debtor(), Legal(late_interest=Decimal("16")), date(2024, 3, 1), RATES)
    assert not [w for w in claim.warnings if "CGV" in w]


# -- taux légal from 2021 --------------------------------------------------------------------------------

def test_a_consumer_notice_of_2022_is_computed_at_that_half_years_taux_legal():
    # 1 000 € due 01/03/2022; formal notice sent 01/09/2022, delivered 05/09/2022; claimed 31/12/2022:
    # 6 Sep–31 Dec = 25 + 31 + 30 + 31 = 117 days at 0.77 % (2022-H2, "autres cas"):
    # 1 000 × 0.77 × 117 / 36 500 = 2.468 21… → 2.47; no 40 € for a consumer → 1 002.47 €.
    inv = invoice("1000.00", due=date(2022, 3, 1),
                  history=(HistoryEntry("mise_en_demeure", date(2022, 9, 1), "registered_letter",
                                        date(2022, 9, 5)),))
    claim = compute_claim(inv, debtor("consumer"), LEGAL, date(2022, 12, 31), RATES)

    assert figures(claim) == ("1000.00", "2.47", "0.00", "1002.47")
    assert claim.as_json()["periods"][0]["rate"] == "0.77"


def test_taux_legal_2021_figures():
    assert (RATES.legal_rate(date(2021, 2, 1)).rate, RATES.legal_rate(date(2021, 2, 1), "consumer").rate) == (
        Decimal("0.79"), Decimal("3.14"))
    assert RATES.legal_rate(date(2021, 7, 1)).rate == Decimal("0.76")
    assert RATES.legal_rate(date(2022, 1, 1)).rate == Decimal("0.76")


# -- prescription interrupted by the debtor (Code civil art. 2240) ---------------------------------------

def test_a_part_payment_starts_the_business_prescription_again():
    # Due 15/03/2020: prescribed from 16/03/2025 — but 100 € paid on 10/01/2023 restarts five years: 10/01/2028.
    inv = invoice(due=date(2020, 3, 15), payments=(Payment(date(2023, 1, 10), Decimal("100.00")),))
    d = date(2025, 3, 16)

    assert prescription_date(inv, debtor(), d) == date(2028, 1, 10)
    assert "prescribed" not in eligibility(inv, debtor(), LEGAL, [], d, RATES).reasons
    assert "prescribed" in eligibility(inv, debtor(), LEGAL, [], date(2028, 1, 11), RATES).reasons


def test_a_payment_after_the_debt_was_prescribed_revives_nothing():
    inv = invoice(due=date(2020, 3, 15), payments=(Payment(date(2025, 6, 1), Decimal("100.00")),))

    assert prescription_date(inv, debtor(), date(2025, 6, 2)) == date(2025, 3, 15)
    assert "prescribed" in eligibility(inv, debtor(), LEGAL, [], date(2025, 6, 2), RATES).reasons


def test_a_part_payment_starts_the_consumer_prescription_again():
    # Works completed 10/05/2023 → 10/05/2025; 50 € paid 10/01/2025 → two more years: 10/01/2027.
    inv = invoice(due=date(2023, 6, 10), completed_on=date(2023, 5, 10),
                  payments=(Payment(date(2025, 1, 10), Decimal("50.00")),))

    assert prescription_date(inv, debtor("consumer"), date(2025, 6, 1)) == date(2027, 1, 10)


# -- the formal notice's deadline (CPC 640-642) ----------------------------------------------------------

def last_day(sent: date, delivered: date | None, who: Customer | None = None, days: int = 8) -> date:
    return notice_last_day(sent, delivered, who or debtor(), deadline_days=days, postal_delay_days=3)


def with_notice(sent: date, delivered: date | None) -> Invoice:
    return invoice(due=date(2026, 9, 1),
                   history=(HistoryEntry("mise_en_demeure", sent, "registered_letter", delivered),))


def test_spec_example_ar_monday_2_november_2026():
    # AR Mon 2 Nov + 8 = Tue 10 Nov (the receipt day not counted): pending on 10 Nov, dossier from 11 Nov.
    assert last_day(date(2026, 10, 30), date(2026, 11, 2)) == date(2026, 11, 10)
    inv = with_notice(date(2026, 10, 30), date(2026, 11, 2))
    assert eligibility(inv, debtor(), LEGAL, [], date(2026, 11, 10), RATES).reasons == ["notice_deadline_pending"]
    assert eligibility(inv, debtor(), LEGAL, [], date(2026, 11, 11), RATES).reasons == []


def test_a_last_day_on_a_weekend_moves_to_monday():
    # AR Fri 20 Nov 2026 + 8 = Sat 28 Nov → Mon 30 Nov; dossier from Tue 1 Dec.
    assert last_day(date(2026, 11, 18), date(2026, 11, 20)) == date(2026, 11, 30)
    inv = with_notice(date(2026, 11, 18), date(2026, 11, 20))
    assert eligibility(inv, debtor(), LEGAL, [], date(2026, 11, 30), RATES).reasons == ["notice_deadline_pending"]
    assert eligibility(inv, debtor(), LEGAL, [], date(2026, 12, 1), RATES).reasons == []


def test_a_last_day_on_a_public_holiday_moves_to_the_next_working_day():
    # AR Tue 3 Nov 2026 + 8 = Wed 11 Nov (Armistice) → Thu 12 Nov.
    assert last_day(date(2026, 10, 31), date(2026, 11, 3)) == date(2026, 11, 12)


def test_without_an_ar_the_notice_is_received_three_days_after_posting():
    # Posted Mon 2 Nov 2026 → received Thu 5 Nov → + 8 = Fri 13 Nov.
    assert last_day(date(2026, 11, 2), None) == date(2026, 11, 13)
    # Posted Tue 24 Nov → Fri 27 Nov → + 8 = Sat 5 Dec → Mon 7 Dec.
    assert last_day(date(2026, 11, 24), None) == date(2026, 12, 7)


def test_alsace_moselle_holidays_count_for_a_debtor_there():
    # AR Thu 26 Mar 2026 + 8 = Fri 3 Apr 2026, Good Friday: a working day in Lyon, a holiday in Strasbourg
    # (then Sat, Sun, Easter Monday 6 Apr) → Tue 7 Apr. Metz (57) and Mulhouse (68) likewise.
    assert last_day(date(2026, 3, 24), date(2026, 3, 26)) == date(2026, 4, 3)
    for code, city in (("67000", "Strasbourg"), ("57000", "Metz"), ("68100", "Mulhouse")):
        assert last_day(date(2026, 3, 24), date(2026, 3, 26), debtor(postal_code=code, city=city)) == date(2026, 4, 7)
    # AR Fri 18 Dec 2026 + 8 = Sat 26 Dec: Mon 28 Dec everywhere; AR Thu 17 Dec + 9 = Sat 26 Dec likewise.
    strasbourg = debtor(postal_code="67000", city="Strasbourg")
    assert last_day(date(2026, 12, 15), date(2026, 12, 18), strasbourg) == date(2026, 12, 28)


def test_the_deadline_ignores_the_rules_own_calendar():
    # A company that sends on weekends (business_days_only: false, holidays: none) does not shorten the
    # debtor's deadline: the eligibility takes no calendar at all, only the debtor's address.
    inv = with_notice(date(2026, 11, 18), date(2026, 11, 20))
    assert eligibility(inv, debtor(), LEGAL, [], date(2026, 11, 29), RATES).reasons == ["notice_deadline_pending"]
