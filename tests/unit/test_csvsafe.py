"""Every CSV relance writes is one format (French Excel's) and one injection rule (``relance.csvsafe``)."""

from __future__ import annotations

from relance.csvsafe import french_csv, neutralise


def test_a_french_csv_has_a_bom_semicolons_and_crlf_and_quotes_what_needs_it():
    data = french_csv([("ligne", "motif"), (2, "montant « 1 200,50 » ; illisible"), (3, 'dit "non"')])

    assert data.startswith(b"\xef\xbb\xbf")
    assert data.decode("utf-8-sig").split("\r\n") == [
        "ligne;motif", '2;"montant « 1 200,50 » ; illisible"', '3;"dit ""non"""', ""]


def test_a_cell_that_would_start_a_formula_is_shown_as_text():
    assert [neutralise(c) for c in ("=1+1", "+33", "-2", "@SUM(A1)", "＝1", "\t=1", "C001", "")] == [
        "'=1+1", "'+33", "'-2", "'@SUM(A1)", "'＝1", "'\t=1", "C001", ""]
