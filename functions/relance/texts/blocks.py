"""The small markup a PDF's template writes and its layout code reads.

A line ``@kind option=value …`` opens a block; the lines after it, up to the next ``@``, are its text. In a
paragraph or a heading the lines are joined with a space, so a long sentence may be wrapped in the template;
``- `` starts an item (bullets, the paragraphs of a box); `` | `` separates a table's cells and a line starting
with ``= `` is a total row. Values the template prints are escaped (``\\n``, ``\\|``, ``\\@``, ``\\\\``): data
never opens a block nor splits a row, and a line break inside a value survives to the layout.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_ESCAPES = {"\\": "\\\\", "\n": "\\n", "|": "\\|", "@": "\\@"}
_UNESCAPE = re.compile(r"\\(.)")
_CELL = re.compile(r"(?<!\\)(?:\\\\)*\|")


def escape(value: str) -> str:
    return "".join(_ESCAPES.get(c, c) for c in value)


def unescape(text: str) -> str:
    return _UNESCAPE.sub(lambda m: "\n" if m.group(1) == "n" else m.group(1), text)


@dataclass(frozen=True, slots=True)
class Block:
    kind: str
    options: dict[str, str] = field(default_factory=dict)
    lines: tuple[str, ...] = ()  # as written, still escaped

    def option(self, name: str, default: str = "") -> str:
        return self.options.get(name, default)

    def number(self, name: str, default: float) -> float:
        return float(self.options[name]) if name in self.options else default

    @property
    def text(self) -> str:
        """The lines as one paragraph."""
        return unescape(" ".join(self.lines))

    @property
    def each(self) -> list[str]:
        """Each line as it is (an address, a signature)."""
        return [unescape(line) for line in self.lines]

    @property
    def items(self) -> list[str]:
        """``- `` items, each with its continuation lines."""
        out: list[list[str]] = []
        for line in self.lines:
            if line.startswith("- ") or not out:
                out.append([line.removeprefix("- ")])
            else:
                out[-1].append(line)
        return [unescape(" ".join(words)) for words in out]

    @property
    def rows(self) -> list[list[str]]:
        return [_cells(line) for line in self.lines if not line.startswith("= ")]

    @property
    def totals(self) -> list[list[str]]:
        return [_cells(line.removeprefix("= ")) for line in self.lines if line.startswith("= ")]


def _cells(line: str) -> list[str]:
    cells, start = [], 0
    for match in _CELL.finditer(line):
        end = match.end() - 1
        cells.append(line[start:end])
        start = match.end()
    cells.append(line[start:])
    return [unescape(c.strip()) for c in cells]


def parse(text: str) -> list[Block]:
    blocks: list[Block] = []
    kind, options, lines = "", {}, []
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("@"):
            if kind:
                blocks.append(Block(kind, options, tuple(lines)))
            head, *rest = line[1:].split()
            kind, options, lines = head, dict(word.split("=", 1) for word in rest), []
        elif line:
            if not kind:
                raise ValueError(f"text before the first block: {line!r}")
            lines.append(line)
    if kind:
        blocks.append(Block(kind, options, tuple(lines)))
    return blocks
