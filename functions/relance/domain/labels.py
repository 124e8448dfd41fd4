"""The French words relance shows for its own codes: channels, tones, history events, litigation refusals.

One file, so that a word is changed once and reads the same in the CLI, the dashboard (HTML and CSV), the
e-mails to the company and the dossier. Keys are the values of ``domain/terms.py``; a test asserts every
channel and every event kind has its label, and that no label waits for a kind nothing writes.

Templates get them through :func:`for_templates` (``labels.channels["email"]`` …).
"""

from __future__ import annotations

import errno
from collections.abc import Mapping
from types import MappingProxyType

from .contact import REASON_CONTACT_LIMIT, REASON_NOT_YET_DUE
from .terms import Channel, EventKind

# -- channels -----------------------------------------------------------------------------------------------

# Inline, lower case: tables of the CLI, the dashboard's rows (« relance_2 (J+5, e-mail, courtois) »).
CHANNEL_LABELS: Mapping[str, str] = MappingProxyType({
    Channel.EMAIL: "e-mail", Channel.LETTER: "courrier", Channel.REGISTERED_LETTER: "recommandé AR",
    Channel.PHONE: "appel", Channel.LITIGATION: "injonction de payer",
})
# A column of its own (the dossier's chronology), capitalised; « people » is what staff recorded by hand.
CHANNEL_TITLES: Mapping[str, str] = MappingProxyType({
    Channel.EMAIL: "E-mail", Channel.LETTER: "Courrier simple", Channel.REGISTERED_LETTER: "Recommandé AR",
    Channel.PHONE: "Téléphone", Channel.LITIGATION: "Contentieux", "people": "Saisie interne",
})
# « relancé par e-mail et par courrier » (the requête's account of the amicable reminders).
CHANNEL_WAYS: Mapping[str, str] = MappingProxyType({
    Channel.EMAIL: "par e-mail", Channel.LETTER: "par courrier", Channel.PHONE: "par téléphone",
})


def channel_label(channel: str | None) -> str:
    """The inline label of ``channel``; an unknown code is shown as it is, none as « — »."""
    return CHANNEL_LABELS.get(channel or "", channel or "—")


# -- tones --------------------------------------------------------------------------------------------------

# A tone is a word of the rule file (« courtois », « ferme »…): it is shown as written.
NO_TONE = "sans ton"
NO_SEGMENT = "aucun segment"


def tone_label(tone: str | None) -> str:
    return tone or NO_TONE


# -- steps --------------------------------------------------------------------------------------------------

# How a reminder went out, in words (« par e-mail », « en recommandé AR »): the call digest's « déjà fait ».
STEP_WAYS: Mapping[str, str] = MappingProxyType({
    Channel.EMAIL: "par e-mail", Channel.LETTER: "par courrier", Channel.REGISTERED_LETTER: "en recommandé AR",
    Channel.PHONE: "par téléphone", Channel.LITIGATION: "au contentieux",
})


def step_label(channel: str, tone: str | None, at: int | None = None, formal_notice: bool = False) -> str:
    """A step as staff read it, instead of its id: « rappel avant échéance par e-mail », « relance par e-mail
    (ton ferme) », « appel (ton factuel) », « mise en demeure en recommandé AR », « dossier d’injonction de
    payer ». ``at``: the step's day from the due date, when known; ``formal_notice``: its tone is the strongest."""
    if channel == Channel.LITIGATION:
        return "dossier d’injonction de payer"
    if channel == Channel.REGISTERED_LETTER and formal_notice:
        return "mise en demeure en recommandé AR"
    what = "rappel avant échéance" if at is not None and at < 0 else (
        "appel" if channel == Channel.PHONE else "relance")
    way = "" if channel == Channel.PHONE else f" {STEP_WAYS.get(channel, channel_label(channel))}"
    return f"{what}{way}" + (f" (ton {tone})" if tone else "")


# -- history events -----------------------------------------------------------------------------------------

# ``sent`` and ``delivered`` are told by channel; every other kind by :data:`EVENT_LABELS`.
SENT_LABELS: Mapping[str, str] = MappingProxyType({
    Channel.EMAIL: "Relance par e-mail envoyée", Channel.LETTER: "Relance par courrier simple envoyée",
    Channel.REGISTERED_LETTER: "Mise en demeure envoyée en recommandé AR",
    Channel.PHONE: "Appel téléphonique de relance", Channel.LITIGATION: "Dossier contentieux transmis",
})
SENT_OTHERWISE = "Relance envoyée"
DELIVERED_LABELS: Mapping[str, str] = MappingProxyType({
    Channel.EMAIL: "E-mail remis au destinataire", Channel.LETTER: "Courrier distribué",
    Channel.REGISTERED_LETTER: "Lettre recommandée distribuée",
})
DELIVERED_OTHERWISE = "Envoi distribué"

EVENT_LABELS: Mapping[str, str] = MappingProxyType({
    EventKind.ACTION_PLANNED: "Relance programmée",
    EventKind.ACTION_CANCELLED: "Relance annulée",
    EventKind.ACTION_FAILED: "Échec de l’envoi",
    EventKind.INVALID_DATA: "Facture mise de côté (données inutilisables)",
    EventKind.SENT: SENT_OTHERWISE,
    EventKind.REROUTED: "Relance réorientée vers un courrier postal",
    EventKind.CALL_TASK: "Appel téléphonique prévu",
    EventKind.CALL_MADE: "Appel téléphonique passé",
    EventKind.REPLY_RECEIVED: "Réponse reçue du débiteur",
    EventKind.REPLY_REVIEWED: "Réponse du débiteur examinée",
    EventKind.EMAIL_BOUNCED: "E-mail non distribué (adresse en échec)",
    EventKind.DELIVERED: DELIVERED_OTHERWISE,
    EventKind.AR_SIGNED: "Accusé de réception signé",
    EventKind.RETURNED: "Pli retourné à l’expéditeur (non distribué)",
    EventKind.POSTAL_INCIDENT: "Incident d’acheminement postal",
    EventKind.POSTAL_CREATED: "Courrier déposé chez le prestataire postal",
    EventKind.POSTAL_PRINTED: "Courrier imprimé",
    EventKind.POSTAL_SENT: "Courrier remis à La Poste",
    EventKind.POSTAL_IN_TRANSIT: "Courrier en cours d’acheminement",
    EventKind.POSTAL_DEPOSIT_PROOF_AVAILABLE: "Preuve de dépôt disponible",
    EventKind.POSTAL_OTHER: "Suivi postal : autre étape",
    EventKind.PAYMENT: "Paiement reçu",
    EventKind.REFUND: "Remboursement au débiteur",
    EventKind.PAYMENT_REVIEW: "Paiement signalé dans une autre devise, non imputé (à vérifier)",
    EventKind.EINVOICING_STATUS: "Statut reçu de la plateforme de facturation électronique",
    EventKind.DISPUTE: "Litige déclaré",
    EventKind.PROMISE: "Promesse de paiement enregistrée",
    EventKind.RESUME: "Reprise des relances",
    EventKind.LITIGATION: "Passage au contentieux",
    EventKind.LITIGATION_REFUSED: "Dossier contentieux non constitué",
    EventKind.LITIGATION_PARKED: "Dossier contentieux reporté à l’expiration du délai de la mise en demeure",
    EventKind.APPROVAL_REQUESTED: "Envoi soumis à approbation",
    EventKind.APPROVED: "Envoi approuvé",
    EventKind.HELD: "Envoi retenu",
    EventKind.APPROVAL_TIMEOUT: "Délai d’approbation écoulé sans réponse",
    EventKind.INVOICE_ISSUED: "Facture émise",
    EventKind.INVOICE_DUE: "Échéance de la facture",
})


def event_label(kind: str, channel: str = "") -> str:
    """The label of an event of ``kind`` (``sent`` and ``delivered`` by channel); unknown kinds as written."""
    if kind == EventKind.SENT:
        return SENT_LABELS.get(channel, SENT_OTHERWISE)
    if kind == EventKind.DELIVERED:
        return DELIVERED_LABELS.get(channel, DELIVERED_OTHERWISE)
    return EVENT_LABELS.get(kind) or kind.replace("_", " ")


# -- why an invoice is not reminded today --------------------------------------------------------------------

# The planner's ``skipped`` reasons (SPEC §2.6, kept in English in the JSON): the CLI's tables say them so.
SKIP_LABELS: Mapping[str, str] = MappingProxyType({
    "paused: disputed": "en pause : facture contestée (litige)",
    "paused: promise to pay": "en pause : promesse de paiement en cours",
    "paused: reply": "en pause : le client a répondu, une personne lit sa réponse",
    "in litigation": "au contentieux : plus de relance amiable",
    "prescribed": "créance prescrite : plus de relance",
    "no segment": "aucun segment ne la prend : ajoutez un segment sans condition en dernier",
    "awaiting approval": "en attente d’approbation : l’envoi part quand une personne l’approuve",
    "paused: held": "en pause : envoi retenu par une personne (jusqu’à son approbation)",
})
# Reasons with a detail after « : » (the pause's name, the field, the computation that failed).
SKIP_PREFIXES: Mapping[str, str] = MappingProxyType({
    "paused": "en pause : règle de pause « {} »",
    "invalid data": "données inutilisables : champ {}",
    "error": "mise de côté : le calcul a échoué ({})",
})


def skip_label(reason: str) -> str:
    """Why an invoice is not reminded, in French, from the planner's reason code; unknown codes as written."""
    if reason in SKIP_LABELS:
        return SKIP_LABELS[reason]
    head, _, detail = reason.partition(": ")
    template = SKIP_PREFIXES.get(head)
    return template.format(detail) if template and detail else reason


# -- files --------------------------------------------------------------------------------------------------

# Why a file cannot be read, by errno (the system's own text is English): « impossible de lire le fichier (…) ».
FILE_PROBLEMS: Mapping[int, str] = MappingProxyType({
    errno.ENOENT: "fichier introuvable : vérifiez le chemin et le nom",
    errno.EACCES: "accès refusé : vérifiez les droits sur ce fichier",
    errno.EPERM: "accès refusé : vérifiez les droits sur ce fichier",
    errno.EISDIR: "c’est un dossier, pas un fichier",
    errno.ENOTDIR: "un élément du chemin n’est pas un dossier",
    errno.ENAMETOOLONG: "chemin trop long",
})


def file_problem(err: OSError) -> str:
    """Why ``err`` stopped a file from being read, in French."""
    return FILE_PROBLEMS.get(err.errno or 0) or f"erreur du système : {err.strerror or err}"


# -- the contact policy -------------------------------------------------------------------------------------

# Why the planner held a due step back for a later run (``domain/contact.py``'s reasons): `relance plan`.
DEFERRED_LABELS: Mapping[str, str] = MappingProxyType({
    REASON_CONTACT_LIMIT: "le client a déjà reçu autant de messages que la politique de contact le permet",
    REASON_NOT_YET_DUE: "pas encore échue, le client reçoit aujourd’hui une relance pour une facture en retard",
})


def deferred_label(reason: str) -> str:
    return DEFERRED_LABELS.get(reason, reason)


# -- litigation ---------------------------------------------------------------------------------------------

# Why no dossier is built (``domain/legal.py``'s verdict reasons): the CLI and the e-mail to the company.
REFUSAL_LABELS: Mapping[str, str] = MappingProxyType({
    "closed": "facture soldée ou annulée", "disputed": "facture en litige", "prescribed": "créance prescrite",
    "no_formal_notice": "aucune mise en demeure envoyée",
    "notice_deadline_pending": "le délai laissé par la mise en demeure n’est pas encore écoulé",
    "below_minimum": "montant inférieur au minimum fixé (legal.litigation_min_amount)",
    "company_incomplete": "informations de l’entreprise incomplètes (section company des règles)",
    "reply_pending": "une réponse du client attend d’être examinée",
})


def for_templates() -> Mapping[str, Mapping[str, str]]:
    """The labels as a template sees them: ``labels.channels``, ``labels.events``, ``labels.sent``…"""
    return MappingProxyType({"channels": CHANNEL_LABELS, "channel_titles": CHANNEL_TITLES,
                             "channel_ways": CHANNEL_WAYS, "sent": SENT_LABELS, "delivered": DELIVERED_LABELS,
                             "events": EVENT_LABELS, "refusals": REFUSAL_LABELS})
