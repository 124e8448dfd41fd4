"""Server-rendered pages: the debtor portal, then the staff pages. They work without JavaScript.

- ``http.py``: the request and response values, a small router, the security headers every answer carries,
  and the 404 page.
- ``pages.py``: the Jinja2 environment (sandboxed, autoescaped, strict) over ``templates/``.
- ``handler.py``: the Lambda entry (HTTP API, payload 2.0): parse the event, dispatch, answer.
- One module per page family (``portal.py``, ``staff.py``) adds its routes to :data:`relance.web.handler.ROUTES`
  and its templates under ``templates/<family>/``; its tests sit in ``tests/unit/web/``.
"""
