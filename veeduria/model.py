"""Plain records that flow between stages (extraction, curation, import) and the store.
They carry no database state, so extraction can run anywhere (one process or Dask)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from veeduria.text import parse_partial_date
from veeduria.vocab import ENTITY_SCHEMATA, MODALITIES, STATUSES, domains, predicates, sectors


@dataclass
class Money:
    value: float
    currency: str
    usd: float | None = None
    usd_basis: str | None = None

    def __post_init__(self) -> None:
        self.currency = self.currency.upper()
        if self.usd is None and self.currency == "USD":
            self.usd, self.usd_basis = self.value, self.usd_basis or "stated"


@dataclass
class Quantity:
    value: float
    unit: str | None = None


@dataclass
class EntityRecord:
    id: str
    schema: str
    name: str
    aliases: list[tuple[str, str | None]] = field(default_factory=list)  # (name, lang)
    country: str | None = None
    sector: str | None = None
    description: str | None = None
    identifiers: dict[str, str] = field(default_factory=dict)
    foreign: bool = False
    meta: dict[str, Any] | None = None

    def problems(self) -> list[str]:
        errs = []
        if self.schema not in ENTITY_SCHEMATA:
            errs.append(f"unknown schema {self.schema!r} (expected one of {', '.join(ENTITY_SCHEMATA)})")
        if not self.name or not str(self.name).strip():
            errs.append("missing name")
        if self.sector and self.sector not in sectors():
            errs.append(f"unknown sector {self.sector!r}")
        if self.country and (len(self.country) != 2 or not self.country.isalpha()):
            errs.append(f"bad country {self.country!r}: expected an ISO 3166 alpha-2 code")
        return errs


@dataclass
class ClaimRecord:
    predicate: str
    source_id: str
    quote: str
    entities: list[tuple[str, str]]  # (entity_id, role)
    domain: str
    id: str | None = None
    offsets: tuple[int, int] | None = None
    amount: Money | None = None
    share: float | None = None
    quantity: Quantity | None = None
    date: str | None = None
    place: str | None = None
    sector: str | None = None
    modality: str = "actual"
    qualifier: str | None = None
    status: str = "candidate"
    method: str = "curated"
    confidence: float = 0.9
    note: str | None = None
    country: str | None = None
    case_id: str | None = None
    meta: dict[str, Any] | None = None

    MAX_QUOTE = 160

    def problems(self, known_entities: set[str] | None = None) -> list[str]:
        """Everything wrong with this record, as messages (empty when it is valid)."""
        errs: list[str] = []
        spec = predicates().get(self.predicate)
        if spec is None:
            errs.append(f"unknown predicate {self.predicate!r}")
        if self.domain not in domains():
            errs.append(f"unknown domain {self.domain!r}")
        if self.sector and self.sector not in sectors():
            errs.append(f"unknown sector {self.sector!r}")
        if not self.quote or not self.quote.strip():
            errs.append("missing quote")
        elif len(self.quote) > self.MAX_QUOTE:
            errs.append(f"quote is {len(self.quote)} characters; at most {self.MAX_QUOTE}")
        if not self.entities:
            errs.append("no entities")
        for ent_id, role in self.entities:
            if known_entities is not None and ent_id not in known_entities:
                errs.append(f"unknown entity {ent_id!r}")
            if spec is not None and role not in spec["roles"]:
                errs.append(f"role {role!r} not allowed for {self.predicate} (allowed: {', '.join(spec['roles'])})")
        if self.date is not None:
            try:
                parse_partial_date(str(self.date))
            except ValueError as exc:
                errs.append(str(exc))
        if self.share is not None and not 0 <= self.share <= 1:
            errs.append(f"share {self.share} outside [0, 1]")
        if self.amount is not None and (len(self.amount.currency) != 3 or not self.amount.currency.isalpha()):
            errs.append(f"bad currency {self.amount.currency!r}")
        if self.modality not in MODALITIES:
            errs.append(f"unknown modality {self.modality!r}")
        if self.status not in STATUSES:
            errs.append(f"unknown status {self.status!r}")
        if not 0 <= self.confidence <= 1:
            errs.append(f"confidence {self.confidence} outside [0, 1]")
        return errs

    def fingerprint(self) -> str:
        """Stable id from what the claim says and where: the same statement from the same
        span gets the same id on every run and every worker."""
        key = json.dumps(
            [self.source_id, self.predicate, sorted(self.entities), self.offsets or self.quote,
             asdict(self.amount) if self.amount else None, self.share,
             asdict(self.quantity) if self.quantity else None, self.date],
            sort_keys=True, ensure_ascii=False, default=str,
        )
        return "c-" + hashlib.sha256(key.encode()).hexdigest()[:20]
