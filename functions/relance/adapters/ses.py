"""SESv2: raw MIME e-mails.

SendEmail is not idempotent, so the client makes a single attempt (adapters.aws) and this adapter tells
apart what SES certainly did not accept — an error answer (throttling, 5xx: retried here a few times, then
TransientProviderError) or no connection at all — from a request whose answer was lost after it was sent
(a read timeout, a connection closed mid-answer): :class:`~relance.ports.OutcomeUnknown`, so the caller
looks for SES's own confirmation (the « Send » event) before sending again. A rejected message is permanent.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, ConnectionClosedError, ReadTimeoutError

from ..ports import OutcomeUnknown, PermanentProviderError, TransientProviderError, tag_safe

PERMANENT = {"MessageRejected", "BadRequestException", "MailFromDomainNotVerifiedException",
             "AccountSuspendedException", "NotFoundException", "SendingPausedException"}
ATTEMPTS = 3  # error answers only: SES said no, so trying again cannot send twice


class SesSender:
    def __init__(self, client: Any, configuration_set: str = "", *,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.client = client
        self.configuration_set = configuration_set
        self.sleep = sleep

    def send(self, *, raw: bytes, sender: str, to: Sequence[str], reply_to: str, tags: dict[str, str]) -> str:
        kwargs: dict[str, Any] = {
            "FromEmailAddress": sender, "Destination": {"ToAddresses": list(to)},
            "ReplyToAddresses": [reply_to] if reply_to else [], "Content": {"Raw": {"Data": raw}},
            # Tag values allow letters, digits, _ - . @ only: keys are hex, customer ids are mapped.
            "EmailTags": [{"Name": k, "Value": tag_safe(v)} for k, v in tags.items()],
        }
        if self.configuration_set:
            kwargs["ConfigurationSetName"] = self.configuration_set
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return self.client.send_email(**kwargs)["MessageId"]
            except ClientError as err:
                code = err.response.get("Error", {}).get("Code", "")
                if code in PERMANENT:
                    raise PermanentProviderError(f"SES refused the e-mail ({code})") from None
                if attempt == ATTEMPTS:
                    raise TransientProviderError(f"SES failed ({code or 'error'})") from err
                self.sleep(random.uniform(0, 0.25 * 2 ** attempt))  # full jitter: 0–0.5 s, then 0–1 s
            except (ReadTimeoutError, ConnectionClosedError) as err:
                raise OutcomeUnknown(f"SES's answer was lost ({type(err).__name__}): the e-mail may have been "
                                     "sent") from err
            except BotoCoreError as err:
                raise TransientProviderError(f"SES unreachable ({type(err).__name__})") from err
        raise AssertionError("unreachable")
