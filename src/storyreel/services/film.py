"""The film folder (DESIGN §3): open it, read its settings and bible, scaffold a new one.

film.toml and the bible are inputs a person edits, so every problem in them is reported as ``file:line: what``
with the line of the offending key when it can be found.
"""

from __future__ import annotations

import re
import shutil
import tomllib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from storyreel.errors import FilmConfigError, NotAFilm, OutputNotWritable
from storyreel.model import Bible, Character, FilmConfig, Style
from storyreel.store import MediaStore, Store

FILM_TOML = "film.toml"
SCRIPT = "script.fountain"
STATE_DIR = ".storyreel"


@dataclass
class Film:
    """An open film folder. The database opens lazily, so read-only commands stay fast."""

    root: Path
    config: FilmConfig
    bible: Bible
    _store: Store | None = field(default=None, repr=False)

    @property
    def script_path(self) -> Path:
        return self.root / SCRIPT

    @property
    def state_dir(self) -> Path:
        return self.root / STATE_DIR

    @property
    def renders(self) -> Path:
        return self.root / "renders"

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = Store(self.state_dir / "state.db")
        return self._store

    @cached_property
    def media(self) -> MediaStore:
        return MediaStore(self.state_dir / "media")

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def __enter__(self) -> Film:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _key_line(text: str, key: str) -> int | None:
    """Line of ``key = ...`` (or ``[key]``) in a TOML text, for pointing the director at the right place."""
    pat = re.compile(rf"^\s*(\[\s*)?[\"']?{re.escape(key)}[\"']?\s*(=|\])", re.MULTILINE)
    m = pat.search(text)
    return text.count("\n", 0, m.start()) + 1 if m else None


def _load_toml(path: Path) -> tuple[dict[str, Any], str]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise FilmConfigError(f"{path}:{line}: not valid UTF-8 text.", zh=f"{path}:{line}：不是有效的 UTF-8 文本。") from exc
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        where = f"{path}:{m.group(1)}" if m else str(path)
        what = re.sub(r"\s*\(at line.*\)", "", str(exc))
        raise FilmConfigError(f"{where}: invalid TOML: {what}.", zh=f"{where}：TOML 格式错误：{what}。") from exc


def _validate(model: type[BaseModel], data: dict[str, Any], path: Path, text: str) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
        line = next((ln for p in reversed(err["loc"]) if isinstance(p, str) and (ln := _key_line(text, p))), None)
        where = f"{path}:{line}" if line else str(path)
        msg = err["msg"].removeprefix("Value error, ")
        raise FilmConfigError(f"{where}: {loc}: {msg}.", zh=f"{where}：{loc}：{msg}。") from exc


def load_config(root: Path) -> FilmConfig:
    path = root / FILM_TOML
    data, text = _load_toml(path)
    film = data.get("film", data)  # film.toml may keep settings under [film] or at top level
    if not isinstance(film, dict):
        raise FilmConfigError(f"{path}: [film] must be a table.", zh=f"{path}：[film] 必须是一个表。")
    merged = dict(film)
    for section in ("profile", "limits", "providers", "sound", "rates"):
        if section in data and section not in merged:
            merged[section] = data[section]
    return _validate(FilmConfig, merged, path, text)


def load_bible(root: Path) -> Bible:
    bible_dir = root / "bible"
    characters: list[Character] = []
    for path in sorted((bible_dir / "characters").glob("*.toml")):
        data, text = _load_toml(path)
        data.setdefault("name", path.stem)
        characters.append(_validate(Character, data, path, text))
    styles: list[Style] = []
    styles_path = bible_dir / "styles.toml"
    if styles_path.is_file():
        data, text = _load_toml(styles_path)
        for name, body in data.items():
            if not isinstance(body, dict):
                raise FilmConfigError(f"{styles_path}:{_key_line(text, name) or 1}: style '{name}' must be a table.",
                                      zh=f"{styles_path}：风格 '{name}' 必须是一个表。")
            styles.append(_validate(Style, {"name": name, **body}, styles_path, text))
    return Bible(characters=characters, styles=styles)


def find_film_root(start: Path) -> Path | None:
    for p in (start, *start.parents):
        if (p / FILM_TOML).is_file():
            return p
    return None


def open_film(path: Path | str = ".") -> Film:
    """Open the film at ``path`` (or the nearest parent holding film.toml)."""
    start = Path(path).resolve()
    if not start.exists():
        raise NotAFilm(f"{start} does not exist.", zh=f"{start} 不存在。")
    root = find_film_root(start)
    if root is None:
        raise NotAFilm(
            f"{start} is not a film folder (no {FILM_TOML} here or above). Create one with: storyreel new myfilm",
            zh=f"{start} 不是影片文件夹（此处及上级都没有 {FILM_TOML}）。用 storyreel new myfilm 新建一个。",
        )
    return Film(root=root, config=load_config(root), bible=load_bible(root))


def templates_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "examples"


def example_names() -> list[str]:
    return sorted(p.name for p in templates_dir().iterdir() if (p / FILM_TOML).is_file() and not p.name.startswith("scaffold-"))


def copy_example(name: str, dest: Path, *, title: str | None = None) -> Path:
    """Copy a bundled film (its inputs only, never a database) to ``dest``."""
    src = templates_dir() / name
    if not (src / FILM_TOML).is_file():
        raise NotAFilm(f"No bundled film '{name}'. Bundled: {', '.join(example_names())}.",
                       zh=f"没有内置影片 '{name}'。可选：{'、'.join(example_names())}。")
    if dest.exists() and any(dest.iterdir()) and not (dest / FILM_TOML).is_file():
        raise FilmConfigError(f"{dest} exists and is not empty; choose a new folder.",
                              zh=f"{dest} 已存在且不为空，请换一个文件夹。")
    try:
        dest.mkdir(parents=True, exist_ok=True)
        shutil.copytree(src, dest, dirs_exist_ok=True, ignore=shutil.ignore_patterns(STATE_DIR, "renders", "__pycache__"))
    except OSError as exc:
        raise OutputNotWritable(f"Cannot write {dest}: {exc.strerror or exc}.", zh=f"无法写入 {dest}：{exc.strerror or exc}。") from exc
    if title:
        toml_path = dest / FILM_TOML
        import tomlkit  # keeps the file's comments as written

        doc = tomlkit.parse(toml_path.read_text(encoding="utf-8"))
        (doc["film"] if "film" in doc else doc)["title"] = title
        toml_path.write_text(tomlkit.dumps(doc), encoding="utf-8")
    return dest


def new_film(dest: Path, *, language: str = "zh", title: str | None = None) -> Path:
    """Scaffold a film folder: film.toml, script.fountain, bible/ with two characters and one style."""
    if (dest / FILM_TOML).exists():
        raise FilmConfigError(f"{dest} is already a film.", zh=f"{dest} 已经是一个影片文件夹。")
    template = "scaffold-zh" if language == "zh" else "scaffold-en"
    return copy_example(template, dest, title=title or dest.name)
