"""Settings of the Python process every `ehrenamt` command runs in."""

from __future__ import annotations

import gc

# CPython collects reference cycles among its youngest objects after every 700 net allocations.
# A planning run or a batch of digests holds hundreds of thousands of objects for a moment; with
# 700, most of them live through a young collection, are promoted, and each time enough were
# promoted every object in the process is scanned again: a third of a large planning run went
# there. Collecting the young every 200,000 allocations lets such batches die young (a young
# collection then takes tens of milliseconds at most, in a large planning run). Reference
# counting frees everything else as before; reference cycles wait a little longer to be freed.
GC_THRESHOLDS = (200_000, 20, 20)


def tune_garbage_collector() -> None:
    gc.set_threshold(*GC_THRESHOLDS)
