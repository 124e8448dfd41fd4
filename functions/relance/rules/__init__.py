"""The rule files: loading with positions, schema validation, semantic checks, compiling conditions.

One pipeline (:func:`relance.rules.loader.load_rules`) serves ``relance check``, ``plan``/``simulate``
and the Lambdas. It reads and checks; what it produces is the domain's (:mod:`relance.domain.policy`,
:mod:`relance.domain.conditions`), so the planner never needs this package. Import what you need from its
module (``relance.rules.loader``, ``.conditions``): importing the conditions alone must not pay for YAML
and JSON Schema.
"""
