"""CSV exports of accounting software → customers and invoices, with an error per bad cell (SPEC §3 fields)."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relance.domain.fmt import money
from relance.imports.csvfile import (
    CUSTOMER_FIELDS,
    INVOICE_FIELDS,
    ImportFileError,
    ParsedFile,
    RowError,
    decode_export,
    errors_csv,
    parse_amount,
    parse_csv,
)

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

INVOICE_HEADER = "N° facture;Code client;Date facture;Échéance;Montant TTC"
CUSTOMER_HEADER = "Code client;Raison sociale"


def invoices(*rows: str, header: str = INVOICE_HEADER, encoding: str = "utf-8") -> ParsedFile:
    return parse_csv(("\r\n".join([header, *rows]) + "\r\n").encode(encoding))


def customers(*rows: str, header: str = CUSTOMER_HEADER) -> ParsedFile:
    return parse_csv(("\r\n".join([header, *rows]) + "\r\n").encode("utf-8"))


def only_error(parsed: ParsedFile) -> RowError:
    assert len(parsed.errors) == 1, parsed.errors
    return parsed.errors[0]


# -- realistic exports ------------------------------------------------------------------------------------

SAGE_EXPORT = (
    "N° facture;Code client;Raison sociale;Date facture;Échéance;Montant TTC;Reste à payer;Statut\r\n"
    "FA-2026-0042;MART01;Menuiserie Martin SARL;05/01/2026;04/02/2026;1 234,56 €;1 234,56 €;Ouverte\r\n"
    "FA-2026-0043;DUPO02;Dupont & Fils;12/01/2026;11/02/2026;540,00 €;0,00 €;Payée\r\n"
).encode("cp1252")


def test_a_semicolon_export_in_windows_1252_reads_into_invoices():
    # Given a Sage/EBP-like export: « ; », Windows-1252, « Échéance », « 1 234,56 € »
    assert b"\xc9ch\xe9ance" in SAGE_EXPORT
    # When it is parsed
    parsed = parse_csv(SAGE_EXPORT)
    # Then both invoices are read exactly, with the file's encoding and delimiter
    assert (parsed.kind, parsed.encoding, parsed.delimiter, parsed.rows, parsed.errors) == (
        "invoices", "cp1252", ";", 2, ())
    first, second = parsed.invoices
    assert first.id == "FA-2026-0042" and first.customer_id == "MART01"
    assert (first.issue_date, first.due_date) == (date(2026, 1, 5), date(2026, 2, 4))
    assert first.amount == first.amount_due == Decimal("1234.56")
    assert isinstance(first.amount, Decimal) and first.status == "open" and first.currency == "EUR"
    assert (second.amount_due, second.status) == (Decimal("0.00"), "paid")
    assert first.payments == () and first.history == ()


def test_a_utf8_bom_comma_export_with_iso_dates_reads_into_invoices():
    # Given a Pennylane-like export: UTF-8 with BOM, « , », ISO dates, a quoted « 1,234.56 »
    data = ("\ufeffNuméro de facture,Client,Date de facture,Date d'échéance,Montant TTC,Montant restant dû,"
            "Devise,Statut\r\n"
            'F-2026-001,C001,2026-01-05,2026-02-04,"1,234.56",234.56,EUR,Partiellement payée\r\n').encode()
    # When it is parsed
    parsed = parse_csv(data)
    # Then the invoice is read, and the BOM did not spoil the first header
    assert (parsed.encoding, parsed.delimiter, parsed.errors) == ("utf-8-sig", ",", ())
    (inv,) = parsed.invoices
    assert (inv.id, inv.customer_id, inv.issue_date, inv.due_date) == (
        "F-2026-001", "C001", date(2026, 1, 5), date(2026, 2, 4))
    assert (inv.amount, inv.amount_due, inv.status) == (Decimal("1234.56"), Decimal("234.56"), "open")


def test_a_tab_separated_export_reads():
    # Given a tab-separated export
    data = "Facture\tClient\tDate\tÉchéance\tMontant\nF1\tC1\t05/01/2026\t04/02/2026\t100\n".encode()
    # When it is parsed
    parsed = parse_csv(data)
    # Then the tab is found and the invoice read
    assert parsed.delimiter == "\t" and [i.id for i in parsed.invoices] == ["F1"]


def test_a_customer_export_reads_every_field():
    # Given a customer export with address, tags, SIRET, language and country written the French way
    data = ("Code client;Raison sociale;Type de client;Courriel;Téléphone;Étiquettes;Langue;SIRET;Client depuis;"
            "Adresse;Complément d’adresse;Code postal;Ville;Pays;Commercial\r\n"
            "MART01;Menuiserie Martin SARL;Société;compta@martin.example;+33 4 78 00 00 00;grand_compte|btp;"
            "Français;732 829 320 00074;01/03/2019;3 rue des Lilas;Bâtiment B;01000;Bourg-en-Bresse;France;"
            "julie@atelier.example\r\n").encode("cp1252")
    # When it is parsed
    parsed = parse_csv(data)
    # Then the customer holds every field, the postal code keeps its leading zero
    (c,) = parsed.customers
    assert parsed.kind == "customers" and parsed.errors == ()
    assert (c.id, c.name, c.kind, c.email, c.phone) == (
        "MART01", "Menuiserie Martin SARL", "business", "compta@martin.example", "+33 4 78 00 00 00")
    assert (c.tags, c.language, c.siren, c.since) == (("grand_compte", "btp"), "fr", "732829320", date(2019, 3, 1))
    assert (c.address.line1, c.address.line2, c.address.postal_code, c.address.city, c.address.country) == (
        "3 rue des Lilas", "Bâtiment B", "01000", "Bourg-en-Bresse", "FR")
    assert c.account_manager == "julie@atelier.example" and dict(c.extra) == {}


@pytest.mark.parametrize(("written", "kind"), [
    ("professionnel", "business"), ("Entreprise", "business"), ("B2B", "business"), ("société", "business"),
    ("Particulier", "consumer"), ("b2c", "consumer"), ("consumer", "consumer"), ("", "business"),
])
def test_the_customer_kind_is_read_from_french_or_english_words(written, kind):
    # Given a customer whose type is written one way or another
    parsed = customers(f"C1;Martin;{written}", header="Code client;Nom;Type")
    # Then it is read as business or consumer
    assert parsed.customers[0].kind == kind


def test_the_customer_kind_defaults_to_business_without_a_type_column():
    assert customers("C1;Martin").customers[0].kind == "business"


def test_tags_are_split_on_pipes_commas_or_semicolons_inside_quotes():
    parsed = customers('C1;Martin;"vip; btp, export|vip"', header="Code client;Nom;Tags")
    assert parsed.customers[0].tags == ("vip", "btp", "export")


def test_a_quoted_multi_line_address_splits_into_address_lines():
    # Given an address cell written on two lines inside quotes
    parsed = customers('C1;Martin;"3 rue des Lilas\r\nBâtiment B";69003;Lyon',
                       header="Code client;Nom;Adresse;Code postal;Ville")
    # Then the first line is line 1 and the rest line 2
    address = parsed.customers[0].address
    assert (address.line1, address.line2, address.postal_code) == ("3 rue des Lilas", "Bâtiment B", "69003")


def test_row_numbers_are_the_spreadsheet_rows_after_a_multi_line_cell():
    # Given a multi-line quoted cell on row 2, and a bad row after it (physical line 4, spreadsheet row 3)
    parsed = customers('C1;Martin;"3 rue des Lilas\nBâtiment B"', "C2;Durand;12 avenue Foch;oops",
                       header="Code client;Nom;Adresse")
    # Then the error names row 3, where Excel or LibreOffice shows it
    assert only_error(parsed).row == 3


def test_a_postal_code_that_lost_its_leading_zero_gets_it_back_in_france():
    parsed = customers("C1;Martin;1000;France", header="Code client;Nom;Code postal;Pays")
    assert parsed.customers[0].address.postal_code == "01000"


def test_unknown_columns_go_to_extra_under_a_snake_case_key_and_empty_cells_are_left_out():
    # Given an invoice export with columns relance does not know
    parsed = invoices("F1;C1;05/01/2026;04/02/2026;100;PO-778;", "F2;C1;05/01/2026;04/02/2026;100;;Lyon",
                      header=INVOICE_HEADER + ";Bon de commande;Agence")
    # Then they are kept in extra, empty cells omitted
    assert [dict(i.extra) for i in parsed.invoices] == [{"bon_de_commande": "PO-778"}, {"agence": "Lyon"}]


def test_when_two_columns_name_the_same_field_the_more_specific_wins_and_the_other_is_extra():
    # Given an invoice export with both « Code client » and « Client » (the name)
    parsed = invoices("F1;Menuiserie Martin;C1;05/01/2026;04/02/2026;100",
                      header="N° facture;Client;Code client;Date facture;Échéance;Montant TTC")
    # Then the code is the customer id and the name is kept in extra
    (inv,) = parsed.invoices
    assert (inv.customer_id, dict(inv.extra)) == ("C1", {"client": "Menuiserie Martin"})


def test_headers_match_whatever_the_case_accents_apostrophes_and_spacing():
    parsed = invoices("F1;C1;05/01/2026;04/02/2026;100",
                      header="  NUMERO DE FACTURE ;code   CLIENT;date d'émission;DATE D’ECHEANCE;montant ttc (€)")
    assert parsed.errors == () and parsed.invoices[0].due_date == date(2026, 2, 4)


def test_an_english_header_reads_too():
    parsed = parse_csv(b"invoice_id,customer_id,issue_date,due_date,amount,amount_due\n"
                       b"F1,C1,2026-01-05,2026-02-04,100.00,40.00\n")
    assert parsed.invoices[0].amount_due == Decimal("40.00")


@pytest.mark.parametrize(("written", "value"), [
    ("1 234,56 €", "1234.56"), ("1\u202f234,56\u202f€", "1234.56"), ("1\u00a0234,56 EUR", "1234.56"),
    ("1.234,56", "1234.56"), ("1,234.56", "1234.56"), ("1234.5", "1234.50"), ("€ 99", "99.00"),
    ("1200", "1200.00"), ("12 345 678,90", "12345678.90"), ("0,5", "0.50"), ("1200.0000", "1200.00"),
])
def test_amounts_read_in_the_usual_french_and_english_formats(written, value):
    parsed = invoices(f'F1;C1;05/01/2026;04/02/2026;"{written}"')
    assert parsed.invoices[0].amount == Decimal(value)


@given(st.decimals(min_value=0, max_value=10**9, places=2))
@SETTINGS
def test_an_amount_written_as_a_french_letter_shows_it_reads_back_exactly(amount):
    assert parse_amount(money(amount)).value == amount


@pytest.mark.parametrize("written", ["05/01/2026", "5/1/2026", "05-01-2026", "05.01.2026", "2026-01-05",
                                     "05/01/26", "05/01/2026 00:00:00", "2026-01-05T00:00:00Z"])
def test_dates_read_in_the_usual_formats(written):
    parsed = invoices(f"F1;C1;{written};04/02/2026;100")
    assert parsed.invoices[0].issue_date == date(2026, 1, 5)


def test_amount_due_defaults_to_the_amount_and_the_status_to_open():
    (inv,) = invoices("F1;C1;05/01/2026;04/02/2026;100").invoices
    assert (inv.amount_due, inv.status) == (Decimal("100.00"), "open")


def test_a_negative_amount_due_is_a_credit_and_means_paid():
    (inv,) = invoices("F1;C1;05/01/2026;04/02/2026;100;-20,00", header=INVOICE_HEADER + ";Solde").invoices
    assert (inv.amount_due, inv.status) == (Decimal("-20.00"), "paid")


@pytest.mark.parametrize(("written", "status"), [
    ("Ouverte", "open"), ("OPEN", "open"), ("payée", "paid"), ("PAYEE", "paid"), ("Annulée", "cancelled"),
    ("cancelled", "cancelled"), ("Litige", "disputed"), ("disputed", "disputed"), ("Contentieux", "litigation"),
])
def test_statuses_read_in_french_or_english_whatever_the_case_and_accents(written, status):
    (inv,) = invoices(f"F1;C1;05/01/2026;04/02/2026;100;{written}", header=INVOICE_HEADER + ";Statut").invoices
    assert inv.status == status


def test_optional_dates_and_currency_are_read():
    (inv,) = invoices("F1;C1;05/01/2026;04/02/2026;100;usd;20/02/2026;02/01/2026",
                      header=INVOICE_HEADER + ";Devise;Payée le;Date de livraison").invoices
    assert (inv.currency, inv.paid_on, inv.completed_on) == ("USD", date(2026, 2, 20), date(2026, 1, 2))


def test_blank_rows_are_skipped_without_being_counted_and_rows_keep_their_spreadsheet_number():
    # Given blank rows (empty, or only separators and spaces) before a bad row
    parsed = invoices("", ";;; ;", "F1;C1;05/01/2026;04/02/2026;abc")
    # Then one data row is read, and its error names row 4
    assert parsed.rows == 1 and only_error(parsed).row == 4


def test_trailing_empty_cells_beyond_the_header_are_ignored():
    parsed = invoices("F1;C1;05/01/2026;04/02/2026;100;;")
    assert parsed.errors == () and len(parsed.invoices) == 1


def test_an_excel_sep_line_names_the_delimiter_and_is_not_a_row():
    parsed = parse_csv(b"sep=,\r\nFacture,Client,Date,Echeance,Montant\r\nF1,C1,05/01/2026,04/02/2026,abc\r\n")
    assert parsed.delimiter == "," and only_error(parsed).row == 2


# -- errors, row by row -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("row", "column", "words"), [
    ("F1;C1;31/02/2026;04/03/2026;100", "Date facture", ("date invalide", "31/02/2026", "JJ/MM/AAAA")),
    ("F1;C1;05/01/2026;demain;100", "Échéance", ("date invalide", "demain")),
    ("F1;C1;05/01/2026;04/02/2026;cent euros", "Montant TTC", ("montant invalide", "cent euros")),
    ("F1;C1;05/01/2026;04/02/2026;-100,00", "Montant TTC", ("montant négatif", "avoir")),
    ("F1;C1;05/01/2026;04/02/2026;1.234", "Montant TTC", ("plus de deux chiffres",)),
    (";C1;05/01/2026;04/02/2026;100", "N° facture", ("obligatoire", "numéro de facture")),
    ("F1;;05/01/2026;04/02/2026;100", "Code client", ("obligatoire", "code client")),
    ("F1;C1;05/01/2026;;100", "Échéance", ("obligatoire", "échéance")),
    ("F1;C1;05/01/2026;04/02/2026;", "Montant TTC", ("obligatoire", "montant")),
    ("F1;C1;05/02/2026;04/01/2026;100", "Échéance", ("antérieure", "04/01/2026", "05/02/2026")),
])
def test_a_bad_invoice_cell_is_reported_at_its_row_and_column_and_the_row_is_dropped(row, column, words):
    # Given a good invoice on row 2 and a bad one on row 3
    parsed = invoices("F0;C1;05/01/2026;04/02/2026;100", row)
    # Then the error names row 3, the column as written, and says why in French
    error = only_error(parsed)
    assert (error.row, error.column) == (3, column)
    assert all(word in error.reason for word in words), error.reason
    assert [i.id for i in parsed.invoices] == ["F0"] and parsed.rows == 2


@pytest.mark.parametrize(("column", "written", "words"), [
    ("Statut", "brouillon", ("statut inconnu", "brouillon")),
    ("Devise", "euro-dollar", ("devise inconnue",)),
    ("Reste à payer", "beaucoup", ("montant invalide",)),
    ("Date de paiement", "31/13/2026", ("date invalide",)),
])
def test_a_bad_optional_invoice_cell_is_reported_too(column, written, words):
    parsed = invoices(f"F1;C1;05/01/2026;04/02/2026;100;{written}", header=f"{INVOICE_HEADER};{column}")
    error = only_error(parsed)
    assert (error.row, error.column, parsed.invoices) == (2, column, ())
    assert all(word in error.reason for word in words), error.reason


def test_a_currency_other_than_the_euro_sign_in_the_amount_is_reported():
    parsed = invoices("F1;C1;05/01/2026;04/02/2026;100 €;USD", header=INVOICE_HEADER + ";Devise")
    error = only_error(parsed)
    assert error.column == "Devise" and "USD" in error.reason and "euros" in error.reason


@pytest.mark.parametrize(("column", "written", "words"), [
    ("Type", "association loi 1901", ("type de client inconnu",)),
    ("SIREN", "12345", ("SIREN invalide", "12345")),
    ("E-mail", "compta-at-martin", ("adresse e-mail invalide",)),
    ("E-mail", "a@martin.example; b@martin.example", ("une seule adresse",)),
    ("Langue", "klingon", ("langue inconnue",)),
    ("Pays", "Atlantide", ("pays inconnu",)),
    ("Client depuis", "hier", ("date invalide",)),
])
def test_a_bad_customer_cell_is_reported_at_its_row_and_column(column, written, words):
    parsed = customers(f'C1;Martin;"{written}"', header=f"Code client;Nom;{column}")
    error = only_error(parsed)
    assert (error.row, error.column, parsed.customers) == (2, column, ())
    assert all(word in error.reason for word in words), error.reason


def test_a_missing_customer_name_is_reported():
    parsed = customers("C1;", header="Code client;Raison sociale")
    error = only_error(parsed)
    assert (error.row, error.column) == (2, "Raison sociale") and "obligatoire" in error.reason


def test_a_duplicate_invoice_number_is_reported_on_the_later_row_naming_the_first():
    # Given F1 on row 2 and again on row 4
    parsed = invoices("F1;C1;05/01/2026;04/02/2026;100", "F2;C1;05/01/2026;04/02/2026;100",
                      "F1;C2;06/01/2026;05/02/2026;50")
    # Then row 4 is refused and says where the number was first seen
    error = only_error(parsed)
    assert (error.row, error.column, error.reason) == (4, "N° facture", "numéro de facture déjà présent ligne 2")
    assert [i.customer_id for i in parsed.invoices if i.id == "F1"] == ["C1"]


def test_a_duplicate_customer_code_is_reported_on_the_later_row():
    error = only_error(customers("C1;Martin", "C1;Durand"))
    assert (error.row, error.reason) == (3, "code client déjà présent ligne 2")


def test_a_row_with_more_cells_than_headers_is_reported_on_the_whole_row():
    # Given a row where an unquoted « ; » split a cell
    parsed = invoices("F1;C1;05/01/2026;04/02/2026;1 200;00")
    # Then the row is refused as a whole
    error = only_error(parsed)
    assert (error.row, error.column) == (2, "") and "6 cellules pour 5 colonnes" in error.reason
    assert parsed.invoices == ()


def test_every_bad_cell_of_a_row_is_reported():
    parsed = invoices("F1;;31/02/2026;04/02/2026;abc")
    assert [e.column for e in parsed.errors] == ["Code client", "Date facture", "Montant TTC"]


def test_a_quote_never_closed_is_reported_on_its_row_and_earlier_rows_still_import():
    parsed = invoices("F1;C1;05/01/2026;04/02/2026;100", 'F2;"C1;05/01/2026;04/02/2026;100',
                      "F3;C1;05/01/2026;04/02/2026;100")
    error = only_error(parsed)
    assert (error.row, error.column) == (3, "") and "guillemet" in error.reason
    assert [i.id for i in parsed.invoices] == ["F1"]


# -- the file as a whole ----------------------------------------------------------------------------------

def test_the_kind_is_told_from_the_header():
    assert invoices().kind == "invoices"
    assert customers().kind == "customers"
    # a customer export may carry a balance column without being mistaken for invoices
    assert customers(header="Code client;Raison sociale;Solde").kind == "customers"


def test_an_explicit_kind_is_used():
    parsed = parse_csv("Code client;Nom;Échéance\r\nC1;Martin;30 jours\r\n".encode(), kind="customers")
    assert parsed.kind == "customers" and dict(parsed.customers[0].extra) == {"echeance": "30 jours"}


def test_a_header_only_file_is_valid_and_empty():
    parsed = invoices()
    assert (parsed.rows, parsed.invoices, parsed.errors) == (0, (), ())


@pytest.mark.parametrize(("data", "words"), [
    (b"", "vide"),
    (b" \r\n\r\n;;\r\n", "vide"),
    (b"PK\x03\x04\x14\x00\x06\x00", "Excel"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "Excel"),
    ("Facture;Client".encode("utf-16"), "UTF-16"),
    (b"Facture;Client\x00;Date", "binaires"),
    (b"\xef\xbb\xbfFacture;\xff\xfe", "UTF-8"),
    (b"\x81\x8d\x8f\x90", "Windows-1252"),
    (b"F1;C1;05/01/2026;04/02/2026;100\r\n", "En-tête non reconnu"),
    (b"Facture;Client;Date;Montant\r\nF1;C1;05/01/2026;100\r\n", "colonne d’échéance"),
])
def test_an_unusable_file_raises_a_french_message(data, words):
    with pytest.raises(ImportFileError) as caught:
        parse_csv(data)
    assert words in str(caught.value)


def test_a_missing_required_column_for_the_asked_kind_raises_naming_it():
    with pytest.raises(ImportFileError) as caught:
        parse_csv(b"Code client;Raison sociale\r\nC1;Martin\r\n", kind="invoices")
    assert "Numéro de facture" in str(caught.value) and "Montant TTC" in str(caught.value)


def test_every_required_field_has_at_least_two_aliases_for_the_message():
    assert all(len(f.aliases) >= 2 for f in (*INVOICE_FIELDS, *CUSTOMER_FIELDS) if f.required)


# -- the error report -------------------------------------------------------------------------------------

def read_report(report: bytes) -> list[list[str]]:
    assert report.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(report.decode("utf-8-sig"), newline=""), delimiter=";"))


def test_the_error_report_reads_back_with_the_csv_module():
    # Given errors whose text holds « ; », quotes and a line break
    errors = [RowError(3, "Échéance", "date invalide « 31/02/2026 » (attendu JJ/MM/AAAA)"),
              RowError(7, "", 'ligne "bizarre";\nsur deux lignes')]
    # When the report is written and read back
    rows = read_report(errors_csv(errors))
    # Then it is the header and the errors, cell for cell
    assert rows == [["ligne", "colonne", "motif"], ["3", "Échéance", errors[0].reason], ["7", "", errors[1].reason]]


def test_the_error_report_of_a_parse_lists_its_errors():
    parsed = invoices("F1;C1;31/02/2026;04/03/2026;100")
    assert read_report(errors_csv(parsed.errors))[1][:2] == ["2", "Date facture"]


@pytest.mark.parametrize("cell", ['=HYPERLINK("http://evil.example","clic")', "+33 6 12 34 56 78", "-1",
                                  "@SUM(A1:A9)", "\t=1+1", "\r=1+1", "＝1+1"])
def test_a_cell_a_spreadsheet_would_run_as_a_formula_is_neutralised(cell):
    rows = read_report(errors_csv([RowError(2, cell, cell)]))
    assert rows[1] == ["2", "'" + cell, "'" + cell]


@given(st.lists(st.builds(RowError, st.integers(1, 10**6), st.text(), st.text()), max_size=5))
@SETTINGS
def test_the_error_report_always_reads_back_to_what_was_written_apart_from_the_apostrophe(errors):
    rows = read_report(errors_csv(errors))
    assert len(rows) == len(errors) + 1
    for error, (row, column, reason) in zip(errors, rows[1:], strict=True):
        assert int(row) == error.row
        assert column in (error.column, "'" + error.column) and reason in (error.reason, "'" + error.reason)
        assert not column.startswith(("=", "+", "-", "@")) and not reason.startswith(("=", "+", "-", "@"))


# -- whatever the file holds ------------------------------------------------------------------------------

def check_consistent(data: bytes, parsed: ParsedFile) -> None:
    """Every error points at a real, non-blank data row of the file; every data row gives a record or errors."""
    text = decode_export(data)
    text = text.split("\n", 1)[1] if text.lower().startswith("sep=") else text
    records = list(csv.reader(io.StringIO(text, newline=""), delimiter=parsed.delimiter))
    numbered = [(n, cells) for n, cells in enumerate(records, start=1) if any(c.strip() for c in cells)]
    data_rows = {n for n, _ in numbered[1:]}
    assert {e.row for e in parsed.errors} <= data_rows
    assert len(data_rows) == parsed.rows
    assert len(parsed.customers) + len(parsed.invoices) + len({e.row for e in parsed.errors}) == parsed.rows
    for inv in parsed.invoices:
        assert isinstance(inv.amount, Decimal) and isinstance(inv.amount_due, Decimal) and inv.amount >= 0


@given(st.one_of(st.binary(max_size=300),
                 st.binary(max_size=200).map(lambda b: INVOICE_HEADER.encode() + b"\r\n" + b),
                 st.binary(max_size=200).map(lambda b: CUSTOMER_HEADER.encode() + b"\n" + b)),
       st.sampled_from([None, "customers", "invoices"]))
@SETTINGS
def test_any_bytes_give_a_parsed_file_or_an_import_file_error(data, kind):
    try:
        parsed = parse_csv(data, kind=kind)
    except ImportFileError:
        return
    check_consistent(data, parsed)


ALIASES = sorted({a for f in (*INVOICE_FIELDS, *CUSTOMER_FIELDS) for a in f.aliases})
free_headers = st.text(st.characters(whitelist_categories=("L", "Nd", "Zs")), max_size=12)
cells = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=15),
    st.sampled_from(["05/01/2026", "2026-02-04", "31/02/2026", "1 234,56 €", "-20,00", "1.234", "100", "Payée",
                     "litige", "particulier", "732829320", "a@b.fr", "France", "fr", "F1", "C1", "", " "]),
)


@st.composite
def headers(draw) -> list[str]:
    """Mostly a usable header (one alias for every required field, some optional ones), sometimes anything."""
    fields = draw(st.sampled_from([INVOICE_FIELDS, CUSTOMER_FIELDS]))
    chosen = [draw(st.sampled_from(f.aliases)) for f in fields if f.required or draw(st.booleans())]
    chosen += draw(st.lists(st.one_of(st.sampled_from(ALIASES), free_headers), max_size=3))
    return draw(st.permutations(chosen).map(list) | st.lists(st.sampled_from(chosen), min_size=1, max_size=4))


@given(headers(), st.lists(st.lists(cells, max_size=8), max_size=6), st.sampled_from([";", ",", "\t"]),
       st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]), st.sampled_from([None, "customers", "invoices"]))
@SETTINGS
def test_any_rows_of_text_cells_give_a_parsed_file_or_an_import_file_error(header, rows, delimiter, encoding, kind):
    # Given a header naming known columns and rows of arbitrary text cells, written by a csv writer
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    try:
        data = out.getvalue().encode(encoding)
    except UnicodeEncodeError:
        data = out.getvalue().encode("utf-8")
    # When it is parsed
    try:
        parsed = parse_csv(data, kind=kind)
    except ImportFileError:
        return
    # Then the delimiter is the one written, and every error points at a row the writer wrote
    assert parsed.delimiter == delimiter
    check_consistent(data, parsed)
    wrote = {i + 2 for i, row in enumerate(rows) if any(c.strip() for c in row)}
    assert {e.row for e in parsed.errors} <= wrote


# -- what the store could not hold, and values out of bounds: the row is refused, the file goes on --------

def test_an_invoice_number_over_the_key_limit_is_refused_and_the_next_row_read():
    parsed = invoices("F" * 2100 + ";C1;05/10/2026;04/11/2026;10,00", "F-2;C1;05/10/2026;04/11/2026;10,00")
    error = only_error(parsed)
    assert (error.row, error.column) == (2, "N° facture") and "trop long" in error.reason
    assert [i.id for i in parsed.invoices] == ["F-2"]


def test_a_cell_over_128_kb_is_refused_without_losing_the_file():
    note = "x" * 140_000
    parsed = invoices(f"F-1;C1;05/10/2026;04/11/2026;10,00;{note}", "F-2;C1;05/10/2026;04/11/2026;10,00",
                      header=INVOICE_HEADER + ";Note")
    error = only_error(parsed)
    assert (error.row, error.column) == (2, "Note") and "cellule trop longue" in error.reason
    assert [i.id for i in parsed.invoices] == ["F-2"]


def test_free_columns_over_the_item_limit_are_refused():
    cells = ";".join("y" * 30_000 for _ in range(14))
    header = INVOICE_HEADER + "".join(f";Note {n}" for n in range(14))
    parsed = invoices(f"F-1;C1;05/10/2026;04/11/2026;10,00;{cells}", "F-2;C1;05/10/2026;04/11/2026;10,00",
                      header=header)
    error = only_error(parsed)
    assert error.row == 2 and "ligne trop volumineuse" in error.reason
    assert [i.id for i in parsed.invoices] == ["F-2"]


def test_a_utf8_file_with_one_windows_1252_row_is_never_mangled():
    data = ("Code client;Raison sociale\r\nC1;Bâtir Ensemble\r\n".encode()
            + "C2;Société Générale\r\n".encode("cp1252") + "C3;Crème & Café\r\n".encode())
    parsed = parse_csv(data)
    assert [c.name for c in parsed.customers] == ["Bâtir Ensemble", "Société Générale", "Crème & Café"]
    assert not any("Ã" in c.name for c in parsed.customers)


def test_a_row_in_neither_encoding_is_refused_with_a_reason():
    data = "Code client;Raison sociale\r\nC1;Bâtir\r\n".encode() + b"C2;Soci\x81t\xc3\r\n"
    parsed = parse_csv(data)
    assert [c.name for c in parsed.customers] == ["Bâtir"]
    error = only_error(parsed)
    assert error.row == 3 and "illisible" in error.reason


def test_amount_due_above_the_amount_is_refused():
    parsed = invoices("F-1;C1;05/10/2026;04/11/2026;100,00;150,00", header=INVOICE_HEADER + ";Reste à payer")
    error = only_error(parsed)
    assert error.column == "Reste à payer" and "supérieur au montant" in error.reason
    assert parsed.invoices == ()


@pytest.mark.parametrize("due", ["31/12/9999", "01/01/1899", "9999-12-31"])
def test_a_date_out_of_bounds_is_refused(due):
    parsed = invoices(f"F-1;C1;05/10/2026;{due};10,00", "F-2;C1;05/10/2026;04/11/2026;10,00")
    error = only_error(parsed)
    assert error.column == "Échéance" and "hors des bornes" in error.reason
    assert [i.id for i in parsed.invoices] == ["F-2"]


@pytest.mark.parametrize("amount", ["1" + "0" * 12, "9" * 40, "1 000 000 000 000,00"])
def test_an_absurd_amount_is_refused(amount):
    error = only_error(invoices(f"F-1;C1;05/10/2026;04/11/2026;{amount}"))
    assert error.column == "Montant TTC" and "hors des bornes" in error.reason
