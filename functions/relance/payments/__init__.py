"""Payments reported by the outside world: verified webhooks turned into payment notices.

``webhooks`` is pure (no AWS, no clock): it checks a request's signature against the configured secrets
and turns a Stripe event or relance's own generic notice into a ``PaymentNotice`` the domain can apply.
"""
