"""The sentence table: claims of the Peru case written out in English and Spanish must read
exactly as the hand-checked sentences in tests/data/sentences.yaml; and no generated
sentence of the case may show the defects readers reported (doubled full stops, nested
parentheses, exponent notation, empty placeholders, a subsidiary's alias for its parent)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from veeduria.lang import claim_sentence
from veeduria.store.models import Claim, ClaimEntity

TABLE = Path(__file__).parent / "data" / "sentences.yaml"


def _plain(text: str) -> str:
    # The table is written with ordinary spaces; the layer uses no-break spaces in "25 %".
    return text.replace("\u00a0", " ")


@pytest.fixture(scope="module")
def table() -> list[dict[str, str]]:
    rows = yaml.safe_load(TABLE.read_text(encoding="utf-8"))
    assert len(rows) >= 40 and all(r.get("en") and r.get("es") for r in rows)
    return rows


def _claims(store, ids=None) -> dict[str, Claim]:  # noqa: ANN001
    with store.reader() as s:
        q = select(Claim).where(Claim.status == "accepted").options(
            selectinload(Claim.roles).selectinload(ClaimEntity.entity))
        if ids is not None:
            q = q.where(Claim.id.in_(ids))
        claims = {c.id: c for c in s.scalars(q)}
        for c in claims.values():  # load what sentences read before the session closes
            for ce in c.roles:
                _ = ce.entity.meta if ce.entity is not None else None
        s.expunge_all()
    return claims


def test_sentence_table(peru_store, table) -> None:  # noqa: ANN001
    claims = _claims(peru_store, [r["claim"] for r in table])
    missing = [r["claim"] for r in table if r["claim"] not in claims]
    assert not missing, f"claims in the table but not in the case: {missing}"
    wrong = []
    for row in table:
        for lang in ("en", "es"):
            got = _plain(claim_sentence(claims[row["claim"]], lang).text)
            if got != row[lang]:
                wrong.append(f"{row['claim']} [{lang}]\n  expected: {row[lang]}\n  got:      {got}")
    assert not wrong, "\n".join(wrong)


BAD = [
    (re.compile(r"\.\.(?!\.)"), "doubled full stop"),
    (re.compile(r"\([^()]*\("), "parentheses inside parentheses"),
    (re.compile(r"\)\s*\("), "two parentheses in a row"),
    (re.compile(r"\d[eE][+-]?\d"), "exponent notation"),
    (re.compile(r"[{}\[\]]"), "template markup left over"),
    (re.compile(r"\b(\w+) \1\b"), "a word written twice"),
    (re.compile(r"\b(a|de) el\b"), "Spanish contraction missed (al, del)"),
    (re.compile(r"Huawei del Perú (figura|posee|opera)"), "a subsidiary's alias as the actor"),
    (re.compile(r"don[óa] donaci|donated [^.]*donation"), "the verb repeated as its object"),
]


def test_no_generated_sentence_has_known_defects(peru_store) -> None:  # noqa: ANN001
    problems = []
    for cid, claim in sorted(_claims(peru_store).items()):
        for lang in ("en", "es"):
            text = claim_sentence(claim, lang).text
            for pattern, what in BAD:
                if pattern.search(text):
                    problems.append(f"{cid} [{lang}] {what}: {text}")
            if not text[:1].isupper() and not text[:1].isdigit():
                problems.append(f"{cid} [{lang}] does not start with a capital: {text}")
    assert not problems, "\n".join(problems)


def test_api_gives_the_same_sentence(peru_store, table) -> None:  # noqa: ANN001
    """The API's claim text is the sentence reports print, in the reader's language."""
    from fastapi.testclient import TestClient

    from veeduria.present.web import Settings, create_app

    row = next(r for r in table if r["claim"] == "pe-pol-bri-2019")
    with TestClient(create_app(peru_store, settings=Settings())) as client:
        for lang in ("en", "es"):
            client.cookies.set("lang", lang)
            got = client.get(f"/api/claims/{row['claim']}").json()["text"]
            assert _plain(got) == row[lang]
