"""The compiled rules (the policy): what the planner and the channels consume.

`relance.rules` reads and checks the rule files into these types; the domain never needs that loading code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from .approval import StepApproval
from .calendar import CalendarSettings
from .conditions import Predicate
from .contact import ContactPolicy
from .model import Address
from .portal import PortalPolicy
from .terms import DEFAULT_TONES

if TYPE_CHECKING:
    from .claim import Rates
    from .courts import CourtTable



@dataclass(frozen=True, slots=True)
class Place:
    """Where something was written: 1-based line and column."""

    file: str
    line: int = 1
    column: int = 1

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True)
class Step:
    id: str
    at: int  # days relative to the due date: J-3 is -3
    channel: str
    tone: str | None
    template: str | None = None
    when: Predicate | None = None
    place: Place | None = field(default=None, compare=False)
    approval: StepApproval | None = None  # ``approval: required``: a person approves before it goes (domain.approval)

    @property
    def at_label(self) -> str:
        return f"J{self.at:+d}" if self.at else "J+0"


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    steps: tuple[Step, ...]
    place: Place | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Segment:
    name: str
    scenario: str
    when: Predicate | None = None
    place: Place | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Pause:
    name: str
    when: Predicate


@dataclass(frozen=True, slots=True)
class Company:
    name: str = ""
    legal_form: str = ""
    siren: str = ""
    address: Address = field(default_factory=Address)
    email: str = ""
    phone: str = ""
    iban: str = ""
    bic: str = ""
    signatory: str = ""
    rcs_city: str = ""  # the registry's city: « RCS Lyon 841 273 659 » (R123-237 Code de commerce)
    share_capital: str = ""  # euros, as written in the rules: « SAS au capital de 50 000 € »
    vat_number: str = ""

    REQUIRED_FOR_LETTERS = ("name", "legal_form", "siren", "address.line1", "address.postal_code",
                            "address.city", "email", "iban", "signatory")

    def missing(self) -> list[str]:
        out = []
        for name in self.REQUIRED_FOR_LETTERS:
            obj, _, attr = name.rpartition(".")
            holder = self.address if obj else self
            if not getattr(holder, attr):
                out.append(name)
        return out


@dataclass(frozen=True, slots=True)
class Legal:
    late_interest: str | Decimal = "legal"  # "legal" or an annual percentage from the CGV
    recovery_indemnity: Decimal = Decimal("40")
    formal_notice_deadline_days: int = 8
    postal_delay_days: int = 3  # no AR on record: the notice counts as received this many days after posting
    litigation_min_amount: Decimal = Decimal("0")
    partial_payments: str = "principal_first"


@dataclass(frozen=True, slots=True)
class Replies:
    """The ``replies`` section: what a debtor's reply by e-mail changes (``app.replies``)."""

    pause_days: int = 7  # a reply written by a person pauses the customer's reminders this many days


@dataclass(frozen=True, slots=True)
class Rules:
    directory: Path
    segments: tuple[Segment, ...]
    scenarios: dict[str, Scenario]
    calendar: CalendarSettings = field(default_factory=CalendarSettings)
    pauses: tuple[Pause, ...] = ()
    tones: tuple[str, ...] = DEFAULT_TONES
    company: Company = field(default_factory=Company)
    legal: Legal = field(default_factory=Legal)
    version: int = 1
    digest: str = ""  # sha256 of the rule files, recorded with what they decide
    rates: Rates | None = None  # the shipped rates completed by a ``rates`` section; None: the shipped ones
    courts: CourtTable | None = None  # the shipped courts completed by a ``courts`` section; None: the shipped ones
    contact: ContactPolicy | None = None  # the ``contact`` section (SPEC §2.8); None: each message as in §2.7
    portal: PortalPolicy = field(default_factory=PortalPolicy)  # the ``portal`` section: the debtor's links and choices
    fallback_language: str = "fr"  # the templates' language for a customer whose own language has none
    replies: Replies = field(default_factory=Replies)  # the ``replies`` section: the pause a reply causes
