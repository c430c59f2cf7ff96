"""docs/lifecycle.rst shows the lifecycle table as declared: a move added or changed in inventory/lifecycle.py
fails here until the page says the same (the failure prints the rows to paste)."""

from __future__ import annotations

from pathlib import Path

from inventory.equipment import EQUIPMENT_STATES
from inventory.lifecycle import MOVES, RECORDS, Move

PAGE = Path(__file__).resolve().parents[2] / "docs" / "lifecycle.rst"
HEADER = ("Move", "From", "To", "Who (admin always)", "Needs", "May take", "What it does")


def _cell(values) -> str:
    return ", ".join(values) or "—"


def row(move: Move) -> tuple[str, ...]:
    sources = [state for state in EQUIPMENT_STATES if state in move.sources]
    ownership = f" ({move.ownership} items only)" if move.ownership else ""
    return (f"``{move.name}``", _cell(sources) if move.sources else "any state", move.target or "unchanged",
            _cell(sorted(move.roles - {"admin"})), _cell(move.requires), _cell(move.optional),
            move.summary + ownership)


def table_text() -> str:
    """The list-table of every move and record, as docs/lifecycle.rst holds it."""
    lines = [".. list-table::", "   :header-rows: 1", "   :widths: 14 20 12 16 14 14 30", ""]
    for cells in [HEADER, *(row(m) for m in [*MOVES.values(), *RECORDS.values()])]:
        lines.append(f"   * - {cells[0]}")
        lines.extend(f"     - {cell}" for cell in cells[1:])
    return "\n".join(lines) + "\n"


def test_the_page_shows_the_table_as_declared() -> None:
    expected = table_text()
    assert expected in PAGE.read_text(encoding="utf-8"), "docs/lifecycle.rst is out of date; paste:\n\n" + expected
