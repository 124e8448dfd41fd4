"""``relance check``'s legal lint on what a template says (issue 15 item 5), as warnings.

Warnings, never errors: a rules upgrade must not stop anyone's daily run, and a sentence may be right for a
reason the lint cannot see. Each looks at the text a template renders for a made-up debtor:

- a formal notice (the template of a ``registered_letter`` step: the dossier takes the latest registered
  letter as the mise en demeure) must state the amount claimed, the deadline to pay and the words « en
  demeure » — without them the letter may not be the notice an injonction de payer needs;
- no template may tell a consumer of the 40 € recovery indemnity, which art. D441-5 of the Code de commerce
  gives only between professionals (claiming it from a consumer is a misleading practice).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from decimal import Decimal

from ..domain.fmt import money, money_in

_SPACES = re.compile(r"[\s\u00a0\u202f]+")
_EN_DEMEURE = re.compile(r"\ben demeure\b|\bformal notice\b", re.IGNORECASE)  # French, English template
_NUMBER_WORDS = {5: "cinq", 8: "huit", 10: "dix", 15: "quinze", 30: "trente"}
_INDEMNITY_WORDS = re.compile(r"indemnit[ée] forfaitaire|fixed (?:indemnity|compensation|sum)", re.IGNORECASE)


def _plain(text: str) -> str:
    """Every run of spaces (no-break ones included) as one space: what a reader sees."""
    return _SPACES.sub(" ", text)


def notice_gaps(text: str, total: Decimal, deadline_days: int, language: str = "fr") -> list[str]:
    """What a formal notice rendered as ``text`` lacks, in French: amount, deadline, « en demeure » (« formal
    notice » in an English template)."""
    plain = _plain(text)
    gaps = []
    amount = _plain(money_in(total, language))
    if amount not in plain:
        gaps.append(f"le montant réclamé ({amount})")
    word = _NUMBER_WORDS.get(deadline_days)
    said = rf"\b{deadline_days} (?:jours?|days?)\b" + (rf"|\b{word} jours\b" if word else "")
    if not re.search(said, plain, re.IGNORECASE):
        gaps.append(f"le délai de paiement ({deadline_days} jours, legal.formal_notice_deadline_days)")
    if not _EN_DEMEURE.search(plain):
        gaps.append("les mots « en demeure »")
    return gaps


def mentions_indemnity(text: str, indemnity: Decimal, language: str = "fr") -> bool:
    """Whether ``text`` speaks of the recovery indemnity: « indemnité forfaitaire » (« fixed indemnity »), or its
    amount in euros."""
    plain = _plain(text)
    amounts = {_plain(money(indemnity)), f"{indemnity.normalize():f} €", _plain(money_in(indemnity, language)),
               f"€{indemnity.normalize():f}"}
    return bool(_INDEMNITY_WORDS.search(plain)) or any(a in plain for a in amounts)


def indemnity_line(source: str) -> int:
    """The template line that most likely brings the indemnity in, else 1."""
    for pattern in (r"recovery_indemnity", r"indemnit[ée] forfaitaire|fixed indemnity", r"\b40\b"):
        for number, line in enumerate(source.splitlines(), 1):
            if re.search(pattern, line, re.IGNORECASE):
                return number
    return 1


def lint_rendered(render: Callable[[int], str | None], debtors: Sequence[tuple[str, str, Decimal]], *,
                  formal_notice: bool, deadline_days: int, indemnity: Decimal,
                  source: str, language: str = "fr") -> list[tuple[int, str]]:
    """(line, French warning) for one template: ``render(i)`` gives its text for the made-up debtor ``i``
    (``None`` when it cannot be rendered: the render check reports that), ``debtors[i]`` its (label, kind,
    total)."""
    out: list[tuple[int, str]] = []
    noticed = told = False
    read_as_notice: set[str] = set()  # a notice is read for the first business and the first consumer debtor
    for i, (label, kind, total) in enumerate(debtors):
        text = render(i)
        if text is None:
            continue
        if formal_notice and not noticed and kind not in read_as_notice:
            read_as_notice.add(kind)
            gaps = notice_gaps(text, total, deadline_days, language)
            if gaps:
                noticed = True
                out.append((1, f"cette mise en demeure (modèle d’une étape registered_letter), écrite pour {label}, "
                               f"ne dit pas {' ni '.join(gaps)} : sans ces mentions, le juge de l’injonction de "
                               "payer peut ne pas y voir une mise en demeure"))
        if kind == "consumer" and not told and mentions_indemnity(text, indemnity, language):
            told = True
            out.append((indemnity_line(source),
                        f"ce modèle, écrit pour {label}, parle de l’indemnité forfaitaire de "
                        f"{_plain(money(indemnity))} : elle n’est due qu’entre professionnels (art. D441-5 du Code de "
                        "commerce) — réservez-la aux clients professionnels avec "
                        "{% if customer.kind == 'business' %}…{% endif %}"))
    return out
