"""The lines of a submitted text around an error's line, for showing where a template override breaks."""

from __future__ import annotations

from dataclasses import dataclass

#: Lines shown before and after the line in error.
AROUND = 3


@dataclass(frozen=True)
class SourceLine:
    """One line of the excerpt: its number (from 1), its text, and whether the error is on it."""

    number: int
    text: str
    in_error: bool


def lines_around(source: str, line: int | None, around: int = AROUND) -> list[SourceLine]:
    """The lines of `source` from `around` before `line` to `around` after it ([] when the line is unknown or
    past the end)."""
    if line is None or line < 1 or around < 0:
        return []
    lines = source.splitlines() or [""]
    if line == len(lines) + 1 and source.endswith(("\n", "\r")):
        lines.append("")  # the empty line after a final newline, where "unexpected end of template" may point
    if line > len(lines):
        return []
    first, last = max(1, line - around), min(len(lines), line + around)
    return [SourceLine(n, lines[n - 1], n == line) for n in range(first, last + 1)]
