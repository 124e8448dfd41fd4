"""Settings, read once at cold start from the environment into a typed object.

This is the only module that reads ``os.environ``. A missing variable fails loudly, naming it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from .domain.terms import CHANNELS

# One queue per channel: EMAIL_QUEUE_URL, LETTER_QUEUE_URL, REGISTERED_LETTER_QUEUE_URL…
CHANNEL_QUEUE_VARIABLES = {channel: f"{channel.upper()}_QUEUE_URL" for channel in CHANNELS}
DEFAULT_SHARDS = 16
_DOMAIN = re.compile(r"(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")


def _date_or_none(text: str) -> date | None:
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise SettingsError(f"RELANCE_TODAY must be a date YYYY-MM-DD, not {text!r}") from None


def _seconds(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, str(default)).strip() or str(default)
    if not raw.isdigit() or int(raw) > 3600:
        raise SettingsError(f"{name} must be a whole number of seconds between 0 and 3600, not {raw!r}")
    return int(raw)


def _whole(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name, str(default)).strip() or str(default)
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise SettingsError(f"{name} must be a whole number between {low} and {high}, not {raw!r}")
    return int(raw)


class SettingsError(RuntimeError):
    """A setting is missing or wrong; the message names the variable and what is expected."""


@dataclass(frozen=True, slots=True)
class Settings:
    table_name: str
    shards: int = DEFAULT_SHARDS
    rules_dir: Path = Path("/opt/rules")
    evaluation_queue_url: str = ""
    channel_queue_urls: Mapping[str, str] | None = None
    imports_bucket: str = ""
    import_queue_url: str = ""  # IMPORT_QUEUE_URL: the chunks of a big export, one message each
    import_chunk_rows: int = 2000  # IMPORT_CHUNK_ROWS: rows per chunk (one worker invocation each)
    endpoint_url: str | None = None  # AWS_ENDPOINT_URL: the embedded local AWS, or None for real AWS
    region: str = "eu-west-3"
    record_workers: int = 8  # DynamoDB transactions in flight per shard job
    idempotency_table: str = ""
    documents_bucket: str = ""
    ses_configuration_set: str = ""
    ses_confirmation_wait_s: int = 120  # after a lost SES answer, how long a retry waits for SES's Send event
    email_fallback: str = "letter"  # what a message for a customer without a usable e-mail becomes: letter | none
    letter_provider: str = "local"  # local (stores the PDF only) | merci_facteur
    postal_api_url: str = ""
    postal_credentials_parameter: str = ""  # SSM SecureString with the provider's credentials (JSON)
    postal_callback_secret_parameter: str = ""
    stripe_secrets_parameter: str = ""  # SSM SecureString: the Stripe endpoint secret(s) whsec_…, comma-separated
    generic_secrets_parameter: str = ""  # SSM SecureString: the generic payment notice secret(s), comma-separated
    einvoicing_secrets_parameter: str = ""  # SSM SecureString: the PA status notice secret(s); "": route off
    platform_report_url: str = ""  # where relance reports « 212 Encaissée » to the PA; "": off (the default)
    platform_report_secret_parameter: str = ""  # SSM SecureString: the secret those reports are signed with
    portal_url: str = ""  # PORTAL_URL: the debtor portal's base URL (its custom domain); "" → messages carry no link
    portal_keys_parameter: str = ""  # SSM SecureString: the portal link keys, "id:secret" pairs, the signing one first
    stripe_api_key_parameter: str = ""  # SSM SecureString: the Stripe secret key the portal creates sessions with
    staff_keys_parameter: str = ""  # SSM SecureString: the staff link keys ("id:secret" pairs); "": no staff links
    stripe_api_url: str = "https://api.stripe.com"  # STRIPE_API_URL: the loopback fake locally
    # REPLY_DOMAIN: the domain SES receives debtors' replies on (replies.example.fr); "": e-mails carry no reply
    # address of their own, a reply goes to the account manager's mailbox and relance never sees it
    reply_domain: str = ""
    inbound_prefix: str = "inbound/"  # INBOUND_PREFIX: where SES stores them in the documents bucket
    today_override: date | None = None  # RELANCE_TODAY: act as if it were that day (the local demo, a replay)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, need: tuple[str, ...] = ()) -> Settings:
        """Read the settings; ``need`` names the optional ones this caller cannot work without."""
        env = os.environ if env is None else env

        def required(name: str) -> str:
            value = env.get(name, "").strip()
            if not value:
                raise SettingsError(f"missing setting {name}: set it in the function's environment "
                                    "(template.yaml) or your shell")
            return value

        table = required("TABLE_NAME")
        raw_shards = env.get("SHARDS", str(DEFAULT_SHARDS)).strip()
        if not raw_shards.isdigit() or not 1 <= int(raw_shards) <= 1000:
            raise SettingsError(f"SHARDS must be a whole number between 1 and 1000, not {raw_shards!r}")
        raw_workers = env.get("RECORD_WORKERS", "8").strip()
        if not raw_workers.isdigit() or not 1 <= int(raw_workers) <= 64:
            raise SettingsError(f"RECORD_WORKERS must be a whole number between 1 and 64, not {raw_workers!r}")
        queues = {channel: env.get(var, "").strip() for channel, var in CHANNEL_QUEUE_VARIABLES.items()}
        settings = cls(
            table_name=table,
            shards=int(raw_shards),
            rules_dir=Path(env.get("RULES_DIR", "/opt/rules")),
            evaluation_queue_url=env.get("EVALUATION_QUEUE_URL", "").strip(),
            channel_queue_urls=queues,
            imports_bucket=env.get("IMPORTS_BUCKET", "").strip(),
            import_queue_url=env.get("IMPORT_QUEUE_URL", "").strip(),
            import_chunk_rows=_whole(env, "IMPORT_CHUNK_ROWS", 2000, 1, 100_000),
            endpoint_url=env.get("AWS_ENDPOINT_URL", "").strip() or None,
            region=env.get("AWS_REGION", env.get("AWS_DEFAULT_REGION", "eu-west-3")).strip() or "eu-west-3",
            record_workers=int(raw_workers),
            idempotency_table=env.get("IDEMPOTENCY_TABLE", "").strip(),
            documents_bucket=env.get("DOCUMENTS_BUCKET", "").strip(),
            ses_configuration_set=env.get("SES_CONFIGURATION_SET", "").strip(),
            ses_confirmation_wait_s=_seconds(env, "SES_CONFIRMATION_WAIT_S", 120),
            email_fallback=env.get("EMAIL_FALLBACK", "letter").strip() or "letter",
            letter_provider=env.get("LETTER_PROVIDER", "local").strip() or "local",
            postal_api_url=env.get("POSTAL_API_URL", "").strip(),
            postal_credentials_parameter=env.get("POSTAL_CREDENTIALS_PARAMETER", "").strip(),
            postal_callback_secret_parameter=env.get("POSTAL_CALLBACK_SECRET_PARAMETER", "").strip(),
            today_override=_date_or_none(env.get("RELANCE_TODAY", "")),
            stripe_secrets_parameter=env.get("STRIPE_SECRETS_PARAMETER", "").strip(),
            generic_secrets_parameter=env.get("GENERIC_SECRETS_PARAMETER", "").strip(),
            einvoicing_secrets_parameter=env.get("EINVOICING_SECRETS_PARAMETER", "").strip(),
            platform_report_url=env.get("PLATFORM_REPORT_URL", "").strip(),
            platform_report_secret_parameter=env.get("PLATFORM_REPORT_SECRET_PARAMETER", "").strip(),
            portal_url=env.get("PORTAL_URL", "").strip().rstrip("/"),
            portal_keys_parameter=env.get("PORTAL_KEYS_PARAMETER", "").strip(),
            stripe_api_key_parameter=env.get("STRIPE_API_KEY_PARAMETER", "").strip(),
            staff_keys_parameter=env.get("STAFF_KEYS_PARAMETER", "").strip(),
            stripe_api_url=env.get("STRIPE_API_URL", "").strip() or "https://api.stripe.com",
            reply_domain=env.get("REPLY_DOMAIN", "").strip().lower().rstrip("."),
            inbound_prefix=env.get("INBOUND_PREFIX", "").strip() or "inbound/",
        )
        if settings.reply_domain and not _DOMAIN.fullmatch(settings.reply_domain):
            raise SettingsError(f"REPLY_DOMAIN must be a domain name such as replies.example.fr, "
                                f"not {settings.reply_domain!r}")
        if settings.email_fallback not in ("letter", "none"):
            raise SettingsError(f"EMAIL_FALLBACK must be letter or none, not {settings.email_fallback!r}")
        if settings.portal_url and not settings.portal_url.startswith(("https://", "http://127.0.0.1",
                                                                       "http://localhost")):
            raise SettingsError(f"PORTAL_URL must be an https:// address, not {settings.portal_url!r}")
        if settings.letter_provider not in ("local", "merci_facteur"):
            raise SettingsError(f"LETTER_PROVIDER must be local or merci_facteur, not {settings.letter_provider!r}")
        for name in need:
            if name == "channel_queues":
                for channel, var in CHANNEL_QUEUE_VARIABLES.items():
                    if not queues[channel]:
                        required(var)
            elif not getattr(settings, name):
                required(name.upper())
        return settings

    def queue_for(self, channel: str) -> str:
        url = (self.channel_queue_urls or {}).get(channel, "")
        if not url:
            raise SettingsError(f"missing setting {CHANNEL_QUEUE_VARIABLES[channel]}")
        return url
