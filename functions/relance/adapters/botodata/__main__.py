"""``python -m relance.adapters.botodata``: write ``endpoints.json`` from the installed botocore."""

from . import write

write()
