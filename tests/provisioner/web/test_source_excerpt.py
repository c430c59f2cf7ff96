"""The lines shown around a template override's error: which ones, numbered from 1, the error's marked."""

from __future__ import annotations

import pytest

from provisioner.web.admin.source_excerpt import SourceLine, lines_around

TEN = "".join(f"line {n}\n" for n in range(1, 11))


def numbers(excerpt: list[SourceLine]) -> list[int]:
    return [line.number for line in excerpt]


@pytest.mark.parametrize("source, line, around, expected", [
    (TEN, 5, 3, [2, 3, 4, 5, 6, 7, 8]),
    (TEN, 1, 3, [1, 2, 3, 4]),  # nothing before the first line
    (TEN, 10, 3, [7, 8, 9, 10]),  # nothing after the last
    (TEN, 11, 3, [8, 9, 10, 11]),  # the empty line after the final newline, where an unclosed block ends
    (TEN, 12, 3, []),  # past the end: no excerpt rather than a wrong one
    (TEN, 0, 3, []),
    (TEN, None, 3, []),
    (TEN, 4, 0, [4]),
    ("a\r\nb\r\nc", 2, 1, [1, 2, 3]),  # Windows line ends count as one
    ("", 1, 3, [1]),
    ("only", 1, 3, [1]),
])
def test_the_lines_around_an_error(source, line, around, expected) -> None:
    assert numbers(lines_around(source, line, around)) == expected


def test_the_line_in_error_is_marked_with_its_text() -> None:
    excerpt = lines_around("one\ntwo\n{{ three }}\nfour\n", 3)
    assert [line for line in excerpt if line.in_error] == [SourceLine(3, "{{ three }}", True)]
    assert [line.text for line in excerpt] == ["one", "two", "{{ three }}", "four"]
