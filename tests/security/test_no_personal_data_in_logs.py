"""The logs of a full demo run hold no e-mail address, IBAN or street address (issue 7: security)."""

from __future__ import annotations

import json
import re
from datetime import date

from relance.cli import sample_data_path
from relance.datafile import load_book
from relance.local.demo import Payer, run_demo

from ..conftest import SAMPLE_RULES

EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
IBAN = re.compile(r"\bFR\d{2}(?:\s?\d{4}){5}\s?\d{3}\b")


def test_a_demo_run_logs_no_personal_data(tmp_path, capfd):
    book = load_book(sample_data_path())
    run_demo(book=book, rules_dir=SAMPLE_RULES, start=date(2026, 11, 13), end=date(2026, 11, 17), rerun=None,
             out_dir=tmp_path, exports=[sample_data_path().with_name("clients.csv")],
             payment=(date(2026, 11, 16), "F-2026-0412"),
             function_env={"POWERTOOLS_LOG_LEVEL": "DEBUG"},
             # Every debtor pays the day after an e-mail, its name as the payer of a signed bank notice.
             payers={customer: Payer("email", 1) for customer in book.customers})
    logs = [line for line in capfd.readouterr().out.splitlines() if line.startswith("{")]
    assert len(logs) > 50  # the handlers did log: shard reports, channel outcomes, imports, the webhook
    text = "\n".join(logs)
    streets = {c.address.line1 for c in book.customers.values() if c.address.line1}
    names = {c.name for c in book.customers.values() if c.kind == "consumer"}
    found_emails = sorted(set(EMAIL.findall(text)))
    assert found_emails == [], found_emails
    assert not IBAN.search(text)
    assert [s for s in streets if s in text] == []
    assert [n for n in names if n in text] == []
    phones = {c.phone for c in book.customers.values() if c.phone}
    assert phones and [p for p in phones if p in text] == []
    for line in logs:
        json.loads(line)  # structured: every line is one JSON object
