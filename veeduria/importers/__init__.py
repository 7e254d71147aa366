"""Importers of published datasets and lists (CGIT, AidData, designation lists): rows become
sourced candidate claims whose entities are resolved against the store."""

import veeduria.resolve  # noqa: F401  (registers the resolution tables)
