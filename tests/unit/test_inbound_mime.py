"""A reply as a mail server delivers it reads into the fields relance matches and classifies it by."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relance.inbound.mime import parse_message

SAMPLES = Path(__file__).parents[1] / "events" / "inbound"  # real messages: see their README for the source


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def test_a_vacation_reply_names_the_message_it_answers():
    reply = parse_message(sample("rfc3834-03.eml"))

    assert reply.sender == "kijitora@apple.example.com"
    assert reply.to == ("neko@libsisimai.org",)
    assert reply.subject == "Auto reply: Nyaan"
    assert reply.message_id == "7e23258d-247f-479e-996d-e01f0f30af85-vac@apple.example.com"
    assert reply.in_reply_to == ("25203A4E-F90F-4A14-BF51-3E7B9D39BE8E@libsisimai.org",)
    assert reply.references == ("25203A4E-F90F-4A14-BF51-3E7B9D39BE8E@libsisimai.org",)
    assert reply.text == "I'm only sleeping."


def test_an_auto_submitted_reply_is_known_as_written_by_a_program():
    reply = parse_message(sample("rfc3834-06.eml"))

    assert reply.auto_submitted == "auto-replied"
    assert reply.automatic


def test_a_multipart_alternative_reply_reads_its_plain_text_part_with_quoted_printable_decoded():
    reply = parse_message(sample("rfc3834-06.eml"))

    assert reply.text == ("This email inbox kijitora@example.com is no longer in use. Please contact someone else "
                          "at Example or visit https://www.example.com/en/contact for assistance.")


def test_an_encoded_subject_is_decoded():
    assert parse_message(sample("rfc3834-06.eml")).subject == "AutoRespons :Nyaan?"


def test_a_message_written_by_a_person_is_not_automatic():
    message = parse_message(sample("is-not-bounce-02.eml"))

    assert message.auto_submitted == "no"
    assert not message.automatic


def test_a_windows_1252_quoted_printable_body_reads_with_its_soft_line_breaks_joined():
    reply = parse_message(sample("rfc3834-04.eml"))

    assert reply.sender == "kijitora@example.org"
    assert reply.sender_name == "Kijitora"
    assert "I will be traveling for work on July 10-31." in reply.text
    assert "you need immediate assistance" in reply.text


def test_the_text_is_the_message_s_own_not_the_one_attached_to_it():
    message = parse_message(sample("is-not-bounce-02.eml"))

    assert message.text == "it shouldn't be considered as bounce"
    assert message.subject == "original as attachment"
    assert message.sender_name == "xpto"  # the attached message's sender is someone else


def test_an_html_only_reply_reads_as_its_text():
    raw = (b"From: Jeanne Martin <compta@martin.example>\r\nTo: relances@atelier.example\r\n"
           b"Subject: =?utf-8?q?R=C3=A9f=2E_F-2026-0042?=\r\nMessage-ID: <a1@martin.example>\r\n"
           b"In-Reply-To: <0100018f@eu-west-3.amazonses.com>\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: text/html; charset=utf-8\r\n\r\n"
           b"<html><head><style>p{color:red}</style></head><body><p>Bonjour,</p>"
           b"<p>Le virement de 1&nbsp;234,56&nbsp;\xe2\x82\xac part demain.</p></body></html>\r\n")

    reply = parse_message(raw)

    assert reply.subject == "Réf. F-2026-0042"
    assert reply.in_reply_to == ("0100018f@eu-west-3.amazonses.com",)
    assert reply.text == "Bonjour,\n\nLe virement de 1\u00a0234,56\u00a0€ part demain."


def test_references_without_angle_brackets_are_kept_as_written():
    raw = b"From: a@example.org\r\nReferences: one@example.org two@example.org\r\n\r\nok\r\n"

    assert parse_message(raw).references == ("one@example.org", "two@example.org")


def test_a_message_without_headers_reads_as_empty_fields():
    message = parse_message(b"\r\njust a body\r\n")

    assert (message.sender, message.subject, message.message_id, message.to) == ("", "", "", ())
    assert message.text == "just a body"


HEADER_NAMES = st.sampled_from(["From", "To", "Subject", "Message-ID", "In-Reply-To", "References",
                                "Auto-Submitted", "Content-Type", "Content-Transfer-Encoding", "MIME-Version"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(headers=st.lists(st.tuples(HEADER_NAMES, st.binary(max_size=80)), max_size=8), body=st.binary(max_size=300))
def test_any_message_reads_without_raising(headers, body):
    raw = b"".join(name.encode() + b": " + value + b"\r\n" for name, value in headers) + b"\r\n" + body

    message = parse_message(raw)

    assert isinstance(message.text, str)
    assert message.automatic == (message.auto_submitted != "no")
