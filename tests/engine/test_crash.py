"""A 200-job shoot against the Ark fake, SIGKILLed at 20+ random moments and resumed each time.

At the end: the fake billed exactly one create per job, every result is in the media store exactly once, and the
ledger balances against the fake's own token accounting. Jobs a kill left between "submitting" and "submitted"
are reconciled the way a director would: by looking in the provider console (here, the fake's task list, matched
by seed) and telling storyreel what is there.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from storyreel.providers.ark import PRICES
from storyreel.services.film import open_film
from storyreel.services.jobs import list_jobs, resolve_job
from storyreel.store import JobRow, LedgerRow, TakeRow
from tests.fakes.ark import make_app
from tests.fakes.server import FakeClock, serve

MODEL = "doubao-seedance-1-0-pro-250528"
SHOTS, TAKES = 5, 40
KILLS = 22


def _shoot(film_dir: Path, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "storyreel", "shoot", "--takes", str(TAKES)], cwd=film_dir,
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def test_two_hundred_jobs_survive_twenty_kills(film_dir: Path) -> None:
    clock = FakeClock()
    app, fake = make_app(clock=clock)
    # Tasks take real time, so a full shoot outlasts the kill windows however fast the engine gets: 200 jobs at 8 at
    # a time need 25 s of task time, while 22 kills leave each run 0.4–2.0 s (less its start-up).
    fake.task_seconds = 1.0
    with serve(app) as url:
        toml = film_dir / "film.toml"
        toml.write_text(toml.read_text(encoding="utf-8").replace('provider = "previz"', 'provider = "ark"') +
                        f'\n[providers.ark]\nbase_url = "{url}/api/v3"\nmodel = "{MODEL}"\npoll_interval = 0.02\n'
                        "options = { timeout = 10, max_concurrency = 8 }\n", encoding="utf-8")
        rows = "".join(f"{i}A,5,镜头 {i}\n" for i in range(1, SHOTS + 1))
        (film_dir / "shots.csv").write_text("code,seconds,description\n" + rows, encoding="utf-8")
        env = {**os.environ, "ARK_API_KEY": "test-key", "STORYREEL_LANG": "en"}
        subprocess.run([sys.executable, "-m", "storyreel", "shots", "import", "shots.csv"], cwd=film_dir, env=env,
                       check=True, capture_output=True)

        rng = random.Random(20261123)
        killed_mid_run = 0
        for _ in range(KILLS):
            proc = _shoot(film_dir, env)
            time.sleep(rng.uniform(0.4, 2.0))
            if proc.poll() is None:
                killed_mid_run += 1
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        assert killed_mid_run >= 20
        with open_film(film_dir) as film:
            states = [j.state for j in list_jobs(film)]
        # The kills must have landed mid-shoot: work was left in flight for the resume to pick up.
        assert states.count("done") < SHOTS * TAKES
        print(f"after {KILLS} kills: {states.count('done')} done, {len(states)} jobs, "
              f"{states.count('reconcile')} parked for reconcile")

        # Resume to the end, then settle what the kills left unknown, the way a director would.
        for _ in range(3):
            final = _shoot(film_dir, env)
            _, err = final.communicate(timeout=600)
            with open_film(film_dir) as film:
                parked = list_jobs(film, states={"reconcile"})
                by_seed = {t.seed: tid for tid, t in fake.tasks.items()}
                for job in parked:
                    with film.store.session() as s:
                        seed = s.get(JobRow, job.id).spec["seed"]
                    if seed in by_seed:
                        resolve_job(film, job.id, remote_id=by_seed[seed])
                    else:
                        resolve_job(film, job.id, not_created=True)
            if not parked:
                break
        assert final.returncode == 0, err

    with open_film(film_dir) as film, film.store.session() as s:
        jobs = list(s.scalars(select(JobRow)))
        takes = list(s.scalars(select(TakeRow)))
        assert len(jobs) == SHOTS * TAKES and {j.state for j in jobs} == {"done"}
        assert fake.billable_creates == len(jobs)  # one paid create per job, kills or not
        assert len(takes) == len(jobs) and len({t.clip_sha for t in takes}) == len(jobs)
        media = [p for p in film.media.root.rglob("*.mp4")]
        assert len(media) == len(jobs) and all(film.media.verify(t.clip_sha, t.clip_ext) for t in takes)
        assert not list(film.media.root.rglob("*.part"))
        ledger = list(s.scalars(select(LedgerRow)))
        per_job: dict[int, list[str]] = {}
        for r in ledger:
            per_job.setdefault(r.job_id, []).append(r.kind)
        assert all(kinds.count("reserve") == 1 and kinds.count("charge") == 1 for kinds in per_job.values())
        charged = sum(r.amount for r in ledger if r.kind == "charge")
        assert charged == pytest.approx(fake.tokens_billed / 1e6 * PRICES["CNY"][MODEL])
