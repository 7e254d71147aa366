"""Storage: SQLAlchemy models, migrations and the Store handle."""

from veeduria.store.db import Store, open_store, resolve_url
from veeduria.store.models import (
    AuditEvent,
    Base,
    Claim,
    ClaimEntity,
    Entity,
    EntityIdentifier,
    EntityName,
    LoadedCase,
    SearchDoc,
    Source,
)

__all__ = [
    "AuditEvent", "Base", "Claim", "ClaimEntity", "Entity", "EntityIdentifier", "EntityName",
    "LoadedCase", "SearchDoc", "Source", "Store", "open_store", "resolve_url",
]
