"""Memory: pausing Python's cycle collector while a piece of work makes many objects.

The collector runs whenever allocations outnumber frees by a threshold, and each of its
passes walks the objects of a generation; after a big one (a landlord's import, the demo)
the oldest generation is large, and a pass over it costs milliseconds. Work that makes
many objects and no garbage cycles (their memory goes back by reference counting) is
cheaper with the collector paused: it runs again afterwards.
"""

import contextlib
import gc


@contextlib.contextmanager
def collector_paused():
    """Pause the collector for the block; it runs again afterwards. An import (or the
    demo's drawing of a landlord) makes millions of dicts that live on, which the
    collector would sweep again and again (~15% of the import; the demo's tuples of rows
    took a second); a push or a pull makes tens of thousands that die with it."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
