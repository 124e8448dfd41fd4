"""Phone channel (PhoneQueue): one call task per message, gathered into each account manager's daily digest."""

from __future__ import annotations

from typing import Any

from ..app.deliver import Channels
from ..app.messages import ChannelMessage
from ..app.runtime import Runtime
from ._channel import ChannelFunction


def _deliver(rt: Runtime, channels: Channels, message: ChannelMessage) -> dict[str, Any]:
    return channels.phone(message).as_dict()


function = ChannelFunction("phone", _deliver)
handler, reset = function.entry(), function.reset
