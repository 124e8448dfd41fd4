"""The SES adapter tells what SES certainly refused (safe to retry) from an answer lost after sending."""

from __future__ import annotations

import pytest
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from relance.adapters.ses import SesSender
from relance.ports import OutcomeUnknown, PermanentProviderError, TransientProviderError


class Client:
    """A SESv2 client that answers from a script: an exception to raise, or a message id."""

    def __init__(self, *answers: object) -> None:
        self.answers = list(answers)
        self.calls: list[dict] = []

    def send_email(self, **kwargs: object) -> dict:
        self.calls.append(kwargs)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return {"MessageId": answer}


def refused(code: str, status: int) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "injected"}, "ResponseMetadata": {"HTTPStatusCode": status}},
                       "SendEmail")


def send(client: Client) -> str:
    return SesSender(client, "relance", sleep=lambda _: None).send(
        raw=b"raw", sender="relances@atelier.example", to=["compta@client.example"], reply_to="",
        tags={"message_key": "abc123", "customer": "C 001/é"})


def test_throttling_is_retried_in_place_and_the_tags_are_what_ses_accepts():
    client = Client(refused("TooManyRequestsException", 429), refused("InternalFailure", 500), "ses-1")

    assert send(client) == "ses-1"
    assert len(client.calls) == 3
    assert client.calls[0]["EmailTags"] == [{"Name": "message_key", "Value": "abc123"},
                                            {"Name": "customer", "Value": "C_001_é"}]


def test_an_error_answer_every_time_is_transient_not_unknown():
    client = Client(*[refused("TooManyRequestsException", 429)] * 3)

    with pytest.raises(TransientProviderError) as caught:
        send(client)
    assert not isinstance(caught.value, OutcomeUnknown)


@pytest.mark.parametrize("lost", [ReadTimeoutError(endpoint_url="https://email"),
                                  ConnectionClosedError(endpoint_url="https://email")],
                         ids=["read_timeout", "connection_closed"])
def test_an_answer_lost_after_sending_is_unknown_and_never_retried_in_place(lost):
    client = Client(lost, "would-be-a-second-email")

    with pytest.raises(OutcomeUnknown):
        send(client)
    assert len(client.calls) == 1


@pytest.mark.parametrize("unreached", [ConnectTimeoutError(endpoint_url="https://email"),
                                       EndpointConnectionError(endpoint_url="https://email")],
                         ids=["connect_timeout", "no_connection"])
def test_ses_never_reached_is_a_plain_transient_failure(unreached):
    with pytest.raises(TransientProviderError) as caught:
        send(Client(unreached))
    assert not isinstance(caught.value, OutcomeUnknown)


def test_a_rejected_message_is_permanent():
    with pytest.raises(PermanentProviderError):
        send(Client(refused("MessageRejected", 400)))
