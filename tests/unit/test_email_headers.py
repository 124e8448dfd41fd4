"""Whatever `check` accepts as a company name or address, an e-mail can carry (issue 12, item 6)."""

from __future__ import annotations

from email import message_from_bytes, policy

import pytest
from hypothesis import given
from hypothesis import strategies as st

from relance.domain.email import HeaderError, address_problem, build_email, header_problem


def mail(**overrides) -> bytes:
    fields = {"sender_name": "Atelier Bois & Fils", "sender": "compta@atelier.example", "to": ["c1@client.example"],
              "subject": "Rappel", "text": "Bonjour", "reply_to": "julie@atelier.example"}
    return build_email(**{**fields, **overrides})


@given(st.text(max_size=200))
def test_a_name_without_a_header_problem_always_builds(name):
    if header_problem(name) is None:
        sent = message_from_bytes(mail(sender_name=name), policy=policy.default)
        assert sent["From"].addresses[0].addr_spec == "compta@atelier.example"
    else:
        with pytest.raises(HeaderError):
            mail(sender_name=name)


@given(st.text(max_size=80) | st.emails())
def test_an_address_without_a_problem_always_builds(address):
    if address_problem(address) is None:
        mail(sender=address)
    else:
        with pytest.raises(HeaderError):
            mail(sender=address)


@pytest.mark.parametrize("name", ["Atelier\\nBcc: x@y.example", "Atelier\r", "A\u2028B", "A\x85B", "A\x0cB"])
def test_a_line_break_in_a_name_is_named_not_sent(name):
    with pytest.raises(HeaderError) as refused:
        mail(sender_name=name.replace("\\n", "\n"))
    assert "le nom de l’expéditeur contient" in str(refused.value)
