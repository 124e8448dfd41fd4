"""What a function needs, built once per container (cold start) from the settings."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from ..adapters.aws import client
from ..settings import CHANNEL_QUEUE_VARIABLES, Settings
from .clock import now_utc

# The adapters are imported by the property that builds them: a function imports only those its requests use
# (the webhook never queues, the evaluator never reads a secret), part of its cold start.
if TYPE_CHECKING:
    from ..adapters.contactlog import DynamoContactLog
    from ..adapters.dynamo import DynamoStore
    from ..adapters.importspace import S3ImportSpace
    from ..adapters.s3docs import S3Documents
    from ..adapters.ses import SesSender
    from ..adapters.sqs import SqsQueues
    from ..domain.planner import Planner
    from ..domain.policy import Rules
    from ..ports import LetterProvider, PlatformReporter
    from .clock import Clock
    from .portal import Links
    from .staff import StaffLinks


@dataclass
class Runtime:
    settings: Settings

    @cached_property
    def dynamodb(self) -> Any:
        return client("dynamodb", self.settings)

    @cached_property
    def sqs(self) -> Any:
        return client("sqs", self.settings)

    @cached_property
    def s3(self) -> Any:
        return client("s3", self.settings)

    @cached_property
    def store(self) -> DynamoStore:
        from ..adapters.dynamo import DynamoStore

        return DynamoStore(self.dynamodb, self.settings.table_name, self.settings.shards)

    @cached_property
    def single_item_store(self) -> DynamoStore:
        """The store as the functions that face the internet use it: one item per write request, since they
        hold no BatchWriteItem permission (it would let them delete any item; template.yaml)."""
        from ..adapters.dynamo import DynamoStore

        return DynamoStore(self.dynamodb, self.settings.table_name, self.settings.shards, batch_writes=False)

    @cached_property
    def contact_log(self) -> DynamoContactLog:
        from ..adapters.contactlog import DynamoContactLog

        return DynamoContactLog(self.dynamodb, self.settings.table_name)

    @cached_property
    def queues(self) -> SqsQueues:
        from ..adapters.sqs import SqsQueues

        urls = {channel: self.settings.queue_for(channel) for channel in CHANNEL_QUEUE_VARIABLES}
        return SqsQueues(self.sqs, urls)

    @cached_property
    def configured_queues(self) -> SqsQueues:
        """The channel queues this function was given (a backoff needs no other): no setting is required."""
        from ..adapters.sqs import SqsQueues

        return SqsQueues(self.sqs, dict(self.settings.channel_queue_urls or {}))

    def client(self, service: str) -> Any:
        """Built on first use, then kept: ``setdefault(service, client(...))`` built a new one at every call."""
        made = self._clients.get(service)
        if made is None:
            made = self._clients[service] = client(service, self.settings)
        return made

    @cached_property
    def _clients(self) -> dict[str, Any]:
        return {}

    @cached_property
    def parameters(self) -> Any:
        """SSM parameters through Powertools (cached five minutes), on this runtime's own client."""
        from aws_lambda_powertools.utilities.parameters import SSMProvider

        return SSMProvider(boto3_client=self.client("ssm"))

    def secret(self, name: str) -> str:
        return self.parameters.get(name, decrypt=True, max_age=300) or ""

    @cached_property
    def platform_reporter(self) -> PlatformReporter | None:
        """The e-invoicing platform told of the payments relance applies; ``None`` unless configured (off)."""
        if not self.settings.platform_report_url:
            return None
        from ..adapters.platform import HttpPlatformReporter

        secret = self.secret(self.settings.platform_report_secret_parameter)
        return HttpPlatformReporter(self.settings.platform_report_url,
                                    [s.strip() for s in secret.split(",") if s.strip()])

    @cached_property
    def portal_links(self) -> Links | None:
        """The debtor portal's links (None when PORTAL_URL is not set: messages then carry no link). Tokens
        expire in real time, whatever day the clock is pinned to."""
        from .portal import Links, keys_from_secret

        if not self.settings.portal_url or not self.settings.portal_keys_parameter:
            return None
        keys = keys_from_secret(self.secret(self.settings.portal_keys_parameter))
        return Links(keys=keys, base_url=self.settings.portal_url, store=self.store, now=now_utc)

    @cached_property
    def staff_links(self) -> StaffLinks | None:
        """The account managers' links (None without PORTAL_URL or STAFF_KEYS_PARAMETER: the digest and the
        notices then carry the commands instead). Served on the portal's address, under /s/."""
        from .staff import StaffLinks, keys_from_secret

        if not self.settings.portal_url or not self.settings.staff_keys_parameter:
            return None
        from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

        try:
            keys = keys_from_secret(self.secret(self.settings.staff_keys_parameter))
        except (GetParameterError, ValueError):
            # No key yet (the parameter is not created, or holds no pair): the digest still goes, with the
            # commands instead of the links, and says so in its log; the staff pages refuse every link.
            import logging

            logging.getLogger("relance.staff").warning("no staff link key: the digest carries the commands",
                                                       extra={"parameter": self.settings.staff_keys_parameter})
            return None
        return StaffLinks(keys=keys, base_url=self.settings.portal_url, store=self.store, now=now_utc)

    @cached_property
    def letter_provider(self) -> LetterProvider:
        """The postal provider of the settings: the local one stores the PDF only (the demo's default)."""
        from ..adapters.postal import LocalLetterProvider, MerciFacteurProvider
        from ..adapters.s3docs import S3Documents

        if self.settings.letter_provider == "merci_facteur":
            import json

            parameter = self.client("ssm").get_parameter(Name=self.settings.postal_credentials_parameter,
                                                         WithDecryption=True)
            credentials = json.loads(parameter["Parameter"]["Value"])
            return MerciFacteurProvider(self.settings.postal_api_url, **credentials)
        documents = S3Documents(self.s3, self.settings.documents_bucket)
        # The local "provider" is a mailbox in the documents bucket: what would have been posted.
        return LocalLetterProvider(lambda key, data: documents.put(f"postal-local/{key}", data, "application/pdf"))

    @cached_property
    def rules(self) -> Rules:
        """Checked by the same pipeline as `relance check`; invalid rules raise RulesError.

        Imported here, not at the top: the functions that never read the rules (the webhook) start faster.
        """
        from ..rules.loader import load_rules_or_raise

        return load_rules_or_raise(self.settings.rules_dir)

    @cached_property
    def planner(self) -> Planner:
        from ..domain.planner import Planner

        return Planner(self.rules)

    # -- the adapters the handlers hand to the application ------------------------------------------------
    @cached_property
    def timezone(self) -> str:
        """The company's time zone: the rules' calendar's, the one source of every « today » (the clock, the
        scheduled runs, a payment's or a letter's date read off a provider's timestamp).

        Read from the record the rules shipped with when it holds: a function that reads no other rule (the
        payment webhook) does not build them at cold start."""
        if "rules" not in self.__dict__:
            from ..rules.shipped import recorded_timezone

            if (recorded := recorded_timezone(self.settings.rules_dir)) is not None:
                return recorded
        return self.rules.calendar.timezone

    @cached_property
    def clock(self) -> Clock:
        """The company's clock: the rules' calendar time zone, the day pinned by RELANCE_TODAY (the demo)."""
        from .clock import Clock

        return Clock(self.timezone, self.settings.today_override)

    @cached_property
    def documents(self) -> S3Documents:
        """The documents bucket: letters, proofs, dossiers, reports."""
        from ..adapters.s3docs import S3Documents

        return S3Documents(self.s3, self.settings.documents_bucket)

    @property
    def documents_if_any(self) -> S3Documents | None:
        """The documents bucket when one is configured (an e-mail's invoice PDFs, a callback's proof)."""
        return self.documents if self.settings.documents_bucket else None

    @cached_property
    def email_sender(self) -> SesSender:
        from ..adapters.ses import SesSender

        return SesSender(self.client("sesv2"), self.settings.ses_configuration_set)

    def import_space(self, bucket: str) -> S3ImportSpace:
        from ..adapters.importspace import S3ImportSpace

        return S3ImportSpace(self.s3, bucket, self.sqs, self.settings.import_queue_url)
