"""SESv2: raw MIME e-mails. Throttling and 5xx are transient (SQS retries); a rejected message is not."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ..ports import PermanentProviderError, TransientProviderError

PERMANENT = {"MessageRejected", "BadRequestException", "MailFromDomainNotVerifiedException",
             "AccountSuspendedException", "NotFoundException", "SendingPausedException"}


class SesSender:
    def __init__(self, client: Any, configuration_set: str = "") -> None:
        self.client = client
        self.configuration_set = configuration_set

    def send(self, *, raw: bytes, sender: str, to: Sequence[str], reply_to: str, tags: dict[str, str]) -> str:
        kwargs: dict[str, Any] = {
            "FromEmailAddress": sender, "Destination": {"ToAddresses": list(to)},
            "ReplyToAddresses": [reply_to] if reply_to else [], "Content": {"Raw": {"Data": raw}},
            # Tag values allow letters, digits, _ - . @ only: keys are hex, customer ids are mapped.
            "EmailTags": [{"Name": k, "Value": "".join(c if c.isalnum() or c in "_-.@" else "_" for c in v)[:256]}
                          for k, v in tags.items()],
        }
        if self.configuration_set:
            kwargs["ConfigurationSetName"] = self.configuration_set
        try:
            return self.client.send_email(**kwargs)["MessageId"]
        except ClientError as err:
            code = err.response.get("Error", {}).get("Code", "")
            if code in PERMANENT:
                raise PermanentProviderError(f"SES refused the e-mail ({code})") from None
            raise TransientProviderError(f"SES failed ({code or 'error'})") from err
        except BotoCoreError as err:
            raise TransientProviderError(f"SES unreachable ({type(err).__name__})") from err
