"""The dossier's chronology tells who approved the formal notice and when — facts only: the request itself is
relance's bookkeeping and stays out of what the court reads."""

from __future__ import annotations

from datetime import date

from relance.litigation.history import event_text, events_of, timeline

HISTORY = [
    {"invoice": "F1", "kind": "approval_requested", "date": "2026-11-04", "step": "mise_en_demeure",
     "channel": "registered_letter"},
    {"invoice": "F1", "kind": "approved", "date": "2026-11-04", "step": "mise_en_demeure", "channel": "people",
     "by": "julie.perrin@atelier.example",
     "note": "Mise en demeure en recommandé AR ; par julie.perrin@atelier.example"},
    {"invoice": "F1", "kind": "action_planned", "date": "2026-11-05", "step": "mise_en_demeure",
     "channel": "registered_letter"},
    {"invoice": "F1", "kind": "sent", "date": "2026-11-05", "step": "mise_en_demeure",
     "channel": "registered_letter", "tracking_number": "1A00000000001"},
]


def test_the_chronology_says_who_approved_the_formal_notice_and_when():
    told = [(e.day, event_text(e)) for e in timeline([], events_of(HISTORY))]
    assert told == [
        (date(2026, 11, 4), "Envoi approuvé\nMise en demeure en recommandé AR ; par julie.perrin@atelier.example"),
        (date(2026, 11, 5), "Mise en demeure envoyée en recommandé AR"),
    ]


def test_a_timeout_is_told_as_such_never_as_a_person_s_approval():
    events = events_of([{"invoice": "F1", "kind": "approval_timeout", "date": "2026-11-07", "then": "send",
                         "by": "relance", "channel": "people",
                         "note": "Mise en demeure en recommandé AR ; sans réponse 3 jours après la demande, "
                                 "l’envoi part"}])
    (told,) = [event_text(e) for e in timeline([], events)]
    assert told.startswith("Délai d’approbation écoulé sans réponse\n") and "par " not in told
