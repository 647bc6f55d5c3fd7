"""Playbook files (playbooks/<lang>/<touchpoint>.yaml): loading with line numbers, export.

Pure: no Flask, no database. The export format is canonical, so exporting entries that
were loaded and not changed gives back the same bytes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from app.vocabulary import PLAYBOOK_LANGUAGES, PREFERENCES, SITUATIONS, TOUCHPOINTS

FIELDS = ("id", "touchpoint", "preference", "situation", "language", "text", "phrases", "note")


@dataclass(frozen=True)
class Entry:
    id: str
    touchpoint: str
    preference: str
    situation: str
    language: str
    text: str
    phrases: tuple[str, ...]
    note: str
    source: str = field(default="", compare=False)  # file:line it was read from

    def as_yaml(self) -> dict[str, object]:
        return {
            "id": self.id,
            "touchpoint": self.touchpoint,
            "preference": self.preference,
            "situation": self.situation,
            "language": self.language,
            "text": self.text,
            "phrases": list(self.phrases),
            "note": self.note,
        }


class PlaybookError(ValueError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def playbook_files(root: Path) -> list[Path]:
    return sorted(Path(root).glob("*/*.yaml"))


def load(root: Path | str) -> list[Entry]:
    """Every entry below `root`; raises PlaybookError listing each problem as file:line."""
    root = Path(root)
    entries: list[Entry] = []
    problems: list[str] = []
    seen: dict[str, str] = {}
    for path in playbook_files(root):
        file_entries, file_problems = _load_file(path)
        problems.extend(file_problems)
        for entry in file_entries:
            if entry.id in seen:
                problems.append(f"{entry.source}: id {entry.id} is also used at {seen[entry.id]}")
            seen[entry.id] = entry.source
            entries.append(entry)
    if problems:
        raise PlaybookError(problems)
    return entries


def _load_file(path: Path) -> tuple[list[Entry], list[str]]:
    try:
        node = yaml.compose(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        return [], [f"{path}:1: not UTF-8 text"]
    except yaml.YAMLError as error:
        line = getattr(getattr(error, "problem_mark", None), "line", 0) + 1
        return [], [f"{path}:{line}: not valid YAML ({getattr(error, 'problem', error)})"]
    if not isinstance(node, yaml.MappingNode):
        return [], [f"{path}:1: expected a mapping with an 'entries' list"]
    items = dict((key.value, value) for key, value in node.value)
    listing = items.get("entries")
    if not isinstance(listing, yaml.SequenceNode):
        return [], [f"{path}:1: expected an 'entries' list"]
    language, touchpoint = path.parent.name, path.stem
    entries, problems = [], []
    for item in listing.value:
        where = f"{path}:{item.start_mark.line + 1}"
        data = yaml.safe_load(yaml.serialize(item)) if isinstance(item, yaml.MappingNode) else None
        if not isinstance(data, dict):
            problems.append(f"{where}: an entry must be a mapping of {', '.join(FIELDS)}")
            continue
        entry_problems = _problems(data, language, touchpoint)
        problems.extend(f"{where}: {problem}" for problem in entry_problems)
        if not entry_problems:
            entries.append(
                Entry(
                    id=data["id"],
                    touchpoint=data["touchpoint"],
                    preference=data["preference"],
                    situation=data["situation"],
                    language=data["language"],
                    text=data["text"],
                    phrases=tuple(data["phrases"]),
                    note=data["note"],
                    source=where,
                )
            )
    return entries, problems


def _problems(data: dict[str, object], language: str, touchpoint: str) -> list[str]:
    problems = [f"missing field '{name}'" for name in FIELDS if name not in data]
    if problems:
        return problems
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        problems.append(f"unknown field(s) {', '.join(unknown)}")
    for name, allowed in (
        ("touchpoint", TOUCHPOINTS),
        ("preference", PREFERENCES),
        ("situation", SITUATIONS),
        ("language", PLAYBOOK_LANGUAGES),
    ):
        if data[name] not in allowed:
            problems.append(f"{name} '{data[name]}' is not one of {', '.join(allowed)}")
    if data["touchpoint"] != touchpoint or data["language"] != language:
        problems.append(
            f"entry for {data['language']}/{data['touchpoint']} is in the file for {language}/{touchpoint}"
        )
    for name in ("id", "text", "note"):
        if not isinstance(data[name], str) or not str(data[name]).strip():
            problems.append(f"'{name}' must be non-empty text")
    phrases = data["phrases"]
    if (
        not isinstance(phrases, list)
        or not phrases
        or not all(isinstance(p, str) and p.strip() for p in phrases)
    ):
        problems.append("'phrases' must be a non-empty list of text")
    return problems


def dump(entries: Iterable[Entry]) -> str:
    """The canonical YAML of one file's entries."""
    return yaml.safe_dump(
        {"entries": [entry.as_yaml() for entry in entries]},
        allow_unicode=True,
        sort_keys=False,
        width=100,
        default_flow_style=False,
    )


def export(entries: Iterable[Entry], root: Path) -> list[Path]:
    """Write entries grouped into <lang>/<touchpoint>.yaml, ordered by id; returns the files."""
    groups: dict[tuple[str, str], list[Entry]] = {}
    for entry in entries:
        groups.setdefault((entry.language, entry.touchpoint), []).append(entry)
    written = []
    for (language, touchpoint), group in sorted(groups.items()):
        path = Path(root) / language / f"{touchpoint}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dump(sorted(group, key=_order)), encoding="utf-8")
        written.append(path)
    return written


def _order(entry: Entry) -> tuple[int, int, str]:
    return (PREFERENCES.index(entry.preference), SITUATIONS.index(entry.situation), entry.id)
