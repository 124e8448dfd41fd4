"""Rendering at send time: a template over its budget, or broken, is a RenderFailed naming its line, never a
traceback or a hang; what the sample templates write is unchanged."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jinja2 import StrictUndefined

from relance.domain.model import Customer, Invoice
from relance.domain.render import RenderFailed, environment, render_message, split_subject
from relance.domain.sandbox import RENDER_FAILURES, BudgetedSandbox, BudgetExceeded, RenderLimits, describe_failure
from relance.rules.loader import load_rules_or_raise

from ..conftest import SAMPLE_RULES

TODAY = date(2026, 11, 2)
CUSTOMER = Customer(id="C1", name="Client Un", kind="business", email="c1@client.example")
INVOICES = [Invoice(id=f"F{n}", customer_id="C1", issue_date=date(2026, 9, 1), due_date=date(2026, 10, 1),
                    amount=Decimal("1200.00"), amount_due=Decimal("1200.00")) for n in (1, 2)]


@pytest.fixture
def rules_with(tmp_path: Path):
    """The sample rules with one e-mail template replaced."""

    def make(template: str):
        directory = tmp_path / "rules"
        for source in SAMPLE_RULES.rglob("*"):
            target = directory / source.relative_to(SAMPLE_RULES)
            if source.is_dir():
                target.mkdir(parents=True, exist_ok=True)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(source.read_bytes())
        (directory / "templates" / "email" / "courtois.fr.j2").write_text(template, encoding="utf-8")
        return load_rules_or_raise(directory)

    return make


def render(rules):
    return render_message(rules, customer=CUSTOMER, invoices=INVOICES, channel="email", tone="courtois",
                          step_id="relance_1", at="J+5", template=None, today=TODAY)


@pytest.mark.parametrize(("body", "says"), [
    ("{{ 'x' * 10**10 }}", "dépasserait"),
    ("{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}", "tours"),
    ("{{ customer.name|truncate(-1) }}", "truncate(-1)"),
    ("{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}", "appels imbriqués"),
    ("{{ (invoices|map(attribute='id')|join * 100000)|replace('F', 'FFFFFFFFFF') }}", "dépasserait"),
    ("{{ customer.nom }}", "nom"),
])
def test_a_template_that_cannot_make_the_message_fails_with_its_line(rules_with, body, says):
    rules = rules_with(f"Objet : Rappel\n\nBonjour,\n{body}\n")
    with pytest.raises(RenderFailed) as failed:
        render(rules)
    assert failed.value.template == "email/courtois.fr.j2" and failed.value.line == 4
    assert says in failed.value.reason
    assert str(failed.value).startswith("modèle email/courtois.fr.j2, ligne 4 : ")


def test_a_template_without_its_subject_line_fails_cleanly(rules_with):
    with pytest.raises(RenderFailed) as failed:
        render(rules_with("Bonjour {{ customer.name }}\n"))
    assert "Objet :" in failed.value.reason


def test_rendering_stops_at_its_deadline():
    """No thread, no signal: the deadline is checked at every loop turn (a clock that jumps a second a call)."""
    ticks = itertools.count()
    env = BudgetedSandbox(undefined=StrictUndefined, clock=lambda: float(next(ticks)),
                          limits=RenderLimits(max_seconds=5))
    with pytest.raises(BudgetExceeded) as stopped:
        env.from_string("{% for i in range(100) %}{{ i }}{% endfor %}").render()
    assert "plus de 5 s" in stopped.value.reason


def test_each_rendering_has_its_own_budget():
    env = BudgetedSandbox(undefined=StrictUndefined, limits=RenderLimits(max_loop_turns=10))
    loop = env.from_string("{% for i in range(10) %}{{ i }}{% endfor %}")
    assert [loop.render() for _ in range(3)] == ["0123456789"] * 3
    with pytest.raises(BudgetExceeded):
        env.from_string("{% for i in range(11) %}{{ i }}{% endfor %}").render()


@pytest.mark.parametrize("source", [
    "{{ 'a' ~ 'b' ~ 1 }}", "{{ '%s-%05d' % ('x', 42) }}", "{{ '{} et {:>4}'.format('a', 'b') }}",
    "{{ [1, 2] + [3] }}{{ 'ab' * 3 }}{{ 2 ** 10 }}", "{{ range(3)|list }}{{ 'a b'|replace(' ', '_') }}",
    "{% set ns = namespace(n=0) %}{% for i in range(4) %}{% set ns.n = ns.n + i %}{% endfor %}{{ ns.n }}",
    "{% for x in 'abc' %}{{ loop.index }}{{ x }}{{ loop.length }}{% else %}vide{% endfor %}",
    "{% for x in [] %}{{ x }}{% else %}vide{% endfor %}", "{{ 'FR76 3000'|batch(2)|map('join')|join(' ') }}",
    "{{ '  x  '|trim|center(5) }}|{{ 'long texte'|truncate(7, end='…') }}|{{ 'a\nb'|indent(2, true) }}",
])
def test_ordinary_jinja_is_unchanged(source):
    plain = __import__("jinja2.sandbox", fromlist=["x"]).ImmutableSandboxedEnvironment(undefined=StrictUndefined)
    assert environment().from_string(source).render() == plain.from_string(source).render()


def test_the_sample_templates_write_what_they_wrote():
    rules = load_rules_or_raise(SAMPLE_RULES)
    rendered = render(rules)
    assert rendered.subject == "Rappel – factures F1, F2 en attente de règlement"
    assert "Montant total\u00a0: 2\u202f400,00\u202f€" in rendered.body


def test_a_subject_is_one_line_whatever_the_data_put_in_it():
    text = "Objet : Facture F1 – Bâtir\u2028Rénover\r\x0bSARL\u00a0\u202f!\r\n\nBonjour\n"
    assert split_subject(text, "email").subject == "Facture F1 – Bâtir Rénover SARL\u00a0\u202f!"


FRAGMENTS = [
    "{{ customer.name }}", "{{ total|money }}", "{% for f in invoices %}{{ f.id }}{% endfor %}", "{{ x }}",
    "{% set x = 'ab' * 400 %}", "{% set x = x ~ x %}", "{% set x = x + x %}", "{{ x|replace('a', 'aaaa') }}",
    "{{ [x] * 300 }}", "{{ ([x] * 300)|join(x) }}", "{{ x|center(99999) }}", "{{ x|indent(999) }}",
    "{{ x|wordwrap(1) }}", "{{ x|truncate(-5) }}", "{{ '%099999d' % 1 }}", "{{ '{:>99999}'.format(x) }}",
    "{{ 9 ** 9 ** 9 }}", "{{ x.ljust(99999) }}", "{{ x.expandtabs(99999) }}", "{{ range(99999)|list }}",
    "{% for i in range(9999) %}{% for j in range(9999) %}{{ i }}{% endfor %}{% endfor %}",
    "{% macro m(s) %}{{ m(s ~ s) }}{% endmacro %}{{ m(x) }}", "{% set ns = namespace(s=x) %}",
    "{% for i in range(99) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s|length }}",
    "{{ x|tojson(indent=99) }}", "{{ [x]|batch(99999, x)|list }}", "{{ x|list|sum(start=[]) }}",
    "{{ x.translate({97: x}) }}", "{{ (" * 40 + "1" + ")" * 40 + " }}", "{{ x|int * x|length }}",
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=6))
def test_any_mix_of_template_pieces_renders_or_fails_cleanly(pieces):
    """Whatever a rule editor strings together, rendering ends, within its budget, with text or a known failure."""
    env = BudgetedSandbox(undefined=StrictUndefined, limits=RenderLimits(
        max_chars=100_000, max_work_chars=1_000_000, max_loop_turns=20_000, max_seconds=0.5))
    context = {"customer": CUSTOMER, "invoices": INVOICES, "total": Decimal("2400.00"), "x": "ab"}
    try:
        text = env.from_string("\n".join(pieces)).render(context)
    except RENDER_FAILURES as err:
        assert describe_failure(err)
    else:
        assert len(text) <= 100_000
