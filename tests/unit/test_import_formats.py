"""An export is read by its format's parser, one call for ``relance import`` and the import function."""

from __future__ import annotations

import pytest

from relance.app.importing import prepare
from relance.domain.model import Customer
from relance.imports import FORMATS, Format, format_of, parse_export
from relance.imports.parsed import ImportFileError, ParsedFile

CUSTOMERS_CSV = b"Code client;Raison sociale\r\nMART01;Menuiserie Martin SARL\r\n"


def parse_fixed_width(data: bytes, *, kind: str | None = None) -> ParsedFile:
    """A made-up format: one customer per line, id in the first 6 characters, then the name."""
    lines = data.decode().splitlines()
    found = tuple(Customer(id=line[:6].strip(), name=line[6:].strip(), kind="business") for line in lines)
    return ParsedFile(kind or "customers", found, (), (), len(lines), "utf-8", "")


@pytest.fixture
def fixed_width(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setitem(FORMATS, "fixed", Format("fixed", "export à largeur fixe", (".prn",), __name__,
                                                 "parse_fixed_width"))
    return "fixed"


def test_a_csv_export_is_read_by_the_csv_parser():
    parsed = parse_export(CUSTOMERS_CSV, fmt="csv")

    assert parsed.kind == "customers"
    assert [(c.id, c.name) for c in parsed.customers] == [("MART01", "Menuiserie Martin SARL")]


@pytest.mark.parametrize("name", ["imports/clients.csv", "imports/CLIENTS.CSV", "imports/fec.txt", "imports/export"])
def test_a_file_named_anything_but_a_known_suffix_is_read_as_csv_as_before(name):
    assert format_of(name) == "csv"


def test_an_unknown_format_is_refused_with_the_known_ones_named():
    with pytest.raises(ImportFileError) as refused:
        parse_export(CUSTOMERS_CSV, fmt="ubl")

    assert str(refused.value) == "format d’import inconnu « ubl » (formats connus : csv, einvoice)"


def test_a_registered_format_is_chosen_by_the_file_suffix(fixed_width):
    assert format_of("imports/clients.prn") == fixed_width


def test_the_import_reads_a_file_with_the_parser_of_its_format(fixed_width):
    prepared = prepare(b"DUPO02Dupont & Fils\n", store=None, kind="customers", fmt=fixed_width)

    assert [(c.id, c.name) for _, c in prepared.rows] == [("DUPO02", "Dupont & Fils")]
    assert prepared.report.rows == 1
