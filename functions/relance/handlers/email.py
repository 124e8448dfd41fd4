"""E-mail channel (EmailQueue): re-check, render, send through SESv2 as raw MIME, record.

A customer without a usable address, or an address SES refuses, falls back to a letter (EMAIL_FALLBACK).
"""

from __future__ import annotations

from typing import Any

from ..app.deliver import Channels
from ..app.messages import ChannelMessage
from ..app.runtime import Runtime
from ._channel import ChannelFunction


def _deliver(rt: Runtime, channels: Channels, message: ChannelMessage) -> dict[str, Any]:
    reroute = rt.queues if rt.settings.email_fallback == "letter" else None
    return channels.email(message, sender=rt.email_sender, documents=rt.documents_if_any, reroute=reroute).as_dict()


function = ChannelFunction("email", _deliver)
handler, reset = function.entry(), function.reset
