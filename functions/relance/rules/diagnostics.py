"""A finding about the rule files, named FILE:LINE:COL: what the loader and the template checks report.

Its own module so that the template checks, which the loader runs, need not import the loader back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ERROR, WARNING = "error", "warning"


@dataclass(frozen=True, slots=True, order=True)
class Diagnostic:
    file: str
    line: int
    column: int
    severity: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.severity}: {self.message}"

    def as_json(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "column": self.column, "severity": self.severity,
                "message": self.message}
