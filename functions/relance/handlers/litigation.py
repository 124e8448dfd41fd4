"""Litigation channel (LitigationQueue): the injonction de payer dossier, or why not, to the company contact."""

from __future__ import annotations

from typing import Any

from ..app.deliver import Channels
from ..app.litigation import handle_litigation
from ..app.messages import ChannelMessage
from ..app.runtime import Runtime
from ._channel import ChannelFunction


def _deliver(rt: Runtime, channels: Channels, message: ChannelMessage) -> dict[str, Any]:
    documents = rt.documents
    return handle_litigation(message, rules=rt.rules, store=rt.store, documents=documents, sender=rt.email_sender,
                             presign=documents.presign, today=channels.today(),
                             now=channels.now()).as_dict()


function = ChannelFunction("litigation", _deliver)
handler, reset = function.entry(), function.reset
