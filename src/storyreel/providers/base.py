"""The provider protocol (DESIGN §5): what every generator looks like to the engine.

A synchronous engine (previz, a local pipeline) implements submit+fetch in one step: ``submit`` only names the
work, ``poll`` reports it ready, and ``fetch`` produces the files. Hosted providers do real remote calls in each.

Errors: every method raises only ``storyreel.errors.ProviderError`` subclasses (vendor codes are translated in
the adapter's own table). ``submit`` must raise ``SubmitOutcomeUnknown`` — never a retryable class — when the
create request may have reached the provider but its answer was lost (read timeout, connection reset after
sending): the engine then reconciles instead of paying twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from storyreel.model import Lane, TakeSpec


@dataclass(frozen=True)
class ModelInfo:
    """What one model can do; the engine and ``storyreel providers`` read it, adapters check specs against it."""

    name: str
    lane: Lane
    kinds: tuple[str, ...]  # t2i, edit, t2v, i2v, first_last, reference, extend, transition
    durations: tuple[float, ...] = ()  # seconds (video)
    resolutions: tuple[str, ...] = ()  # tiers ("480p", "720p", "1080p") or sizes ("2048x2048")
    max_references: int = 0
    max_image_bytes: int | None = None
    image_formats: tuple[str, ...] = ("png", "jpeg", "webp")
    draft_of: str | None = None  # this model is the cheap tier of that one


@dataclass(frozen=True)
class Capabilities:
    lanes: frozenset[Lane]
    models: tuple[ModelInfo, ...] = ()
    max_concurrency: int = 2  # per lane
    requests_per_second: float | None = None
    can_cancel: bool = False
    # Whether a create whose outcome is unknown can be found again by our client reference. The engine
    # reconciles with this flag, never by trial and error.
    can_lookup_by_client_ref: bool = False
    # Free and deterministic: re-submitting after a crash costs nothing and yields the same take.
    resubmit_is_free: bool = False
    charges_failed_jobs: bool = False
    # The work happens in this process during fetch (a local renderer), so fetch must stay inside the provider's
    # concurrency slot; a hosted result is only a download and runs in the engine's wider download pool.
    works_in_fetch: bool = False
    currency: str = "CNY"
    key_env: str | None = None  # the environment variable holding the API key

    def model(self, name: str | None, lane: Lane) -> ModelInfo | None:
        for m in self.models:
            if m.lane == lane and (name is None or m.name == name):
                return m
        return None


@dataclass(frozen=True)
class Estimate:
    amount: float
    currency: str = "CNY"
    note: str = ""


@dataclass(frozen=True)
class Handle:
    """What the engine persists after a create: the remote id, plus small JSON-able ``data`` an adapter needs to
    poll or fetch later (Jimeng's ``req_key``, a synchronous API's result URLs). Both survive a crash."""

    remote_id: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Status:
    state: str  # "queued" | "running" | "succeeded" | "failed" | "unknown" (keep polling)
    progress: float | None = None
    error: Exception | None = None
    retry_after: float | None = None  # the provider's hint for the next poll


@dataclass(frozen=True)
class Result:
    clip: Path | None
    keyframe: Path | None
    cost: float = 0.0  # settled from the provider's reported usage
    usage: dict[str, float] = field(default_factory=dict)
    images: tuple[Path, ...] = ()  # image lane: every image of a group generation
    last_frame: Path | None = None  # Seedance return_last_frame: for chaining the next shot


@dataclass(frozen=True)
class ProviderSettings:
    """How to reach a provider: from film.toml ``[providers.<name>]`` and the environment."""

    base_url: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    transport: Any = None  # an httpx2 transport (tests mount a fake in-process)


@runtime_checkable
class Provider(Protocol):
    name: str

    def capabilities(self) -> Capabilities: ...

    def estimate(self, spec: TakeSpec) -> Estimate: ...

    def check(self, spec: TakeSpec) -> None:
        """Raise InvalidInput / AuthFailed before any money is spent (unknown model, bad image, no key)."""
        ...

    async def submit(self, spec: TakeSpec, *, client_ref: str) -> Handle: ...

    async def lookup(self, client_ref: str) -> Handle | None:
        """Find a task created with ``client_ref`` (only when ``can_lookup_by_client_ref``)."""
        ...

    async def poll(self, handle: Handle) -> Status: ...

    async def fetch(self, handle: Handle, spec: TakeSpec, dest: Path) -> Result: ...

    async def cancel(self, handle: Handle) -> None: ...

    async def aclose(self) -> None: ...
