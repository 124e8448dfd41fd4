"""A customer's legal form and, for an EI, its activity (SPEC §3): read from the data file and CSV exports,
kept in the store, so that the dossier sends the debtor to the right court (SPEC §5)."""

from __future__ import annotations

import json

import pytest

from relance.adapters.dynamo import customer_from_item, customer_item
from relance.datafile import DataError, parse_book
from relance.domain.model import Address, Customer
from relance.imports.csvfile import parse_csv


def book_with(**fields):
    customer = {"id": "C1", "name": "Cabinet Dr Martin", "kind": "business", **fields}
    return parse_book(json.dumps({"customers": [customer], "invoices": []}))


def test_the_data_file_reads_legal_form_and_activity():
    (customer,) = book_with(legal_form="EI", activity="Libérale").customers.values()
    assert (customer.legal_form, customer.activity) == ("EI", "liberale")
    (plain,) = book_with().customers.values()
    assert (plain.legal_form, plain.activity) == ("", "")


def test_an_unknown_activity_is_a_data_error_naming_its_place():
    with pytest.raises(DataError) as caught:
        book_with(legal_form="EI", activity="boulangerie")
    (problem,) = caught.value.problems
    assert "customers[0].activity" in problem and "commerciale" in problem


def test_a_csv_export_gives_legal_form_and_activity():
    text = "Code client;Raison sociale;Forme juridique;Nature de l’activité\r\nC1;Dr Martin;EI;libérale\r\n"
    parsed = parse_csv(text.encode("utf-8"))
    (customer,) = parsed.customers
    assert (customer.legal_form, customer.activity) == ("EI", "liberale") and parsed.errors == ()
    bad = parse_csv(text.replace("libérale", "boulangerie").encode("utf-8"))
    assert bad.customers == () and "activité inconnue" in bad.errors[0].reason


def test_the_store_keeps_legal_form_and_activity():
    customer = Customer(id="C1", name="Dr Martin", kind="business", legal_form="EI", activity="liberale",
                        address=Address(line1="1 rue X", postal_code="69100", city="Villeurbanne"))
    assert customer_from_item(customer_item(customer, 16)) == customer
