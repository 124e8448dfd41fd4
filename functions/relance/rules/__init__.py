"""The rule files: loading with positions, schema validation, semantic checks, compiled conditions.

One pipeline (:func:`relance.rules.loader.load_rules`) serves ``relance check``, ``plan``/``simulate``
and the Lambdas.
"""

from .loader import Diagnostic, LoadResult, RulesError, load_rules
from .model import Rules, Scenario, Segment, Step

__all__ = ["Diagnostic", "LoadResult", "Rules", "RulesError", "Scenario", "Segment", "Step", "load_rules"]
