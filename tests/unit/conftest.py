"""Unit tests are pure: any attempt to open a network socket fails the test."""

from __future__ import annotations

import socket

import pytest


class _NoNetwork(socket.socket):
    def __init__(self, *args, **kwargs):
        raise RuntimeError("unit tests must not use the network")


@pytest.fixture(autouse=True)
def _block_sockets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket, "socket", _NoNetwork)
