"""What a debtor's reply says, read without I/O: written by a program or by a person, its own text without the
quoted reminder, and the simple intents an account manager may act on (never applied without a person).

Pure: the reply's date is an argument, nothing reads the clock. French and English, the debtors' languages.

Intents (a :class:`Suggestion`'s ``kind``):

- ``already_paid`` — « déjà réglé », « already paid »: the payment is to be checked on the bank statement;
- ``transfer_sent`` — « virement effectué le 3 mars », « transfer made on 03/03/2026»: a payment on its way,
  with the day it left (``on``) when the reply gives one;
- ``dispute`` — « je conteste », « nous contestons », « we dispute »;
- ``promise`` — a future date (« je réglerai le 15/04 », « by April 15 »): a promise to pay by that day.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

ALREADY_PAID, TRANSFER_SENT, DISPUTE, PROMISE = "already_paid", "transfer_sent", "dispute", "promise"
SUGGESTION_KINDS = (ALREADY_PAID, TRANSFER_SENT, DISPUTE, PROMISE)
# A transfer takes up to this many days to reach the account: the promise a « virement effectué » makes.
TRANSFER_DAYS = 5
# « déjà réglé » without a date: this long to find the payment on the bank statement before reminding again.
CHECK_DAYS = 7
FIRST_LINES = 5  # what the history and the dossier's chronology keep of a reply's text

_MONTHS = {
    "janvier": 1, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6, "juillet": 7, "aout": 8,
    "septembre": 9, "octobre": 10, "novembre": 11, "decembre": 12,
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7, "august": 8,
    "september": 9, "october": 10, "november": 11, "december": 12,
    "janv": 1, "fevr": 2, "fev": 2, "avr": 4, "juil": 7, "sept": 9, "oct": 10, "nov": 11, "dec": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9,
}
_MONTH_WORDS = "|".join(sorted(_MONTHS, key=len, reverse=True))
_NUMERIC_DATE = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b|\b(\d{1,2})[/.](\d{1,2})(?:[/.](\d{2,4}))?\b")
_DAY_MONTH = re.compile(rf"\b(\d{{1,2}})(?:er|st|nd|rd|th)?\s+({_MONTH_WORDS})\.?(?:\s+(\d{{4}}))?\b")
_MONTH_DAY = re.compile(rf"\b({_MONTH_WORDS})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(\d{{4}}))?\b")

_PAID = re.compile(r"\b(?:deja|bien)\s+(?:ete\s+)?(?:regle|reglee|reglees|regles|paye|payee|payees|payes|"
                   r"solde|soldee|acquitte|acquittee)\b|\bnous\s+avons\s+(?:deja\s+)?(?:regle|paye)\b|"
                   r"\bj'?\s*ai\s+(?:deja\s+)?(?:regle|paye)\b|"
                   r"\balready\s+(?:been\s+)?(?:paid|settled)\b|\b(?:has|have|was|were)\s+(?:been\s+)?paid\b")
_TRANSFER = re.compile(r"\bvirement\b[^.\n]{0,40}?\b(?:effectue|fait|passe|emis|envoye|parti|realise|execute|"
                       r"ordonne)\b|\b(?:effectue|fait|passe|emis|envoye|realise)\s+(?:le|un|notre|mon)\s+virement\b|"
                       r"\b(?:bank\s+)?(?:transfer|payment|wire)\b[^.\n]{0,30}?\b(?:made|sent|done|issued|"
                       r"initiated|executed)\b|\b(?:sent|made|wired)\s+(?:the|a|our|my)\s+(?:bank\s+)?"
                       r"(?:transfer|payment)\b")
_DISPUTE = re.compile(r"\b(?:je|nous)\s+(?:le\s+|la\s+|les\s+)?contest|\bcontestons\b|\bcontestation\b|"
                      r"\blitige\b|\bnous\s+refusons\s+de\s+payer\b|\bje\s+refuse\s+de\s+payer\b|"
                      r"\bpas\s+(?:ete\s+)?(?:livre|livree|recu|recue|commande|commandee)\b|"
                      r"\bwe\s+dispute\b|\bi\s+dispute\b|\bdisputed?\b|\bnot\s+(?:been\s+)?(?:delivered|received|"
                      r"ordered)\b|\brefuse\s+to\s+pay\b")
_PROMISE_WORDS = re.compile(r"\b(?:paierai|paierons|reglerai|reglerons|payerai|payerons|virerai|virerons|"
                            r"regle(?:ment|ra)|paiement|payer|regler|virement|d'?ici|avant|au\s+plus\s+tard|"
                            r"pay|paid|payment|settle|transfer|by|before|until|on)\b")

_QUOTE_HEADERS = (
    re.compile(r"^\s*(?:le|on)\b.{0,200}(?:a\s+ecrit|wrote)\s*:?\s*$"),
    re.compile(r"^\s*-{2,}\s*(?:original\s+message|message\s+d'origine|message\s+original|forwarded\s+message|"
               r"message\s+transfere)\s*-{2,}\s*$"),
    re.compile(r"^\s*_{10,}\s*$"),
    re.compile(r"^\s*(?:de|from)\s*:\s*.+$"),  # Outlook's header block of the message replied to
    re.compile(r"^\s*envoye\s+(?:de|depuis)\s+mon\s+|^\s*sent\s+from\s+my\s+"),
)

_AUTO_SUBJECTS = re.compile(r"^\s*(?:re\s*:\s*)?(?:reponse\s+automatique|absence|absent|auto(?:matic)?[\s_-]*"
                            r"(?:reply|response|respons)|autoreply|autorespon|out\s+of\s+(?:the\s+)?office|"
                            r"ooo\b|abwesenheit|fuori\s+sede|ausencia|autosvar|vacation|conge|conges|i\s+am\s+away|"
                            r"i'm\s+away|message\s+automatique)")
_AUTO_BODIES = re.compile(r"\b(?:je\s+suis\s+(?:actuellement\s+)?absente?|je\s+serai\s+absente?|"
                          r"(?:actuellement|momentanement)\s+absente?|en\s+conges?\s+jusqu|"
                          r"(?:i\s+am|i'm|i\s+will\s+be)\s+(?:currently\s+)?(?:out\s+of\s+(?:the\s+)?office|away|"
                          r"on\s+(?:vacation|holiday|leave))|this\s+(?:e-?mail|mail)?\s*(?:inbox|address)\s+is\s+no\s+"
                          r"longer|ceci\s+est\s+une\s+reponse\s+automatique|this\s+is\s+an\s+automatic(?:ally)?\s+"
                          r"(?:generated\s+)?(?:reply|response|message))")


@dataclass(frozen=True, slots=True)
class Suggestion:
    """One intent read in a reply; ``on``: the day it names (the transfer's, the promise's), when it names one."""

    kind: str
    on: date | None = None
    excerpt: str = ""  # the words it was read from, for the account manager to judge

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, **({"on": self.on.isoformat()} if self.on else {}),
                **({"excerpt": self.excerpt} if self.excerpt else {})}

    @classmethod
    def from_dict(cls, data: dict[str, str]) -> Suggestion:
        on = data.get("on") or ""
        return cls(str(data["kind"]), date.fromisoformat(on) if on else None, str(data.get("excerpt", "")))


def plain(text: str) -> str:
    """Lower case without accents, typographic apostrophes as ``'``: what the patterns read."""
    text = text.replace("\u2019", "'").replace("\u00a0", " ").replace("\u202f", " ").lower()
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def own_text(text: str) -> str:
    """The reply without what it quotes (« > » lines, « Le … a écrit : » and everything after, Outlook's block)."""
    lines = text.split("\n")
    kept: list[str] = []
    for n, line in enumerate(lines):
        if line.lstrip().startswith(">"):
            continue
        if any(header.match(plain(line)) for header in _QUOTE_HEADERS):
            following = next((rest for rest in lines[n + 1:] if rest.strip()), "")
            if _QUOTE_HEADERS[0].match(plain(line)) and following.lstrip().startswith(">"):
                continue  # « On … wrote: » over « > » lines: an answer may follow them (bottom posting)
            break
        kept.append(line)
    return "\n".join(kept).strip()


def first_lines(text: str, count: int = FIRST_LINES, width: int = 400) -> str:
    """The first non-blank lines of a reply's own text, at most ``width`` characters: what a record keeps."""
    lines = [" ".join(line.split()) for line in own_text(text).split("\n") if line.strip()]
    out = "\n".join(lines[:count])
    return out if len(out) <= width else out[:width - 1].rstrip() + "…"


def is_automatic(*, auto_submitted: str, auto_headers: Iterable[str], subject: str, text: str) -> bool:
    """Written by a program: RFC 3834's ``Auto-Submitted`` other than ``no``, a header an autoresponder sets
    (``X-Autoreply``, ``X-Autorespond``, ``Precedence: auto_reply``), an out-of-office subject or body."""
    if auto_submitted and auto_submitted != "no":
        return True
    if any(True for _ in auto_headers):
        return True
    if _AUTO_SUBJECTS.match(plain(subject)):
        return True
    return bool(_AUTO_BODIES.search(plain(own_text(text))[:2000]))


def _year_for(month: int, day: int, received: date, *, past: bool) -> date | None:
    """The day (``month``, ``day``) nearest to ``received`` on the side the sentence points to."""
    for year in ((received.year, received.year - 1) if past else (received.year, received.year + 1)):
        try:
            found = date(year, month, day)
        except ValueError:
            return None
        if (found <= received + timedelta(days=1)) if past else (found >= received - timedelta(days=1)):
            return found
    return None


def _full_year(text: str | None) -> int | None:
    if not text:
        return None
    year = int(text)
    return year + 2000 if year < 100 else year


def _dates(sentence: str, received: date, *, past: bool) -> list[date]:
    found: list[tuple[int, date]] = []

    def add(position: int, year: int | None, month: int, day: int) -> None:
        try:
            day_found = date(year, month, day) if year else _year_for(month, day, received, past=past)
        except ValueError:
            return
        if day_found is not None and abs((day_found - received).days) <= 366:
            found.append((position, day_found))

    for m in _NUMERIC_DATE.finditer(sentence):
        if m.group(1):
            add(m.start(), int(m.group(1)), int(m.group(2)), int(m.group(3)))
        else:
            add(m.start(), _full_year(m.group(6)), int(m.group(5)), int(m.group(4)))
    for m in _DAY_MONTH.finditer(sentence):
        add(m.start(), _full_year(m.group(3)), _MONTHS[m.group(2)], int(m.group(1)))
    for m in _MONTH_DAY.finditer(sentence):
        add(m.start(), _full_year(m.group(3)), _MONTHS[m.group(1)], int(m.group(2)))
    return [d for _, d in sorted(found)]


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?;])\s+|\n", text) if s.strip()]


def suggestions(text: str, received: date) -> tuple[Suggestion, ...]:
    """The intents of a reply's own text (quoted text left out), at most one of each kind, in a stable order."""
    found: dict[str, Suggestion] = {}
    for sentence in _sentences(own_text(text))[:60]:
        words = plain(sentence)
        excerpt = sentence if len(sentence) <= 160 else sentence[:159] + "…"
        if DISPUTE not in found and _DISPUTE.search(words):
            found[DISPUTE] = Suggestion(DISPUTE, None, excerpt)
        if TRANSFER_SENT not in found and _TRANSFER.search(words):
            days = _dates(words, received, past=True)
            found[TRANSFER_SENT] = Suggestion(TRANSFER_SENT, days[0] if days else None, excerpt)
            continue
        if ALREADY_PAID not in found and _PAID.search(words):
            found[ALREADY_PAID] = Suggestion(ALREADY_PAID, None, excerpt)
            continue
        if PROMISE not in found and _PROMISE_WORDS.search(words):
            future = [d for d in _dates(words, received, past=False) if d >= received]
            if future:
                found[PROMISE] = Suggestion(PROMISE, future[0], excerpt)
    return tuple(found[k] for k in SUGGESTION_KINDS if k in found)


def promise_until(suggestion: Suggestion, today: date) -> date:
    """The day reminders wait for when a person applies a payment-shaped suggestion: a promise's own day, a
    transfer's day plus the days a transfer takes (never before today + them), a claimed payment's check."""
    if suggestion.kind == PROMISE and suggestion.on is not None:
        return max(suggestion.on, today)
    if suggestion.kind == TRANSFER_SENT:
        start = suggestion.on if suggestion.on is not None and suggestion.on >= today else today
        return start + timedelta(days=TRANSFER_DAYS)
    return today + timedelta(days=CHECK_DAYS)
