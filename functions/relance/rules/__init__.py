"""The rule files: loading with positions, schema validation, semantic checks, compiled conditions.

One pipeline (:func:`relance.rules.loader.load_rules`) serves ``relance check``, ``plan``/``simulate``
and the Lambdas. Import what you need from its module (``relance.rules.loader``, ``.model``,
``.conditions``): importing the conditions alone must not pay for YAML and JSON Schema.
"""
