"""Legal computations, SPEC §5: late interest, recovery indemnity, dossier eligibility, rates.

Every figure below is computed by hand in a comment: amount = base × rate × days / 36 500, the pieces
summed unrounded, the sum rounded once, half up. Default rate of a half-year for a business debtor =
ECB rate in force on 1 January / 1 July + 10: 2024-H2 4.25 → 14.25 · 2025-H1 3.15 → 13.15 ·
2025-H2 2.15 → 12.15 · 2026-H1 2.15 → 12.15. Taux légal, professional creditor: 2025-H1 3.71 ·
2025-H2 2.76 · 2026-H1 2.62.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relance.domain.claim import (
    REASONS,
    Claim,
    Rates,
    RateUnknown,
    UnusableInvoice,
    cgv_rate_warning,
    compute_claim,
    eligibility,
    small_claims_eligible,
)
from relance.domain.fmt import cents
from relance.domain.model import Address, Customer, HistoryEntry, Invoice, Payment
from relance.domain.policy import Legal

RATES = Rates.load()
LEGAL = Legal()
INTEREST_FIRST = Legal(partial_payments="interest_first")


def customer(kind: str = "business", city: str = "Lyon", postal_code: str = "69003") -> Customer:
    return Customer(id="C1", name="Menuiserie Martin SARL", kind=kind,  # type: ignore[arg-type]
                    address=Address(line1="3 rue des Lilas", postal_code=postal_code, city=city))


def invoice(amount: str = "12000.00", due: date = date(2025, 3, 15), *, amount_due: str | None = None,
            payments: tuple[Payment, ...] = (), history: tuple[HistoryEntry, ...] = (), **fields) -> Invoice:
    paid = sum((p.amount for p in payments), Decimal(0))
    return Invoice(id="F-2025-0007", customer_id="C1", issue_date=due - timedelta(days=30), due_date=due,
                   amount=Decimal(amount),
                   amount_due=Decimal(amount) - paid if amount_due is None else Decimal(amount_due),
                   payments=payments, history=history, **fields)


def registered(sent: date, delivered: date | None = None) -> HistoryEntry:
    return HistoryEntry("mise_en_demeure", sent, "registered_letter", delivered)


def claim_on(inv: Invoice, on: date, *, kind: str = "business", legal: Legal = LEGAL, rates: Rates = RATES) -> Claim:
    return compute_claim(inv, customer(kind), legal, on, rates)


def summary(claim: Claim) -> list[tuple[str, str, int, str, str, str]]:
    return [(p["from"], p["to"], p["days"], p["rate"], p["base"], p["amount"]) for p in claim.as_json()["periods"]]


# -- business debtor ---------------------------------------------------------------------------------

def test_spec_worked_example_to_the_cent():
    # 12 000 € due 2025-03-15, on 2025-10-01:
    # 16 Mar–30 Jun = 16 + 30 + 31 + 30 = 107 days at 13.15 %: 12 000 × 13.15 × 107 / 36 500 = 462.591 78…
    # 1 Jul–1 Oct   = 31 + 31 + 30 + 1  =  93 days at 12.15 %: 12 000 × 12.15 ×  93 / 36 500 = 371.490 41…
    # 834.082 19… → 834.08; + 40 € → 12 874.08 €
    claim = claim_on(invoice(), date(2025, 10, 1))

    assert claim.as_json() == {
        "invoice": "F-2025-0007", "on": "2025-10-01", "kind": "business",
        "principal": "12000.00", "interest": "834.08", "indemnity": "40.00", "total": "12874.08",
        "periods": [
            {"from": "2025-03-16", "to": "2025-06-30", "days": 107, "rate": "13.15", "base": "12000.00",
             "amount": "462.59"},
            {"from": "2025-07-01", "to": "2025-10-01", "days": 93, "rate": "12.15", "base": "12000.00",
             "amount": "371.49"},
        ],
        "warnings": [],
    }


def test_claim_across_a_year_boundary_takes_each_half_years_rate():
    # 5 000 € due 2024-12-15, on 2025-01-20. 2024-H2 uses the ECB rate of 1 July 2024 (4.25 → 14.25 %)
    # although the ECB cut to 3.15 on 18 December; 2025-H1 uses 3.15 → 13.15 %.
    # 16–31 Dec 2024: 16 days: 5 000 × 14.25 × 16 / 36 500 = 31.232 88…
    #  1–20 Jan 2025: 20 days: 5 000 × 13.15 × 20 / 36 500 = 36.027 40…   → 67.260 27… → 67.26
    claim = claim_on(invoice("5000.00", date(2024, 12, 15)), date(2025, 1, 20))

    assert summary(claim) == [("2024-12-16", "2024-12-31", 16, "14.25", "5000.00", "31.23"),
                              ("2025-01-01", "2025-01-20", 20, "13.15", "5000.00", "36.03")]
    assert (claim.interest, claim.total) == (Decimal("67.26"), Decimal("5107.26"))


def test_nothing_is_owed_on_or_before_the_due_date():
    claim = claim_on(invoice(), date(2025, 3, 15))

    assert (claim.interest, claim.indemnity, claim.total, claim.periods) == (0, 0, Decimal("12000.00"), ())


def test_indemnity_is_per_invoice_and_not_pro_rated():
    # One day late: 12 000 × 13.15 / 36 500 = 4.323 28… → 4.32, and the whole 40 €.
    claim = claim_on(invoice(), date(2025, 3, 16))

    assert (claim.interest, claim.indemnity, claim.total) == (Decimal("4.32"), Decimal("40.00"), Decimal("12044.32"))


def test_cgv_rate_replaces_the_default_rate_in_every_half_year():
    # 107 + 93 = 200 days at 15 %: 12 000 × 15 × 200 / 36 500 = 986.301 37… → 986.30
    claim = claim_on(invoice(), date(2025, 10, 1), legal=Legal(late_interest=Decimal("15")))

    assert [p["rate"] for p in claim.as_json()["periods"]] == ["15.00", "15.00"]
    assert claim.interest == Decimal("986.30")


def test_interest_is_rounded_once_not_per_period():
    # 5 000 € due 2025-06-29, on 2025-07-01: 30 Jun at 13.15 % = 1.801 37…, 1 Jul at 12.15 % = 1.664 38…
    # Rounded per period 1.80 + 1.66 = 3.46; summed first 3.465 75… → 3.47.
    claim = claim_on(invoice("5000.00", date(2025, 6, 29)), date(2025, 7, 1))

    assert [p["amount"] for p in claim.as_json()["periods"]] == ["1.80", "1.66"]
    assert claim.interest == Decimal("3.47")


# -- partial payments --------------------------------------------------------------------------------

PARTIAL = invoice("10000.00", payments=(Payment(date(2025, 5, 15), Decimal("4000.00")),))


def test_principal_first_payment_lowers_the_base_from_the_next_day():
    # 10 000 € due 2025-03-15, 4 000 € paid on 2025-05-15, on 2025-06-30 (all in 2025-H1, 13.15 %).
    # 16 Mar–15 May = 16 + 30 + 15 = 61 days on 10 000: 10 000 × 13.15 × 61 / 36 500 = 219.767 12…
    # 16 May–30 Jun = 16 + 30      = 46 days on  6 000:  6 000 × 13.15 × 46 / 36 500 =  99.435 62…
    # 319.202 74… → 319.20; principal 6 000; total 6 000 + 319.20 + 40 = 6 359.20
    claim = claim_on(PARTIAL, date(2025, 6, 30))

    assert summary(claim) == [("2025-03-16", "2025-05-15", 61, "13.15", "10000.00", "219.77"),
                              ("2025-05-16", "2025-06-30", 46, "13.15", "6000.00", "99.44")]
    assert (claim.principal, claim.interest, claim.total) == (Decimal("6000.00"), Decimal("319.20"),
                                                              Decimal("6359.20"))
    assert claim.warnings == ()


def test_interest_first_payment_settles_accrued_interest_before_the_principal():
    # Same invoice. On 15 May the interest accrued so far is 219.767 12… → 219.77 (settled in cents):
    # the 4 000 € pay 219.77 of interest and 3 780.23 of principal, leaving 6 219.77.
    # 16 May–30 Jun: 6 219.77 × 13.15 × 46 / 36 500 = 103.077 78…  → interest still owed 103.08
    # (Σ periods 322.844 90… minus the 219.767 12… already paid); total 6 219.77 + 103.08 + 40 = 6 362.85
    claim = claim_on(PARTIAL, date(2025, 6, 30), legal=INTEREST_FIRST)

    assert summary(claim) == [("2025-03-16", "2025-05-15", 61, "13.15", "10000.00", "219.77"),
                              ("2025-05-16", "2025-06-30", 46, "13.15", "6219.77", "103.08")]
    assert (claim.principal, claim.interest, claim.total) == (Decimal("6219.77"), Decimal("103.08"),
                                                              Decimal("6362.85"))
    assert claim.warnings == ("paiements partiels : 219,77\u202f€ d’intérêts déjà réglés, déduits des intérêts "
                              "réclamés",)


def test_payment_after_the_run_date_is_ignored():
    claim = claim_on(PARTIAL, date(2025, 5, 14))

    assert claim.principal == Decimal("10000.00")
    assert [p.base for p in claim.periods] == [Decimal("10000.00")]


def test_payment_on_the_run_date_lowers_the_principal_but_not_that_days_interest():
    claim = claim_on(PARTIAL, date(2025, 5, 15))

    assert claim.principal == Decimal("6000.00")
    assert summary(claim) == [("2025-03-16", "2025-05-15", 61, "13.15", "10000.00", "219.77")]


def test_payment_before_the_due_date_lowers_the_opening_base():
    early = invoice("10000.00", payments=(Payment(date(2025, 3, 1), Decimal("4000.00")),))

    claim = claim_on(early, date(2025, 3, 25))

    assert [(p.start, p.base) for p in claim.periods] == [(date(2025, 3, 16), Decimal("6000.00"))]


def test_amount_due_lower_than_the_payments_explain_is_honoured_from_the_start():
    # A 2 000 € credit note: amount 10 000, 4 000 paid, amount_due 4 000 → opening principal 8 000.
    credited = invoice("10000.00", amount_due="4000.00", payments=PARTIAL.payments)

    claim = claim_on(credited, date(2025, 6, 30))

    assert [p.base for p in claim.periods] == [Decimal("8000.00"), Decimal("4000.00")]
    assert claim.principal == Decimal("4000.00")


def test_stale_amount_due_never_claims_more_than_the_invoice():
    # SPEC §3's example: amount_due left at 1 200 although 200 € were paid → principal 1 000.
    stale = invoice("1200.00", amount_due="1200.00", payments=(Payment(date(2025, 4, 1), Decimal("200.00")),))

    assert claim_on(stale, date(2025, 6, 30)).principal == Decimal("1000.00")


# -- consumer debtor ---------------------------------------------------------------------------------

def consumer_invoice(*history: HistoryEntry) -> Invoice:
    return invoice("2000.00", date(2025, 5, 1), history=history)


def test_consumer_interest_runs_from_the_day_after_delivery_at_the_professional_taux_legal():
    # Notice sent 2 Jun, delivered 5 Jun 2025; on 10 Aug 2025. Taux légal "autres cas".
    # 6–30 Jun: 25 days at 3.71 %: 2 000 × 3.71 × 25 / 36 500 = 5.082 19…
    # 1 Jul–10 Aug: 41 days at 2.76 %: 2 000 × 2.76 × 41 / 36 500 = 6.200 55…   → 11.282 74… → 11.28, no 40 €
    claim = claim_on(consumer_invoice(registered(date(2025, 6, 2), date(2025, 6, 5))), date(2025, 8, 10),
                     kind="consumer")

    assert summary(claim) == [("2025-06-06", "2025-06-30", 25, "3.71", "2000.00", "5.08"),
                              ("2025-07-01", "2025-08-10", 41, "2.76", "2000.00", "6.20")]
    assert (claim.interest, claim.indemnity, claim.total) == (Decimal("11.28"), 0, Decimal("2011.28"))
    assert claim.kind == "consumer"


def test_consumer_interest_runs_from_the_sending_date_when_delivery_is_unknown():
    # 3–30 Jun: 28 days: 2 000 × 3.71 × 28 / 36 500 = 5.692 05… + 6.200 55… = 11.892 60… → 11.89
    claim = claim_on(consumer_invoice(registered(date(2025, 6, 2))), date(2025, 8, 10), kind="consumer")

    assert claim.periods[0].start == date(2025, 6, 3)
    assert claim.interest == Decimal("11.89")


def test_consumer_without_formal_notice_owes_no_interest_and_no_indemnity():
    simple_letter = HistoryEntry("relance_2", date(2025, 6, 2), "letter")

    claim = claim_on(consumer_invoice(simple_letter), date(2025, 8, 10), kind="consumer")

    assert (claim.interest, claim.indemnity, claim.total, claim.periods) == (0, 0, Decimal("2000.00"), ())
    assert claim.warnings == ("aucune mise en demeure (lettre recommandée) : pas d’intérêts de retard pour un "
                              "particulier",)


def test_consumer_interest_counts_from_the_latest_formal_notice():
    claim = claim_on(consumer_invoice(registered(date(2025, 6, 2)), registered(date(2025, 7, 15))),
                     date(2025, 8, 10), kind="consumer")

    assert claim.periods[0].start == date(2025, 7, 16)


def test_formal_notice_sent_after_the_run_date_does_not_count():
    claim = claim_on(consumer_invoice(registered(date(2025, 8, 20))), date(2025, 8, 10), kind="consumer")

    assert claim.interest == 0


# -- rates ---------------------------------------------------------------------------------------------

def test_packaged_rates_match_the_spec():
    assert RATES.verified_until == date(2026, 6, 30)
    assert RATES.ecb_on(date(2025, 1, 1)).rate == Decimal("3.15")
    assert RATES.ecb_on(date(2025, 6, 11)).rate == Decimal("2.15")
    assert RATES.ecb_on(date(2025, 6, 10)).rate == Decimal("2.40")
    assert RATES.legal_rate(date(2025, 7, 1), "professional") == (Decimal("2.76"), None)
    assert RATES.legal_rate(date(2025, 7, 1), "consumer") == (Decimal("6.65"), None)
    assert RATES.legal_rate(date(2026, 1, 1)).rate == Decimal("2.62")


def test_business_rate_past_verified_until_uses_the_last_known_ecb_rate_and_warns():
    # 1 000 € due 2026-06-29 on 2026-07-02: 2026-H2 needs the ECB rate of 1 July 2026, not yet verified.
    claim = claim_on(invoice("1000.00", date(2026, 6, 29)), date(2026, 7, 2))

    assert [p.rate for p in claim.periods] == [Decimal("12.15"), Decimal("12.15")]
    assert claim.as_json()["warnings"] == ["taux BCE non vérifié après le 30/06/2026 : dernier taux connu "
                                           "(2,15\u202f%) utilisé"]


def test_consumer_rate_past_verified_until_uses_the_last_known_taux_legal_and_warns():
    claim = claim_on(invoice("1000.00", date(2026, 6, 1), history=(registered(date(2026, 6, 20)),)),
                     date(2027, 2, 1), kind="consumer")

    assert [p.rate for p in claim.periods] == [Decimal("2.62")] * 3
    assert claim.warnings == ("taux légal non vérifié après le 30/06/2026 : dernier taux connu (2,62\u202f%) utilisé",)


def test_claim_up_to_verified_until_has_no_warning():
    assert claim_on(invoice("1000.00", date(2026, 1, 15)), date(2026, 6, 30)).warnings == ()


def test_a_cgv_rate_needs_no_ecb_figure():
    claim = claim_on(invoice("1000.00", date(2026, 6, 29)), date(2026, 7, 2), legal=Legal(late_interest=Decimal(12)))

    assert claim.warnings == ()


def test_a_short_rate_table_falls_back_on_its_last_line():
    rates = Rates.from_json({
        "verified_until": "2025-06-30",
        "ecb_main_refinancing_rate": [{"from": "2024-12-18", "rate": "3.15"}],
        "legal_rate": [{"half_year": "2025-H1", "professional": "3.71", "consumer": "7.21"}],
    })

    assert rates.ecb_on(date(2025, 7, 1)) == (Decimal("3.15"), "taux BCE non vérifié après le 30/06/2025 : "
                                                               "dernier taux connu (3,15\u202f%) utilisé")
    assert rates.legal_rate(date(2025, 7, 1), "consumer").rate == Decimal("7.21")


def test_a_date_before_the_tables_is_an_error_not_a_guess():
    with pytest.raises(RateUnknown):
        RATES.ecb_on(date(2016, 3, 15))
    with pytest.raises(RateUnknown):
        RATES.legal_rate(date(2020, 7, 1))  # the taux légal is known from 2021-H1 (SPEC §5)


@pytest.mark.parametrize("broken", [
    {"legal_rate": [{"half_year": "2025-H1", "professional": "3.71", "consumer": "7.21"},
                    {"half_year": "2026-H1", "professional": "2.62", "consumer": "6.67"}]},
    {"ecb_main_refinancing_rate": [{"from": "2025-06-11", "rate": "2.15"}, {"from": "2025-04-23", "rate": "2.40"}]},
    {"verified_until": "2026-12-31"},
    {"verified_until": "30/06/2026"},
], ids=["half-year gap", "ecb unsorted", "verified past the data", "bad date"])
def test_a_malformed_rate_table_is_refused(broken):
    good = {"verified_until": "2026-06-30",
            "ecb_main_refinancing_rate": [{"from": "2025-06-11", "rate": "2.15"}],
            "legal_rate": [{"half_year": "2026-H1", "professional": "2.62", "consumer": "6.67"}]}

    with pytest.raises(ValueError):
        Rates.from_json(good | broken)


def test_cgv_rate_below_three_times_the_taux_legal_is_warned():
    # 2026-H1 taux légal 2.62 % → floor 7.86 %
    message = cgv_rate_warning(Decimal("5"), RATES, date(2026, 3, 1))

    assert message is not None
    assert "(5\u202f%)" in message and "premier semestre 2026" in message and "7,86\u202f%" in message


@pytest.mark.parametrize("rate", ["legal", Decimal("7.86"), Decimal("15")])
def test_cgv_rate_at_or_above_the_floor_is_not_warned(rate):
    assert cgv_rate_warning(rate, RATES, date(2026, 3, 1)) is None


# -- prescription ----------------------------------------------------------------------------------------

def test_business_debt_is_prescribed_five_years_after_the_due_date():
    old = invoice(due=date(2020, 3, 15))

    assert "prescribed" not in eligible_on(old, date(2025, 3, 15)).reasons
    assert "prescribed" in eligible_on(old, date(2025, 3, 16)).reasons
    assert claim_on(old, date(2025, 3, 16)).warnings[-1] == "créance prescrite : le délai a expiré le 15/03/2025"


def test_consumer_debt_is_prescribed_two_years_after_completion():
    works = invoice(due=date(2023, 6, 10), completed_on=date(2023, 5, 10),
                    history=(registered(date(2023, 7, 1)),))

    assert "prescribed" not in eligible_on(works, date(2025, 5, 10), kind="consumer").reasons
    assert "prescribed" in eligible_on(works, date(2025, 5, 11), kind="consumer").reasons


# -- eligibility ---------------------------------------------------------------------------------------

COMPLETE: list[str] = []
NOTICE = registered(date(2025, 5, 2), date(2025, 5, 5))
READY = invoice(history=(NOTICE,))
D = date(2025, 10, 1)


def eligible_on(inv: Invoice, on: date = D, *, kind: str = "business", legal: Legal = LEGAL,
                missing: list[str] = COMPLETE):
    return eligibility(inv, customer(kind), legal, missing, on, RATES)


def test_an_overdue_invoice_after_its_notice_deadline_is_eligible():
    result = eligible_on(READY)

    assert (result.eligible, result.reasons) == (True, [])
    assert result.claim.total == Decimal("12874.08")


@pytest.mark.parametrize("fields", [{"status": "paid"}, {"status": "cancelled"}, {"amount_due": "0.00"},
                                    {"paid_on": D}], ids=["paid", "cancelled", "nothing due", "paid_on"])
def test_closed_invoice_is_not_eligible(fields):
    assert eligible_on(invoice(history=(NOTICE,), **fields)).reasons == ["closed"]


def test_disputed_invoice_is_not_eligible():
    assert eligible_on(invoice(history=(NOTICE,), status="disputed")).reasons == ["disputed"]


def test_invoice_without_formal_notice_is_not_eligible():
    assert eligible_on(invoice(history=(HistoryEntry("relance_1", date(2025, 4, 1), "email"),))).reasons == [
        "no_formal_notice"]


def test_notice_deadline_counts_from_delivery():
    # SPEC §5 (CPC 640-642) changed: the receipt day is not counted and D must be past the last day.
    # Delivered Thu 25 Sep + 8 days = Fri 3 Oct, the last day: pending on 3 Oct, eligible on 4 Oct.
    inv = invoice(history=(registered(date(2025, 9, 22), date(2025, 9, 25)),))

    assert eligible_on(inv, date(2025, 10, 3)).reasons == ["notice_deadline_pending"]
    assert eligible_on(inv, date(2025, 10, 4)).reasons == []


def test_notice_deadline_counts_from_posting_plus_the_postal_delay_when_delivery_is_unknown():
    # SPEC §5 changed: posted Mon 22 Sep, received (3 days) Thu 25 Sep, + 8 = Fri 3 Oct, the last day.
    inv = invoice(history=(registered(date(2025, 9, 22)),))

    assert eligible_on(inv, date(2025, 10, 3)).reasons == ["notice_deadline_pending"]
    assert eligible_on(inv, date(2025, 10, 4)).reasons == []
    # A rule editor's postal_delay_days: 1 → received Tue 23 Sep, last day Wed 1 Oct.
    assert eligible_on(inv, date(2025, 10, 2), legal=Legal(postal_delay_days=1)).reasons == []


def test_claim_below_the_litigation_minimum_is_not_eligible():
    legal = Legal(litigation_min_amount=Decimal("12874.09"))

    assert eligible_on(READY, legal=legal).reasons == ["below_minimum"]
    assert eligible_on(READY, legal=Legal(litigation_min_amount=Decimal("12874.08"))).reasons == []


def test_incomplete_company_is_not_eligible():
    assert eligible_on(READY, missing=["siren", "iban"]).reasons == ["company_incomplete"]


def test_every_applicable_reason_is_listed_in_spec_order():
    inv = invoice(due=date(2020, 3, 15), status="disputed", amount_due="0.00",
                  history=(registered(date(2025, 9, 28)),), reply_pending="r1")

    result = eligible_on(inv, legal=Legal(litigation_min_amount=Decimal("100000")), missing=["iban"])

    # no_formal_notice and notice_deadline_pending exclude each other; the first has its own test.
    assert result.reasons == [reason for reason in REASONS if reason != "no_formal_notice"]
    assert result.eligible is False


def test_small_claims_up_to_five_thousand_euros_inclusive():
    # 4 960 € one day late at 13.15 %: 4 960 × 13.15 / 36 500 = 1.786 96… → 1.79; 4 960 + 1.79 + 40 = 5 001.79
    assert not small_claims_eligible(claim_on(invoice("4960.00"), date(2025, 3, 16)))
    # 4 958.21 € + 1.79 (4 958.21 × 13.15 / 36 500 = 1.786 31…) + 40 = 5 000.00
    assert small_claims_eligible(claim_on(invoice("4958.21"), date(2025, 3, 16)))


# -- properties ------------------------------------------------------------------------------------------

days_2023_2027 = st.dates(min_value=date(2023, 1, 1), max_value=date(2027, 12, 31))
money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1000000"), places=2)


@st.composite
def cases(draw):
    amount = draw(money)
    due = draw(days_2023_2027)
    payments = tuple(Payment(draw(st.dates(min_value=due - timedelta(days=30), max_value=due + timedelta(days=400))),
                             draw(st.decimals(min_value=Decimal("0.01"), max_value=amount, places=2)))
                     for _ in range(draw(st.integers(0, 3))))
    # At most one formal notice: with two, the later one moves the start of a consumer's interest forward.
    sent = draw(st.none() | st.dates(min_value=due - timedelta(days=5), max_value=due + timedelta(days=300)))
    history = () if sent is None else (registered(sent, draw(st.none() | st.just(sent + timedelta(days=3)))),)
    inv = invoice(str(amount), due, payments=payments, history=history)
    on = draw(st.dates(min_value=due - timedelta(days=10), max_value=due + timedelta(days=900)))
    later = on + timedelta(days=draw(st.integers(0, 400)))
    order = draw(st.sampled_from(["principal_first", "interest_first"]))
    cgv = draw(st.sampled_from(["legal", Decimal("15"), Decimal("9.5")]))
    kind = draw(st.sampled_from(["business", "consumer"]))
    return inv, on, later, Legal(partial_payments=order, late_interest=cgv), kind


@settings(max_examples=150, deadline=None)
@given(cases())
def test_interest_is_never_negative_and_periods_add_up(case):
    inv, on, _, legal, kind = case

    claim = claim_on(inv, on, legal=legal, kind=kind)

    assert claim.interest >= 0 and claim.principal >= 0
    assert sum(p.amount for p in claim.periods) == claim.accrued
    assert cents(claim.accrued - claim.interest_paid) == claim.interest
    assert claim.total == claim.principal + claim.interest + claim.indemnity
    assert all(p.days == (p.end - p.start).days + 1 > 0 for p in claim.periods)


@settings(max_examples=150, deadline=None)
@given(cases())
def test_interest_accrued_grows_with_the_run_date(case):
    inv, on, later, legal, kind = case

    before, after = claim_on(inv, on, legal=legal, kind=kind), claim_on(inv, later, legal=legal, kind=kind)

    assert after.accrued >= before.accrued
    if before.interest_paid == after.interest_paid == 0:  # no payment settled interest in between
        assert after.interest >= before.interest


# -- data out of SPEC §3's bounds never reaches the arithmetic --------------------------------------------

@pytest.mark.parametrize(("fields", "field"), [
    ({"amount": Decimal("1e999999999"), "amount_due": Decimal("1e999999999")}, "amount"),
    ({"amount_due": Decimal("1e999999999")}, "amount_due"),
    ({"due_date": date(9999, 12, 31)}, "due_date"),
    ({"payments": (Payment(date(2025, 4, 1), Decimal("-9e999999")),)}, "payments[0].amount"),
], ids=["amount", "amount_due", "due_date", "payment"])
@pytest.mark.parametrize("compute", ["claim", "eligibility"])
def test_an_invoice_out_of_bounds_is_refused_with_its_field_never_an_overflow(fields, field, compute):
    base = {"id": "F-2025-0007", "customer_id": "C1", "issue_date": date(2025, 2, 13), "due_date": date(2025, 3, 15),
            "amount": Decimal("12000.00"), "amount_due": Decimal("12000.00")}
    inv = Invoice(**{**base, **fields})
    with pytest.raises(UnusableInvoice) as caught:
        if compute == "claim":
            claim_on(inv, date(2025, 6, 30))
        else:
            eligibility(inv, customer(), LEGAL, [], date(2025, 6, 30), RATES)
    assert caught.value.field == field
    assert "F-2025-0007" in str(caught.value) and "hors des bornes" in str(caught.value)
