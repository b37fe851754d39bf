"""Loaders: one module per source. Parsing and validation are pure functions that yield records
and rejects; writing is the store's job (``kg.store``)."""
