"""``relance``: the command line of rule editors and operators.

Exit codes: 0 done; 1 bad input (rules or data), with messages and never a traceback; 2 usage error.
Every command takes ``--format json`` (SPEC §4); the default is a table for people, in French.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

from .datafile import DataError, load_book
from .domain.bounds import date_problem
from .domain.contact import REASON_CONTACT_LIMIT, REASON_NOT_YET_DUE
from .domain.email import HeaderError
from .domain.fmt import money, weekday
from .domain.labels import CHANNEL_LABELS, REFUSAL_LABELS
from .domain.model import Book, Unusable
from .domain.planner import DatedAction, DatedMessage, Plan, Planner
from .domain.policy import Rules
from .domain.render import RenderFailed, TemplateMissing
from .rules.loader import Diagnostic, LoadResult, RulesError, load_rules
from .rules.schema import schema_text

DEMO_FROM, DEMO_TO = date(2026, 10, 1), date(2026, 12, 31)  # the sample's whole timeline (simulate)
DEMO_RUN_FROM, DEMO_RUN_TO = date(2026, 11, 1), date(2026, 11, 30)  # a month of daily runs on the local stack
DEMO_RERUN = date(2026, 11, 23)
DEMO_PAYMENT = (date(2026, 11, 16), "F-2026-0412")  # halfway: a signed Stripe event pays this invoice


PAYMENT_OUTCOMES = {"paid": "soldée", "partial": "partiellement payée", "overpaid": "soldée avec un trop-perçu",
                    "duplicate": "déjà enregistrée", "unmatched": "inconnue (gardée pour vérification)",
                    "review": "dans une autre devise (gardée pour vérification, non imputée)"}


def _fr_date(iso: object) -> str:
    return date.fromisoformat(str(iso)).strftime("%d/%m/%Y")


def sample_data_path() -> Path:
    return Path(str(resources.files("relance.sample").joinpath("data.json")))


# -- arguments -------------------------------------------------------------------------------------
def _date(text: str) -> date:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date (expected YYYY-MM-DD)") from None
    problem = date_problem(day)  # SPEC §3: past them, calendar arithmetic overflows
    if problem:
        raise argparse.ArgumentTypeError(f"'{text}' : {problem}")
    return day


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--format", choices=("table", "json"), default="table",
                        help="output: a table for people (default) or JSON")
    rules_arg = argparse.ArgumentParser(add_help=False)
    rules_arg.add_argument("--rules", default="rules", metavar="DIR", help="rules directory (default: rules)")
    data_arg = argparse.ArgumentParser(add_help=False)
    data_arg.add_argument("--data", required=True, metavar="FILE", type=Path,
                          help="customers and invoices, JSON (SPEC §3); 'sample' for the bundled sample")

    parser = argparse.ArgumentParser(prog="relance", description="Relances de factures impayées, pilotées par des "
                                                                 "règles YAML.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser("check", parents=[common, rules_arg], help="check the rule files and their templates")
    plan = sub.add_parser("plan", parents=[common, rules_arg, data_arg], help="what one run would do on a date")
    plan.add_argument("--on", required=True, type=_date, metavar="YYYY-MM-DD")
    simulate = sub.add_parser("simulate", parents=[common, rules_arg, data_arg],
                              help="every run between two dates, each action added to the history")
    simulate.add_argument("--from", dest="start", required=True, type=_date, metavar="YYYY-MM-DD")
    simulate.add_argument("--to", dest="end", required=True, type=_date, metavar="YYYY-MM-DD")
    sub.add_parser("schema", parents=[common], help="print the JSON Schema of a rule file")
    report = sub.add_parser("report", parents=[common, rules_arg, data_arg],
                            help="the collection dashboard at a date: a self-contained HTML page and a CSV")
    report.add_argument("--on", required=True, type=_date, metavar="YYYY-MM-DD")
    report.add_argument("--out", type=Path, default=Path("out"), help="folder for report.html and report.csv")
    claim = sub.add_parser("claim", parents=[common, rules_arg, data_arg],
                           help="what an invoice is worth in court on a date: principal, penalties, indemnity")
    claim.add_argument("--invoice", required=True, metavar="ID")
    claim.add_argument("--on", required=True, type=_date, metavar="YYYY-MM-DD")
    dossier = sub.add_parser("dossier", parents=[common, rules_arg, data_arg],
                             help="the injonction de payer dossier (ZIP), or why the invoice is not eligible")
    dossier.add_argument("--invoice", required=True, metavar="ID")
    dossier.add_argument("--on", required=True, type=_date, metavar="YYYY-MM-DD")
    dossier.add_argument("--out", type=Path, default=Path("out/dossiers"), help="folder for the ZIP")
    render = sub.add_parser("render", parents=[common, rules_arg, data_arg],
                            help="write what the debtor would receive for an invoice at a step, to proofread")
    render.add_argument("--invoice", required=True, metavar="ID")
    render.add_argument("--step", required=True, metavar="STEP", help="a step id of the invoice's scenario")
    render.add_argument("--on", type=_date, metavar="YYYY-MM-DD", help="the date printed (default: the step's date)")
    render.add_argument("--out", type=Path, default=Path("out/render"), help="folder for the .eml / .pdf / .txt")
    invoice = sub.add_parser("invoice", parents=[common],
                             help="record what you learned: paid, dispute, promise, resume (TABLE_NAME, "
                                  "AWS_ENDPOINT_URL for the local stack)")
    verbs = invoice.add_subparsers(dest="verb", required=True, metavar="VERB")
    paid = verbs.add_parser("paid", parents=[common], help="a payment seen on the bank statement")
    paid.add_argument("ids", nargs="+", metavar="INVOICE")
    paid.add_argument("--amount", help="amount paid (default: all that is due); decimal comma or point")
    paid.add_argument("--reference", default="", help="the bank entry's reference")
    dispute = verbs.add_parser("dispute", parents=[common], help="the customer contests: reminders pause")
    dispute.add_argument("ids", nargs="+", metavar="INVOICE")
    dispute.add_argument("--reason", required=True)
    promise = verbs.add_parser("promise", parents=[common], help="a promise to pay: reminders pause until then")
    promise.add_argument("ids", nargs="+", metavar="INVOICE")
    promise.add_argument("--until", required=True, type=_date, metavar="YYYY-MM-DD")
    resume = verbs.add_parser("resume", parents=[common], help="lift a dispute or a promise")
    resume.add_argument("ids", nargs="+", metavar="INVOICE")
    verbs.add_parser("review", parents=[common],
                     help="list the payments kept for review: unknown invoice, or another currency (never applied)")
    for verb in (paid, dispute, promise, resume):
        verb.add_argument("--on", type=_date, metavar="YYYY-MM-DD", help="the day it happened (default: today)")
    importer = sub.add_parser("import", parents=[common],
                              help="import the accounting software's CSV exports into the store "
                                   "(AWS, or the local stack when AWS_ENDPOINT_URL is set; table from TABLE_NAME)")
    importer.add_argument("--customers", type=Path, metavar="FILE", help="customers export (CSV)")
    importer.add_argument("--invoices", type=Path, metavar="FILE", help="invoices export (CSV)")
    demo = sub.add_parser("demo", parents=[common, rules_arg],
                          help="the daily job on the embedded local AWS, with the bundled sample data")
    demo.add_argument("--from", dest="start", type=_date, default=DEMO_RUN_FROM, metavar="YYYY-MM-DD")
    demo.add_argument("--to", dest="end", type=_date, default=DEMO_RUN_TO, metavar="YYYY-MM-DD")
    demo.add_argument("--out", type=Path, default=Path("out"), help="where the demo writes what it produced")
    return parser


# -- output ----------------------------------------------------------------------------------------
def _emit_json(payload: Any) -> None:
    sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")


def _console() -> Any:
    from rich.console import Console

    # Piped or captured output gets a wide table rather than rich's 80 columns with wrapped cells.
    return Console(highlight=False, soft_wrap=False, width=None if sys.stdout.isatty() else 160)


def _table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> Any:
    from rich.table import Table

    table = Table(title=title, title_justify="left", show_lines=False)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*("" if cell is None else str(cell) for cell in row))
    return table


def _print_diagnostics(diagnostics: Sequence[Diagnostic]) -> None:
    for diagnostic in diagnostics:
        sys.stderr.write(f"{diagnostic}\n")


DEFERRED_LABELS = {
    REASON_CONTACT_LIMIT: "le client a déjà reçu autant de messages que la politique de contact le permet",
    REASON_NOT_YET_DUE: "pas encore échue, le client reçoit aujourd’hui une relance pour une facture en retard",
}


def action_json(action: Any) -> dict[str, Any]:
    return {"invoice": action.invoice, "customer": action.customer, "segment": action.segment,
            "scenario": action.scenario, "step": action.step, "channel": action.channel, "tone": action.tone}


def plan_json(plan: Plan) -> dict[str, Any]:
    return {
        "date": plan.date.isoformat(),
        "actions": [action_json(a) for a in plan.actions],
        "messages": [{"customer": m.customer, "channel": m.channel, "tone": m.tone, "invoices": list(m.invoices)}
                     for m in plan.messages],
        "skipped": [{"invoice": s.invoice, "reason": s.reason} for s in plan.skipped],
        "deferred": [{"invoice": d.invoice, "step": d.step, "reason": d.reason} for d in plan.deferred],
    }


def terms_warnings(book: Book) -> list[tuple[str, str]]:
    """(invoice, French text) for each open business invoice whose terms exceed L441-10's ceiling."""
    from .domain.legal import payment_terms_problem

    out = []
    for invoice in book.invoices:
        customer = book.customers.get(invoice.customer_id)
        if customer is None or invoice.status not in ("open", "disputed") or invoice.amount_due <= 0:
            continue
        problem = payment_terms_problem(invoice, customer)
        if problem:
            out.append((invoice.id, problem))
    return out


def simulate_json(start: date, end: date, actions: Sequence[DatedAction],
                  unusable: Sequence[Unusable] = (), messages: Sequence[DatedMessage] = ()) -> dict[str, Any]:
    """SPEC §4 and §2.8 (``messages``), plus ``skipped``: the invoices set aside for their data or a failed
    computation (SPEC §3)."""
    said = sorted(messages, key=lambda d: (d.date, d.message.customer, d.message.channel, d.message.tone or ""))
    return {"from": start.isoformat(), "to": end.isoformat(),
            "actions": [{"date": d.date.isoformat(), **action_json(d.action)} for d in actions],
            "messages": [{"date": d.date.isoformat(), "customer": d.message.customer, "channel": d.message.channel,
                          "tone": d.message.tone, "invoices": list(d.message.invoices)} for d in said],
            "skipped": [{"invoice": u.invoice, "reason": u.reason} for u in unusable]}


# -- commands --------------------------------------------------------------------------------------
def _load(rules_dir: str) -> Rules:
    result = load_rules(rules_dir)
    _print_diagnostics(result.diagnostics)
    if not result.ok or result.rules is None:
        raise RulesError(result.diagnostics)
    return result.rules


def _book(path: Path) -> Book:
    """The data file; each invoice it sets aside (SPEC §3) is named on stderr, in French, and the rest goes on."""
    book = load_book(sample_data_path() if str(path) == "sample" else path)
    _warn_unusable(book.unusable)
    return book


def _warn_unusable(unusable: Sequence[Unusable], already: Sequence[Unusable] = ()) -> None:
    for aside in unusable:
        if aside not in already:
            sys.stderr.write(aside.message() + "\n")


def cmd_check(args: argparse.Namespace) -> int:
    result: LoadResult = load_rules(args.rules, check_templates=True)
    _print_diagnostics(result.diagnostics)
    errors = len(result.errors)
    warnings = len(result.diagnostics) - errors
    if args.format == "json":
        _emit_json({"ok": result.ok, "errors": errors, "warnings": warnings,
                    "diagnostics": [d.as_json() for d in result.diagnostics],
                    "templates": [c.as_json() for c in result.templates]})
    elif result.ok and result.rules is not None:
        rules = result.rules
        steps = sum(len(s.steps) for s in rules.scenarios.values())
        console = _console()
        console.print(f"Règles valides : {len(rules.segments)} segments, {len(rules.scenarios)} scénarios, "
                      f"{steps} étapes" + (f" ({warnings} avertissement(s))" if warnings else "") + ".")
        console.print(_templates_table(result.templates, rules.fallback_language))
    else:
        sys.stderr.write(f"{errors} erreur(s), {warnings} avertissement(s) : les règles ne sont pas utilisables.\n")
    return 0 if result.ok else 1


def _templates_table(choices: Sequence[Any], fallback: str) -> Any:
    """Which file each channel × tone × customer language uses (issue 19): the fallbacks said aloud."""
    rows = []
    for c in choices:
        notes = []
        if c.via == "default":
            notes.append("modèle de secours : pas de modèle pour ce ton")
        if c.fallback:
            notes.append(f"pas de modèle en « {c.language} » : langue de repli « {c.file_language} »")
        rows.append((c.channel, f"modèle « {c.template} »" if c.template else c.tone or "", c.language,
                     c.file or "aucun", " ; ".join(notes)))
    return _table(f"Modèles utilisés (langue de repli : {fallback})",
                  ("Canal", "Ton", "Langue du client", "Fichier", "Remarque"), rows)


def cmd_plan(args: argparse.Namespace) -> int:
    rules = _load(args.rules)
    book = _book(args.data)
    plan = Planner(rules).plan(book, args.on)
    _warn_unusable(plan.unusable, book.unusable)
    for invoice_id, text in terms_warnings(book):  # on stderr, like the invoices set aside: the JSON is SPEC §4's
        sys.stderr.write(f"avertissement : facture {invoice_id} : {text}\n")
    if args.format == "json":
        _emit_json(plan_json(plan))
        return 0
    console = _console()
    console.print(_table(f"Relances du {plan.date:%d/%m/%Y} — {len(plan.actions)} action(s)",
                         ("Facture", "Client", "Segment", "Scénario", "Étape", "Canal", "Ton"),
                         [(a.invoice, a.customer, a.segment, a.scenario, a.step, CHANNEL_LABELS[a.channel], a.tone)
                          for a in plan.actions]))
    console.print(_table(f"Messages — {len(plan.messages)}", ("Client", "Canal", "Ton", "Factures"),
                         [(m.customer, CHANNEL_LABELS[m.channel], m.tone, ", ".join(m.invoices))
                          for m in plan.messages]))
    if plan.deferred:
        console.print(_table(f"Relances reportées (politique de contact) — {len(plan.deferred)}",
                             ("Facture", "Étape", "Raison"),
                             [(d.invoice, d.step, DEFERRED_LABELS.get(d.reason, d.reason)) for d in plan.deferred]))
    if plan.skipped:
        console.print(_table(f"Factures non relancées — {len(plan.skipped)}", ("Facture", "Raison"),
                             [(s.invoice, s.reason) for s in plan.skipped]))
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    rules = _load(args.rules)
    return _show_simulation(rules, _book(args.data), args.start, args.end, args.format)


def _show_simulation(rules: Rules, book: Book, start: date, end: date, fmt: str) -> int:
    run = Planner(rules).simulate_run(book, start, end)
    _warn_unusable(run.unusable, book.unusable)
    actions = run.actions
    if fmt == "json":
        _emit_json(simulate_json(start, end, actions, run.unusable, run.messages))
        return 0
    rows = [(f"{d.date:%d/%m/%Y}", d.action.invoice, d.action.customer, d.action.segment, d.action.step,
             CHANNEL_LABELS[d.action.channel], d.action.tone) for d in actions]
    console = _console()
    console.print(_table(f"Simulation du {start:%d/%m/%Y} au {end:%d/%m/%Y} — {len(actions)} action(s)",
                         ("Date", "Facture", "Client", "Segment", "Étape", "Canal", "Ton"), rows))
    if run.unusable:
        console.print(_table(f"Factures mises de côté — {len(run.unusable)}", ("Facture", "Raison"),
                             [(u.invoice, u.reason) for u in run.unusable]))
    return 0


def cmd_render(args: argparse.Namespace) -> int:

    from .app.deliver import ChannelMessage, MessageAction, ReadyMessage, letter_document
    from .domain.email import build_email
    from .domain.render import render_message

    rules = _load(args.rules)
    book = _book(args.data)
    invoice = _invoice_of(book, args.invoice, args.data)
    customer = book.customers[invoice.customer_id]
    on = args.on or invoice.due_date
    planner = Planner(rules)
    segment = planner.segment_of(book, invoice, on)
    if segment is None:
        sys.stderr.write(f"invoice {invoice.id}: no segment matches it on {on}\n")
        return 1
    scenario = rules.scenarios[segment.scenario]
    step = next((s for s in scenario.steps if s.id == args.step), None)
    if step is None:
        sys.stderr.write(f"invoice {invoice.id} follows the scenario '{scenario.name}', which has no step "
                         f"'{args.step}' (steps: {', '.join(s.id for s in scenario.steps)})\n")
        return 1
    if step.channel == "litigation":
        sys.stderr.write("the litigation step builds a dossier: use relance dossier\n")
        return 1
    on = args.on or planner.step_day(invoice.due_date, step.at)
    rendered = render_message(rules, customer=customer, invoices=[invoice], channel=step.channel, tone=step.tone,
                              step_id=step.id, at=step.at_label, template=step.template, today=on)
    args.out.mkdir(parents=True, exist_ok=True)
    stem = f"{invoice.id}_{step.id}"
    company = rules.company
    if step.channel == "email":
        path = args.out / f"{stem}.eml"
        path.write_bytes(build_email(sender_name=company.name, sender=company.email, to=[customer.email or
                                     "adresse-inconnue@invalid"], subject=rendered.subject, text=rendered.body,
                                     reply_to=customer.account_manager, language=rendered.language))
    elif step.channel in ("letter", "registered_letter"):
        from .letters.pdf import render_letter_pdf

        message = ChannelMessage("apercu", on, customer.id, step.channel, step.tone,
                                 (MessageAction(invoice.id, step.id, segment.name, scenario.name),))
        prepared = ReadyMessage(message, customer, [invoice], step, rendered)
        path = args.out / f"{stem}.pdf"
        path.write_bytes(render_letter_pdf(letter_document(rules, prepared, step.channel == "registered_letter", on)))
    else:
        path = args.out / f"{stem}.txt"
        path.write_text(rendered.body + "\n", encoding="utf-8")
    if args.format == "json":
        _emit_json({"invoice": invoice.id, "step": step.id, "channel": step.channel, "tone": step.tone,
                    "subject": rendered.subject, "body": rendered.body, "path": str(path)})
    else:
        if rendered.subject:
            sys.stdout.write(f"Objet : {rendered.subject}\n\n")
        sys.stdout.write(rendered.body + f"\n\n→ {path}\n")
    return 0


def _invoice_of(book: Book, invoice_id: str, source: Path) -> Any:
    invoice = next((i for i in book.invoices if i.id == invoice_id), None)
    if invoice is None:
        aside = next((u for u in book.unusable if u.invoice == invoice_id), None)
        if aside is not None:
            raise DataError([f"{invoice_id} : facture inutilisable ({aside.reason}) — {aside.where} : {aside.problem}"
                             " ; corrigez-la dans l’export puis relancez"])
        raise DataError([f"{source}: no invoice '{invoice_id}'"])
    return invoice


def cmd_report(args: argparse.Namespace) -> int:
    from .app.report import build_report

    rules = _load(args.rules)
    report = build_report(_book(args.data), rules, args.on)
    args.out.mkdir(parents=True, exist_ok=True)
    html_path, csv_path = args.out / "report.html", args.out / "report.csv"
    html_path.write_text(report.html, encoding="utf-8")
    csv_path.write_bytes(report.csv)
    if args.format == "json":
        _emit_json({"on": args.on.isoformat(), "html": str(html_path), "csv": str(csv_path)})
    else:
        _console().print(f"Tableau de bord au {args.on:%d/%m/%Y} : {html_path} (et {csv_path} pour Excel)")
    return 0


def cmd_claim(args: argparse.Namespace) -> int:
    from .domain.claim import RateUnknown, UnusableInvoice, compute_claim, rates_of

    rules = _load(args.rules)
    book = _book(args.data)
    invoice = _invoice_of(book, args.invoice, args.data)
    rates = rates_of(rules)
    try:
        claim = compute_claim(invoice, book.customers[invoice.customer_id], rules.legal, args.on, rates)
    except (RateUnknown, UnusableInvoice) as err:
        sys.stderr.write(f"{invoice.id} : créance impossible à calculer — {err}\n")
        return 1
    if args.format == "json":
        _emit_json(claim.as_json() | {"rates": {"source": rates.source,
                                                "verified_until": rates.verified_until.isoformat()}})
        return 0
    _show_claim(claim)
    _console().print(f"[dim]Taux utilisés : {rates.describe()}[/dim]")
    return 0


def _show_claim(claim: Any) -> None:
    from .domain.fmt import percent, shortdate

    console = _console()
    kind = "professionnel" if claim.kind == "business" else "particulier"
    console.print(_table(f"Créance {claim.invoice} au {shortdate(claim.on)} (débiteur {kind})",
                         ("Du", "Au", "Jours", "Taux", "Base", "Intérêts"),
                         [(shortdate(p.start), shortdate(p.end), p.days, percent(p.rate), money(p.base),
                           money(p.amount)) for p in claim.periods]))
    console.print(f"Principal {money(claim.principal)} + intérêts {money(claim.interest)} + indemnité "
                  f"{money(claim.indemnity)} = [bold]{money(claim.total)}[/bold]")
    for warning in claim.warnings:
        console.print(f"[yellow]Attention : {warning}[/yellow]")


def cmd_dossier(args: argparse.Namespace) -> int:
    from .domain.claim import SMALL_CLAIMS_CEILING, RateUnknown, UnusableInvoice
    from .domain.courts import court_for, courts_of
    from .litigation.dossier import build_from_book, debtor_dossier, dossier_claim

    rules = _load(args.rules)
    book = _book(args.data)
    invoice = _invoice_of(book, args.invoice, args.data)
    customer = book.customers[invoice.customer_id]
    try:
        verdict, others = debtor_dossier(book, invoice, rules, args.on)
    except (RateUnknown, UnusableInvoice) as err:
        sys.stderr.write(f"{invoice.id} : créance impossible à calculer — {err}\n")
        return 1
    path = None
    if verdict.eligible:
        path = build_from_book(rules=rules, book=book, invoice=invoice, claim=verdict.claim, on=args.on,
                               out_dir=args.out, others=others)
    total = verdict.claim.total + sum((c.total for _, c in others), Decimal(0))
    court = court_for(customer, courts_of(rules), total, args.on)
    if court.warning:
        sys.stderr.write(f"Attention : {court.warning}\n")
    payload = {"invoice": invoice.id, "eligible": verdict.eligible, "reasons": list(verdict.reasons),
               "court": court.as_json(), "small_claims_eligible": total <= SMALL_CLAIMS_CEILING,
               "claim": dossier_claim([verdict.claim, *(c for _, c in others)]) if others else verdict.claim.as_json(),
               "path": str(path) if path else None,
               "invoices": [invoice.id, *(i.id for i, _ in others)] if verdict.eligible else [],
               "warnings": [court.warning] if court.warning else []}
    if args.format == "json":
        _emit_json(payload)
    elif verdict.eligible:
        _show_claim(verdict.claim)
        _console().print(f"Dossier d’injonction de payer : {path}")
    else:
        _console().print(f"{invoice.id} : pas de dossier — "
                         + " ; ".join(REFUSAL_LABELS.get(r, r) for r in verdict.reasons))
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    sys.stdout.write(schema_text())
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from .local.demo import DayResult, run_demo

    rules = _load(args.rules)
    console = _console()
    people = load_book(sample_data_path())
    names = {c.id: c.name for c in people.customers.values()}
    json_mode = args.format == "json"

    def show(day: DayResult) -> None:
        if not day.messages:
            console.print(f"[dim]{weekday(day.day)} {day.day:%d/%m/%Y} — rien à envoyer[/dim]")
            return
        resumed = sum(1 for m in day.messages if m.get("resumes"))
        fresh = len(day.messages) - resumed
        head = ", ".join(part for part in (
            f"{fresh} message(s), {day.actions} facture(s)" if fresh else "",
            f"{resumed} injonction(s) reprise(s) après le délai de la mise en demeure" if resumed else ""
        ) if part)
        console.print(_table(f"{weekday(day.day)} {day.day:%d/%m/%Y} — {head}",
                             ("Canal", "Client", "Ton", "Factures", "Étapes"),
                             [(CHANNEL_LABELS[m["channel"]], f"{m['customer']} {names.get(m['customer'], '')}",
                               m["tone"] or "", ", ".join(a["invoice"] for a in m["actions"]),
                               ", ".join(sorted({a["step"] for a in m["actions"]}))
                               + (" (reprise)" if m.get("resumes") else ""))
                              for m in day.messages]))

    def show_imports(imports: list[dict[str, object]]) -> None:
        for imported in imports:
            console.print(f"Import {imported['file']} : {imported['imported']} ligne(s) importée(s) sur "
                          f"{imported.get('rows', 0)}, {imported['rejected_rows']} refusée(s)"
                          + (f" (détail : {args.out / 'imports'})" if imported["errors"] else "")
                          + (f" — fichier inutilisable : {imported['unusable']}" if "unusable" in imported else ""))

    def show_payment(paid: dict[str, object]) -> None:
        outcome = PAYMENT_OUTCOMES.get(str(paid.get("outcome")), str(paid.get("outcome")))
        console.print(f"[bold]{_fr_date(paid['date'])} : paiement Stripe reçu pour {paid['invoice']} "
                      f"({money(Decimal(str(paid['amount'])))}), webhook signé vérifié — facture {outcome}, "
                      "ses relances suivantes n’auront pas lieu.[/bold]")

    if not json_mode:
        console.print(f"Pile AWS locale (moto) créée depuis template.yaml ; {len(people.invoices)} factures et leur "
                      f"historique chargés ; exports comptables déposés dans le bucket d’import. Exécution "
                      f"quotidienne du {args.start:%d/%m/%Y} au {args.end:%d/%m/%Y} (règles {rules.digest[:12]}).")
    exports = [sample_data_path().with_name(name) for name in ("clients.csv", "factures.csv")]
    result = run_demo(book=people, rules_dir=Path(args.rules).resolve(), start=args.start, end=args.end,
                      rerun=DEMO_RERUN if args.start <= DEMO_RERUN <= args.end else None, out_dir=args.out,
                      exports=exports, on_day=show if not json_mode else None,
                      on_imports=show_imports if not json_mode else None,
                      payment=DEMO_PAYMENT if args.start <= DEMO_PAYMENT[0] <= args.end else None,
                      on_payment=show_payment if not json_mode else None)
    paid_effect = []
    for paid in result.payments:
        invoice_id, day = paid["invoice"], paid["date"]
        before = [d.day.isoformat() for d in result.days for m in d.messages
                  if d.day.isoformat() < day and any(a["invoice"] == invoice_id for a in m["actions"])]
        after = [d.day.isoformat() for d in result.days for m in d.messages
                 if d.day.isoformat() >= day and any(a["invoice"] == invoice_id for a in m["actions"])]
        paid_effect.append({**paid, "reminders_before": len(before), "reminders_after": len(after)})
    total_messages = sum(1 for d in result.days for m in d.messages if not m.get("resumes"))
    total_actions = sum(d.actions for d in result.days)
    if json_mode:
        _emit_json({"from": args.start.isoformat(), "to": args.end.isoformat(),
                    "days": [{"date": d.day.isoformat(), "messages": d.messages} for d in result.days],
                    "rerun": ({"date": result.rerun.day.isoformat(), "messages": result.rerun.messages}
                              if result.rerun else None),
                    "dead_letters": result.dead_letters, "imports": result.imports, "payments": paid_effect})
        return 0
    console.print(f"\nTotal : {total_messages} message(s) pour {total_actions} relance(s) de facture ; "
                  f"{result.dead_letters} message(s) en file d’erreur.")
    for paid in paid_effect:
        console.print(f"{paid['invoice']} payée le {_fr_date(paid['date'])} par Stripe : "
                      f"{paid['reminders_before']} relance(s) avant, {paid['reminders_after']} après.")
    if result.rerun is not None:
        console.print(f"Nouvelle exécution du {result.rerun.day:%d/%m/%Y} : {len(result.rerun.messages)} nouveau(x) "
                      "message(s) — une journée relancée ne renvoie rien.")
    console.print(f"Détail : {args.out / 'queued.json'}")
    return 0


def cmd_invoice(args: argparse.Namespace) -> int:
    from datetime import datetime
    from decimal import Decimal, InvalidOperation
    from zoneinfo import ZoneInfo

    from botocore.exceptions import BotoCoreError, ClientError

    from .app import manual
    from .app.runtime import Runtime
    from .settings import Settings, SettingsError

    try:
        store = Runtime(Settings.from_env()).store
    except SettingsError as err:
        sys.stderr.write(f"{err}\n")
        return 1
    if args.verb == "review":
        return _review_payments(store, args.format)
    on = args.on or datetime.now(ZoneInfo("Europe/Paris")).date()
    amount = None
    if args.verb == "paid" and args.amount:
        try:
            amount = Decimal(args.amount.replace(",", ".").replace(" ", "").replace("\u202f", ""))
        except InvalidOperation:
            build_parser().error(f"--amount: '{args.amount}' is not an amount")
    results, failed = {}, False
    for invoice_id in args.ids:
        try:
            if args.verb == "paid":
                outcome: object = manual.record_payment(store, invoice_id, on, amount, args.reference)
            elif args.verb == "dispute":
                outcome = manual.record_dispute(store, invoice_id, on, args.reason)
            elif args.verb == "promise":
                outcome = manual.record_promise(store, invoice_id, on, args.until)
            else:
                outcome = manual.resume(store, invoice_id, on)
        except manual.UnknownInvoice:
            outcome, failed = "unknown invoice", True
        except manual.UnusableInvoice as err:
            aside = err.unusable
            sys.stderr.write(f"facture {invoice_id} : {aside.problem} (champ {aside.reason.partition(': ')[2]}, "
                             f"{aside.where}) — rien n’a été enregistré ; corrigez la facture dans l’export "
                             "comptable puis réimportez-la\n")
            outcome, failed = aside.reason, True
        except (BotoCoreError, ClientError) as err:
            sys.stderr.write(f"cannot reach the table: {err}\n")
            return 1
        if outcome is False:
            outcome, failed = "not changed (unknown invoice, or its status does not allow it)", True
        results[invoice_id] = "recorded" if outcome is True else outcome
    if args.format == "json":
        _emit_json({"verb": args.verb, "on": on.isoformat(), "results": results})
    else:
        for invoice_id, outcome in results.items():
            _console().print(f"{invoice_id} : {outcome}")
    return 1 if failed else 0


REVIEW_REASONS = {"unmatched": "facture inconnue", "currency_mismatch": "devise différente de la facture",
                  "currency_not_euro": "paiement hors euros"}


def _review_payments(store: Any, output: str) -> int:
    """What the webhooks kept without applying it, for the finance assistant to reconcile by hand."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        kept = store.review_payments()
    except (BotoCoreError, ClientError) as err:
        sys.stderr.write(f"cannot reach the table: {err}\n")
        return 1
    if output == "json":
        _emit_json({"verb": "review", "payments": kept})
        return 0
    if not kept:
        _console().print("Aucun paiement à vérifier.")
    for k in kept:
        sign = "-" if k.get("kind") == "refund" else ""
        what = "remboursement" if k.get("kind") == "refund" else "paiement"
        money_text = f"{sign}{k.get('amount', '')} {k.get('currency', '')}"
        _console().print(f"{k.get('date', '')} · {k['provider']} {k['event_id']} · {what} de {money_text} · "
                         f"facture « {k.get('invoice_ref', '')} » · {REVIEW_REASONS.get(k['reason'], k['reason'])}",
                         markup=False)
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from botocore.exceptions import BotoCoreError, ClientError

    from .app.importing import import_csv
    from .app.runtime import Runtime
    from .imports import format_of
    from .imports.csvfile import ImportFileError, errors_csv
    from .settings import Settings, SettingsError

    if not args.customers and not args.invoices:
        build_parser().error("import needs --customers FILE, --invoices FILE, or both")
    try:
        runtime = Runtime(Settings.from_env())
    except SettingsError as err:
        sys.stderr.write(f"{err}\n")
        return 1
    summaries, failed = [], False
    for kind, path in (("customers", args.customers), ("invoices", args.invoices)):
        if path is None:
            continue
        try:
            data = path.read_bytes()
        except OSError as err:
            sys.stderr.write(f"{path}: impossible de lire le fichier ({err.strerror})\n")
            failed = True
            continue
        try:
            report = import_csv(data, runtime.store, kind=kind, fmt=format_of(path.name))
        except ImportFileError as err:
            sys.stderr.write(f"{path}: {err}\n")
            failed = True
            continue
        except (BotoCoreError, ClientError) as err:
            where = runtime.settings.endpoint_url or f"AWS ({runtime.settings.region})"
            sys.stderr.write(f"cannot write to the table {runtime.settings.table_name} at {where}: {err}\n")
            return 1
        for error in report.errors:
            sys.stderr.write(f"{path}:{error.row}: {error.column or 'ligne'}: {error.reason}\n")
        if report.errors:
            report_path = path.with_name(path.stem + ".erreurs.csv")
            report_path.write_bytes(errors_csv(report.errors))
            failed = True
        summaries.append({"file": str(path), **report.as_dict()})
    if args.format == "json":
        _emit_json({"imports": summaries})
    else:
        for s_ in summaries:
            _console().print(f"{s_['file']} : {s_['imported']} ligne(s) importée(s) sur {s_['rows']} "
                             f"({s_.get('created', 0)} nouvelle(s), {s_.get('updated', 0)} mise(s) à jour, "
                             f"{s_.get('unchanged', 0)} inchangée(s)) ; {s_['rejected_rows']} ligne(s) refusée(s)"
                             + (f", détail dans {Path(s_['file']).with_name(Path(s_['file']).stem + '.erreurs.csv')}"
                                if s_["errors"] else "") + ".")
            if s_["disagreements"]:
                _console().print(f"{s_['disagreements']} désaccord(s) entre l’export et ce que relance a enregistré "
                                 "(relance garde son enregistrement) :", markup=False)
                for d in s_["disagreement_details"]:
                    _console().print(f"  ligne {d['row']}, facture {d['invoice']} : {d['reason']}", markup=False)
            if s_.get("warnings"):
                _console().print(f"{s_['warnings']} avertissement(s), lignes importées quand même :", markup=False)
                for w in s_["warning_details"]:
                    _console().print(f"  ligne {w['row']}, facture {w['invoice']} : {w['reason']}", markup=False)
    return 1 if failed else 0


COMMANDS = {"check": cmd_check, "plan": cmd_plan, "simulate": cmd_simulate, "schema": cmd_schema, "import": cmd_import,
            "render": cmd_render, "invoice": cmd_invoice, "claim": cmd_claim, "dossier": cmd_dossier,
            "report": cmd_report,
            "demo": cmd_demo}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "start", None) and args.end < args.start:
        build_parser().error("--to must not be before --from")
    try:
        return COMMANDS[args.command](args)
    except RulesError as err:
        errors = [d for d in err.diagnostics if d.severity == "error"]
        sys.stderr.write(f"{len(errors)} erreur(s) dans les règles : corrigez-les (relance check) puis relancez.\n")
        return 1
    except DataError as err:
        for problem in err.problems:
            sys.stderr.write(problem + "\n")
        return 1
    except (RenderFailed, TemplateMissing, HeaderError) as err:
        # `render` and `dossier` write a message from a template: one that cannot make it says why and where.
        sys.stderr.write(f"{err}\n")
        return 1
    except BrokenPipeError:
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
