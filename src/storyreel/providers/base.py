"""The provider protocol (DESIGN §5): what every generator looks like to the engine.

A synchronous engine (previz, a local pipeline) implements submit+fetch in one step: ``submit`` only names the
work, ``poll`` reports it ready, and ``fetch`` produces the files. Hosted providers do real remote calls in each.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

from storyreel.model import Lane, TakeSpec


@dataclass(frozen=True)
class Capabilities:
    lanes: frozenset[Lane]
    models: tuple[str, ...] = ()
    max_concurrency: int = 2
    can_cancel: bool = False
    # Whether a create whose outcome is unknown (crash between "submitting" and "submitted") can be found again
    # by our client reference. The engine reconciles with this flag, never by trial and error.
    can_lookup_by_client_ref: bool = False
    # Free and deterministic: re-submitting after a crash costs nothing and yields the same take.
    resubmit_is_free: bool = False


@dataclass(frozen=True)
class Estimate:
    amount: float
    currency: str = "CNY"
    note: str = ""


@dataclass(frozen=True)
class Handle:
    remote_id: str


@dataclass(frozen=True)
class Status:
    state: str  # "running" | "succeeded" | "failed"
    progress: float | None = None
    error: Exception | None = None


@dataclass(frozen=True)
class Result:
    clip: Path | None
    keyframe: Path | None
    cost: float = 0.0  # settled from the provider's reported usage
    usage: dict[str, float] = field(default_factory=dict)


@runtime_checkable
class Provider(Protocol):
    name: str

    def capabilities(self) -> Capabilities: ...

    def estimate(self, spec: TakeSpec) -> Estimate: ...

    async def submit(self, spec: TakeSpec, *, client_ref: str) -> Handle: ...

    async def poll(self, handle: Handle) -> Status: ...

    async def fetch(self, handle: Handle, spec: TakeSpec, dest: Path) -> Result: ...

    async def cancel(self, handle: Handle) -> None: ...
