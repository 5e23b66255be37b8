"""A shoot killed at a random moment resumes where it stopped: no duplicate takes, one reservation and one charge
per job, every take's media in the store."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from storyreel.services.film import open_film
from storyreel.services.plan import list_shots
from storyreel.services.review import list_takes
from storyreel.services.shoot import shoot
from tests.conftest import small_profile


TAKES = 5


def _count_takes(film_dir: Path) -> int:
    db = film_dir / ".storyreel" / "state.db"
    if not db.exists():
        return 0
    try:
        con = sqlite3.connect(db, timeout=5)
        try:
            return con.execute("SELECT count(*) FROM takes").fetchone()[0]
        finally:
            con.close()
    except sqlite3.OperationalError:
        return 0


def test_sigkilled_shoot_resumes_without_duplicates(film_dir: Path) -> None:
    small_profile(film_dir, width=192, height=108, fps=8)
    subprocess.run([sys.executable, "-m", "storyreel", "plan"], cwd=film_dir, check=True, capture_output=True)
    # Kill it several times at different moments (after 2, 5, 8, 11 takes plus a random delay), resuming each time.
    rng = random.Random(1234)
    hits = 0
    for target in (2, 5, 8, 11):
        proc = subprocess.Popen([sys.executable, "-m", "storyreel", "shoot", "--takes", str(TAKES)], cwd=film_dir,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while _count_takes(film_dir) < target and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(rng.uniform(0, 0.3))
        hits += proc.poll() is None
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()

    with open_film(film_dir) as film:
        shots = list_shots(film)
        landed = sum(1 for s in shots for t in list_takes(film, s.code) if t.clip_sha)
        assert hits >= 3 and landed > 0, "the kills should land mid-shoot"
        before = {(s.code, t.number): t.clip_sha for s in shots for t in list_takes(film, s.code) if t.clip_sha}
        report = shoot(film, takes=TAKES)
        assert report.summary.done == len(shots) * TAKES - landed
        for s in shots:
            takes = list_takes(film, s.code)
            assert [t.number for t in takes] == list(range(1, TAKES + 1))
            assert all(t.status == "good" and film.media.verify(t.clip_sha, t.clip_ext) for t in takes)
            assert all(before.get((s.code, t.number), t.clip_sha) == t.clip_sha for t in takes)
    con = sqlite3.connect(film_dir / ".storyreel" / "state.db")
    try:
        jobs = con.execute("SELECT count(*), count(DISTINCT shot_code || '-' || take_number) FROM jobs").fetchone()
        assert jobs[0] == jobs[1] == len(shots) * TAKES
        per_job = con.execute(
            "SELECT job_id, sum(kind='reserve'), sum(kind='charge') FROM ledger GROUP BY job_id").fetchall()
        assert len(per_job) == len(shots) * TAKES
        assert all(r == 1 and c == 1 for _, r, c in per_job), per_job
        assert con.execute("SELECT count(*) FROM jobs WHERE state != 'done'").fetchone()[0] == 0
    finally:
        con.close()
