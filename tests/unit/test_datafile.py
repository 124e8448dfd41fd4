"""The offline data file, SPEC §3: defaults, exact amounts, and errors that name their place."""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal

import pytest

from relance.datafile import DataError, load_book, parse_book

CUSTOMER = {"id": "C1", "name": "Menuiserie Martin SARL", "kind": "business"}


def invoice(**fields) -> dict:
    base = {"id": "F1", "customer_id": "C1", "issue_date": "2026-01-05", "due_date": "2026-02-04",
            "amount": "1200.00"}
    return {**base, **fields}


def data(*invoices: dict, customers: list[dict] | None = None) -> str:
    return json.dumps({"customers": [CUSTOMER] if customers is None else customers, "invoices": list(invoices)})


def problems(text: str) -> list[str]:
    with pytest.raises(DataError) as caught:
        parse_book(text)
    return caught.value.problems


def single_problem(text: str) -> str:
    found = problems(text)
    assert len(found) == 1, found
    return found[0]


def names_a_place(message: str, path: str, line: int) -> bool:
    """The place is either the JSON path of the value or its line in the file."""
    return path in message or re.match(rf"data\.json:{line}:\d+: ", message) is not None


# -- what is read ----------------------------------------------------------------------------------------

def test_the_spec_example_reads_into_a_book():
    text = """{"customers": [{"id": "C1", "name": "Menuiserie Martin SARL", "kind": "business",
      "email": "compta@martin.example", "tags": ["grand_compte"], "language": "fr", "siren": "732829320",
      "since": "2019-03-01",
      "address": {"line1": "3 rue des Lilas", "postal_code": "69003", "city": "Lyon", "country": "FR"},
      "account_manager": "julie@atelier.example", "extra": {}}],
     "invoices": [{"id": "F-2026-0042", "customer_id": "C1", "issue_date": "2026-01-05", "due_date": "2026-02-04",
      "amount": "1200.00", "amount_due": "1200.00", "currency": "EUR", "status": "open",
      "paid_on": null, "promise_to_pay_until": null, "completed_on": null,
      "payments": [{"date": "2026-02-20", "amount": "200.00"}],
      "history": [{"step": "relance_1", "channel": "email", "date": "2026-02-09", "delivered_on": null}],
      "extra": {}}]}"""
    book = parse_book(text)
    (inv,) = book.invoices
    assert book.customers["C1"].tags == ("grand_compte",)
    assert (inv.id, inv.due_date, inv.amount_due) == ("F-2026-0042", date(2026, 2, 4), Decimal("1200.00"))
    assert [(h.step, h.date) for h in inv.history] == [("relance_1", date(2026, 2, 9))]


def test_amount_due_defaults_to_amount_minus_payments():
    text = data(invoice(amount="1200.00", payments=[{"date": "2026-02-20", "amount": "200.00"},
                                                    {"date": "2026-03-02", "amount": "150.50"}]))
    (inv,) = parse_book(text).invoices
    assert inv.amount_due == Decimal("849.50")


def test_amount_due_defaults_to_amount_without_payments():
    (inv,) = parse_book(data(invoice(amount="1200.00"))).invoices
    assert inv.amount_due == Decimal("1200.00")


def test_explicit_amount_due_is_kept():
    text = data(invoice(amount="1200.00", amount_due="300.00",
                        payments=[{"date": "2026-02-20", "amount": "200.00"}]))
    (inv,) = parse_book(text).invoices
    assert inv.amount_due == Decimal("300.00")


def test_amounts_given_as_json_numbers_are_exact_decimals():
    # In floats, 0.3 - 0.1 - 0.2 is -2.8e-17, not 0
    text = """{"customers": [{"id": "C1", "name": "Martin", "kind": "business"}],
               "invoices": [{"id": "F1", "customer_id": "C1", "issue_date": "2026-01-05",
                             "due_date": "2026-02-04", "amount": 0.3,
                             "payments": [{"date": "2026-02-10", "amount": 0.1},
                                          {"date": "2026-02-11", "amount": 0.2}]}]}"""
    (inv,) = parse_book(text).invoices
    assert inv.amount == Decimal("0.3")
    assert [p.amount for p in inv.payments] == [Decimal("0.1"), Decimal("0.2")]
    assert inv.amount_due == Decimal("0")


def test_no_float_holds_an_amount():
    text = data(invoice(amount=1200.5, amount_due=1000, payments=[{"date": "2026-02-10", "amount": 200.5}]))
    (inv,) = parse_book(text).invoices
    amounts = [inv.amount, inv.amount_due, *(p.amount for p in inv.payments)]
    assert all(type(a) is Decimal for a in amounts)
    assert amounts == [Decimal("1200.5"), Decimal("1000"), Decimal("200.5")]


def test_completed_on_defaults_to_the_issue_date():
    (inv,) = parse_book(data(invoice(issue_date="2026-01-05"))).invoices
    assert inv.work_completed_on == date(2026, 1, 5)


def test_completed_on_is_read_when_given():
    (inv,) = parse_book(data(invoice(issue_date="2026-01-05", completed_on="2025-12-19"))).invoices
    assert inv.work_completed_on == date(2025, 12, 19)


def test_history_is_read_in_date_order():
    text = data(invoice(history=[{"step": "appel", "date": "2026-02-20"},
                                 {"step": "relance_1", "date": "2026-02-09"}]))
    (inv,) = parse_book(text).invoices
    assert [h.step for h in inv.history] == ["relance_1", "appel"]


# -- errors name their place -----------------------------------------------------------------------------

def test_bad_date_names_the_invoice_field_and_the_value():
    invoices = [invoice(id=f"F{i}") for i in range(3)] + [invoice(id="F3", due_date="2026-02-30")]
    message = single_problem(data(*invoices))
    assert message.startswith("data.json: ")
    assert "invoices[3].due_date" in message
    assert "'2026-02-30' n’est pas une date" in message


def test_load_book_names_the_file(tmp_path):
    path = tmp_path / "export.json"
    path.write_text(data(invoice(due_date="04/02/2026")), encoding="utf-8")
    with pytest.raises(DataError) as caught:
        load_book(path)
    (message,) = caught.value.problems
    assert message.startswith(f"{path}: invoices[0].due_date: ")


@pytest.mark.parametrize("field", ["id", "customer_id", "issue_date", "due_date", "amount"])
def test_missing_required_field_is_named(field):
    inv = invoice()
    del inv[field]
    message = single_problem(data(inv))
    assert f"invoices[0].{field}" in message
    assert "champ obligatoire" in message


def test_customer_without_name_is_named():
    message = single_problem(data(customers=[{"id": "C1", "kind": "business"}]))
    assert "customers[0].name" in message


def test_unknown_customer_is_named():
    message = single_problem(data(invoice(), invoice(id="F2", customer_id="C9")))
    assert "invoices[1].customer_id" in message
    assert "'C9'" in message


def test_duplicate_customer_id_is_named():
    message = single_problem(data(customers=[CUSTOMER, {**CUSTOMER, "name": "Autre"}]))
    assert "customers[1].id" in message
    assert "'C1'" in message


def test_duplicate_invoice_id_is_named():
    message = single_problem(data(invoice(), invoice(amount="10.00")))
    assert "invoices[1].id" in message
    assert "'F1'" in message


def test_bad_customer_kind_is_named():
    message = single_problem(data(customers=[{**CUSTOMER, "kind": "company"}]))
    assert "customers[0].kind" in message
    assert "'company'" in message


def test_bad_status_is_named():
    message = single_problem(data(invoice(status="unpaid")))
    assert "invoices[0].status" in message
    assert "'unpaid'" in message


def test_amount_that_is_not_a_number_is_named():
    message = single_problem(data(invoice(payments=[{"date": "2026-02-10", "amount": "1 200,00"}])))
    assert "invoices[0].payments[0].amount" in message


def test_not_json_gives_line_and_column():
    text = '{\n  "customers": [],\n  "invoices": [}\n}'
    # line 3, the "}" after "  \"invoices\": [" is column 16
    message = single_problem(text)
    assert message.startswith("data.json:3:16: ")


def test_duplicate_json_key_is_refused_and_located():
    text = '{"customers": [{"id": "C1",\n "id": "C2", "name": "Martin", "kind": "business"}], "invoices": []}'
    message = single_problem(text)
    assert "'id'" in message
    assert names_a_place(message, "customers[0]", line=2), message


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_numbers_are_refused_and_located(constant):
    text = data(invoice(id="F0"), invoice(id="F1", amount="__X__")).replace('"__X__"', constant)
    message = single_problem(text)
    assert constant.lstrip("-") in message
    assert names_a_place(message, "invoices[1].amount", line=1), message


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity", "sNaN"])
def test_nan_and_infinity_strings_are_not_amounts(constant):
    message = single_problem(data(invoice(amount=constant)))
    assert "invoices[0].amount" in message


def test_several_problems_are_reported_together():
    text = data(invoice(id="F1", due_date="2026-02-30"), invoice(id="F2", customer_id="C9"),
                invoice(id="F3", status="unpaid"))
    found = problems(text)
    places = ["invoices[0].due_date", "invoices[1].customer_id", "invoices[2].status"]
    assert len(found) == len(places), found
    for message, place in zip(found, places, strict=True):
        assert place in message


def test_error_message_is_the_text_of_the_exception():
    with pytest.raises(DataError) as caught:
        parse_book(data(invoice(due_date="2026-02-30"), invoice(id="F2", customer_id="C9")))
    assert str(caught.value) == "\n".join(caught.value.problems)


# -- out of SPEC §3's bounds: that invoice alone is set aside --------------------------------------------

def test_a_no_due_date_sentinel_sets_that_invoice_alone_aside():
    # Accounting packages write 31/12/9999 for "no due date".
    book = parse_book(data(invoice(id="F1"), invoice(id="F2", due_date="9999-12-31"), invoice(id="F3")))
    assert [i.id for i in book.invoices] == ["F1", "F3"]
    (aside,) = book.unusable
    assert (aside.invoice, aside.customer, aside.reason) == ("F2", "C1", "invalid data: due_date")
    assert "31/12/9999" in aside.problem
    assert aside.where == "data.json: invoices[1].due_date"


@pytest.mark.parametrize("amount", ['"1e999999999"', "1e999999999", '"-1E+999999999"', '"1000000000000.00"',
                                    "1" + "0" * 5000], ids=["text", "number", "negative", "a_trillion", "5001_digits"])
def test_an_amount_beyond_bounds_sets_that_invoice_alone_aside(amount):
    text = data(invoice(id="F1"), invoice(id="F2", amount="__X__")).replace('"__X__"', amount)
    book = parse_book(text)
    assert [i.id for i in book.invoices] == ["F1"]
    assert [(u.invoice, u.reason) for u in book.unusable] == [("F2", "invalid data: amount")]


@pytest.mark.parametrize(("fields", "field"), [
    ({"amount_due": "1e999999999"}, "amount_due"),
    ({"issue_date": "1899-12-31"}, "issue_date"),
    ({"paid_on": "9999-12-31"}, "paid_on"),
    ({"promise_to_pay_until": "9999-12-31"}, "promise_to_pay_until"),
    ({"completed_on": "0001-01-01"}, "completed_on"),
    ({"payments": [{"date": "2026-02-10", "amount": "10.00"}, {"date": "2026-02-11", "amount": "9e99999"}]},
     "payments[1].amount"),
    ({"payments": [{"date": "9999-12-31", "amount": "10.00"}]}, "payments[0].date"),
    ({"history": [{"step": "relance_1", "date": "2200-01-01"}]}, "history[0].date"),
    ({"history": [{"step": "relance_1", "date": "2026-02-09", "delivered_on": "9999-12-31"}]},
     "history[0].delivered_on"),
], ids=lambda v: v if isinstance(v, str) else "")
def test_each_bounded_field_is_named_in_the_reason(fields, field):
    book = parse_book(data(invoice(id="F1"), invoice(id="F2", **fields)))
    assert [i.id for i in book.invoices] == ["F1"]
    assert [(u.invoice, u.reason) for u in book.unusable] == [("F2", f"invalid data: {field}")]


@pytest.mark.parametrize(("fields", "field"), [({"due_date": "0001-01-01"}, "due_date"),
                                               ({"issue_date": "9999-12-31"}, "issue_date")])
def test_a_sentinel_before_the_issue_date_sets_the_invoice_aside_not_the_file(fields, field):
    book = parse_book(data(invoice(id="F1"), invoice(id="F2", **fields)))
    assert [(u.invoice, u.reason) for u in book.unusable] == [("F2", f"invalid data: {field}")]


def test_dates_on_the_bounds_are_usable():
    book = parse_book(data(invoice(issue_date="1900-01-01", due_date="2199-12-31", amount="999999999999.99")))
    assert [i.id for i in book.invoices] == ["F1"] and book.unusable == ()


def test_a_customer_date_beyond_bounds_sets_its_invoices_aside():
    customers = [CUSTOMER, {"id": "C2", "name": "Autre", "kind": "business", "since": "9999-12-31"}]
    book = parse_book(data(invoice(id="F1"), invoice(id="F2", customer_id="C2"), customers=customers))
    assert [i.id for i in book.invoices] == ["F1"]
    assert [(u.invoice, u.reason) for u in book.unusable] == [("F2", "invalid data: customer.since")]


def test_a_structural_error_is_still_a_file_error_even_next_to_a_bound():
    message = single_problem(data(invoice(id="F1", due_date="2026-02-30", amount="1e999999999")))
    assert "invoices[0].due_date" in message and "'2026-02-30' n’est pas une date" in message


def test_an_invoice_set_aside_still_takes_its_id():
    message = single_problem(data(invoice(id="F1", due_date="9999-12-31"), invoice(id="F1")))
    assert "invoices[1].id" in message


def test_an_amount_due_computed_beyond_bounds_sets_the_invoice_aside():
    # Both within bounds, but amount − payments is not: a negative payment (a reversal) of the maximum.
    book = parse_book(data(invoice(amount="0.01", payments=[{"date": "2026-02-10", "amount": "-999999999999.99"}])))
    assert book.invoices == () and [u.reason for u in book.unusable] == ["invalid data: amount_due"]


def test_a_misspelt_field_gets_the_field_meant_in_french():
    message = single_problem(data(invoice(due_dat="2026-02-04")))
    assert "invoices[0].due_dat" in message and "champ inconnu — vouliez-vous dire « due_date » ?" in message


@pytest.mark.parametrize("text", [data(invoice(amount="douze")), data(invoice(due_date="2026-01-01")),
                                  data(invoice(customer_id="C9")), '{"customers": [', '[]'])
def test_the_data_file_messages_are_french(text):
    for message in problems(text):
        words = set(message.replace("'", " ").split())
        assert not words & {"is", "not", "expected", "the", "unknown", "required", "before", "valid"}, message
