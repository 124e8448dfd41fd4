"""Foreign debtors read English (issue 19 items 4–6): the shipped English templates for business and consumer
debtors, amounts and dates written the English way, the rules' fallback language, what `relance check` says
about the file each message uses, and the company mentions of R123-237 in every e-mail signature."""

from __future__ import annotations

import io
import json
import re
import shutil
from dataclasses import replace
from datetime import date
from decimal import Decimal
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from pypdf import PdfReader

from relance.app.deliver import ChannelMessage, MessageAction, ReadyMessage, letter_document
from relance.cli import main
from relance.datafile import load_book
from relance.domain.fmt import longdate_in, money_in, percent_in, phone_in, shortdate_in
from relance.domain.model import Address, Customer, Invoice
from relance.domain.policy import Step
from relance.domain.render import render_message
from relance.letters.pdf import render_letter_pdf
from relance.rules.loader import load_rules, load_rules_or_raise

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "rules"
TODAY = date(2026, 12, 7)
LEGAL_REFERENCES = ("L441-10", "D441-5", "1231-6", "1405")
ENGLISH_FILES = sorted((SHIPPED / "templates").glob("*/*.en.j2"))


def plain(text: str) -> str:
    return re.sub(r"[\u00a0\u202f]", " ", text)


def customer(kind: str, language: str = "en") -> Customer:
    return Customer(id="C-EN", name="Sarah Mitchell" if kind == "consumer" else "Thames Joinery Ltd", kind=kind,
                    email="accounts@debtor.example", language=language,
                    address=Address("15 rue Sala", "", "69002", "Lyon", "FR"))


def invoices() -> list[Invoice]:
    return [Invoice(id="F-1", customer_id="C-EN", issue_date=date(2026, 10, 12), due_date=date(2026, 10, 27),
                    amount=Decimal("2150.00"), amount_due=Decimal("2150.00")),
            Invoice(id="F-2", customer_id="C-EN", issue_date=date(2026, 10, 20), due_date=date(2026, 11, 4),
                    amount=Decimal("1234.50"), amount_due=Decimal("1000.00"))]


def render(rules, channel: str, tone: str, kind: str, language: str = "en"):
    return render_message(rules, customer=customer(kind, language), invoices=invoices(), channel=channel, tone=tone,
                          step_id="relance", at="J+30", template=None, today=TODAY)


def test_every_channel_and_tone_has_an_english_template():
    french = {p.name.replace(".fr.j2", "") + "@" + p.parent.name for p in (SHIPPED / "templates").glob("*/*.fr.j2")}
    english = {p.name.replace(".en.j2", "") + "@" + p.parent.name for p in ENGLISH_FILES}
    assert french == english


@pytest.mark.parametrize("kind", ["business", "consumer"])
@pytest.mark.parametrize("path", ENGLISH_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_each_english_template_states_the_french_legal_basis_of_its_french_twin(path, kind):
    rules = load_rules_or_raise(SHIPPED)
    channel, tone = path.parent.name, path.name.split(".")[0]
    english = render(rules, channel, tone, kind)
    french = render(rules, channel, tone, kind, language="fr")
    assert english.language == "en" and french.language == "fr"
    text = plain(f"{english.subject}\n{english.body}")
    said = {ref for ref in LEGAL_REFERENCES if ref in text}
    assert said >= {ref for ref in LEGAL_REFERENCES if ref in french.body}, "the legal basis the French states"
    assert "€3,150.00" in text, "the total, written the English way"
    assert "3 150,00 €" not in text and "Madame, Monsieur" not in text
    if kind == "consumer":
        assert not re.search(r"€40\b|40\.00|fixed indemnity|D441-5", text), "no recovery indemnity for a consumer"
        assert "commercial court" not in text
    if channel != "phone":  # the call script is for the French-speaking account manager; the call is in English
        assert not re.search(r"\b(facture|règlement|Objet)\b", text), "English throughout"


def test_a_business_formal_notice_in_english_claims_interest_and_the_indemnity_per_invoice():
    rules = load_rules_or_raise(SHIPPED)
    notice = render(rules, "registered_letter", "formel", "business")
    text = plain(notice.body)
    assert notice.subject == "Formal notice to pay (mise en demeure) – invoices F-1, F-2"
    assert "formal notice (mise en demeure) to pay us the principal sum of €3,150.00" in text
    assert "within 8 days of receipt of this letter" in text
    assert "Article L441-10 of the French Commercial Code" in text and "Article D441-5" in text
    assert "€80.00 for 2 invoices" in text and "commercial court (tribunal de commerce)" in text
    consumer = plain(render(rules, "registered_letter", "formel", "consumer").body)
    assert "Article 1231-6 of the French Civil Code" in consumer and "civil court (tribunal judiciaire)" in consumer


@pytest.mark.parametrize(("language", "amount", "long", "short", "rate"), [
    ("fr", "1 234,50 €", "23 novembre 2026", "23/11/2026", "12,15 %"),
    ("en", "€1,234.50", "23 November 2026", "23 Nov 2026", "12.15%"),
    ("de", "1.234,50 €", "23. November 2026", "23.11.2026", "12,15%"),
    ("xx", "€1,234.50", "23 November 2026", "23 Nov 2026", "12.15%"),  # unknown: read as English
])
def test_amounts_and_dates_are_written_as_the_readers_language_writes_them(language, amount, long, short, rate):
    day = date(2026, 11, 23)
    assert plain(money_in(Decimal("1234.5"), language)) == amount
    assert longdate_in(day, language) == long
    assert shortdate_in(day, language) == short
    assert plain(percent_in(Decimal("12.15"), language)) == rate


@pytest.mark.parametrize(("number", "language", "dialled"), [
    ("04 65 71 20 48", "en", "+33 4 65 71 20 48"), ("0465712048", "de", "+33 4 65 71 20 48"),
    ("04 65 71 20 48", "fr", "04 65 71 20 48"), ("+44 20 7946 0000", "en", "+44 20 7946 0000"),
])
def test_a_french_phone_number_is_given_to_a_foreign_reader_in_international_form(number, language, dialled):
    assert phone_in(number, language) == dialled


def test_french_keeps_its_own_typography():
    assert money_in(Decimal("1234.5"), "fr") == "1\u202f234,50\u202f€"
    assert longdate_in(date(2026, 11, 1), "fr") == "1er novembre 2026"


def _rules_with(tmp_path: Path, fallback: str | None) -> Path:
    root = tmp_path / "rules"
    shutil.copytree(SHIPPED, root)
    text = (root / "relance.yaml").read_text(encoding="utf-8")
    text = re.sub(r"^fallback_language: \w+\n", "" if fallback is None else f"fallback_language: {fallback}\n",
                  text, flags=re.MULTILINE)
    (root / "relance.yaml").write_text(text, encoding="utf-8")
    return root


def test_a_language_without_templates_gets_the_declared_fallback_language(tmp_path):
    rules = load_rules_or_raise(_rules_with(tmp_path, "en"))
    german = render(rules, "email", "courtois", "business", language="de")
    assert german.language == "en" and german.subject.startswith("Reminder")
    assert "€3,150.00" in plain(german.body)


@pytest.mark.parametrize("written", ["en-GB", "EN", "en_US"])
def test_a_language_written_with_its_region_or_in_capitals_finds_its_templates(written):
    rules = load_rules_or_raise(SHIPPED)
    rendered = render(rules, "email", "courtois", "business", language=written)
    assert rendered.language == "en" and rendered.subject.startswith("Reminder")
    assert "€3,150.00" in plain(rendered.body)


def test_without_a_declared_fallback_a_language_without_templates_gets_french(tmp_path):
    rules = load_rules_or_raise(_rules_with(tmp_path, None))
    assert rules.fallback_language == "fr"
    german = render(rules, "email", "courtois", "business", language="de")
    assert german.language == "fr" and german.subject.startswith("Rappel")


def test_a_tone_without_english_template_takes_the_english_default_before_any_french(tmp_path):
    root = _rules_with(tmp_path, "en")
    (root / "templates" / "email" / "ferme.en.j2").unlink()
    rendered = render(load_rules_or_raise(root), "email", "ferme", "business")
    assert rendered.language == "en" and rendered.subject.startswith("Statement of invoices")


def test_a_misspelt_fallback_language_is_refused_with_its_place(rules_dir):
    result = load_rules(rules_dir("version: 1\nfallback_language: english\nsegments: [{name: a, scenario: s}]\n"
                                  "scenarios: {s: {steps: [{id: r, at: J+5, channel: email, tone: courtois}]}}\n"))
    (error,) = result.errors
    assert error.line == 2 and "langue de repli « english » invalide" in error.message and "(exemple : en)" in \
        error.message


GERMAN_SEGMENT = """\
segments:
  - name: germanophones
    when: {customer.language: de}
    scenario: particuliers
"""


def _check(tmp_path: Path, capsys, fmt: str, fallback: str | None = "en") -> str:
    root = _rules_with(tmp_path, fallback)
    segments = (root / "segments.yaml").read_text(encoding="utf-8")
    (root / "segments.yaml").write_text(segments.replace("segments:\n", GERMAN_SEGMENT, 1), encoding="utf-8")
    assert main(["check", "--rules", str(root), "--format", fmt]) == 0, capsys.readouterr().err
    return capsys.readouterr().out


def test_check_says_in_json_which_file_each_channel_tone_and_language_uses(tmp_path, capsys):
    payload = json.loads(_check(tmp_path, capsys, "json"))
    choices = {(c["channel"], c["tone"], c["template"], c["language"]): c for c in payload["templates"]}
    assert set(next(iter(choices.values()))) == {"channel", "tone", "template", "language", "file", "file_language",
                                                  "via", "fallback"}
    assert choices[("email", "courtois", None, "en")] == {
        "channel": "email", "tone": "courtois", "template": None, "language": "en", "file": "email/courtois.en.j2",
        "file_language": "en", "via": "tone", "fallback": False}
    german = choices[("registered_letter", "formel", None, "de")]
    assert german["file"] == "registered_letter/formel.en.j2" and german["fallback"] is True
    assert choices[("email", "courtois", "preventif", "fr")]["file"] == "email/preventif.fr.j2"
    assert {c["language"] for c in payload["templates"]} == {"de", "en", "fr"}


def test_check_says_in_french_when_a_language_falls_back(tmp_path, capsys):
    out = _check(tmp_path, capsys, "table")
    assert "Modèles utilisés (langue de repli : en)" in out
    assert re.search(r"email\s*│\s*courtois\s*│\s*de\s*│\s*email/courtois\.en\.j2\s*│\s*pas de modèle en « de » : "
                     r"langue de repli « en »", out)


def test_check_says_when_a_tone_has_no_template_and_the_default_one_is_used(tmp_path, capsys):
    root = _rules_with(tmp_path, "en")
    (root / "templates" / "letter" / "factuel.fr.j2").unlink()
    (root / "templates" / "letter" / "factuel.en.j2").unlink()
    assert main(["check", "--rules", str(root), "--format", "json"]) == 0
    choices = {(c["channel"], c["tone"], c["language"]): c for c in json.loads(capsys.readouterr().out)["templates"]}
    assert choices[("letter", "factuel", "fr")]["file"] == "letter/default.fr.j2"
    assert choices[("letter", "factuel", "fr")]["via"] == "default"
    assert main(["check", "--rules", str(root)]) == 0
    assert re.search(r"letter\s*│\s*factuel\s*│\s*fr\s*│\s*letter/default\.fr\.j2\s*│\s*modèle de secours : pas de "
                     r"modèle pour ce ton", capsys.readouterr().out)


def test_a_fallback_language_nobody_writes_in_is_a_warning(tmp_path, capsys):
    result = load_rules(_rules_with(tmp_path, "de"), check_templates=True)
    assert result.ok
    (warning,) = [d for d in result.diagnostics if "langue de repli" in d.message]
    assert warning.file.endswith("relance.yaml") and warning.line > 1
    assert "aucun modèle n’est écrit dans la langue de repli « de » (langues des modèles : en, fr)" in warning.message


@pytest.mark.parametrize(("language", "mentions"), [
    ("fr", "Atelier Bois & Fils – SAS au capital de 50 000 € – RCS Lyon 841 273 659 – TVA FR08841273659"),
    ("en", "Atelier Bois & Fils – SAS with a share capital of €50,000 – RCS Lyon 841 273 659 – VAT No. "
           "FR08841273659"),
])
@pytest.mark.parametrize("tone", ["courtois", "factuel", "ferme", "formel", "preventif", "default"])
def test_every_email_signature_carries_the_mentions_letters_carry(language, mentions, tone):
    rules = load_rules_or_raise(SHIPPED)
    body = plain(render(rules, "email", tone, "business", language=language).body)
    assert mentions in body
    assert "SAS – SIREN" not in body


def test_the_english_letter_pdf_is_english_around_the_text_too():
    rules = load_rules_or_raise(SHIPPED)
    debtor = customer("consumer")
    rendered = render(rules, "registered_letter", "formel", "consumer")
    step = Step(id="mise_en_demeure", at=30, channel="registered_letter", tone="formel")
    message = ChannelMessage("k", TODAY, debtor.id, "registered_letter", "formel",
                             (MessageAction("F-1", "mise_en_demeure", "s", "s"),))
    pdf = render_letter_pdf(letter_document(rules, ReadyMessage(message, debtor, invoices(), step, rendered), True,
                                            TODAY))
    text = plain(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages))
    for said in ("Registered letter with acknowledgement of receipt", "Lyon, 7 December 2026",
                 "Subject: Formal notice to pay (mise en demeure)", "Due date", "Total due", "€3,150.00",
                 "Payment by bank transfer", "Reference to quote", "SAS with a share capital of €50,000",
                 "RCS Lyon 841 273 659", "VAT No. FR08841273659", "Yours faithfully", "Tel.: +33 4 65 71 20 48"):
        assert said in text, said
    for french in ("Objet", "Échéance", "Total dû", "Règlement par virement", "Lettre recommandée", " le 7 "):
        assert french not in text, french


def test_the_sample_english_customer_receives_english(capsys, tmp_path):
    book = load_book(REPO / "functions" / "relance" / "sample" / "data.json")
    (c010,) = [c for c in book.customers.values() if c.id == "C010"]
    assert c010.language == "en"
    assert main(["render", "--data", "sample", "--invoice", "F-2026-0447", "--step", "relance_1", "--rules",
                 str(SHIPPED), "--out", str(tmp_path), "--format", "json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["subject"] == "Reminder – invoice F-2026-0447 awaiting payment"
    assert "€2,150.00" in shown["body"] and "Kind regards" in shown["body"]
    assert "+33 4 65 71 20 48" in shown["body"] and "04 65 71 20 48" not in shown["body"]
    mail = message_from_bytes((tmp_path / "F-2026-0447_relance_1.eml").read_bytes(), policy=policy.default)
    assert mail["Content-Language"] == "en" and mail["Subject"] == shown["subject"]
    assert '<html lang="en">' in mail.get_body(("html",)).get_content()


LINT_RULES = """\
version: 1
segments: [{name: tous, scenario: s}]
scenarios:
  s:
    steps:
      - {id: relance_1, at: J+5, channel: email, tone: courtois}
      - {id: mise_en_demeure, at: J+30, channel: registered_letter, tone: formel}
"""
FR_EMAIL = "Objet : Rappel\n\nBonjour,\n{{ total|money }}\n"
FR_NOTICE = ("Objet : Mise en demeure\n\nNous vous mettons en demeure de payer {{ total|money }} sous "
             "{{ legal.formal_notice_deadline_days }} jours.\n")


def _warnings(rules_dir, **templates: str) -> list[str]:
    files = {"email/courtois.fr.j2": FR_EMAIL, "registered_letter/formel.fr.j2": FR_NOTICE, **templates}
    result = load_rules(rules_dir(LINT_RULES, templates=files), check_templates=True)
    assert result.ok, [str(d) for d in result.diagnostics]
    return [f"{Path(d.file).name}: {d.message}" for d in result.diagnostics
            if d.severity == "warning" and d.file.endswith(".j2")]


def test_the_legal_lint_reads_english_templates_too(rules_dir):
    told = ("Subject: Reminder\n\nPlease pay {{ total|money }}, plus a fixed indemnity of "
            "{{ legal.recovery_indemnity|money }} per invoice.\n")
    (warning,) = _warnings(rules_dir, **{"email/courtois.en.j2": told})
    assert warning.startswith("courtois.en.j2: ce modèle, écrit pour un client particulier")
    assert "n’est due qu’entre professionnels" in warning


def test_an_english_formal_notice_without_its_deadline_is_flagged(rules_dir):
    notice = "Subject: Formal notice\n\nWe hereby give you formal notice to pay {{ total|money }}.\n"
    (warning,) = _warnings(rules_dir, **{"registered_letter/formel.en.j2": notice})
    assert warning.startswith("formel.en.j2: cette mise en demeure")
    assert "le délai de paiement (8 jours" in warning and "montant" not in warning.split("ne dit pas")[1]
    complete = notice.replace(".\n", " within {{ legal.formal_notice_deadline_days }} days.\n")
    assert _warnings(rules_dir, **{"registered_letter/formel.en.j2": complete}) == []


# --- the statement of account and the portal link, as in the French twins (SPEC §2.8) ---------------------------

LINK = "https://pay.example/p/AbC123"


def others() -> list[Invoice]:
    """Two more open invoices, outside the message: one 45 days overdue on TODAY, one not yet due."""
    return [Invoice(id="F-9", customer_id="C-EN", issue_date=date(2026, 10, 8), due_date=date(2026, 10, 23),
                    amount=Decimal("600.00"), amount_due=Decimal("600.00")),
            Invoice(id="F-10", customer_id="C-EN", issue_date=date(2026, 12, 1), due_date=date(2027, 1, 6),
                    amount=Decimal("80.00"), amount_due=Decimal("80.00"))]


def render_with(rules, channel: str, tone: str, *, statement: bool, link: str):
    return render_message(rules, customer=customer("business"), invoices=invoices(), channel=channel, tone=tone,
                          step_id="relance", at="J+30", template=None, today=TODAY,
                          others=others() if statement else (), portal_link=link)


@pytest.mark.parametrize("path", ENGLISH_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_each_english_template_gives_the_statement_and_the_portal_link_its_french_twin_gives(path):
    rules = load_rules_or_raise(SHIPPED)
    channel, tone = path.parent.name, path.name.split(".")[0]
    body = plain(render_with(rules, channel, tone, statement=True, link=LINK).body)
    bare = plain(render_with(rules, channel, tone, statement=False, link="").body)
    assert "€680.00" in body and "€680.00" not in bare, "the total of the other open invoices, the English way"
    assert LINK in body and "online" not in bare and "QR" not in bare
    assert "\n\n\n" not in body and "\n\n\n" not in bare, "one blank line between paragraphs, with or without"
    if channel in ("letter", "registered_letter"):  # the PDF lists them under the invoice table
        assert re.search(r"concerns only invoices F-1, F-2\. Your other open invoices \(€680\.00\)", body)
        assert "(or scan the QR code below)" in body
    else:
        assert "– Invoice F-9 dated 8 Oct 2026, due 23 Oct 2026 (45 days overdue): €600.00" in body
        assert "– Invoice F-10 dated 1 Dec 2026, due 6 Jan 2027: €80.00" in body
        assert "Total of these other invoices: €680.00" in body
        assert "F-9" not in bare
    if channel == "email":
        assert "For your information, your other open invoices, not covered by this message:" in body
        assert f"Pay online or reply to us: {LINK}" in body
        assert body.index("Reference to quote") < body.index(LINK) < body.index("For your information")
    if channel == "phone":
        assert f"{LINK} (« You can pay online or reply to us at this link. »)\n\nÀ consigner" in body
    english = body if channel != "phone" else body.split("Total due")[1].split("Objectif")[0]
    assert not re.search(r"jours?\b|de retard|Facture n°|Régler|échue", english), "no French left to the debtor"


def test_an_english_letter_with_a_statement_and_a_link_has_no_french_around_the_text():
    rules = load_rules_or_raise(SHIPPED)
    debtor = customer("business")
    rendered = render_with(rules, "letter", "factuel", statement=True, link=LINK)
    step = Step(id="relance", at=30, channel="letter", tone="factuel")
    message = ChannelMessage("k", TODAY, debtor.id, "letter", "factuel", (MessageAction("F-1", "relance", "s", "s"),))
    ready = ReadyMessage(message, debtor, invoices(), step, rendered, others=others(), portal_link=LINK)
    document = letter_document(rules, ready, False, TODAY)
    without_iban = replace(document, sender=replace(document.sender, iban="", bic=""))  # the link's own box
    for doc in (document, without_iban):
        text = plain(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(render_letter_pdf(doc))).pages))
        for said in ("For your information, your other open invoices (not covered by this letter):",
                     "– Invoice F-9 dated 8 Oct 2026, due 23 Oct 2026 (45 days overdue): €600.00",
                     "– Invoice F-10 dated 1 Dec 2026, due 6 Jan 2027: €80.00",
                     "Total of these other invoices: €680.00", LINK):
            assert said in text, said
        for french in ("Pour information", "Facture n°", "échue", "échéance", "de retard", "jours", "Total de ces",
                       "Régler en ligne", "Objet", "Total dû"):
            assert french not in text, french
    assert "Pay online or reply to us" in plain(" ".join(
        p.extract_text() for p in PdfReader(io.BytesIO(render_letter_pdf(without_iban))).pages))
