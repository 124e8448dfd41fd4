"""Imports from accounting software: CSV exports of customers and invoices."""
