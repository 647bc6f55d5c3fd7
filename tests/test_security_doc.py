"""docs/security.md names tests as file::name: each of them must exist."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = re.compile(r"`(tests/[\w/]+\.py|…)::(\w+)`")


def test_every_test_the_threat_list_names_exists() -> None:
    text = (ROOT / "docs" / "security.md").read_text(encoding="utf-8")
    missing, named, current = [], 0, ""
    for path, name in REFERENCE.findall(text):
        current = current if path == "…" else path
        source = (ROOT / current).read_text(encoding="utf-8")
        named += 1
        if not re.search(rf"^(def {name}\(|{name}\b.*=)", source, re.MULTILINE):
            missing.append(f"{current}::{name}")
    assert named > 40 and missing == []
