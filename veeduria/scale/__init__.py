"""Corpus-scale ingestion (the same extraction on a Dask cluster, written to the store in
batches), a bulk writer, and a synthetic corpus and store for benchmarks. No tables of its
own: migration 0003_scale only adds indexes to the core tables."""
