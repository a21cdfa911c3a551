"""WSGI entry point: `gunicorn wsgi:app`."""
import gc

from gallery import create_app, malloc
from gallery.services import search

# Memory a request frees stays with the worker for the next one (gallery/malloc.py).
malloc.keep_freed_memory()
app = create_app()
# What start-up loaded lives as long as the worker. Frozen, it is out of the collector's reach:
# a full collection no longer walks those ~150,000 objects in the middle of a request (in process,
# the manage page's p95 went from 67 to 17 ms of CPU and the public gallery page's from 19 to 12).
gc.collect()
gc.freeze()
# The worker opens its search index before its first request, not during it. After the freeze:
# the searcher is replaced after a drain, and a frozen one (its reader and sub-searchers refer to
# each other) would never be collected.
with app.app_context():
    search.warm_up()
# Then room for its searches' arrays, mapped once (gallery/malloc.py).
malloc.warm_heap()
