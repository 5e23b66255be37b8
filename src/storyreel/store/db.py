"""Open a film's database: SQLite in WAL mode, schema brought to head by Alembic.

All SQL in storyreel goes through this package. Sessions are short: a unit of work opens, commits, closes.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, inspect
from sqlalchemy.orm import Session, sessionmaker

from storyreel.errors import FilmError, OutputNotWritable
from storyreel.store.prepared import Batch, Prepared, cursor_transaction, read_one

MIGRATIONS = Path(__file__).with_name("migrations")


def _on_connect(dbapi_conn: sqlite3.Connection, _record: object) -> None:
    # pysqlite only opens transactions before DML, so a schema change half done by a crash would stay half done.
    # Taking BEGIN into our own hands (see _on_begin) makes DDL transactional: a migration lands whole or not.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    # WAL lets the studio read while the engine writes; busy_timeout rides out short write locks.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=5000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _on_begin(conn) -> None:
    # Straight to sqlite3: this runs for every unit of work, and SQLAlchemy's statement machinery around a bare
    # BEGIN cost as much as the engine's UPDATE of a state move.
    conn.connection.driver_connection.execute("BEGIN")


def alembic_config(url: str):  # -> alembic.config.Config, imported lazily: alembic is slow to import
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    # ConfigParser treats '%' as interpolation; a film folder named in Chinese (or with a '%') has them in its URL.
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(engine: Engine) -> None:
    """Bring the schema to head, in one transaction: a migration lands whole or not at all."""
    from alembic import command
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    cfg = alembic_config(str(engine.url))
    head = ScriptDirectory.from_config(cfg).get_current_head()
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    if current == head:
        return
    with engine.connect() as conn:
        # Batch migrations rebuild tables; with foreign keys enforced, dropping the old table would fail on rows
        # that point at it. The pragma only takes effect outside a transaction.
        raw = conn.connection.dbapi_connection  # straight to sqlite3: SQLAlchemy would wrap it in BEGIN
        raw.execute("PRAGMA foreign_keys=OFF")
        try:
            with conn.begin():
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
                problems = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if problems:
                    raise RuntimeError(f"migration left dangling references: {problems[:3]}")
        finally:
            raw.execute("PRAGMA foreign_keys=ON")


def open_engine(db_path: Path, *, migrate: bool = True) -> Engine:
    db_path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(f"sqlite:///{db_path}", future=True)
    event.listen(engine, "connect", _on_connect)
    event.listen(engine, "begin", _on_begin)
    try:
        if migrate:
            upgrade(engine)
    except Exception as exc:  # sqlite3.OperationalError arrives wrapped; name the file for the director
        msg = str(getattr(exc, "orig", exc))
        if any(w in msg for w in ("readonly", "unable to open", "disk I/O error", "disk is full")):
            raise OutputNotWritable(
                f"Cannot write the film database {db_path}: {msg}.",
                zh=f"无法写入影片数据库 {db_path}：{msg}。",
            ) from exc
        raise FilmError(f"The film database {db_path} cannot be opened: {msg}.", zh=f"无法打开影片数据库 {db_path}：{msg}。") from exc
    return engine


def table_names(engine: Engine) -> list[str]:
    return sorted(inspect(engine).get_table_names())


class Store:
    """The film's database handle; ``with store.session() as s:`` is one committed unit of work."""

    def __init__(self, db_path: Path, *, migrate: bool = True) -> None:
        self.path = db_path
        self.engine = open_engine(db_path, migrate=migrate)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._writer: Connection | None = None  # transaction()'s connection, kept open between its units of work
        self._writer_lock = threading.RLock()

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._sessions() as s:
            with s.begin():
                yield s

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """``with store.transaction() as conn:`` is one committed unit of work in SQLAlchemy Core: for hot paths
        (the job engine's state moves) where an ORM session's identity map and flush cost more than the SQL.

        It runs on one connection kept open for it: checking a connection out of the pool and resetting it on return
        cost about as much as a state move's statements. The lock keeps that connection to one thread at a time (a
        nested call fails loudly in ``begin``, it does not deadlock)."""
        with self._writer_lock:
            if self._writer is None or self._writer.closed:
                self._writer = self.engine.connect()
            with self._writer.begin():
                yield self._writer

    def prepare(self, stmt, *, fill=None) -> Prepared:
        """Compile a hot-path statement once for this database (see ``store.prepared``)."""
        return Prepared(stmt, self.engine.dialect, fill)

    @contextmanager
    def fast_transaction(self) -> Iterator[Batch]:
        """``transaction()`` for ``Prepared`` statements: on SQLite straight on the kept connection's cursor, on any
        other database through SQLAlchemy as usual."""
        with self._writer_lock:
            if self._writer is None or self._writer.closed:
                self._writer = self.engine.connect()
            if self.engine.dialect.name != "sqlite":
                with self._writer.begin():
                    yield Batch(conn=self._writer)
                return
            # The kept connection is idle between units of work (no SQLAlchemy transaction open on it), so the
            # cursor may run its own BEGIN … COMMIT.
            with cursor_transaction(self._writer.connection.driver_connection) as batch:
                yield batch

    def read_one(self, p: Prepared, params) -> dict | None:
        """One prepared SELECT outside any unit of work (see ``prepared.read_one``)."""
        with self._writer_lock:
            if self._writer is None or self._writer.closed:
                self._writer = self.engine.connect()
            if self.engine.dialect.name != "sqlite":
                with self._writer.begin():
                    return Batch(conn=self._writer).one(p, params)
            return read_one(self._writer.connection.driver_connection, p, params)

    def close(self) -> None:
        with self._writer_lock:
            if self._writer is not None:
                self._writer.close()
                self._writer = None
        self.engine.dispose()
