"""Engine throughput: N jobs against the Ark fake with a fixed task latency L and a concurrency cap C.

Baseline (same run, by construction): the ideal wall time ⌈N/C⌉·L of a scheduler that keeps all C slots busy
and wastes nothing. Prints the ratio (goal ≤ 1.10) and CPU time per job measured in this process while the fake
runs in a separate process so its CPU is not counted.

Two runs of the same N jobs, same C and L:
1. through the real Ark adapter over loopback HTTP to the fake — the wall-time ratio, and the CPU per job of engine
   *plus* adapter (JSON, HTTP client, download);
2. through an in-process provider with the same protocol and latency (no HTTP) — the engine's own CPU per job
   (state moves, ledger, events, scheduling, polling plan, hashing into the media store): goal ≤ 2 ms.

    python bench/shoot_throughput.py [--jobs 400] [--cap 16] [--latency 0.5] [--poll 0.02] [--phases]
                                     [--profile engine.prof]

It also prints the adapter calls per job (each an HTTP round trip); ``--phases`` the mean time a job spends in each
state; ``--profile`` writes a cProfile of ``Engine.run`` alone (read it with ``python -m pstats``).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FAKE = """
import sys, time, uvicorn
sys.path.insert(0, {root!r})
from tests.fakes.ark import make_app
from tests.fakes.server import FakeClock
app, fake = make_app(clock=FakeClock())
fake.task_seconds = {latency}
fake.max_active_tasks = {cap}
uvicorn.run(app, host="127.0.0.1", port={port}, log_level="warning", access_log=False)
"""


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=400)
    ap.add_argument("--cap", type=int, default=16)
    ap.add_argument("--latency", type=float, default=0.5)
    ap.add_argument("--poll", type=float, default=0.02)
    ap.add_argument("--repeat", type=int, default=3, help="in-process runs (the median is printed)")
    ap.add_argument("--phases", action="store_true", help="also print the mean time a job spends in each state")
    ap.add_argument("--profile", metavar="PATH", help="write cProfiles of Engine.run (wall-clock timer) to PATH.http and PATH.local")
    args = ap.parse_args()

    # The in-process runs first, while this process is as fresh as a real `storyreel shoot` (after the HTTP run its
    # heap holds the client's pools and caches, and every collection costs more). Several runs, median: CPU time
    # on a shared VM varies from run to run.
    local = []
    for _ in range(args.repeat):
        gc.collect()
        with tempfile.TemporaryDirectory() as tmp:
            local.append(asyncio.run(_run(Path(tmp), None, args))[:2])
    wall_local = statistics.median(w for w, _ in local)
    cpu_local = statistics.median(c for _, c in local)
    port = free_port()
    fake = subprocess.Popen([sys.executable, "-c", FAKE.format(root=str(ROOT), latency=args.latency,
                                                               cap=args.cap, port=port)])
    try:
        _wait_for(port)
        with tempfile.TemporaryDirectory() as tmp:
            wall, cpu, calls, phases = asyncio.run(_run(Path(tmp), port, args))
    finally:
        fake.terminate()
        fake.wait()
    ideal = math.ceil(args.jobs / args.cap) * args.latency
    print(f"jobs {args.jobs}, cap {args.cap}, latency {args.latency:g} s, poll {args.poll:g} s")
    print(f"ideal ⌈N/C⌉·L                {ideal:7.2f} s (baseline)")
    print(f"wall time, Ark over HTTP      {wall:7.2f} s  ratio {wall / ideal:.3f}  goal ≤ 1.10")
    print(f"wall time, in-process         {wall_local:7.2f} s  ratio {wall_local / ideal:.3f}")
    print(f"engine CPU per job            {cpu_local / args.jobs * 1000:7.2f} ms  goal ≤ 2 ms (in-process provider, "
          f"median of {args.repeat}; its own CPU taken out)")
    print(f"engine + Ark adapter CPU/job  {cpu / args.jobs * 1000:7.2f} ms  (HTTP client, JSON, download)")
    print("provider calls/job            " + "  ".join(f"{k} {v / args.jobs:.2f}" for k, v in calls.items()))
    if args.phases:
        print("mean s in state      " + "  ".join(f"{k} {v:.4f}" for k, v in phases.items()))


def _wait_for(port: int) -> None:
    import socket

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("fake did not start")


class LocalProvider:
    """The provider protocol with the fake's latency and cap, in process: what is left is the engine's own work.

    Its methods never await, so the process CPU time spent inside them (``self.cpu``: writing the "downloaded"
    file, building handles) is exactly the provider's share, and is taken out of the engine's figure."""

    name = "bench"

    def __init__(self, cap: int, latency: float, workdir: Path) -> None:
        from storyreel.model import Lane
        from storyreel.providers.base import Capabilities, ModelInfo

        self.latency = latency
        self._caps = Capabilities(lanes=frozenset({Lane.VIDEO}), models=(ModelInfo("bench-1", Lane.VIDEO, ("t2v",)),),
                                  max_concurrency=cap)
        self._n = 0
        self.cpu = 0.0

    def capabilities(self):
        return self._caps

    def estimate(self, spec):
        from storyreel.providers.base import Estimate

        return Estimate(0.01, "CNY", "bench")

    def check(self, spec) -> None:
        return None

    async def submit(self, spec, *, client_ref: str):
        from storyreel.providers.base import Handle

        t0 = time.process_time()
        self._n += 1
        handle = Handle(remote_id=f"t{self._n}", data={"at": time.monotonic()})
        self.cpu += time.process_time() - t0
        return handle

    async def poll(self, handle):
        from storyreel.providers.base import Status

        t0 = time.process_time()
        ready = time.monotonic() - handle.data["at"] >= self.latency
        status = Status("succeeded" if ready else "running")
        self.cpu += time.process_time() - t0
        return status

    async def fetch(self, handle, spec, dest: Path):
        from storyreel.providers.base import Result

        t0 = time.process_time()
        dest.mkdir(parents=True, exist_ok=True)
        clip = dest / "clip.mp4"
        clip.write_bytes(handle.remote_id.encode() * 512)  # distinct bytes per take, hashed into the store
        result = Result(clip=clip, keyframe=None, cost=0.01, usage={"tokens": 1})
        self.cpu += time.process_time() - t0
        return result

    async def lookup(self, client_ref: str):
        return None

    async def cancel(self, handle) -> None:
        return None

    async def aclose(self) -> None:
        return None


async def _run(tmp: Path, port: int | None, args) -> tuple[float, float, dict[str, int], dict[str, float]]:
    from storyreel.engine import Engine
    from storyreel.providers import ProviderSettings, get_provider
    from storyreel.services.film import new_film, open_film
    from storyreel.services.shoot import plan_jobs
    from storyreel.services.shotlist import import_csv

    os.environ["ARK_API_KEY"] = "test-key"
    root = new_film(tmp / "film", language="en")
    csv = tmp / "shots.csv"
    csv.write_text("code,seconds,description\n1A,5,rain\n", encoding="utf-8")
    film = open_film(root)
    import_csv(film, csv)
    from storyreel.services.plan import list_shots

    shot = list_shots(film)[0]
    if port is None:
        provider = LocalProvider(args.cap, args.latency, film.state_dir / "work")
        model = "bench-1"
    else:
        provider = get_provider("ark", workdir=film.state_dir / "work", settings=ProviderSettings(
            base_url=f"http://127.0.0.1:{port}/api/v3", options={"max_concurrency": args.cap, "timeout": 30}))
        model = "doubao-seedance-1-0-pro-250528"
    jobs = plan_jobs(film, [(shot, n) for n in range(1, args.jobs + 1)], provider=provider, model=model, draft=False)
    # Count the adapter calls the engine makes (each an HTTP round trip: CPU here and at the provider).
    calls = {"submit": 0, "poll": 0, "fetch": 0}
    for name in calls:
        def counted(*a, _call=getattr(provider, name), _name=name, **kw):
            calls[_name] += 1
            return _call(*a, **kw)
        setattr(provider, name, counted)
    # --phases: when each job entered each state, from the engine's own events (the listener costs a little CPU).
    seen: dict[int, list[tuple[str, float]]] = {}

    def listener(event) -> None:
        seen.setdefault(event.job_id, []).append((event.state, time.perf_counter()))

    engine = Engine(film.store, film.media, lambda _: provider, workdir=film.state_dir / "work",
                    poll_interval=args.poll, listener=listener if args.phases else None)
    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    cpu0, t0 = time.process_time(), time.perf_counter()
    summary = await engine.run(jobs)
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    cpu -= getattr(provider, "cpu", 0.0)  # the in-process provider's own work is not the engine's
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(f"{args.profile}.{'http' if port else 'local'}")
    await provider.aclose()
    film.close()
    if summary.done != args.jobs:
        raise SystemExit(f"only {summary.done} of {args.jobs} jobs finished: {summary}")
    phases: dict[str, float] = {}
    for steps in seen.values():
        for (state, t), (_, t_next) in zip(steps, steps[1:]):
            phases[state] = phases.get(state, 0.0) + (t_next - t) / len(seen)
    return wall, cpu, calls, phases


if __name__ == "__main__":
    main()
