"""The bin: takes not placed in the cut, searchable the way a director remembers them.

"Placed" means in the cut as it plays now: the selected take of every planned shot while the cut is derived,
or the clips' takes once it is edited. Story-later fragments and takes of omitted shots are always in the bin
until someone places them. Search matches, case-insensitively, the take's prompt, note and tags, the shot's
description and dialogue, and the names (and bible aliases) of the characters in it, Chinese text included.
"""

from __future__ import annotations

from sqlalchemy import select

from storyreel.model import Bible, Shot
from storyreel.services.film import Film
from storyreel.services.review import InvalidEdit, TakeInfo, effective_selections, take_info
from storyreel.services.timeline import placed_take_ids
from storyreel.store import ShotRow, TakeRow


def _names(shot: Shot, bible: Bible) -> list[str]:
    """Characters in the shot, each with its canonical name and aliases from the bible."""
    out: list[str] = []
    for name in dict.fromkeys([*shot.characters, *(d.character for d in shot.dialogue)]):
        c = bible.character(name)
        out += [c.name, *c.aliases] if c else [name]
    return out


def _haystack(take: TakeRow, shot: Shot, names: list[str]) -> str:
    parts = [take.label, take.prompt or "", take.note or "", " ".join(take.tags or ()), shot.description,
             shot.heading, *(d.text for d in shot.dialogue), *names]
    return "\n".join(parts).casefold()


def bin_takes(film: Film, q: str | None = None, character: str | None = None, tag: str | None = None,
              min_rating: int | None = None, include_rejected: bool = False, cut: str = "main") -> list[TakeInfo]:
    """Landed takes that are not in the cut, in film order (fragments last), then by take number."""
    if min_rating is not None and not 1 <= min_rating <= 5:
        raise InvalidEdit(f"--min-rating is 1 to 5 stars, got {min_rating}.",
                          zh=f"--min-rating 应为 1 到 5 星，而不是 {min_rating}。")
    words = [w for w in (q or "").casefold().split() if w]
    who = None
    if character:
        c = film.bible.character(character)
        who = {n.casefold() for n in ([c.name, *c.aliases] if c else [character.strip()])}
    want_tag = tag.strip().casefold() if tag and tag.strip() else None
    with film.store.session() as s:
        shot_rows = {r.code: r for r in s.scalars(select(ShotRow))}
        placed = placed_take_ids(s, cut)
        picks = effective_selections(s)
        takes = list(s.scalars(select(TakeRow)))
        labels = {t.id: t.label for t in takes}
        shots = {code: Shot.model_validate(r.data) for code, r in shot_rows.items()}
        names = {code: _names(shot, film.bible) for code, shot in shots.items()}
        out: list[tuple[tuple, TakeInfo]] = []
        for t in takes:
            if t.id in placed or (t.status == "rejected" and not include_rejected):
                continue
            if min_rating is not None and (t.rating or 0) < min_rating:
                continue
            if want_tag is not None and want_tag not in {x.casefold() for x in (t.tags or ())}:
                continue
            shot = shots.get(t.shot_code)
            if shot is None:
                continue
            if who is not None and not who & {n.casefold() for n in names[t.shot_code]}:
                continue
            if words:
                hay = _haystack(t, shot, names[t.shot_code])
                if not all(w in hay for w in words):
                    continue
            row = shot_rows[t.shot_code]
            key = (bool(row.fragment), row.ord, row.code, t.number)
            out.append((key, take_info(t, selected=picks.get(t.shot_code) == t.id, labels=labels)))
    return [info for _, info in sorted(out, key=lambda kv: kv[0])]
