"""The geometry of a horizontal bar chart, drawn as inline SVG by templates/bar_chart.svg.html."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Bar:
    """One bar: its label, its value, its top and its length, in SVG units."""

    label: str
    value: int
    y: float
    length: float


@dataclass(frozen=True)
class BarChart:
    """Bars laid out one under the other, labels on the left and values after each bar."""

    bars: tuple[Bar, ...]
    width: float
    height: float
    label_width: float
    bar_height: float


def bar_chart(values: list[tuple[str, int]], width: float = 640, label_width: float = 190,
              bar_height: float = 22, gap: float = 10, value_room: float = 60) -> BarChart:
    """Lay out one bar per (label, value); the longest bar fills the room left by the labels and the values."""
    room = width - label_width - value_room
    largest = max((value for _, value in values), default=0)
    bars = tuple(Bar(label, value, gap + index * (bar_height + gap),
                     room * value / largest if largest else 0.0)
                 for index, (label, value) in enumerate(values))
    return BarChart(bars, width, gap + len(values) * (bar_height + gap), label_width, bar_height)
