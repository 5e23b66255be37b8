"""Hot-path SQL: Core statements compiled once for the film database, run straight on the DB-API cursor.

The job engine writes every state move before its side effect: six moves per job, each a transaction of two or
three statements. Through ``Connection.execute`` each statement costs more Python (an execution context, parameter
processing, result set-up) than SQLite spends running it: about 0.19 ms per move against 0.04 ms on the cursor.
A ``Prepared`` statement is compiled once, for the dialect in use; each call binds its parameters with the column
types' own bind processors (JSON, DateTime, Boolean), so the rows it writes are exactly what the ORM would write
and read back. Column defaults are not applied here: callers pass every column they mean to set.

Only SQLite takes the cursor path. Any other database (team mode's PostgreSQL) runs the same statements through
SQLAlchemy in ``Store.transaction()``, unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import Executable


class Prepared:
    """One statement compiled for ``dialect``; ``bind(params)`` gives the DB-API parameters for one call.

    ``fill`` computes, at each call, columns the caller does not pass (a row's ``created_at``/``updated_at``).
    """

    def __init__(self, stmt: Executable, dialect: Dialect, fill: Mapping[str, Any] | None = None) -> None:
        self.stmt = stmt
        self._fill = dict(fill or {})
        compiled = stmt.compile(dialect=dialect)
        self.sql = compiled.string
        constants = compiled.construct_params(_check=False)  # values fixed in the statement (IN-list literals)
        self._constants = {k: v for k, v in constants.items() if v is not None}
        procs = {name: bind.type.dialect_impl(dialect).bind_processor(dialect) for name, bind in compiled.binds.items()}
        names = list(compiled.positiontup or []) if compiled.positional else list(compiled.binds)
        self._order = [(n, procs.get(n)) for n in names]
        self._positional = compiled.positional
        # SELECT: the column types turn stored values back into Python ones (JSON text into dicts, 0/1 into bools).
        self.columns: list[tuple[str, Any]] = [
            (c.key, c.type.dialect_impl(dialect).result_processor(dialect, None))
            for c in getattr(stmt, "selected_columns", ())]

    def bind(self, params: Mapping[str, Any]) -> tuple | dict:
        fill, constants = self._fill, self._constants
        out = []
        for key, proc in self._order:
            if key in params:
                v = params[key]
            elif key in fill:
                v = fill[key]()
            else:
                v = constants.get(key)
            out.append(proc(v) if proc is not None and v is not None else v)
        return tuple(out) if self._positional else dict(zip((k for k, _ in self._order), out, strict=True))

    def row(self, raw: tuple | None) -> dict[str, Any] | None:
        if raw is None:
            return None
        return {name: (proc(v) if proc is not None else v) for (name, proc), v in zip(self.columns, raw, strict=True)}


def _python_default(column) -> Any:
    """A zero-argument callable giving the column's Python-side default (``default=`` / ``onupdate=``)."""
    default = column.default
    if default.is_callable:
        return lambda: default.arg(None)  # SQLAlchemy wraps the callable to take an execution context
    return lambda: default.arg


def insert_values(table, keys) -> tuple[Executable, dict[str, Any]]:
    """``INSERT`` naming ``keys`` plus every column with a Python-side default, and the fillers for those."""
    from sqlalchemy import bindparam, insert

    fill = {c.key: _python_default(c) for c in table.c
            if c.key not in keys and c.default is not None and not c.primary_key}
    cols = [*keys, *fill]
    return insert(table).values({k: bindparam(k) for k in cols}), fill


def update_fill(table, keys) -> dict[str, Any]:
    """Fillers for the columns with an ``onupdate`` that an UPDATE setting ``keys`` does not set itself."""
    return {c.key: (lambda c=c: c.onupdate.arg(None) if c.onupdate.is_callable else c.onupdate.arg)
            for c in table.c if c.onupdate is not None and c.key not in keys}


def read_one(dbapi_conn, p: Prepared, params: Mapping[str, Any]) -> dict[str, Any] | None:
    """One SELECT in autocommit mode: a single statement is its own consistent snapshot, no BEGIN … COMMIT."""
    cur = dbapi_conn.cursor()
    try:
        cur.execute(p.sql, p.bind(params))
        return p.row(cur.fetchone())
    finally:
        cur.close()


class Batch:
    """The statements of one transaction: ``run`` returns the rows changed, ``one`` the first row as a dict."""

    def __init__(self, cursor=None, conn: Connection | None = None) -> None:
        self._cur = cursor
        self._conn = conn

    def run(self, p: Prepared, params: Mapping[str, Any]) -> int:
        if self._cur is not None:
            self._cur.execute(p.sql, p.bind(params))
            return self._cur.rowcount
        return self._conn.execute(p.stmt, dict(params)).rowcount  # type: ignore[union-attr]

    def one(self, p: Prepared, params: Mapping[str, Any]) -> dict[str, Any] | None:
        if self._cur is not None:
            self._cur.execute(p.sql, p.bind(params))
            return p.row(self._cur.fetchone())
        row = self._conn.execute(p.stmt, dict(params)).first()  # type: ignore[union-attr]
        return dict(row._mapping) if row is not None else None


@contextmanager
def cursor_transaction(dbapi_conn) -> Iterator[Batch]:
    """BEGIN … COMMIT on a DB-API connection in autocommit mode (see ``db._on_connect``); ROLLBACK on error."""
    cur = dbapi_conn.cursor()
    cur.execute("BEGIN")
    try:
        yield Batch(cursor=cur)
    except BaseException:
        cur.execute("ROLLBACK")
        raise
    else:
        cur.execute("COMMIT")
    finally:
        cur.close()
