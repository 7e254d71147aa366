"""Candidate claims from document text: pure functions over (text, metadata, gazetteer)."""

from veeduria.extract.dedupe import ClaimIndex
from veeduria.extract.engine import METHOD, DocMeta, Extraction, extract
from veeduria.extract.gazetteer import EntityInfo, Gazetteer, Mention

__all__ = ["METHOD", "ClaimIndex", "DocMeta", "EntityInfo", "Extraction", "Gazetteer", "Mention", "extract"]
