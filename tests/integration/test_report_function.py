"""The weekly report function and `relance report`: the same figures, as a page and a CSV."""

from __future__ import annotations

import csv
import io
import json
from email import message_from_bytes, policy

from moto.ses.models import ses_backends

from relance.cli import main, sample_data_path
from relance.datafile import load_book

from ..conftest import SAMPLE_RULES


def test_the_weekly_report_is_stored_and_mailed_to_the_company(stack, functions, store):
    store.seed(load_book(sample_data_path()))
    sent = ses_backends["123456789012"][stack.region].sent_messages
    sent.clear()
    assert functions.invoke("ReportFunction", {"on": "2026-11-30"})["on"] == "2026-11-30"
    (mail,) = [message_from_bytes(m.raw_data.encode(), policy=policy.default) for m in sent]
    assert mail["To"] == "compta@atelier-bois-fils.example" and "Tableau de bord" in mail["Subject"]
    names = [a.get_filename() for a in mail.iter_attachments()]
    assert names == ["tableau-de-bord-2026-11-30.html", "tableau-de-bord-2026-11-30.csv"]
    page = stack.client("s3").get_object(Bucket=stack.physical["DocumentsBucket"],
                                         Key="reports/2026-11-30.html")["Body"].read().decode()
    assert "<svg" in page and "Atelier Bois &amp; Fils" in page and "http" not in page.split("<body", 1)[1][:200]


def test_relance_report_writes_the_page_and_the_same_figures_as_csv(tmp_path, capsys):
    assert main(["report", "--rules", str(SAMPLE_RULES), "--data", "sample", "--on", "2026-11-30",
                 "--out", str(tmp_path), "--format", "json"]) == 0
    paths = json.loads(capsys.readouterr().out)
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO((tmp_path / "report.csv").read_bytes().decode("utf-8-sig")), delimiter=";"))
    assert paths["html"].endswith("report.html") and len(rows) > 20
    for row in rows[1:]:
        value = row[2]
        if value and value[0].isdigit():
            assert f'value="{value}"' in html, row


def test_the_weekly_report_is_built_past_a_poisoned_invoice_item(stack, functions, store):
    # Given the sample and one invoice item whose amount no sum survives, written straight into the table
    from relance.adapters.dynamo import invoice_item

    book = load_book(sample_data_path())
    store.seed(book)
    item = invoice_item(next(i for i in book.invoices if i.status == "open"), store.shards)
    item.update({"pk": {"S": "INV#F-HUGE"}, "id": {"S": "F-HUGE"}, "amount": {"S": "1e999999999"},
                 "amount_due": {"S": "1e999999999"}})
    stack.client("dynamodb").put_item(TableName=stack.physical["DataTable"], Item=item)
    # When the weekly report runs, Then it is built from the others
    assert functions.invoke("ReportFunction", {"on": "2026-11-30"})["on"] == "2026-11-30"
    assert stack.client("s3").get_object(Bucket=stack.physical["DocumentsBucket"], Key="reports/2026-11-30.html")
