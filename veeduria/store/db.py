"""Opening the store: resolve the database URL, create the engine, run migrations."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).parent / "migrations"
SQLITE_TIMEOUT = 5.0


def default_db_path() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("veeduria", appauthor=False)) / "veeduria.db"


def resolve_url(db: str | None = None) -> str:
    """`db` (or $VEEDURIA_DB) may be an SQLAlchemy URL or a file path; default: the
    embedded SQLite file in the user's data directory."""
    db = db or os.environ.get("VEEDURIA_DB")
    if not db:
        path = default_db_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{path}"
    if "://" in db:
        if db.startswith("postgresql://"):
            # psycopg 3 is the driver we ship.
            db = "postgresql+psycopg://" + db[len("postgresql://"):]
        return db
    path = Path(db).expanduser().resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # noqa: ANN001
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        # Each statement waits this long for another writer's lock; callers that must not fail
        # (ingest batches, reviews, editor writes) retry with backoff (veeduria.store.busy).
        timeout = float(os.environ.get("VEEDURIA_SQLITE_TIMEOUT", SQLITE_TIMEOUT))
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": timeout})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def alembic_config(engine: Engine | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if engine is not None:
        cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return cfg


def migrate(engine: Engine) -> None:
    """Bring the schema to the latest revision (creates it on an empty database)."""
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "heads")


class Store:
    """A handle on one database. `session()` is a transaction: it commits when the block
    ends and rolls back everything if it raises."""

    def __init__(self, url: str, engine: Engine) -> None:
        self.url = url
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        s = self._sessions()
        try:
            yield s
            s.commit()
        except BaseException:
            s.rollback()
            raise
        finally:
            s.close()

    def reader(self) -> Session:
        """A session for reads; the caller closes it."""
        return self._sessions()

    def table_names(self) -> list[str]:
        return inspect(self.engine).get_table_names()

    def dispose(self) -> None:
        self.engine.dispose()


def open_store(db: str | None = None, *, migrate_schema: bool = True) -> Store:
    url = resolve_url(db)
    engine = make_engine(url)
    if migrate_schema:
        migrate(engine)
    return Store(url, engine)
