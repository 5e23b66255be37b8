"""previz behind the provider protocol. It renders locally, so submit+fetch happen in one step: ``submit`` names
the work, ``fetch`` renders it. Rendering is deterministic per seed and free, so the engine may safely re-run a
job whose outcome a crash left unknown.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from storyreel.model import Lane, TakeSpec
from storyreel.providers.base import Capabilities, Estimate, Handle, ModelInfo, ProviderSettings, Result, Status


class PrevizProvider:
    name = "previz"

    def __init__(self, *, workdir: Path, settings: ProviderSettings | None = None) -> None:
        self.workdir = workdir

    def capabilities(self) -> Capabilities:
        return Capabilities(
            lanes=frozenset({Lane.VIDEO, Lane.IMAGE}),
            models=(ModelInfo("animatic-1", Lane.VIDEO, ("t2v",), durations=(), resolutions=("any",)),),
            # Each render already uses libx264's threads; more than the core count only thrashes.
            max_concurrency=max(1, min(4, os.cpu_count() or 1)),
            can_cancel=True,
            can_lookup_by_client_ref=True,
            resubmit_is_free=True,
            works_in_fetch=True,
        )

    def estimate(self, spec: TakeSpec) -> Estimate:
        return Estimate(0.0, "CNY", "previz is free")

    def check(self, spec: TakeSpec) -> None:
        return None

    async def lookup(self, client_ref: str) -> Handle | None:
        return Handle(remote_id=f"previz-{client_ref}")

    async def aclose(self) -> None:
        return None

    async def submit(self, spec: TakeSpec, *, client_ref: str) -> Handle:
        return Handle(remote_id=f"previz-{client_ref}")

    async def poll(self, handle: Handle) -> Status:
        return Status(state="succeeded", progress=1.0)

    async def fetch(self, handle: Handle, spec: TakeSpec, dest: Path) -> Result:
        from storyreel.providers.previz.draw import render_take

        dest.mkdir(parents=True, exist_ok=True)
        clip, keyframe = dest / "clip.mp4", dest / "keyframe.png"
        await asyncio.to_thread(render_take, spec, keyframe=keyframe, clip=clip)
        return Result(clip=clip, keyframe=keyframe, cost=0.0, usage={"frames": float(spec.frames)})

    async def cancel(self, handle: Handle) -> None:
        return None
