"""The collection dashboard: figures computed from the invoices and their history at a date (``kpis``),
rendered as one self-contained French HTML page (``html``) and as a CSV of the same figures (``csv``).
"""
