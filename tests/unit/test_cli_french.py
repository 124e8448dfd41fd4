"""Every command the finance assistant runs answers in French: its help, its usage errors, dates as she writes them.

argparse writes English (« usage: », « error: », « the following arguments are required »…); these tests read
the help and a usage error of each command as she would see them and look for English words that argparse or
our own texts would leak. Option names (--on, --invoice…) and command names are the commands' vocabulary and
are taken out first.
"""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import date

import pytest

from relance.cli import main
from relance.cliargs import french_error, parse_day

COMMANDS = ("check", "plan", "simulate", "schema", "report", "claim", "dossier", "render", "invoice", "import",
            "demo", "local", "reconcile")
VERBS = ("paid", "dispute", "promise", "resume", "call", "review")
# English words argparse writes, and words an English sentence of ours would need.
ENGLISH = ("usage", "error", "the", "following", "required", "invalid", "choice", "choose", "expected", "show",
           "help", "exit", "positional", "optional", "default", "folder", "file", "which", "what", "with", "for",
           "and", "of", "to", "is", "not", "unknown", "missing", "cannot", "must", "unrecognized", "ambiguous",
           "could", "match", "allowed", "one", "amount", "step", "customers", "invoices", "yyyy")
_OPTION = re.compile(r"(?<![\w-])-{1,2}[a-z][\w-]*")


def english_words(text: str) -> set[str]:
    text = _OPTION.sub(" ", text)
    text = re.sub(r"\b(relance|sample|json|table|report\.html|report\.csv)\b", " ", text)
    for name in (*COMMANDS, *VERBS):
        text = re.sub(rf"(?<![\w-]){name}(?![\w-])", " ", text)
    words = {w.lower() for w in re.findall(r"[A-Za-z]+", text)}
    return words & set(ENGLISH)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exit_:
        code = exit_.code
    out, err = capsys.readouterr()
    return code, out, err


HELPS = [(), *((c,) for c in COMMANDS), *(("invoice", v) for v in VERBS)]


@pytest.mark.parametrize("words", HELPS, ids=lambda w: " ".join(w) or "relance")
def test_the_help_of_every_command_is_french(capsys, words):
    code, out, err = run(capsys, *words, "--help")
    assert code == 0 and err == ""
    assert out.startswith("utilisation\u00a0: relance")
    assert english_words(out) == set(), out
    assert "afficher cette aide et quitter" in out and "options\u00a0:" in out


# One usage error per command, as she would make it: (argv, what the message must name).
USAGE_ERRORS = [
    ((), "COMMANDE"),
    (("pln",), "« plan »"),
    (("check", "--format", "xml"), "--format"),
    (("check", "--formt", "json"), "« --format »"),
    (("plan", "--data", "sample"), "--on"),
    (("plan", "--data", "sample", "--on", "32/11/2026"), "--on"),
    (("plan", "--data", "sample", "--on"), "--on"),
    (("plan", "--on", "23/11/2026"), "--data"),
    (("plan", "--on", "23/11/2026", "--customers", "clients.csv"), "--invoices"),
    (("simulate", "--data", "sample", "--from", "2026-12-01", "--to", "01/11/2026"), "--from"),
    (("simulate", "--data", "sample", "--from", "2026-11-01"), "--to"),
    (("report", "--data", "sample", "--on", "demain"), "--on"),
    (("claim", "--data", "sample", "--on", "2026-11-23"), "--invoice"),
    (("dossier", "--data", "sample", "--invoice", "F-1"), "--on"),
    (("render", "--data", "sample", "--invoice", "F-1"), "--step"),
    (("invoice",), "ACTION"),
    (("invoice", "pay", "F-1"), "« paid »"),
    (("invoice", "paid"), "FACTURE"),
    (("invoice", "paid", "F-1", "--amout", "3"), "« --amount »"),
    (("invoice", "dispute", "F-1"), "--reason"),
    (("invoice", "promise", "F-1", "--until", "30/02/2027"), "--until"),
    (("import",), "--customers"),
    (("import", "--customer", "a.csv", "--bogus"), "--bogus"),
    (("demo", "--from", "2026-13-01"), "--from"),
    (("schema", "--bogus"), "--bogus"),
    (("local", "--port", "http"), "--port"),
    (("local", "--bogus"), "--bogus"),
]


@pytest.mark.parametrize(("argv", "named"), USAGE_ERRORS, ids=lambda v: " ".join(v) if isinstance(v, tuple) else "")
def test_every_usage_error_is_french_and_names_its_place(capsys, argv, named):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert "Traceback" not in err
    assert err.startswith("utilisation\u00a0: relance")
    command = " ".join(w for w in argv[:2] if w in (*COMMANDS, *VERBS))
    assert f"relance {command}".strip() + "\u00a0: erreur\u00a0: " in err  # the command the error belongs to
    assert named in err  # and the argument
    assert english_words(err) == set(), err


@pytest.mark.parametrize(("text", "day"), [("23/11/2026", date(2026, 11, 23)), ("2026-11-23", date(2026, 11, 23)),
                                           ("1/2/2027", date(2027, 2, 1)), ("23.11.2026", date(2026, 11, 23))])
def test_dates_as_she_writes_them_or_iso(text, day):
    assert parse_day(text) == day


@pytest.mark.parametrize("text", ["31/02/2026", "2026-02-30", "11/23/2026", "demain", "23/11/26"])
def test_a_date_that_is_none_says_how_to_write_one(text):
    with pytest.raises(ValueError, match="JJ/MM/AAAA"):
        parse_day(text)


def test_plan_with_a_french_date_is_the_plan_of_the_iso_date(capsys):
    french = run(capsys, "plan", "--data", "sample", "--on", "23/11/2026", "--format", "json")
    iso = run(capsys, "plan", "--data", "sample", "--on", "2026-11-23", "--format", "json")
    assert french[0] == 0 and french[1] == iso[1] and '"date": "2026-11-23"' in french[1]


@pytest.mark.parametrize("message", [
    "the following arguments are required: --on, --data",
    "argument --format: invalid choice: 'xml' (choose from 'table', 'json')",
    "argument --format: invalid choice: xml (choose from table, json)",  # Python 3.12.8+ / 3.13
    "argument --on: expected one argument",
    "unrecognized arguments: --x",
    "ambiguous option: --o could match --on, --out",
    "argument FACTURE: expected at least one argument",
    "argument --x: not allowed with argument --y",
])
def test_argparse_messages_of_every_python_version_in_french(message):
    french = french_error(message)
    assert english_words(french) == set() and french != message


def test_the_skip_reasons_of_a_plan_table_are_french_and_the_json_keeps_the_codes(capsys):
    code, out, _ = run(capsys, "plan", "--data", "sample", "--on", "23/11/2026")
    assert code == 0 and "créance prescrite" in out and "en pause : règle de pause « procedure_collective »" in out
    assert "prescribed" not in out and "paused" not in out
    code, out, _ = run(capsys, "plan", "--data", "sample", "--on", "23/11/2026", "--format", "json")
    assert '"reason": "prescribed"' in out and '"reason": "paused: procedure_collective"' in out


def test_render_of_a_step_misspelt_suggests_the_step(capsys):
    code, _, err = run(capsys, "render", "--data", "sample", "--invoice", "F-2026-0305", "--step", "relance_4")
    assert code == 1 and "--step relance_4" in err and "n’a pas d’étape « relance_4 »" in err
    assert "vouliez-vous dire « relance_" in err and english_words(err) == set()


def test_an_invoice_misspelt_suggests_the_invoice(capsys):
    code, _, err = run(capsys, "claim", "--data", "sample", "--invoice", "F-2026-305", "--on", "23/11/2026")
    assert code == 1 and "aucune facture « F-2026-305 »" in err and "vouliez-vous dire « F-2026-0305 » ?" in err


@pytest.mark.parametrize("command", ["invoice", "import"])
def test_without_a_table_she_is_told_in_french_how_to_reach_one(capsys, monkeypatch, tmp_path, command):
    monkeypatch.delenv("TABLE_NAME", raising=False)
    argv = ["invoice", "paid", "F-1"] if command == "invoice" else ["import", "--customers", str(tmp_path / "c.csv")]
    code, _, err = run(capsys, *argv)
    assert code == 1 and "Traceback" not in err
    assert f"relance {command} : aucune table de relance désignée" in err
    assert "« relance local »" in err and "export" in err and "sam deploy" in err


def test_the_installed_command_prints_a_french_usage_error_without_traceback():
    done = subprocess.run([sys.executable, "-m", "relance.cli", "plan", "--data", "sample", "--on", "32/11/2026"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "relance plan\u00a0: erreur\u00a0: argument --on : « 32/11/2026 » n’est pas une date" in done.stderr


@pytest.mark.parametrize("argv", [("plan", "--data", "{missing}", "--on", "23/11/2026"),
                                  ("plan", "--customers", "{missing}", "--invoices", "{missing}", "--on", "23/11/2026"),
                                  ("import", "--customers", "{missing}")])
def test_a_file_that_is_not_there_is_named_in_french(capsys, tmp_path, monkeypatch, argv):
    monkeypatch.setenv("TABLE_NAME", "relance")
    missing = tmp_path / "absent.csv"
    code, _, err = run(capsys, *(a.format(missing=missing) for a in argv))
    assert code == 1 and f"{missing} : impossible de lire le fichier (fichier introuvable" in err
    assert "No such file" not in err and "Traceback" not in err
