"""The bundled sample, as `make demo` runs it: valid rules, a whole timeline, and letters that render."""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections import defaultdict
from contextlib import redirect_stdout
from datetime import date, timedelta
from itertools import pairwise

import pytest

from relance.cli import DEMO_FROM, DEMO_TO, main, sample_data_path
from relance.datafile import load_book
from relance.domain.planner import Planner
from relance.domain.render import render_message
from relance.rules.loader import load_rules, load_rules_or_raise

from ..conftest import SAMPLE_RULES


@pytest.fixture(scope="module")
def rules():
    return load_rules_or_raise(SAMPLE_RULES)


@pytest.fixture(scope="module")
def book():
    return load_book(sample_data_path())


@pytest.fixture(scope="module")
def timeline(rules, book):
    return Planner(rules).simulate(book, DEMO_FROM, DEMO_TO)


def test_sample_rules_check_clean_with_templates():
    result = load_rules(SAMPLE_RULES, check_templates=True)
    assert result.ok and result.diagnostics == [], [str(d) for d in result.diagnostics]


def test_sample_files_point_editors_at_the_published_schema():
    for path in sorted(SAMPLE_RULES.glob("*.yaml")):
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("# yaml-language-server: $schema=")
        assert (path.parent / first.split("=", 1)[1]).resolve().is_file()


def test_sample_has_at_least_three_segments_and_a_catch_all(rules):
    assert len(rules.segments) >= 3 and rules.segments[-1].when is None


def test_every_step_of_every_scenario_happens_in_the_demo_window(rules, timeline):
    seen = defaultdict(set)
    for dated in timeline:
        seen[dated.action.scenario].add(dated.action.step)
    for name, scenario in rules.scenarios.items():
        assert seen[name] == {s.id for s in scenario.steps}, name


def test_no_invoice_gets_two_steps_on_one_day_nor_a_step_twice(timeline):
    per_day = [(d.date, d.action.invoice) for d in timeline]
    assert len(per_day) == len(set(per_day))
    steps = [(d.action.invoice, d.action.step) for d in timeline]
    assert len(steps) == len(set(steps))


def test_actions_fall_on_french_business_days_only(timeline):
    holidays_2026 = {date(2026, 11, 11), date(2026, 12, 25), date(2026, 11, 1)}
    for dated in timeline:
        assert dated.date.weekday() < 5 and dated.date not in holidays_2026


def test_nothing_after_payment_disputes_pauses_or_prescription(book, timeline):
    acted = defaultdict(list)
    for dated in timeline:
        acted[dated.action.invoice].append(dated.date)
    invoices = {i.id: i for i in book.invoices}
    customers = book.customers
    for invoice_id, days in acted.items():
        invoice = invoices[invoice_id]
        assert invoice.status in ("open",), invoice_id
        if invoice.paid_on:
            assert max(days) < invoice.paid_on, invoice_id
        assert "procedure_collective" not in customers[invoice.customer_id].tags
    never = [i.id for i in book.invoices if i.status in ("paid", "cancelled", "disputed")]
    assert never and not set(never) & set(acted)


def test_a_late_import_catches_up_one_step_at_a_time(book, timeline):
    late = [i for i in book.invoices if not i.history and i.status == "open" and i.due_date < DEMO_FROM
            and (DEMO_FROM - i.due_date).days > 40]
    assert late, "the sample must hold a late import"
    for invoice in late:
        days = [d.date for d in timeline if d.action.invoice == invoice.id]
        steps = [d.action.step for d in timeline if d.action.invoice == invoice.id]
        assert "mise_en_demeure" in steps, invoice.id
        assert all((b - a).days >= 3 for a, b in pairwise(days))


def test_every_message_of_the_demo_renders_in_french(rules, book, timeline):
    customers, invoices = book.customers, {i.id: i for i in book.invoices}
    messages = defaultdict(list)
    for dated in timeline:
        a = dated.action
        if a.channel != "litigation":
            messages[(dated.date, a.customer, a.channel, a.tone, a.scenario, a.step)].append(invoices[a.invoice])
    steps = {(name, s.id): s for name, sc in rules.scenarios.items() for s in sc.steps}
    assert messages
    for (day, customer_id, channel, tone, scenario, step_id), members in messages.items():
        step = steps[(scenario, step_id)]
        rendered = render_message(rules, customer=customers[customer_id], invoices=members, channel=channel,
                                  tone=tone, step_id=step_id, at=step.at_label, template=step.template, today=day)
        assert rendered.body.strip()
        if channel != "phone":
            assert rendered.subject
        assert "{{" not in rendered.body and "None" not in rendered.body


def test_formal_notice_mentions_differ_for_business_and_consumer(rules, book):
    invoice = next(i for i in book.invoices if i.status == "open")
    # French-speaking debtors: the sample's English one (C010) reads English (tests/unit/test_english.py).
    business = next(c for c in book.customers.values() if c.kind == "business" and c.language == "fr")
    consumer = next(c for c in book.customers.values() if c.kind == "consumer" and c.language == "fr")
    texts = {}
    for customer in (business, consumer):
        texts[customer.kind] = render_message(
            rules, customer=customer, invoices=[invoice], channel="registered_letter", tone="formel",
            step_id="mise_en_demeure", at="J+30", template=None, today=date(2026, 11, 23)).body
        texts[customer.kind] = texts[customer.kind].replace("\u00a0", " ").replace("\u202f", " ")
    assert "40,00 €" in texts["business"] and "L441-10" in texts["business"]
    assert "40,00 €" not in texts["consumer"] and "taux légal" in texts["consumer"]
    for text in texts.values():
        assert "mets en demeure" in text or "mettons en demeure" in text
        assert "8 jours" in text and "injonction de payer" in text


def test_simulate_json_over_the_sample(capsys):
    code = main(["simulate", "--rules", str(SAMPLE_RULES), "--data", "sample", "--from", "2026-10-01",
                 "--to", "2026-12-31", "--format", "json"])
    payload = json.loads(capsys.readouterr().out)
    assert code == 0 and len(payload["actions"]) > 50


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """`relance demo` over 12–24 November, once for the module: its JSON answer and the folder it wrote."""
    out = tmp_path_factory.mktemp("demo")
    answer = io.StringIO()
    with redirect_stdout(answer):
        code = main(["demo", "--rules", str(SAMPLE_RULES), "--from", "2026-11-12", "--to", "2026-11-24",
                     "--out", str(out), "--format", "json"])
    assert code == 0
    return json.loads(answer.getvalue()), out


def test_demo_runs_daily_on_the_local_stack_and_a_rerun_sends_nothing(demo):
    payload, tmp_path = demo
    per_day = {d["date"]: d["messages"] for d in payload["days"]}
    assert per_day["2026-11-21"] == [] and per_day["2026-11-22"] == []  # a weekend
    assert per_day["2026-11-12"]  # the first run catches up with what the sample's history left due
    # One invoice of the sample reaches litigation: its dossier lands in out/dossiers.
    dossiers = sorted((tmp_path / "dossiers").glob("injonction_*.zip"))
    assert dossiers and all(zipfile.is_zipfile(d) for d in dossiers)
    assert payload["rerun"] == {"date": "2026-11-23", "messages": []}
    assert payload["dead_letters"] == 0
    assert (tmp_path / "queued.json").is_file()
    # Halfway (16 November), a signed Stripe event pays F-2026-0412: nothing is sent for it afterwards.
    (paid,) = [p for p in payload["payments"] if p["provider"] == "stripe"]
    assert (paid["invoice"], paid["status"], paid["outcome"]) == ("F-2026-0412", 200, "paid")
    assert paid["reminders_after"] == 0
    # The other debtors who pay do so through the signed generic payment notice, some days after the call or the
    # formal notice that made them pay (cli.DEMO_PAYERS); nothing is sent for what they paid afterwards.
    bank = [p for p in payload["payments"] if p["provider"] == "generic"]
    assert bank and all((p["status"], p["outcome"], p["reminders_after"]) == (200, "paid", 0) for p in bank)
    # C004 pays 3 days after its first reminder (12 Nov), C007 4 days after the call (16 Nov).
    assert {("F-2026-0418", "2026-11-15"), ("F-2026-0415", "2026-11-20")} <= {(p["invoice"], p["date"]) for p in bank}
    # What went out is what the day lists, each message with its outcome (a parked injonction waits for the
    # formal notice's deadline); what was queued but did not go out is listed apart.
    assert all(m["outcome"] in ("sent", "built", "parked") for d in payload["days"] for m in d["messages"])
    assert all(m["outcome"] not in ("sent", "built", "parked") for d in payload["days"] for m in d["dropped"])
    # A Factur-X e-invoice (F-2026-0452) is dropped with the exports; the platform's signed statuses follow:
    # « 207 En litige » on F-2026-0420 (13 November), « 212 Encaissée » on F-2026-0452 (18 November).
    (einvoice,) = [i for i in payload["imports"] if i.get("kind") == "einvoices"]
    assert (einvoice["invoice"], einvoice["customer"], einvoice["created"]) == ("F-2026-0452", "C003", 1)
    posted = {s["code"]: s for s in payload["statuses"]}
    assert (posted["207"]["status"], posted["207"]["outcome"]) == (200, "applied")
    assert (posted["212"]["status"], posted["212"]["outcome"]) == (200, "paid")
    for invoice_id, day in (("F-2026-0420", "2026-11-13"), ("F-2026-0452", "2026-11-18")):
        assert not [d for d in payload["days"] if d["date"] >= day
                    for m in d["messages"] if any(a["invoice"] == invoice_id for a in m["actions"])], invoice_id
    # What the channel functions produced: e-mails, letters (a registered formal notice among them), call digests.
    emails = sorted((tmp_path / "emails").glob("*.eml"))
    letters = sorted((tmp_path / "courriers").glob("*.pdf"))
    assert emails and letters and list((tmp_path / "appels").glob("*.eml"))
    assert any("registered_letter" in p.name for p in letters)
    from email import message_from_bytes, policy

    first = message_from_bytes(emails[0].read_bytes(), policy=policy.default)
    assert first["From"].addresses[0].addr_spec == "compta@atelier-bois-fils.example"
    assert "€" in first.get_body(("plain",)).get_content()


# -- what the demo wrote, read back as the debtor and the court's clerk read it --------------------------------

def pdf_pages(data: bytes) -> list[str]:
    from pypdf import PdfReader

    return [page.extract_text().replace("\u202f", " ").replace("\u00a0", " ")
            for page in PdfReader(io.BytesIO(data)).pages]


def test_every_letter_of_the_demo_fits_on_one_page_with_its_signature(demo):
    _, out = demo
    letters = sorted((out / "courriers").glob("*.pdf"))
    assert len(letters) >= 5 and any("registered_letter" in p.name for p in letters)
    for path in letters:
        pages = pdf_pages(path.read_bytes())
        assert len(pages) == 1, f"{path.name}: {len(pages)} pages"
        text = pages[0]
        assert "Lyon, le " in text and "RCS Lyon 841 273 659" in text, path.name  # R123-237
        assert "Hélène Bois, Présidente" in text and "Page 1/1" in text, path.name


MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre")
SHORT_DATE = re.compile(r"\b(\d{2})/(\d{2})/(\d{4})\b")
LONG_DATE = re.compile(r"\b(1er|\d{1,2}) (" + "|".join(MONTHS) + r") (\d{4})\b")
RECEIVED = {("ar_signed", "registered_letter"), ("delivered", "registered_letter")}
# A chronology row's label → what the store must hold on that day, as (what, channel) facts.
ROW_FACTS = (("Facture n°", {("issued", "")}), ("Échéance de la facture", {("due", "")}),
             ("Relance par e-mail envoyée", {("sent", "email")}),
             ("Relance par courrier simple envoyée", {("sent", "letter")}),
             ("Mise en demeure envoyée", {("sent", "registered_letter")}),
             ("Appel téléphonique de relance", {("sent", "phone")}),
             ("Appel téléphonique prévu", {("call_task", "phone")}),
             ("Appel téléphonique passé", {("call_made", "phone")}),
             ("Accusé de réception signé", RECEIVED), ("Lettre recommandée distribuée", RECEIVED),
             ("Paiement reçu", {("payment", "")}),
             # Approval before a step (the sample asks it for the formal notice and the injonction): a person's
             # decision, or the timeout's.
             ("Envoi approuvé", {("approved", "people")}), ("Envoi retenu", {("held", "people")}),
             ("Délai d’approbation écoulé", {("approval_timeout", "people")}))
INTERNAL = (re.compile(r"\b[a-z]+_[a-z_]+\b"),  # a code: notice_deadline_pending, mise_en_demeure, call_task
            re.compile(r"\b(?=[0-9a-fA-F]*\d)[0-9a-fA-F]{8,}\b"),  # a hash, an id, an ungrouped number
            re.compile(r"F-\d{4}-\d{4}/|\bSES\b|\bmessage[- ]key\b"),  # a message key, SES
            re.compile(r"\b(sent|retry|posted|already|confirmed|planned|answer|delivered|call)\b"),
            re.compile(r"Relance programmée"))


def long_date(match: re.Match) -> date:
    day, month, year = match.groups()
    return date(int(year), MONTHS.index(month) + 1, 1 if day == "1er" else int(day))


def store_facts(history: dict, invoices: list[str]) -> set[tuple[date, str, str]]:
    """(day, what, channel) of everything the store holds on the dossier's invoices."""
    facts: set[tuple[date, str, str]] = set()
    for invoice_id in invoices:
        held = history[invoice_id]
        facts |= {(date.fromisoformat(held["issue_date"]), "issued", ""),
                  (date.fromisoformat(held["due_date"]), "due", "")}
        for step in held["steps"]:
            facts.add((date.fromisoformat(step["date"]), "sent", step["channel"]))
            if step["delivered_on"]:
                facts.add((date.fromisoformat(step["delivered_on"]), "ar_signed" if step["channel"] ==
                           "registered_letter" else "delivered", step["channel"]))
        facts |= {(date.fromisoformat(p["date"]), "payment", "") for p in held["payments"]}
        facts |= {(date.fromisoformat(e["date"]), e["kind"], "" if e["kind"] == "payment" else e.get("channel", ""))
                  for e in held["events"] if e.get("date")}
    return facts


def test_every_dated_fact_of_every_dossier_comes_from_the_store_with_no_code_or_id(demo):
    """Issue 15's « done when »: each date the requête (bordereau included) and the chronology give is a fact the
    store holds on the dossier's invoices — the chronology's rows by what they say — or the dossier's own date;
    no code, hash, provider id or English note reaches them."""
    _, out = demo
    history = json.loads((out / "historique.json").read_text(encoding="utf-8"))
    dossiers = sorted((out / "dossiers").glob("injonction_*.zip"))
    assert {p.name.split("_")[1] for p in dossiers} >= {"C002", "C015"}  # C015: a notice sent before relance
    for path in dossiers:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            manifest = json.loads(archive.read(next(n for n in names if n.endswith("manifest.json"))))
            requete = "\n".join(pdf_pages(archive.read(next(n for n in names if "requete" in n))))
            chronologie = "\n".join(pdf_pages(archive.read(next(n for n in names if "chronologie" in n))))
            decompte = "\n".join(pdf_pages(archive.read(next(n for n in names if "decompte" in n))))
        on = date.fromisoformat(manifest["on"])
        facts = store_facts(history, manifest["invoices"])
        days = {day for day, _, _ in facts}
        trackings = {e["tracking_number"] for i in manifest["invoices"] for e in history[i]["events"]
                     if e.get("tracking_number")}
        # The chronology: each row's date, and what it says happened that day.
        rows = []
        for line in chronologie.splitlines():
            found = re.match(r"(\d{2})/(\d{2})/(\d{4}) (.+)", line)
            if not found:
                continue
            day = date(int(found[3]), int(found[2]), int(found[1]))
            said = found[4]
            wanted = next((kinds for prefix, kinds in ROW_FACTS if said.startswith(prefix)), None)
            assert wanted is not None, f"{path.name}: a row the test does not know: {line}"
            assert any((day, what, channel) in facts for what, channel in wanted), f"{path.name}: {line}"
            rows.append(line)
        assert rows, path.name
        # The requête and the bordereau: every date is a fact's, or the dossier's (« arrêté au », « à compter du »).
        for text in (requete, chronologie):
            flat = " ".join(text.split())
            dated = [long_date(m) for m in LONG_DATE.finditer(flat)]
            dated += [date(int(y), int(m), int(d)) for d, m, y in SHORT_DATE.findall(flat)]
            assert dated, path.name
            for day in dated:
                assert day in days or day in (on, on + timedelta(days=1)), f"{path.name}: {day} is no fact"
        for text in (requete, chronologie, decompte):  # the décompte's dates are its periods': computed
            flat = " ".join(text.split())
            for tracking in trackings:
                flat = flat.replace(tracking, "")
            for pattern in INTERNAL:
                assert not pattern.search(flat), f"{path.name}: {pattern.search(flat)[0]!r}"
        # The rates' « non vérifié » is the creditor's business (its e-mail), never the court's.
        assert "vérifié" not in requete, path.name
        # « N relances amiables » counts the reminders the chronology lists.
        if counted := re.search(r"(\d+) relances? amiables?", " ".join(requete.split())):
            reminders = {(line[:10], line[11:40]) for line in chronologie.splitlines()
                         if re.match(r"\d{2}/\d{2}/\d{4} (Relance par|Appel téléphonique de relance)", line)}
            assert int(counted[1]) == len(reminders), path.name


def test_a_formal_notice_sent_before_relance_took_over_is_in_every_part_of_its_dossier(demo):
    """F-2026-0260 (C015): its mise en demeure, sent 25/09 and received 28/09, came with the data."""
    _, out = demo
    (path,) = (out / "dossiers").glob("injonction_C015_F-2026-0260_*.zip")
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        requete = " ".join(" ".join(pdf_pages(archive.read(next(n for n in names if "requete" in n)))).split())
        chronologie = " ".join(" ".join(pdf_pages(archive.read(next(n for n in names if "chronologie" in n)))).split())
        to_attach = archive.read(next(n for n in names if n.endswith("A-JOINDRE.txt"))).decode()
    assert ("Par lettre recommandée avec demande d’avis de réception du 25 septembre 2026 (pièce n° 2)" in requete
            and "reçue le 28 septembre 2026" in requete)
    assert "Pièce n° 2 Mise en demeure par lettre recommandée avec AR du 25 septembre 2026" in requete
    assert "Pièce n° 3 Avis de réception de la mise en demeure, signé le 28 septembre 2026" in requete
    assert "piece-02-mise-en-demeure.pdf" in to_attach and "piece-03-avis-de-reception.pdf" in to_attach
    assert "25/09/2026 Mise en demeure envoyée en recommandé AR" in chronologie
    assert "28/09/2026 Accusé de réception signé" in chronologie


def test_the_demo_debtor_s_reply_pauses_that_customer_and_reaches_its_account_manager(demo):
    """12 November: C003 answers by e-mail (a real-looking Apple Mail message, through InboundFunction)."""
    payload, out = demo
    (reply,) = payload["replies"]
    assert (reply["outcome"], reply["customer"], reply["paused_until"]) == ("matched", "C003", "2026-11-19")
    assert [s["kind"] for s in reply["suggestions"]] == ["transfer_sent"]
    assert reply["notified"] == "julie.perrin@atelier-bois-fils.example"
    paused = [(d["date"], m["channel"]) for d in payload["days"] for m in d["messages"]
              if m["customer"] == "C003" and "2026-11-12" <= d["date"] <= "2026-11-19"]
    assert paused == []
    histories = json.loads((out / "historique.json").read_text(encoding="utf-8"))
    received = [e for i in reply["invoices"] for e in histories[i]["events"] if e["kind"] == "reply_received"]
    assert received and all(e["raw_key"] == reply["key"] for e in received)
    assert list((out / "reponses").glob("2026-11-12_reply-*.eml"))
