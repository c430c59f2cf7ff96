"""The scan guard: misses in a window block a source for a while; memory stays bounded."""

from __future__ import annotations

import pytest

from provisioner.provisioning.scan_guard import ScanGuard


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize("misses, spacing, blocked", [
    (4, 1.0, False),     # under the limit
    (5, 1.0, True),      # the limit within the window
    (5, 20.0, False),    # spread over more than the window: the oldest fall out
    (10, 15.0, False),   # never five within any 60 s
    (10, 5.0, True),
])
def test_misses_within_the_window_block(misses, spacing, blocked):
    clock = Clock()
    guard = ScanGuard(max_misses=5, window=60.0, block=600.0, clock=clock)
    result = False
    for _ in range(misses):
        result = guard.miss("203.0.113.9")
        clock.now += spacing
    assert result == blocked
    assert guard.blocked("203.0.113.9") == blocked
    assert not guard.blocked("203.0.113.10")


def test_a_block_ends_after_its_time():
    clock = Clock()
    guard = ScanGuard(max_misses=2, window=60.0, block=600.0, clock=clock)
    guard.miss("a")
    assert guard.miss("a")
    clock.now += 599
    assert guard.blocked("a")
    clock.now += 2
    assert not guard.blocked("a")
    assert not guard.miss("a")  # counting starts again from zero


def test_memory_is_bounded_by_forgetting_idle_sources():
    clock = Clock()
    guard = ScanGuard(max_misses=3, window=60.0, block=600.0, clock=clock, max_sources=100)
    for n in range(1000):
        guard.miss(f"198.51.100.{n}")
    assert len(guard._misses) <= 100
