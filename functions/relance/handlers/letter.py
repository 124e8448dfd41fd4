"""Letter channel (LetterQueue and RegisteredLetterQueue): the PDF letter, stored in S3, then posted
through the configured provider (LETTER_PROVIDER: local stores it only; merci_facteur posts it)."""

from __future__ import annotations

from typing import Any

from ..app.deliver import Channels
from ..app.messages import ChannelMessage
from ..app.runtime import Runtime
from ._channel import ChannelFunction


def _deliver(rt: Runtime, channels: Channels, message: ChannelMessage) -> dict[str, Any]:
    from ..letters.pdf import render_letter_pdf  # fpdf2 is paid for by this function only

    return channels.letter(message, provider=rt.letter_provider, documents=rt.documents,
                           render_pdf=render_letter_pdf).as_dict()


function = ChannelFunction("letter", _deliver)
handler, reset = function.entry(), function.reset
