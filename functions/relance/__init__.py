"""relance — automated dunning for French SMEs.

The package is shipped whole to every Lambda (one ``CodeUri``) and installed by ``pip install -e .``
for the command line. ``relance.domain`` is pure; ``relance.rules`` loads and checks the rule files.
"""

__version__ = "0.1.0"
