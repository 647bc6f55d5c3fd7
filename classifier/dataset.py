"""Loading and validating the labelled training data (training_data/<side>/<lang>.jsonl)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from classifier.labels import LABELS, SIDES

TOUCHPOINTS = ("phone", "chat", "email", "social", "store", "web")
SPLITS = ("train", "heldout")
REQUIRED = ("id", "text", "label", "side", "lang", "touchpoint", "topic", "split")
COLUMNS = (*REQUIRED, "sector", "hard")


class DataError(ValueError):
    """Training data that cannot be used; every problem names its file and line."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Dataset:
    frame: pd.DataFrame  # one row per labelled text, COLUMNS
    sha256: str  # of the files' bytes, in path order: identifies the data a model saw

    def side(self, side: str, split: str | None = None) -> pd.DataFrame:
        rows = self.frame[self.frame["side"] == side]
        if split is not None:
            rows = rows[rows["split"] == split]
        return rows.reset_index(drop=True)


def data_files(root: Path) -> list[Path]:
    return sorted(Path(root).glob("*/*.jsonl"))


def load(root: Path | str) -> Dataset:
    """Read and validate every data file below `root`; raise DataError listing all problems."""
    root = Path(root)
    files = data_files(root)
    if not files:
        raise DataError([f"{root}: no training data files (<side>/<lang>.jsonl) found"])
    digest = hashlib.sha256()
    rows: list[dict[str, object]] = []
    problems: list[str] = []
    seen_ids: dict[str, str] = {}
    for path in files:
        raw = path.read_bytes()
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + raw)
        for number, line in enumerate(raw.decode("utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            row, row_problems = _validate_line(line, expected_side=path.parent.name)
            problems.extend(f"{where}: {problem}" for problem in row_problems)
            if row is None:
                continue
            if row["id"] in seen_ids:
                problems.append(f"{where}: id {row['id']} also used at {seen_ids[row['id']]}")
            seen_ids[str(row["id"])] = where
            rows.append(row)
    if problems:
        raise DataError(problems)
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    return Dataset(frame=frame, sha256=digest.hexdigest())


def _validate_line(line: str, expected_side: str) -> tuple[dict[str, object] | None, list[str]]:
    try:
        item = json.loads(line)
    except json.JSONDecodeError as error:
        return None, [f"not valid JSON ({error.msg})"]
    if not isinstance(item, dict):
        return None, ["a line must be a JSON object"]
    problems = [f"missing field '{field}'" for field in REQUIRED if field not in item]
    if problems:
        return None, problems
    checks: Iterable[tuple[str, Iterable[str]]] = (
        ("label", LABELS),
        ("side", SIDES),
        ("touchpoint", TOUCHPOINTS),
        ("split", SPLITS),
    )
    for field, allowed in checks:
        if item[field] not in allowed:
            problems.append(f"{field} '{item[field]}' is not one of {', '.join(allowed)}")
    if item["side"] != expected_side:
        problems.append(f"side '{item['side']}' is in the folder for '{expected_side}'")
    if not isinstance(item["text"], str) or not item["text"].strip():
        problems.append("text is empty")
    row = {column: item.get(column) for column in COLUMNS}
    row["hard"] = bool(item.get("hard", False))
    return (None if problems else row), problems


def default_training_dir() -> Path:
    """MATCHPOINT_TRAINING_DATA_DIR, else training_data/ beside the packages."""
    import os

    configured = os.environ.get("MATCHPOINT_TRAINING_DATA_DIR")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parent.parent / "training_data"
