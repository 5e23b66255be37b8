from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from storyreel.store import Store, table_names
from storyreel.store.db import alembic_config
from storyreel.store.tables import Base


def test_fresh_database_is_migrated_to_head_in_wal_mode(tmp_path: Path) -> None:
    store = Store(tmp_path / "state.db")
    assert table_names(store.engine) == ["alembic_version", "cut_clips", "events", "jobs", "keyframes", "ledger", "shots",
                                         "takes"]
    with store.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0003"


def test_migrations_match_the_orm_tables(tmp_path: Path) -> None:
    # A column added to tables.py without a migration (or the reverse) fails here, not in a user's film.
    store = Store(tmp_path / "state.db")
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_reopening_keeps_data_and_does_not_remigrate(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    store = Store(db)
    with store.engine.begin() as conn:
        conn.execute(text("INSERT INTO events (type, payload, created_at) VALUES ('x', '{}', '2026-01-01')"))
    store.close()
    again = Store(db)
    with again.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM events")).scalar() == 1


def test_downgrade_to_base_and_back(tmp_path: Path) -> None:
    from alembic import command

    store = Store(tmp_path / "state.db")
    cfg = alembic_config(str(store.engine.url))
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
    assert table_names(store.engine) == ["alembic_version"]
    store.close()
    assert "jobs" in table_names(Store(tmp_path / "state.db").engine)


def test_upgrade_from_0001_keeps_rows_and_fills_defaults(tmp_path: Path) -> None:
    from alembic import command
    from sqlalchemy import create_engine

    db = tmp_path / "state.db"
    engine = create_engine(f"sqlite:///{db}")
    cfg = alembic_config(str(engine.url))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
        conn.execute(text(
            "INSERT INTO jobs (shot_code, take_number, provider, lane, state, spec, client_ref, attempts, created_at,"
            " updated_at) VALUES ('1A', 1, 'previz', 'video', 'done', '{}', 'ref1', 1, '2026-01-01', '2026-01-01')"))
        # A take pointing at the job: rebuilding the jobs table must not trip over it.
        conn.execute(text(
            "INSERT INTO takes (shot_code, number, job_id, provider, seed, frames, fps, width, height, status, prompt,"
            " created_at) VALUES ('1A', 1, 1, 'previz', 1, 24, 24, 64, 64, 'good', '', '2026-01-01')"))
    engine.dispose()
    store = Store(db)  # opening a film migrates it to head
    with store.engine.connect() as conn:
        row = conn.execute(text("SELECT client_ref, remote_data, estimate, draft FROM jobs")).one()
    assert tuple(row) == ("ref1", "{}", 0.0, 0)
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT job_id, draft, cost FROM takes")).one() == (1, 0, 0.0)
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert "_alembic_tmp_jobs" not in table_names(store.engine)


def test_a_failed_migration_leaves_the_database_as_it_was(tmp_path: Path) -> None:
    from alembic import command
    from sqlalchemy import create_engine

    db = tmp_path / "state.db"
    engine = create_engine(f"sqlite:///{db}")
    cfg = alembic_config(str(engine.url))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
        # Sabotage: a table the 0002 batch rebuild will collide with.
        conn.execute(text("CREATE TABLE _alembic_tmp_takes (x INTEGER)"))
    engine.dispose()
    import pytest

    from storyreel.errors import FilmError

    with pytest.raises(FilmError):
        Store(db)
    check = create_engine(f"sqlite:///{db}")
    with check.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0001"
        cols = [r[1] for r in conn.execute(text("PRAGMA table_info(jobs)"))]
    assert "remote_data" not in cols  # the jobs part of 0002 was rolled back too


def test_a_film_folder_named_in_chinese_opens(tmp_path: Path) -> None:
    store = Store(tmp_path / "夜渡 100%" / ".storyreel" / "state.db")
    assert "jobs" in table_names(store.engine)
