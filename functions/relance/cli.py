"""``relance``: the command line of rule editors and operators.

Exit codes: 0 done; 1 bad input (rules or data), with messages and never a traceback; 2 usage error.
Every command takes ``--format json`` (SPEC §4); the default is a table for people, in French.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

from .cliargs import DATE_METAVAR, FrenchParser, date_argument, near, subcommand
from .datafile import DataError, load_book
from .domain.email import HeaderError
from .domain.fmt import money, shortdate, weekday
from .domain.labels import CHANNEL_LABELS, REFUSAL_LABELS, deferred_label, file_problem, skip_label
from .domain.model import Book, Unusable, on_statement
from .domain.planner import DatedAction, DatedMessage, Plan, Planner
from .domain.policy import Rules
from .domain.render import RenderFailed, TemplateMissing
from .rules.loader import Diagnostic, LoadResult, RulesError, load_rules
from .rules.schema import schema_text

DEMO_FROM, DEMO_TO = date(2026, 10, 1), date(2026, 12, 31)  # the sample's whole timeline (simulate)
DEMO_RUN_FROM, DEMO_RUN_TO = date(2026, 11, 1), date(2026, 11, 30)  # a month of daily runs on the local stack
DEMO_RERUN = date(2026, 11, 23)
DEMO_PAYMENT = (date(2026, 11, 16), "F-2026-0412")  # halfway: a signed Stripe event pays this invoice
DEMO_REPLY = (date(2026, 11, 12), "C003")  # that morning, this customer answers its last reminder e-mail
REPLY_SUGGESTIONS = {"already_paid": "« déjà réglé »", "transfer_sent": "virement annoncé",
                     "dispute": "contestation", "promise": "promesse de paiement"}
# The sample's debtors behave like real ones: some pay a few days after the first reminder, some after the call,
# some after the formal notice (their bank line reported through the signed generic payment notice), the others
# never (C014 pays on 5 November, as its paid_on in the data file says). Customer id → (the reminder that makes
# it pay: a step id or a channel, days it takes to pay).
DEMO_PAYERS = {"C004": ("relance_1", 3), "C010": ("relance_1", 3), "C001": ("phone", 4), "C007": ("phone", 4),
               "C008": ("registered_letter", 8), "C011": ("registered_letter", 4)}


PAYMENT_OUTCOMES = {"paid": "soldée", "partial": "partiellement payée", "overpaid": "soldée avec un trop-perçu",
                    "duplicate": "déjà enregistrée", "unmatched": "inconnue (gardée pour vérification)",
                    "review": "dans une autre devise (gardée pour vérification, non imputée)"}


DATA_COMMANDS = ("plan", "simulate", "report", "claim", "dossier", "render")
STACK_HELP = ("La table de relance est désignée par la variable d’environnement TABLE_NAME. Sur AWS : "
              "TABLE_NAME=<la table de la pile déployée> (sortie DataTableName de « sam deploy », voir "
              "infra/) avec vos identifiants AWS habituels. En local, sans AWS : lancez « relance local » dans "
              "un autre terminal et copiez les lignes « export … » qu’il affiche.")


def _count(count: int, word: str) -> str:
    """« 0 message », « 1 message », « 3 messages »: one spelling, never « message(s) »."""
    return f"{count} {word}{'s' if count > 1 else ''}"


def _fr_date(iso: object) -> str:
    return date.fromisoformat(str(iso)).strftime("%d/%m/%Y")


def sample_data_path() -> Path:
    return Path(str(resources.files("relance.sample").joinpath("data.json")))


# -- arguments -------------------------------------------------------------------------------------
_date = date_argument  # JJ/MM/AAAA or AAAA-MM-JJ, within SPEC §3's bounds
DAY = DATE_METAVAR


def build_parser() -> argparse.ArgumentParser:
    common = FrenchParser(add_help=False)
    common.add_argument("--format", choices=("table", "json"), default="table",
                        help="sortie : un tableau à lire (par défaut) ou du JSON pour un programme")
    rules_arg = FrenchParser(add_help=False)
    rules_arg.add_argument("--rules", default="rules", metavar="DOSSIER",
                           help="dossier des règles (par défaut : rules)")
    data_arg = FrenchParser(add_help=False)
    data_arg.add_argument("--data", metavar="FICHIER", type=Path,
                          help="clients et factures au format JSON (SPEC §3) ; « sample » pour l’exemple fourni")
    data_arg.add_argument("--customers", metavar="CLIENTS.CSV", type=Path,
                          help="ou bien vos exports comptables : le fichier des clients (CSV, comme pour "
                               "« relance import »)…")
    data_arg.add_argument("--invoices", metavar="FACTURES.CSV", type=Path,
                          help="… et celui des factures ; rien n’est écrit nulle part")

    parser = FrenchParser(prog="relance", description="Relances de factures impayées, pilotées par des règles "
                                                      "YAML. « relance COMMANDE --help » détaille une commande.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMANDE", title="commandes")
    sub.add_parser("check", parents=[common, rules_arg], help="vérifier les fichiers de règles et leurs modèles",
                   description="Vérifie les fichiers de règles et leurs modèles ; chaque problème est donné "
                               "FICHIER:LIGNE:COLONNE.")
    plan = sub.add_parser("plan", parents=[common, rules_arg, data_arg],
                          help="ce que ferait une exécution un jour donné",
                          description="Ce que ferait l’exécution quotidienne un jour donné : relances, messages, "
                                      "factures non relancées et pourquoi.")
    plan.add_argument("--on", required=True, type=_date, metavar=DAY, help="le jour de l’exécution")
    simulate = sub.add_parser("simulate", parents=[common, rules_arg, data_arg],
                              help="toutes les exécutions entre deux dates, chaque relance ajoutée à l’historique",
                              description="Simule chaque exécution quotidienne entre deux dates.")
    simulate.add_argument("--from", dest="start", required=True, type=_date, metavar=DAY, help="premier jour")
    simulate.add_argument("--to", dest="end", required=True, type=_date, metavar=DAY, help="dernier jour (inclus)")
    sub.add_parser("schema", parents=[common], help="afficher le schéma JSON d’un fichier de règles")
    report = sub.add_parser("report", parents=[common, rules_arg, data_arg],
                            help="le tableau de bord du recouvrement à une date : une page HTML et un CSV")
    report.add_argument("--on", required=True, type=_date, metavar=DAY, help="la date du tableau de bord")
    report.add_argument("--out", type=Path, default=Path("out"), metavar="DOSSIER",
                        help="dossier de report.html et report.csv (par défaut : out)")
    claim = sub.add_parser("claim", parents=[common, rules_arg, data_arg],
                           help="ce que vaut une facture devant le tribunal à une date : principal, pénalités, "
                                "indemnité")
    claim.add_argument("--invoice", required=True, metavar="FACTURE", help="le numéro de la facture")
    claim.add_argument("--on", required=True, type=_date, metavar=DAY, help="la date du calcul")
    dossier = sub.add_parser("dossier", parents=[common, rules_arg, data_arg],
                             help="le dossier d’injonction de payer (ZIP), ou pourquoi la facture n’y a pas droit")
    dossier.add_argument("--invoice", required=True, metavar="FACTURE", help="le numéro de la facture")
    dossier.add_argument("--on", required=True, type=_date, metavar=DAY, help="la date du dossier")
    dossier.add_argument("--out", type=Path, default=Path("out/dossiers"), metavar="DOSSIER",
                         help="dossier du ZIP (par défaut : out/dossiers)")
    render = sub.add_parser("render", parents=[common, rules_arg, data_arg],
                            help="écrire ce que recevrait le client pour une facture à une étape, pour relecture")
    render.add_argument("--invoice", required=True, metavar="FACTURE", help="le numéro de la facture")
    render.add_argument("--step", required=True, metavar="ÉTAPE", help="une étape du scénario de la facture")
    render.add_argument("--on", type=_date, metavar=DAY, help="la date imprimée (par défaut : celle de l’étape)")
    render.add_argument("--out", type=Path, default=Path("out/render"), metavar="DOSSIER",
                        help="dossier des fichiers .eml, .pdf ou .txt (par défaut : out/render)")
    invoice = sub.add_parser("invoice", parents=[common],
                             help="enregistrer ce que vous avez appris : paiement, litige, promesse, reprise",
                             description="Enregistre dans la table de relance ce que vous avez appris. "
                                         + STACK_HELP)
    verbs = invoice.add_subparsers(dest="verb", required=True, metavar="ACTION", title="actions")
    paid = verbs.add_parser("paid", parents=[common], help="un paiement vu sur le relevé bancaire")
    paid.add_argument("ids", nargs="+", metavar="FACTURE", help="une ou plusieurs factures")
    paid.add_argument("--amount", metavar="MONTANT",
                      help="montant payé (par défaut : tout le reste dû) ; virgule ou point décimal")
    paid.add_argument("--reference", default="", metavar="RÉFÉRENCE", help="la référence de l’écriture bancaire")
    dispute = verbs.add_parser("dispute", parents=[common], help="le client conteste : les relances s’arrêtent")
    dispute.add_argument("ids", nargs="+", metavar="FACTURE", help="une ou plusieurs factures")
    dispute.add_argument("--reason", required=True, metavar="MOTIF", help="le motif de la contestation")
    promise = verbs.add_parser("promise", parents=[common],
                               help="une promesse de paiement : les relances attendent jusque-là")
    promise.add_argument("ids", nargs="+", metavar="FACTURE", help="une ou plusieurs factures")
    promise.add_argument("--until", required=True, type=_date, metavar=DAY, help="la date promise")
    resume = verbs.add_parser("resume", parents=[common], help="lever un litige ou une promesse")
    resume.add_argument("ids", nargs="+", metavar="FACTURE", help="une ou plusieurs factures")
    call = verbs.add_parser("call", parents=[common],
                            help="un appel de relance que vous avez passé, avec son issue (la chronologie du dossier "
                                 "le reprend)")
    call.add_argument("ids", nargs="+", metavar="FACTURE", help="une ou plusieurs factures")
    call.add_argument("--outcome", required=True, metavar="ISSUE",
                      help="ce que l’appel a donné, en français (« promet un virement… »)")
    plan = verbs.add_parser("plan", parents=[common],
                            help="un échéancier convenu avec le client : les relances s’arrêtent tant qu’il est tenu",
                            description="Enregistre un échéancier de paiement convenu avec le client (SPEC §2.9) : "
                                        "tant qu’il est tenu, la facture n’est plus relancée ; chaque échéance reçoit "
                                        "un rappel, une échéance impayée un avis de défaut en recommandé.")
    plan.add_argument("ids", nargs=1, metavar="FACTURE", help="la facture")
    plan.add_argument("--installments", required=True, metavar="ÉCHÉANCES",
                      help="« 15/01/2027:400;15/02/2027:400;15/03/2027:400 » (date:montant, séparés par « ; » ; "
                           "virgule ou point décimal), ou un nombre d’échéances mensuelles égales avec --first ; "
                           "elles totalisent le reste dû le jour de l’accord")
    plan.add_argument("--first", type=_date, metavar=DAY,
                      help="avec un nombre d’échéances : la date de la première (les suivantes le même jour des "
                           "mois suivants)")
    plan.add_argument("--by", default="", metavar="NOM",
                      help="qui a convenu l’échéancier avec le client (gardé dans l’historique)")
    verbs.add_parser("review", parents=[common],
                     help="les paiements gardés pour vérification : facture inconnue ou autre devise (jamais imputés)")
    approve = verbs.add_parser("approve", parents=[common],
                               help="approuver un envoi en attente d’approbation : il part à la prochaine évaluation")
    hold = verbs.add_parser("hold", parents=[common],
                            help="retenir un envoi en attente d’approbation : il ne part pas, la facture reste en "
                                 "pause jusqu’à ce qu’une personne l’approuve")
    for verb in (approve, hold):
        verb.add_argument("ids", nargs="+", metavar="FACTURE", help="une ou plusieurs factures")
        verb.add_argument("--step", required=True, metavar="ÉTAPE",
                          help="l’étape en attente (son identifiant dans les règles : mise_en_demeure…)")
        verb.add_argument("--by", default="", metavar="QUI",
                          help="qui décide, pour l’historique (par défaut : « ligne de commande »)")
    for verb in (paid, dispute, promise, resume, call, plan, approve, hold):
        verb.add_argument("--on", type=_date, metavar=DAY,
                          help="le jour où c’est arrivé (par défaut : aujourd’hui, dans le fuseau horaire du "
                               "calendrier des règles)")
        verb.add_argument("--rules", default="rules", metavar="DOSSIER",
                          help="dossier des règles, pour la date du jour quand --on manque (par défaut : rules)")
    importer = sub.add_parser("import", parents=[common],
                              help="importer les exports CSV du logiciel comptable dans la table de relance",
                              description="Importe les exports CSV du logiciel comptable dans la table de relance. "
                                          + STACK_HELP)
    importer.add_argument("--customers", type=Path, metavar="CLIENTS.CSV", help="l’export des clients (CSV)")
    importer.add_argument("--invoices", type=Path, metavar="FACTURES.CSV", help="l’export des factures (CSV)")
    importer.add_argument("--einvoices", type=Path, nargs="+", metavar="FICHIER", default=[],
                          help="factures électroniques : PDF Factur-X, XML CII ou UBL (une facture et son client "
                               "chacune ; l’original est gardé dans le bucket des documents s’il est désigné)")
    reconcile = sub.add_parser("reconcile", parents=[common],
                               help="comparer relance et la comptabilité (FEC) : ce que l’une dit ouvert et "
                                    "l’autre soldé",
                               description="Compare les factures de relance au Fichier des Écritures Comptables "
                                           "(comptes 411 et 416, lettrage) et écrit les désaccords dans un CSV. "
                                           + STACK_HELP)
    reconcile.add_argument("--fec", required=True, type=Path, metavar="FICHIER",
                           help="le Fichier des Écritures Comptables (18 colonnes, | ou tabulation, UTF-8 ou "
                                "ISO-8859-15)")
    reconcile.add_argument("--data", type=Path, metavar="FICHIER",
                           help="comparer à un fichier de données (SPEC §3 ; « sample ») plutôt qu’à la table")
    reconcile.add_argument("--out", type=Path, metavar="FICHIER",
                           help="le rapport CSV (par défaut : <FEC>.rapprochement.csv à côté du FEC)")
    demo = sub.add_parser("demo", parents=[common, rules_arg],
                          help="l’exécution quotidienne sur l’AWS local embarqué, avec les données d’exemple")
    demo.add_argument("--from", dest="start", type=_date, default=DEMO_RUN_FROM, metavar=DAY, help="premier jour")
    demo.add_argument("--to", dest="end", type=_date, default=DEMO_RUN_TO, metavar=DAY, help="dernier jour")
    demo.add_argument("--out", type=Path, default=Path("out"), metavar="DOSSIER",
                      help="où la démonstration écrit ce qu’elle a produit (par défaut : out)")
    demo.add_argument("--portal", action="store_true",
                      help="servir le portail des débiteurs sur 127.0.0.1 pendant l’exécution (chaque message porte "
                           "un lien), puis y payer une facture avec le Stripe de démonstration et afficher le lien "
                           "d’un client")
    demo.add_argument("--serve", action="store_true",
                      help="comme --portal, puis continuer à servir le portail jusqu’à Ctrl-C")
    demo.add_argument("--port", type=_port, default=8765, metavar="PORT",
                      help="port du portail sur 127.0.0.1 (par défaut : 8765 ; 0 : un port libre)")
    local = sub.add_parser("local", help="démarrer l’AWS local embarqué et afficher les variables pour "
                                         "« relance import » et « relance invoice » (Ctrl-C pour l’arrêter)",
                           description="Démarre la pile AWS locale (moto) créée depuis template.yaml et affiche les "
                                       "variables d’environnement à utiliser dans un autre terminal ; Ctrl-C "
                                       "l’arrête (ses données sont perdues).")
    local.add_argument("--data", metavar="FICHIER", type=Path,
                       help="charger d’abord ce fichier de données, historique compris ; « sample » : les factures "
                            "de la démonstration")
    local.add_argument("--port", type=_port, default=0, metavar="PORT",
                       help="port du serveur local (par défaut : un port libre, différent à chaque lancement)")
    return parser


def _port(text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise argparse.ArgumentTypeError(f"« {text} » n’est pas un numéro de port (entre 1 et 65535)")
    return int(text)


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


def action_json(action: Any) -> dict[str, Any]:
    return action.fields()


def plan_json(plan: Plan) -> dict[str, Any]:
    """SPEC §4. An action whose step requires approval is listed in ``actions`` with ``"approval": "required"``:
    asked for today, not sent (it is in no message) until a person approves it (domain.approval)."""
    actions = sorted([*plan.actions, *plan.awaiting], key=lambda a: (a.invoice, a.step))
    awaiting = set(plan.awaiting)
    return {
        "date": plan.date.isoformat(),
        "actions": [{**action_json(a), **({"approval": "required"} if a in awaiting else {})} for a in actions],
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
            "actions": [{"date": d.date.isoformat(), **action_json(d.action),
                         **({"approval": "required"} if d.approval else {})} for d in actions],
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


def _book(args: argparse.Namespace) -> Book:
    """The data file, or the two accounting exports; each invoice set aside (SPEC §3) or row refused is named on
    stderr, in French, and the rest goes on."""
    if args.data is None:
        return _exports_book(args.customers, args.invoices)
    book = load_book(sample_data_path() if str(args.data) == "sample" else args.data)
    _warn_unusable(book.unusable)
    return book


def _exports_book(customers: Path, invoices: Path) -> Book:
    """What ``relance import`` would keep of the two exports, as a book: nothing is written anywhere."""
    from types import MappingProxyType

    from .app.importing import ExportUnusable, preview_exports
    from .imports import format_of

    data = {}
    for path in (customers, invoices):
        try:
            data[path] = path.read_bytes()
        except OSError as err:
            raise DataError([f"{path} : impossible de lire le fichier ({file_problem(err)})"]) from None
    try:
        preview = preview_exports(data[customers], data[invoices], customers_fmt=format_of(customers.name),
                                  invoices_fmt=format_of(invoices.name))
    except ExportUnusable as err:
        raise DataError([f"{customers if err.kind == 'customers' else invoices} : {err}"]) from None
    for kind, path in (("customers", customers), ("invoices", invoices)):
        report = preview.reports[kind]
        for error in sorted(report.errors, key=lambda e: (e.row, e.column)):
            sys.stderr.write(f"{path}:{error.row}: {error.column or 'ligne'} : {error.reason} (ligne ignorée)\n")
        for warning in report.warnings:
            sys.stderr.write(f"{path}:{warning.row}: facture {warning.column} : {warning.reason}\n")
        what = "client(s)" if kind == "customers" else "facture(s)"
        sys.stderr.write(f"{path} : {report.imported} {what} lu(s) sur {report.rows} ligne(s)"
                         + (f", {len({e.row for e in report.errors})} ligne(s) refusée(s) comme à l’import"
                            if report.errors else "") + ".\n")
    return Book(customers=MappingProxyType({c.id: c for c in preview.customers}), invoices=tuple(preview.invoices))


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
    book = _book(args)
    plan = Planner(rules).plan(book, args.on)
    _warn_unusable(plan.unusable, book.unusable)
    for invoice_id, text in terms_warnings(book):  # on stderr, like the invoices set aside: the JSON is SPEC §4's
        sys.stderr.write(f"avertissement : facture {invoice_id} : {text}\n")
    if args.format == "json":
        _emit_json(plan_json(plan))
        return 0
    console = _console()
    console.print(_table(f"Relances du {plan.date:%d/%m/%Y} — {_count(len(plan.actions), 'action')}",
                         ("Facture", "Client", "Segment", "Scénario", "Étape", "Canal", "Ton"),
                         [(a.invoice, a.customer, a.segment, a.scenario, a.step, CHANNEL_LABELS[a.channel], a.tone)
                          for a in plan.actions]))
    console.print(_table(f"Messages — {len(plan.messages)}", ("Client", "Canal", "Ton", "Factures"),
                         [(m.customer, CHANNEL_LABELS[m.channel], m.tone, ", ".join(m.invoices))
                          for m in plan.messages]))
    if plan.deferred:
        customer_of = {i.id: i.customer_id for i in book.invoices}
        console.print(_table(f"Relances reportées par la politique de contact — {len(plan.deferred)}"
                             " (chacune est reprise un jour suivant, ou tombe si la facture est réglée)",
                             ("Facture", "Client", "Étape", "Pourquoi"),
                             [(d.invoice, customer_of.get(d.invoice, ""), d.step,
                               deferred_label(d.reason)) for d in plan.deferred]))
    if plan.awaiting:
        console.print(_table(f"En attente d’approbation — {len(plan.awaiting)} (rien ne part avant qu’une personne "
                             "approuve : relance invoice approve FACTURE --step ÉTAPE)",
                             ("Facture", "Client", "Étape", "Canal", "Ton"),
                             [(a.invoice, a.customer, a.step, CHANNEL_LABELS[a.channel], a.tone)
                              for a in plan.awaiting]))
    if plan.skipped:
        console.print(_table(f"Factures non relancées — {len(plan.skipped)}", ("Facture", "Raison"),
                             [(s.invoice, skip_label(s.reason)) for s in plan.skipped]))
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    rules = _load(args.rules)
    return _show_simulation(rules, _book(args), args.start, args.end, args.format)


def _show_simulation(rules: Rules, book: Book, start: date, end: date, fmt: str) -> int:
    run = Planner(rules).simulate_run(book, start, end)
    _warn_unusable(run.unusable, book.unusable)
    actions = run.actions
    if fmt == "json":
        _emit_json(simulate_json(start, end, actions, run.unusable, run.messages))
        return 0
    rows = [(f"{d.date:%d/%m/%Y}", d.action.invoice, d.action.customer, d.action.segment,
             d.action.step + (" (approbation requise)" if d.approval else ""),
             CHANNEL_LABELS[d.action.channel], d.action.tone) for d in actions]
    console = _console()
    console.print(_table(f"Simulation du {start:%d/%m/%Y} au {end:%d/%m/%Y} — {_count(len(actions), 'action')}",
                         ("Date", "Facture", "Client", "Segment", "Étape", "Canal", "Ton"), rows))
    if run.deferred:
        customer_of = {i.id: i.customer_id for i in book.invoices}
        console.print(_table(f"Relances reportées par la politique de contact — {len(run.deferred)}"
                             " (chacune est reprise un jour suivant, ou tombe si la facture est réglée)",
                             ("Date", "Facture", "Client", "Étape", "Pourquoi"),
                             [(f"{day:%d/%m/%Y}", d.invoice, customer_of.get(d.invoice, ""), d.step,
                               deferred_label(d.reason)) for day, d in run.deferred]))
    if run.unusable:
        console.print(_table(f"Factures mises de côté — {len(run.unusable)}", ("Facture", "Raison"),
                             [(u.invoice, skip_label(u.reason)) for u in run.unusable]))
    return 0


def cmd_render(args: argparse.Namespace) -> int:

    from .app.deliver import ChannelMessage, MessageAction, ReadyMessage, letter_document
    from .domain.email import build_email
    from .domain.render import render_message

    rules = _load(args.rules)
    book = _book(args)
    invoice = _invoice_of(book, args.invoice, _source(args))
    customer = book.customers[invoice.customer_id]
    on = args.on or invoice.due_date
    planner = Planner(rules)
    segment = planner.segment_of(book, invoice, on)
    if segment is None:
        sys.stderr.write(f"facture {invoice.id} : aucun segment ne la prend le {on:%d/%m/%Y} — ajoutez un segment "
                         "sans condition en dernier (segments.yaml)\n")
        return 1
    scenario = rules.scenarios[segment.scenario]
    step = next((s for s in scenario.steps if s.id == args.step), None)
    if step is None:
        steps = [s.id for s in scenario.steps]
        sys.stderr.write(f"--step {args.step} : la facture {invoice.id} suit le scénario « {scenario.name} » "
                         f"(segment « {segment.name} »), qui n’a pas d’étape « {args.step} »{near(args.step, steps)} "
                         f"(étapes : {', '.join(steps)})\n")
        return 1
    if step.channel == "litigation":
        sys.stderr.write(f"--step {step.id} : cette étape constitue un dossier d’injonction de payer, elle ne "
                         f"s’affiche pas ici : utilisez « relance dossier --invoice {invoice.id} --on JJ/MM/AAAA »\n")
        return 1
    on = args.on or planner.step_day(invoice.due_date, step.at)
    others = [i for i in book.invoices if i.customer_id == customer.id and i.id != invoice.id]
    try:
        rendered = render_message(rules, customer=customer, invoices=[invoice], channel=step.channel, tone=step.tone,
                                  step_id=step.id, at=step.at_label, template=step.template, today=on, others=others)
    except TemplateMissing:
        what = f"modèle « {step.template} »" if step.template else f"ton {step.tone}"
        sys.stderr.write(f"--step {step.id} : aucun modèle pour un message {CHANNEL_LABELS[step.channel]} ({what}, "
                         f"langue {customer.language or 'fr'}) : « relance check » indique le fichier à créer\n")
        return 1
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
        prepared = ReadyMessage(message, customer, [invoice], step, rendered,
                                others=[i for i in others if on_statement(i, on)])
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


def _invoice_of(book: Book, invoice_id: str, source: Any) -> Any:
    invoice = next((i for i in book.invoices if i.id == invoice_id), None)
    if invoice is None:
        aside = next((u for u in book.unusable if u.invoice == invoice_id), None)
        if aside is not None:
            raise DataError([f"{invoice_id} : facture inutilisable ({aside.reason}) — {aside.where} : {aside.problem}"
                             " ; corrigez-la dans l’export puis relancez"])
        ids = [i.id for i in book.invoices]
        raise DataError([f"--invoice {invoice_id} : aucune facture « {invoice_id} » dans {source}"
                         + (near(invoice_id, ids) or f" ({len(ids)} facture(s) lue(s))")])
    return invoice


def _source(args: argparse.Namespace) -> str:
    return str(args.data) if args.data is not None else f"{args.invoices}"


def cmd_report(args: argparse.Namespace) -> int:
    from .app.report import build_report

    rules = _load(args.rules)
    report = build_report(_book(args), rules, args.on)
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
    book = _book(args)
    invoice = _invoice_of(book, args.invoice, _source(args))
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
    from .domain.fmt import percent

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
    book = _book(args)
    invoice = _invoice_of(book, args.invoice, _source(args))
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


def _local_portal() -> type:
    from .local.portal import LocalPortal

    return LocalPortal


def cmd_demo(args: argparse.Namespace) -> int:
    from .local.demo import DayResult, Payer, run_demo

    rules = _load(args.rules)
    console = _console()
    people = load_book(sample_data_path())
    names = {c.id: c.name for c in people.customers.values()}
    json_mode = args.format == "json"

    dropped_words = {"cancelled": "annulé (facture réglée, contestée ou sous promesse depuis le calcul du matin)",
                     "failed": "en échec (voir l’historique de la facture)",
                     "refused": "non constitué (facture réglée ou plus éligible)"}

    def show(day: DayResult) -> None:
        for gone in day.dropped:
            what = ("dossier d’injonction" if gone["channel"] == "litigation"
                    else f"message ({CHANNEL_LABELS[gone['channel']]})")
            console.print(f"[dim]{weekday(day.day)} {day.day:%d/%m/%Y} — {what} pour {gone['customer']} "
                          f"{names.get(gone['customer'], '')} ({', '.join(a['invoice'] for a in gone['actions'])}) : "
                          f"{dropped_words.get(gone.get('outcome', ''), gone.get('outcome', ''))}[/dim]")
        if not day.messages:
            if not day.dropped:
                console.print(f"[dim]{weekday(day.day)} {day.day:%d/%m/%Y} — rien à envoyer[/dim]")
            return
        # As they went out: a message moved to another channel counts once, as what it became (DayResult), and
        # an injonction dossier is not a message to the debtor (SPEC §2.8).
        said = [m for m in day.messages if m["channel"] != "litigation"]
        court = [m for m in day.messages if m["channel"] == "litigation"]
        parked = sum(1 for m in court if m.get("outcome") == "parked")
        resumed = sum(1 for m in court if m.get("resumes") and m.get("outcome") != "parked")
        dossiers = len(court) - parked - resumed
        head = ", ".join(part for part in (
            f"{_count(len(said), 'message')} pour {_count(sum(len(m['actions']) for m in said), 'facture')}"
            if said else "",
            f"{_count(dossiers, 'dossier')} d’injonction de payer" if dossiers else "",
            f"{_count(parked, 'injonction')} en attente du délai de la mise en demeure" if parked else "",
            f"{_count(resumed, 'injonction')} {'reprises' if resumed > 1 else 'reprise'} après le délai de la "
            "mise en demeure" if resumed else ""
        ) if part)
        console.print(_table(f"{weekday(day.day)} {day.day:%d/%m/%Y} — {head}",
                             ("Canal", "Client", "Ton", "Factures", "Étapes"),
                             [(CHANNEL_LABELS[m["channel"]], f"{m['customer']} {names.get(m['customer'], '')}",
                               m["tone"] or "", ", ".join(a["invoice"] for a in m["actions"]),
                               ", ".join(sorted({a["step"] for a in m["actions"]}))
                               + (" (en attente)" if m.get("outcome") == "parked" else
                                  " (reprise)" if m.get("resumes") else ""))
                              for m in day.messages]))

    def show_imports(imports: list[dict[str, object]]) -> None:
        for imported in imports:
            if imported.get("kind") == "einvoices":
                console.print(f"Facture électronique {imported['file']} : facture {imported['invoice']} importée "
                              f"(client {imported['customer']}), original conservé dans le bucket des documents.",
                              markup=False)
                continue
            console.print(f"Import {imported['file']} : {imported['imported']} ligne(s) importée(s) sur "
                          f"{imported.get('rows', 0)}, {imported['rejected_rows']} refusée(s)"
                          + (f" (détail : {args.out / 'imports'})" if imported["errors"] else "")
                          + (f" — fichier inutilisable : {imported['unusable']}" if "unusable" in imported else ""))

    def show_payment(paid: dict[str, object]) -> None:
        outcome = PAYMENT_OUTCOMES.get(str(paid.get("outcome")), str(paid.get("outcome")))
        how = "paiement Stripe reçu" if paid.get("provider") == "stripe" else "virement reçu (avis de paiement)"
        console.print(f"[bold]{_fr_date(paid['date'])} : {how} pour {paid['invoice']} "
                      f"({money(Decimal(str(paid['amount'])))}), webhook signé vérifié — facture {outcome}, "
                      "ses relances suivantes n’auront pas lieu.[/bold]")

    if not json_mode:
        console.print(f"Pile AWS locale (moto) créée depuis template.yaml ; {len(people.invoices)} factures et leur "
                      f"historique chargés ; exports comptables déposés dans le bucket d’import. Exécution "
                      f"quotidienne du {args.start:%d/%m/%Y} au {args.end:%d/%m/%Y} (règles {rules.digest[:12]}).")
    exports = [sample_data_path().with_name(name) for name in ("clients.csv", "factures.csv")]
    from .local.demo import DEMO_STATUSES, demo_facturx

    def show_status(posted: dict[str, object]) -> None:
        console.print(f"[bold]{_fr_date(posted['date'])} : statut « {posted['code']} {posted.get('label', '')} » de "
                      f"la plateforme pour {posted['invoice']}, requête signée vérifiée — "
                      f"{STATUS_OUTCOMES.get(str(posted.get('outcome')), str(posted.get('outcome')))}.[/bold]")

    def show_approval(done: dict[str, object]) -> None:
        how = "par le lien de" if done.get("through") == "staff link" else "depuis"
        console.print(f"[bold]{_fr_date(done['date'])} : {done['by']} approuve {how} son récapitulatif la mise en "
                      f"demeure de {done['invoice']} — elle part à l’évaluation suivante ; les autres envois soumis à "
                      "approbation attendent une décision, ou le délai que leur donnent les règles.[/bold]")

    portal_visit: dict[str, object] = {}

    def visit_portal(local_portal, functions, store) -> None:  # local.portal's types, imported lazily
        from .local.portal import demo_link, pay_first_invoice

        link = demo_link(local_portal)
        if link is None:
            portal_visit["error"] = "aucun e-mail de la période ne porte de lien"
            return
        portal_visit.update(link=link, **pay_first_invoice(link))
        from .local.portal import record_call_by_link

        portal_visit["call"] = call = record_call_by_link(local_portal)
        if not json_mode and call.get("recorded"):
            console.print(f"[bold]Appel : {call['by']} note depuis le lien de son récapitulatif que le client promet "
                          f"de régler {', '.join(call['invoices'])} d’ici le {_fr_date(call['until'])} — promesse "
                          "et appel dans l’historique, à son nom.[/bold]")
        elif not json_mode:
            console.print(f"[red]Appel : l’issue n’a pas pu être notée par le lien ({call}).[/red]")
        if json_mode:
            return
        if portal_visit.get("paid"):
            console.print(f"[bold]Portail : {portal_visit['invoice']} payée en ligne (Stripe de démonstration sur "
                          f"{local_portal.stripe.url}), webhook signé vérifié — la page de retour l’affiche "
                          "payée.[/bold]")
        else:
            console.print(f"[red]Portail : le paiement de démonstration n’a pas abouti ({portal_visit}).[/red]")
        console.print(f"Lien personnel d’un client (tel qu’envoyé dans son dernier e-mail) :\n  {link}")
        if args.serve and sys.stdin.isatty():
            console.print(f"Portail servi sur {local_portal.url} — ouvrez le lien ci-dessus ; Ctrl-C pour arrêter.")
            local_portal.serve_forever()
        elif args.serve:  # no terminal to press Ctrl-C in (CI, a pipe): the demo ends rather than wait for ever
            console.print("Pas de terminal interactif : le portail s’arrête avec la démonstration "
                          "(lancez « make demo » dans un terminal pour le garder ouvert).")

    def show_reply(reply: dict[str, object]) -> None:
        how = {"reply_address": "par l’adresse de réponse de la relance", "in_reply_to": "par sa référence",
               "ses_message_id": "par sa référence", "sender": "par l’adresse de l’expéditeur"}
        if reply.get("outcome") != "matched":
            console.print(f"[bold]{_fr_date(reply['date'])} : réponse reçue ({reply.get('outcome')}), gardée pour "
                          "examen.[/bold]")
            return
        until = reply.get("paused_until")
        console.print(f"[bold]{_fr_date(reply['date'])} : réponse de {reply['customer']} "
                      f"{names.get(str(reply['customer']), '')} reçue par e-mail (InboundFunction), rattachée "
                      f"{how.get(str(reply.get('matched_by')), '')} à {', '.join(reply['invoices'])} — relances du "
                      f"client suspendues jusqu’au {_fr_date(until) if until else '—'} inclus ; "
                      f"{reply.get('notified') or 'personne'} prévenu(e) avec le contexte du client"
                      + (", suggestion : " + ", ".join(REPLY_SUGGESTIONS.get(str(s["kind"]), str(s["kind"]))
                                                       for s in reply["suggestions"])
                         + " (appliquée seulement par une personne)" if reply.get("suggestions") else "")
                      + ".[/bold]")

    serve_portal = args.portal or args.serve
    result = run_demo(book=people, rules_dir=Path(args.rules).resolve(), start=args.start, end=args.end,
                      rerun=DEMO_RERUN if args.start <= DEMO_RERUN <= args.end else None, out_dir=args.out,
                      exports=exports, on_day=show if not json_mode else None,
                      on_imports=show_imports if not json_mode else None,
                      payment=DEMO_PAYMENT if args.start <= DEMO_PAYMENT[0] <= args.end else None,
                      on_payment=show_payment if not json_mode else None,
                      payers={customer: Payer(after, days) for customer, (after, days) in DEMO_PAYERS.items()},
                      einvoices=[("F-2026-0452.pdf", demo_facturx())],
                      statuses=tuple((d, b) for d, b in DEMO_STATUSES if args.start <= d <= args.end),
                      on_status=show_status if not json_mode else None,
                      on_approval=show_approval if not json_mode else None,
                      portal=visit_portal if serve_portal else None,
                      portal_server=_local_portal() if serve_portal else None, portal_port=args.port,
                      reply=DEMO_REPLY if args.start <= DEMO_REPLY[0] <= args.end else None,
                      on_reply=show_reply if not json_mode else None)
    paid_effect = []
    for paid in result.payments:
        invoice_id, day = paid["invoice"], paid["date"]
        before = [d.day.isoformat() for d in result.days for m in d.messages
                  if d.day.isoformat() < day and any(a["invoice"] == invoice_id for a in m["actions"])]
        after = [d.day.isoformat() for d in result.days for m in d.messages
                 if d.day.isoformat() >= day and any(a["invoice"] == invoice_id for a in m["actions"])]
        paid_effect.append({**paid, "reminders_before": len(before), "reminders_after": len(after)})
    total_messages = sum(1 for d in result.days for m in d.messages if m["channel"] != "litigation")
    total_actions = sum(len(m["actions"]) for d in result.days for m in d.messages if m["channel"] != "litigation")
    total_dossiers = sum(1 for d in result.days for m in d.messages
                         if m["channel"] == "litigation" and m.get("outcome", "built") == "built")
    if json_mode:
        _emit_json({"from": args.start.isoformat(), "to": args.end.isoformat(),
                    "days": [{"date": d.day.isoformat(), "messages": d.messages, "dropped": d.dropped}
                             for d in result.days],
                    "rerun": ({"date": result.rerun.day.isoformat(), "messages": result.rerun.messages}
                              if result.rerun else None),
                    "dead_letters": result.dead_letters, "imports": result.imports, "payments": paid_effect,
                    "statuses": result.statuses, "approvals": result.approvals, "replies": result.replies,
                    **({"portal": portal_visit} if serve_portal else {})})
        return 0
    console.print(f"\nTotal : {_count(total_messages, 'message')} pour {_count(total_actions, 'relance')} de "
                  f"facture, {_count(total_dossiers, 'dossier')} d’injonction de payer ; "
                  f"{_count(result.dead_letters, 'message')} en file d’erreur.")
    for paid in paid_effect:
        how = "par Stripe" if paid.get("provider") == "stripe" else "par virement"
        console.print(f"{paid['invoice']} payée le {_fr_date(paid['date'])} {how} : "
                      f"{_count(paid['reminders_before'], 'relance')} avant, {paid['reminders_after']} après.")
    if result.rerun is not None:
        again = len(result.rerun.messages)
        console.print(f"Nouvelle exécution du {result.rerun.day:%d/%m/%Y} : "
                      + (f"{again} {'nouveaux messages' if again > 1 else 'nouveau message'}" if again else
                         "aucun nouveau message") + " — une journée relancée ne renvoie rien.")
    console.print(f"Détail : {args.out / 'queued.json'}")
    return 0


def _wait_for_interrupt() -> None:
    import time

    while True:
        time.sleep(3600)


def cmd_local(args: argparse.Namespace) -> int:
    """The embedded local AWS, kept running for ``relance import`` and ``relance invoice`` in another terminal."""
    from .local.stack import LocalStack

    console = _console()
    book = load_book(sample_data_path() if str(args.data) == "sample" else args.data) if args.data else None
    console.print("Démarrage de la pile AWS locale (moto) depuis template.yaml…")
    with LocalStack(port=args.port) as stack:
        env = local_environment(stack)
        if book is not None:
            from .adapters.dynamo import DynamoStore

            shards = int(stack.resolver.parameters["Shards"])
            DynamoStore(stack.client("dynamodb"), env["TABLE_NAME"], shards).seed(book)
            console.print(f"{len(book.customers)} client(s) et {len(book.invoices)} facture(s) de {args.data} chargés, "
                          "historique compris.")
        console.print("Pile locale prête. Dans un autre terminal, copiez ces lignes, puis lancez par exemple "
                      "« relance import --customers clients.csv --invoices factures.csv » :\n", markup=False)
        sys.stdout.write("".join(f"export {k}={v}\n" for k, v in env.items()))
        sys.stdout.write("\nCtrl-C arrête la pile ; ce qu’elle contient est alors perdu.\n")
        sys.stdout.flush()
        with contextlib.suppress(KeyboardInterrupt):
            _wait_for_interrupt()
    console.print("Pile locale arrêtée.")
    return 0


def local_environment(stack: Any) -> dict[str, str]:
    """The variables ``relance import`` and ``relance invoice`` need to reach ``stack``."""
    from .local.stack import CREDENTIALS

    return {"TABLE_NAME": stack.physical["DataTable"], "AWS_ENDPOINT_URL": stack.endpoint_url,
            "AWS_REGION": stack.region, "AWS_DEFAULT_REGION": stack.region, **CREDENTIALS}


def cmd_invoice(args: argparse.Namespace) -> int:
    from dataclasses import replace
    from decimal import Decimal, InvalidOperation

    from botocore.exceptions import BotoCoreError, ClientError

    from .app import approvals, manual
    from .app.runtime import Runtime
    from .settings import Settings, SettingsError

    try:
        runtime = Runtime(Settings.from_env())
    except SettingsError as err:
        return _no_stack("relance invoice", err)
    store = runtime.store
    if args.verb == "review":
        return _review_payments(store, args.format, runtime.settings)
    try:  # the company's day, as the functions tell it: the rules' calendar time zone (RELANCE_TODAY pins it)
        on = args.on or Runtime(replace(runtime.settings, rules_dir=Path(args.rules))).clock.today()
    except (RulesError, OSError) as err:
        sys.stderr.write(f"relance invoice : la date du jour est celle de l’entreprise, dans le fuseau horaire du "
                         f"calendrier des règles, et les règles de {args.rules} sont illisibles :\n{err}\n"
                         "donnez le jour avec --on JJ/MM/AAAA, ou le dossier des règles avec --rules DOSSIER\n")
        return 1
    if args.verb == "plan":
        try:
            return _invoice_plan(args, store, on, runtime)
        except (BotoCoreError, ClientError) as err:
            return _unreachable(runtime.settings, err)
    amount = None
    if args.verb == "paid" and args.amount:
        try:
            amount = Decimal(args.amount.replace(",", ".").replace(" ", "").replace("\u202f", ""))
        except InvalidOperation:
            subcommand(build_parser(), "invoice", "paid").error(
                f"argument --amount : « {args.amount} » n’est pas un montant (par exemple 1234,56)")
    results, failed = {}, False
    for invoice_id in args.ids:
        try:
            if args.verb == "paid":
                outcome: object = manual.record_payment(
                    store, invoice_id, on, amount, args.reference, reporter=runtime.platform_reporter,
                    warn=lambda text: sys.stderr.write(text + "\n"))
            elif args.verb == "dispute":
                outcome = manual.record_dispute(store, invoice_id, on, args.reason)
            elif args.verb == "promise":
                outcome = manual.record_promise(store, invoice_id, on, args.until)
            elif args.verb == "call":
                outcome = manual.record_call(store, invoice_id, on, args.outcome)
            elif args.verb in ("approve", "hold"):
                decide = approvals.approve if args.verb == "approve" else approvals.hold
                decision = decide(store, invoice_id, args.step, by=args.by or "ligne de commande", on=on)
                outcome = True if decision.done else decision.outcome
                failed = failed or (not decision.done and decision.outcome != approvals.ALREADY)
            else:
                outcome = manual.resume(store, invoice_id, on)
        except manual.UnknownInvoice:
            outcome, failed = UNKNOWN_INVOICE, True
        except manual.UnusableInvoice as err:
            aside = err.unusable
            sys.stderr.write(f"facture {invoice_id} : {aside.problem} (champ {aside.reason.partition(': ')[2]}, "
                             f"{aside.where}) — rien n’a été enregistré ; corrigez la facture dans l’export "
                             "comptable puis réimportez-la\n")
            outcome, failed = aside.reason, True
        except (BotoCoreError, ClientError) as err:
            return _unreachable(runtime.settings, err)
        if outcome is False:
            outcome, failed = NOT_CHANGED, True
        results[invoice_id] = RECORDED if outcome is True else outcome
    if args.format == "json":
        _emit_json({"verb": args.verb, "on": on.isoformat(), "results": results})
    else:
        for invoice_id, outcome in results.items():
            _console().print(f"{invoice_id} : {_outcome_label(str(outcome))}", markup=False)
    return 1 if failed else 0


def _staff_agreement(args: argparse.Namespace, store: Any, on: date, runtime: Any) -> Any:
    """The échéancier's hook for a plan staff agree (app.plan_agreement), or None without a documents bucket."""
    if not runtime.settings.documents_bucket:
        return None
    from dataclasses import replace
    from datetime import UTC, datetime

    from .app.plan_agreement import staff_agreement
    from .app.runtime import Runtime

    rt = Runtime(replace(runtime.settings, rules_dir=Path(args.rules)))
    company = rt.rules.company
    return staff_agreement(rules=rt.rules, customer_of=store.customer, documents=rt.documents, history=store,
                           sender=rt.email_sender if company.email else None, today=lambda: on,
                           now=lambda: datetime.now(UTC), agreed_by=args.by)


def _invoice_plan(args: argparse.Namespace, store: Any, on: date, runtime: Any) -> int:
    """``relance invoice plan``: the plan read from what was typed, checked and recorded (app.plans); with a
    documents bucket, its written agreement (the échéancier PDF) kept there and e-mailed to the debtor."""
    from datetime import datetime

    from .app import manual
    from .app.plans import PlanRefused, agree_plan
    from .cliplans import InstallmentsError, installments_plan
    from .domain.plans import AGREED_BY_STAFF, amount_due_on, plan_to_dict

    invoice_id = args.ids[0]
    try:
        invoice = manual.usable_invoice(store, invoice_id)
        due = amount_due_on(invoice.amount_due, invoice.payments, on)
        plan = installments_plan(args.installments, agreed_on=on, due=due, first=args.first)
        agree_plan(store, invoice_id, plan, AGREED_BY_STAFF, datetime.now().astimezone(),
                   _staff_agreement(args, store, on, runtime), who=args.by)
    except InstallmentsError as err:
        subcommand(build_parser(), "invoice", "plan").error(f"argument --installments : {err}")
    except manual.UnknownInvoice:
        sys.stderr.write(f"facture {invoice_id} : {OUTCOME_LABELS[UNKNOWN_INVOICE]}\n")
        return 1
    except manual.UnusableInvoice as err:
        sys.stderr.write(f"facture {invoice_id} : {err.unusable.problem} — rien n’a été enregistré ; corrigez la "
                         "facture dans l’export comptable puis réimportez-la\n")
        return 1
    except PlanRefused as err:
        sys.stderr.write(f"{err} — rien n’a été enregistré\n")
        return 1
    if args.format == "json":
        _emit_json({"verb": "plan", "on": on.isoformat(), "results": {invoice_id: RECORDED},
                    "plan": plan_to_dict(plan)})
        return 0
    lines = [f"{invoice_id} : échéancier enregistré ({len(plan.installments)} échéances, "
             f"{money(plan.total)}) — les relances s’arrêtent tant qu’il est tenu"]
    lines += [f"  échéance {k} : {shortdate(i.due_date)} — {money(i.amount)}"
              for k, i in enumerate(plan.installments, 1)]
    _console().print("\n".join(lines), markup=False)
    return 0


RECORDED, UNKNOWN_INVOICE = "recorded", "unknown invoice"  # the JSON's stable codes (English)
NOT_CHANGED = "not changed (unknown invoice, or its status does not allow it)"
OUTCOME_LABELS = {RECORDED: "enregistré", UNKNOWN_INVOICE: "facture inconnue dans la table : rien n’a été enregistré",
                  NOT_CHANGED: "rien n’a changé (facture inconnue, ou son état ne le permet pas : une facture "
                               "soldée ne peut être contestée)",
                  "nothing due": "rien n’est dû sur cette facture : aucun paiement enregistré",
                  "already decided": "déjà décidé ainsi : rien de plus n’a été enregistré",
                  "not awaiting": "rien n’attend d’approbation pour cette étape de cette facture (envoi déjà "
                                  "parti, déjà décidé autrement, ou autre étape)"}


def _outcome_label(outcome: str) -> str:
    if outcome in PAYMENT_OUTCOMES:
        return f"paiement enregistré — facture {PAYMENT_OUTCOMES[outcome]}"
    return OUTCOME_LABELS.get(outcome) or skip_label(outcome)


def _no_stack(command: str, err: Exception) -> int:
    """No table to write to: say, in French, how to reach one (the setting's own message stays, for operators)."""
    sys.stderr.write(f"{command} : aucune table de relance désignée ({err}).\n{STACK_HELP}\n")
    return 1


def _unreachable(settings: Any, err: Exception) -> int:
    where = f"la pile locale {settings.endpoint_url}" if settings.endpoint_url else f"AWS ({settings.region})"
    sys.stderr.write(f"impossible d’atteindre la table {settings.table_name} sur {where} : {err}\n"
                     + ("La pile locale est-elle toujours lancée (« relance local ») ?\n" if settings.endpoint_url
                        else "Vérifiez vos identifiants AWS et le nom de la table.\n"))
    return 1


STATUS_OUTCOMES = {"applied": "appliqué", "recorded": "inscrit à l’historique", "duplicate": "déjà reçu",
                   "unmatched": "facture inconnue, gardé pour vérification", "paid": "facture payée",
                   "partial": "paiement partiel enregistré"}


REVIEW_REASONS = {"unmatched": "facture inconnue", "currency_mismatch": "devise différente de la facture",
                  "currency_not_euro": "paiement hors euros"}


def _review_payments(store: Any, output: str, settings: Any) -> int:
    """What the webhooks kept without applying it, for the finance assistant to reconcile by hand."""
    from botocore.exceptions import BotoCoreError, ClientError

    from .app.einvoicing import REVIEW_REASONS as STATUS_REVIEW
    from .payments.einvoicing import STATUS_LABELS

    try:
        kept = store.review_payments()
        statuses = store.einvoicing_reviews()
    except (BotoCoreError, ClientError) as err:
        return _unreachable(settings, err)
    if output == "json":
        _emit_json({"verb": "review", "payments": kept, "statuses": statuses})
        return 0
    for s_ in statuses:
        _console().print(f"{s_.get('date', '')} · plateforme {s_['message_id']} · statut « {s_.get('code', '')} "
                         f"{STATUS_LABELS.get(s_.get('code', ''), 'code inconnu')} » · facture "
                         f"« {s_.get('invoice_ref', '')} » · {STATUS_REVIEW.get(s_['review'], s_['review'])}",
                         markup=False)
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


_EINVOICE_OUTCOMES = {"created": "créée", "updated": "mise à jour", "unchanged": "inchangée",
                      "kept_settled": "gardée réglée (relance l’a enregistrée réglée)"}


def _import_einvoice(path: Path, runtime: Any) -> dict[str, Any] | None:
    """One e-invoice file: its summary, or ``None`` when it could not be read or was refused (said on stderr)."""
    from .app.einvoices import import_einvoice
    from .imports.parsed import ImportFileError

    try:
        data = path.read_bytes()
    except OSError as err:
        sys.stderr.write(f"{path} : impossible de lire le fichier ({file_problem(err)})\n")
        return None
    try:
        done = import_einvoice(data, runtime.store, runtime.documents_if_any)
    except ImportFileError as err:
        sys.stderr.write(f"{path} : facture électronique refusée : {err}\n")
        return None
    for error in done.report.errors:
        sys.stderr.write(f"{path} : {error.reason}\n")
    return {"file": str(path), **done.as_dict()}


def cmd_import(args: argparse.Namespace) -> int:
    from botocore.exceptions import BotoCoreError, ClientError

    from .app.importing import import_csv
    from .app.runtime import Runtime
    from .imports import format_of
    from .imports.csvfile import ImportFileError, errors_csv
    from .settings import Settings, SettingsError

    if not args.customers and not args.invoices and not args.einvoices:
        subcommand(build_parser(), "import").error("donnez --customers CLIENTS.CSV, --invoices FACTURES.CSV "
                                                   "(ou les deux), ou --einvoices FICHIER…")
    try:
        runtime = Runtime(Settings.from_env())
    except SettingsError as err:
        return _no_stack("relance import", err)
    summaries, failed = [], False
    for kind, path in (("customers", args.customers), ("invoices", args.invoices)):
        if path is None:
            continue
        try:
            data = path.read_bytes()
        except OSError as err:
            sys.stderr.write(f"{path} : impossible de lire le fichier ({file_problem(err)})\n")
            failed = True
            continue
        try:
            report = import_csv(data, runtime.store, kind=kind, fmt=format_of(path.name))
        except ImportFileError as err:
            sys.stderr.write(f"{path}: {err}\n")
            failed = True
            continue
        except (BotoCoreError, ClientError) as err:
            return _unreachable(runtime.settings, err)
        for error in report.errors:
            sys.stderr.write(f"{path}:{error.row}: {error.column or 'ligne'}: {error.reason}\n")
        if report.errors:
            report_path = path.with_name(path.stem + ".erreurs.csv")
            report_path.write_bytes(errors_csv(report.errors))
            failed = True
        summaries.append({"file": str(path), **report.as_dict()})
    for path in args.einvoices:
        try:
            done = _import_einvoice(path, runtime)
        except (BotoCoreError, ClientError) as err:
            return _unreachable(runtime.settings, err)
        if done is None:
            failed = True
            continue
        if done.get("errors"):
            failed = True
        summaries.append(done)
    if args.format == "json":
        _emit_json({"imports": summaries})
        return 1 if failed else 0
    for s_ in summaries:
        if s_.get("kind") == "einvoices":
            outcome = next((o for o in _EINVOICE_OUTCOMES if s_.get(o)), "")
            said = _EINVOICE_OUTCOMES.get(outcome, "refusée")
            _console().print(f"{s_['file']} : facture {s_['invoice']} {said}, "
                             f"client {s_['customer']} {_EINVOICE_OUTCOMES.get(s_['customer_outcome'], '')}"
                             + (f", original conservé ({s_['original']})" if s_["original"] else "") + ".",
                             markup=False)
        else:
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


def cmd_reconcile(args: argparse.Namespace) -> int:
    from .app.fec import findings_csv, reconcile
    from .imports.fec import read_fec
    from .imports.parsed import ImportFileError

    try:
        data = args.fec.read_bytes()
    except OSError as err:
        sys.stderr.write(f"{args.fec} : impossible de lire le fichier ({file_problem(err)})\n")
        return 1
    try:
        fec = read_fec(data)
    except ImportFileError as err:
        sys.stderr.write(f"{args.fec} : {err}\n")
        return 1
    if args.data is not None:
        try:
            book = load_book(sample_data_path() if str(args.data) == "sample" else args.data)
        except DataError as err:
            for problem in err.problems:
                sys.stderr.write(problem + "\n")
            return 1
    else:
        from botocore.exceptions import BotoCoreError, ClientError

        from .app.runtime import Runtime
        from .settings import Settings, SettingsError

        try:
            runtime = Runtime(Settings.from_env())
        except SettingsError as err:
            return _no_stack("relance reconcile", err)
        try:
            book = runtime.store.whole_book()
        except (BotoCoreError, ClientError) as err:
            return _unreachable(runtime.settings, err)
    findings = reconcile(fec, book)
    out = args.out or args.fec.with_name(args.fec.stem + ".rapprochement.csv")
    out.write_bytes(findings_csv(findings))
    if args.format == "json":
        _emit_json({"fec": str(args.fec), "lines": fec.lines, "customer_lines": len(fec.entries), "report": str(out),
                    "findings": [{"invoice": f.invoice, "customer": f.customer,
                                  "books": None if f.books is None else str(f.books),
                                  "relance": None if f.relance is None else str(f.relance),
                                  "relance_status": f.relance_status, "finding": f.finding} for f in findings]})
        return 0
    _console().print(f"{args.fec} : {_count(fec.lines, 'écriture')}, {len(fec.entries)} sur les comptes clients "
                     f"(411, 416) ; {_count(len(findings), 'désaccord')} avec relance — détail dans {out}.",
                     markup=False)
    for f in findings:
        _console().print(f"  {f.invoice} ({f.customer}) : {f.finding}", markup=False)
    return 0


COMMANDS = {"check": cmd_check, "plan": cmd_plan, "simulate": cmd_simulate, "schema": cmd_schema, "import": cmd_import,
            "render": cmd_render, "invoice": cmd_invoice, "claim": cmd_claim, "dossier": cmd_dossier,
            "report": cmd_report, "reconcile": cmd_reconcile, "demo": cmd_demo, "local": cmd_local}


def _check_arguments(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """What argparse cannot say: a period backwards, and where the data comes from (a file, or two exports)."""
    here = subcommand(parser, args.command)
    if getattr(args, "start", None) and args.end < args.start:
        here.error(f"--to {args.end:%d/%m/%Y} est avant --from {args.start:%d/%m/%Y} : inversez les deux dates")
    if args.command not in DATA_COMMANDS:
        return
    exports = args.customers is not None or args.invoices is not None
    if args.data is not None and exports:
        here.error("donnez soit --data FICHIER, soit --customers CLIENTS.CSV --invoices FACTURES.CSV, pas les deux")
    if args.data is None and not exports:
        here.error("il manque les données : --data FICHIER (JSON), ou vos exports --customers CLIENTS.CSV "
                   "--invoices FACTURES.CSV")
    if exports and (args.customers is None or args.invoices is None):
        missing = "--invoices FACTURES.CSV" if args.invoices is None else "--customers CLIENTS.CSV"
        here.error(f"il manque {missing} : l’aperçu lit les deux exports, les clients et leurs factures")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:  # named by the sub-command they were given to, with the option probably meant
        here = subcommand(parser, args.command, getattr(args, "verb", None) or "")
        options = [o for action in here._actions for o in action.option_strings]
        here.error(f"arguments inconnus : {' '.join(extra)}" + near(extra[0].split("=")[0], options))
    _check_arguments(parser, args)
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
