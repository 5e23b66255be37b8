"""Errors a director can read.

Every error storyreel raises on purpose is a ``StoryreelError``: it carries a plain message (what happened and
what to do next), in English and Chinese, and never a secret. The shells decide how to show it: the CLI prints
one line on stderr and exits non-zero; the studio maps it to an HTTP status.

    StoryreelError
     ├── FilmError                 the film folder or its files are wrong
     │    ├── NotAFilm             folder has no film.toml
     │    ├── FilmConfigError      film.toml / bible file invalid (file:line)
     │    ├── ScriptError          screenplay cannot be parsed (file:line)
     │    ├── ShotListError        shot table (CSV) invalid (file:line)
     │    ├── ShotNotFound
     │    └── TakeNotFound
     ├── ProviderError             a generator refused or failed (the retry table in engine/policy.py keys on these)
     │    ├── UnknownProvider
     │    ├── ProviderUnavailable  an optional extra is missing
     │    ├── AuthFailed           missing or wrong key, bad signature
     │    ├── InvalidInput         the request itself is wrong (unknown model, image too large, bad duration)
     │    ├── Moderated
     │    │    ├── InputModerated  the prompt or an input image was refused
     │    │    └── OutputModerated the result was withheld
     │    ├── QuotaExhausted       balance or quota used up
     │    ├── RateLimited          too many requests (``retry_after`` seconds when the provider says)
     │    ├── ConcurrencyLimited   too many tasks running at the provider
     │    ├── TransientFailure     5xx, network trouble before the request was sent, truncated download
     │    ├── SubmitOutcomeUnknown a create was sent but its answer was lost: reconcile, never resubmit
     │    └── ResultExpired        the result URL or task is gone
     ├── BudgetExceeded
     └── MediaError                ffmpeg / disk / codec trouble while rendering
          └── OutputNotWritable    read-only folder, full disk
"""

from __future__ import annotations


class StoryreelError(Exception):
    """Base of every error meant for the director. ``zh`` is the Chinese wording, shown when the locale is zh."""

    exit_code = 1

    def __init__(self, message: str, *, zh: str | None = None, **context: object) -> None:
        super().__init__(message)
        self.message = message
        self.zh = zh
        self.context = context

    def __str__(self) -> str:
        return self.message


class FilmError(StoryreelError):
    exit_code = 2


class NotAFilm(FilmError):
    pass


class FilmConfigError(FilmError):
    pass


class ScriptError(FilmError):
    pass


class ShotListError(FilmError):
    pass


class ShotNotFound(FilmError):
    pass


class TakeNotFound(FilmError):
    pass


class ProviderError(StoryreelError):
    exit_code = 3


class UnknownProvider(ProviderError):
    pass


class ProviderUnavailable(ProviderError):
    pass


class AuthFailed(ProviderError):
    pass


class InvalidInput(ProviderError):
    pass


class Moderated(ProviderError):
    pass


class InputModerated(Moderated):
    pass


class OutputModerated(Moderated):
    pass


class QuotaExhausted(ProviderError):
    pass


class RateLimited(ProviderError):
    def __init__(self, message: str, *, retry_after: float | None = None, **kw: object) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after


class ConcurrencyLimited(ProviderError):
    def __init__(self, message: str, *, retry_after: float | None = None, **kw: object) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after


class TransientFailure(ProviderError):
    def __init__(self, message: str, *, retry_after: float | None = None, **kw: object) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after


class SubmitOutcomeUnknown(ProviderError):
    pass


class ResultExpired(ProviderError):
    pass


class BudgetExceeded(StoryreelError):
    exit_code = 4


class MediaError(StoryreelError):
    exit_code = 5


class OutputNotWritable(MediaError):
    pass
