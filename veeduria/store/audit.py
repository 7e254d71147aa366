"""The audit trail: one event per change, with who, when and what."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from veeduria.store.models import AuditEvent


def record(session: Session, actor: str, action: str, object_type: str, object_id: str,
           changes: dict[str, Any] | None = None, note: str | None = None) -> AuditEvent:
    event = AuditEvent(actor=actor, action=action, object_type=object_type,
                       object_id=object_id, changes=changes, note=note)
    session.add(event)
    return event
