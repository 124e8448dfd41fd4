"""Channels, tones and event kinds are said once (domain/terms.py); everything else agrees with them."""

from __future__ import annotations

import re
import typing
from pathlib import Path

import pytest

from relance import settings
from relance.adapters.postal_callback import STATUSES
from relance.domain import labels
from relance.domain.terms import CHANNELS, DEFAULT_TONES, Channel, EventKind, Tone, postal_event_kind
from relance.local import demo
from relance.payments.webhooks import NoticeKind
from relance.report.kpis import StepEffect
from relance.rules.schema import schema

SOURCE = Path(settings.__file__).resolve().parent
TEMPLATE = SOURCE.parents[1] / "template.yaml"
VOCABULARY = {SOURCE / "domain" / "terms.py", SOURCE / "domain" / "labels.py"}
# Where a history event's kind is written: {"kind": "x"}, {"kind": _s("x")}, kind="x", self._events(message, "x"…
WRITTEN_KIND = re.compile(r'"kind":\s*(?:_s\()?"([a-z_]+)"|\bkind="([a-z_]+)"|_events\(\w+,\s*"([a-z_]+)"')
CHRONOLOGY_ONLY = {EventKind.INVOICE_ISSUED, EventKind.INVOICE_DUE}


def sources() -> dict[Path, str]:
    return {path: path.read_text(encoding="utf-8") for path in SOURCE.rglob("*.py") if path not in VOCABULARY}


def written_kinds() -> set[str]:
    found = {next(g for g in m.groups() if g) for text in sources().values() for m in WRITTEN_KIND.finditer(text)}
    found.discard("customers")  # the import's own kinds (customers | invoices), not history events
    found.discard("invoices")
    return found | {postal_event_kind(status).value for status in STATUSES} | set(typing.get_args(NoticeKind))


def test_the_rule_files_schema_offers_exactly_the_domains_channels():
    step = schema()["$defs"]["step"]["properties"]
    assert step["channel"]["enum"] == list(CHANNELS)
    for channel in CHANNELS:
        assert channel in step["channel"]["description"]


def test_the_schema_names_the_default_tones_in_their_order():
    description = schema()["$defs"]["step"]["properties"]["tone"]["description"]
    assert description.endswith(", ".join(DEFAULT_TONES))
    assert tuple(Tone) == DEFAULT_TONES


def test_every_channel_has_its_queue_in_the_settings_and_the_template():
    template = TEMPLATE.read_text(encoding="utf-8")
    assert set(settings.CHANNEL_QUEUE_VARIABLES) == set(Channel)
    for channel, variable in settings.CHANNEL_QUEUE_VARIABLES.items():
        assert f"{variable}: !Ref {demo.CHANNEL_QUEUES[channel]}" in template


def test_every_kind_something_writes_is_an_event_kind_with_a_label():
    for kind in written_kinds():
        assert kind in set(EventKind), f"{kind!r} is written to the history but is not an EventKind"
        assert labels.event_label(kind) != kind.replace("_", " "), f"{kind!r} has no French label"


def test_no_event_kind_and_no_label_waits_for_a_kind_nothing_writes():
    text = "\n".join(sources().values())
    for kind in set(EventKind) - CHRONOLOGY_ONLY:
        assert kind in written_kinds() or f'"{kind.value}"' in text or f"EventKind.{kind.name}" in text, (
            f"nothing writes {kind.value!r}: drop it and its label")
    assert set(labels.EVENT_LABELS) == set(EventKind)


@pytest.mark.parametrize("table", ["CHANNEL_LABELS", "CHANNEL_TITLES", "SENT_LABELS"])
def test_every_channel_has_its_label(table):
    assert set(Channel) <= set(getattr(labels, table))


def test_the_cli_and_the_dashboard_say_a_channel_with_the_same_words():
    # Given the registered letter, which the dashboard used to call « recommandé » and the CLI « recommandé AR »
    effect = StepEffect("standard", "mise_en_demeure", "J+30", "registered_letter", "formel", 1, 1, 0, 0)
    # Then both take the one label
    assert effect.channel_label == labels.CHANNEL_LABELS["registered_letter"] == "recommandé AR"


def test_a_postal_status_becomes_the_event_the_dossier_reads():
    assert [postal_event_kind(s) for s in ("delivered", "proof_available", "returned", "incident", "printed")] == [
        EventKind.DELIVERED, EventKind.AR_SIGNED, EventKind.RETURNED, EventKind.POSTAL_INCIDENT,
        EventKind.POSTAL_PRINTED]


def test_a_template_can_say_a_channel_and_an_event_with_the_one_labels():
    from jinja2 import StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=True)
    text = env.from_string("{{ labels.channels.registered_letter }} · {{ labels.events.ar_signed }}").render(
        labels=labels.for_templates())
    assert text == "recommandé AR · Accusé de réception signé"
