"""Settings, read once at cold start from the environment into a typed object.

This is the only module that reads ``os.environ``. A missing variable fails loudly, naming it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

CHANNEL_QUEUE_VARIABLES = {
    "email": "EMAIL_QUEUE_URL",
    "letter": "LETTER_QUEUE_URL",
    "registered_letter": "REGISTERED_LETTER_QUEUE_URL",
    "phone": "PHONE_QUEUE_URL",
    "litigation": "LITIGATION_QUEUE_URL",
}
DEFAULT_SHARDS = 16


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
    endpoint_url: str | None = None  # AWS_ENDPOINT_URL: the embedded local AWS, or None for real AWS
    region: str = "eu-west-3"
    record_workers: int = 8  # DynamoDB transactions in flight per shard job

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
            endpoint_url=env.get("AWS_ENDPOINT_URL", "").strip() or None,
            region=env.get("AWS_REGION", env.get("AWS_DEFAULT_REGION", "eu-west-3")).strip() or "eu-west-3",
            record_workers=int(raw_workers),
        )
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
