"""Litigation: the injonction de payer dossier a creditor files with the court once reminders have failed.

``documents`` renders its three PDFs (the requête, the décompte, the chronology) from plain facts; it imports
fpdf2, so only the code that builds a dossier pays for it.
"""
