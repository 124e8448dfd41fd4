"""Inbound e-mail: what a debtor (or their mail server) writes back to a reminder.

The entry point is :func:`relance.inbound.mime.parse_message` — a raw RFC 5322 message (as SES stores it in
S3) in, an :class:`~relance.inbound.mime.InboundMessage` out. Matching a reply to the reminder it answers
(``In-Reply-To``/``References`` against the Message-ID recorded at sending) and what it then changes (a
promise to pay, a dispute, an out-of-office reply that changes nothing) belong to ``app/``, with its handler
in ``handlers/``, when inbound mail is wired.
"""
