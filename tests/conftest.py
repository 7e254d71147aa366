"""Shared fixtures. Every store test runs on SQLite and on PostgreSQL.

PostgreSQL: $VEEDURIA_TEST_PG is an admin URL (default postgresql://postgres@127.0.0.1:5432/postgres);
tests create and drop their own databases. Where no server answers, PostgreSQL tests skip
with the reason shown, unless $VEEDURIA_REQUIRE_PG=1 (CI), where they fail instead."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from veeduria.store import Store, open_store

ROOT = Path(__file__).resolve().parent.parent


def _shared_dir() -> Path:
    """The project's shared folder: $VEEDURIA_SHARED, else ../shared beside the checkout,
    else the workplace's /work/shared (a clone made elsewhere, as CI may do)."""
    if os.environ.get("VEEDURIA_SHARED"):
        return Path(os.environ["VEEDURIA_SHARED"])
    for candidate in (ROOT.parent / "shared", Path("/work/shared")):
        if (candidate / "seeds").is_dir():
            return candidate
    return ROOT.parent / "shared"


SHARED = _shared_dir()
SEED = SHARED / "seeds" / "000_1ce2c6198646e70e.txt"
REFDATA = SHARED / "refdata"
SPEC = SHARED / "spec"
DATA = Path(__file__).parent / "data"
PG_ADMIN = os.environ.get("VEEDURIA_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
BACKENDS = ["sqlite", "postgresql"]

_pg_error: str | None = None
_pg_checked = False


def pg_available() -> str | None:
    """None when PostgreSQL answers, else the reason it does not."""
    global _pg_checked, _pg_error
    if not _pg_checked:
        _pg_checked = True
        try:
            eng = create_engine(PG_ADMIN, connect_args={"connect_timeout": 3})
            with eng.connect() as conn:
                conn.execute(text("SELECT 1"))
            eng.dispose()
        except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
            _pg_error = f"PostgreSQL not reachable at {PG_ADMIN}: {exc.__class__.__name__}: {str(exc)[:200]}"
    return _pg_error


def _need_pg() -> None:
    reason = pg_available()
    if reason:
        if os.environ.get("VEEDURIA_REQUIRE_PG") == "1":
            pytest.fail(reason + " (VEEDURIA_REQUIRE_PG=1)")
        pytest.skip(reason)


def _admin_exec(sql: str) -> None:
    eng = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with eng.connect() as conn:
        conn.execute(text(sql))
    eng.dispose()


class PgDatabase:
    def __init__(self) -> None:
        self.name = f"veeduria_test_{uuid.uuid4().hex[:12]}"
        _admin_exec(f'CREATE DATABASE "{self.name}"')
        self.url = PG_ADMIN.rsplit("/", 1)[0] + "/" + self.name

    def drop(self) -> None:
        _admin_exec(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def make_store(backend: str, tmp: Path) -> tuple[Store, PgDatabase | None]:
    if backend == "sqlite":
        return open_store(str(tmp / "store.db")), None
    _need_pg()
    db = PgDatabase()
    return open_store(db.url), db


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def store(backend: str, tmp_path: Path) -> Iterator[Store]:
    """An empty, migrated store."""
    st, db = make_store(backend, tmp_path)
    yield st
    st.dispose()
    if db:
        db.drop()


@pytest.fixture(scope="session")
def seed_path() -> Path:
    if not SEED.is_file():
        pytest.fail(f"the seed report is missing at {SEED}; set $VEEDURIA_SHARED to the shared folder")
    return SEED


@pytest.fixture(scope="session", params=BACKENDS)
def peru_store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
               seed_path: Path) -> Iterator[Store]:
    """A store with the Peru case loaded and the report ingested. Read-only: do not write."""
    from veeduria.cases.loader import load_case
    from veeduria.sources.document import read_text_file
    from veeduria.sources.store_docs import store_document

    st, db = make_store(request.param, tmp_path_factory.mktemp(f"peru-{request.param}"))
    load_case(st, "pe_prc")
    with st.session() as s:
        store_document(s, read_text_file(seed_path), "test")
    yield st
    st.dispose()
    if db:
        db.drop()


@pytest.fixture
def mini_case(tmp_path: Path) -> Path:
    """A writable copy of the small test case."""
    dest = tmp_path / "mini_case"
    shutil.copytree(DATA / "mini_case", dest)
    return dest
