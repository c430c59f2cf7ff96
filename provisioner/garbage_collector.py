"""The garbage collector's settings in the server's workers (and in the SIP core started alone by bench/).

Standard library only, so that bench/sip_core_alone.py runs the SIP core on any Python 3.11 interpreter
without the server's dependencies.
"""

from __future__ import annotations

import gc

#: The garbage collector's thresholds in the workers (generation 0 allocations, then collections of 0 and 1).
GC_THRESHOLDS = (5000, 20, 100)


def tune_garbage_collector() -> None:
    """Keep the cyclic garbage collector's pauses short while caches hold hundreds of thousands of objects.

    Measured in a boot storm (docs/benchmarks.rst): with the defaults each worker ran about 57 full
    collections in two minutes, up to 230 ms each, every one of them a stall of every request in flight.
    What exists at start (modules, templates, settings) is frozen out of collections, and collections of
    the older generations are made rarer; request garbage is almost all freed by reference counting, and
    what the young generations do not free waits longer, at a bounded cost in memory.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
