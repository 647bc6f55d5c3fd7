"""Dependencies point one way: app → classifier, never the reverse."""

from __future__ import annotations

import subprocess
import sys


def test_classifier_imports_neither_flask_nor_sqlalchemy() -> None:
    code = (
        "import sys, classifier, classifier.cli, classifier.analysis, classifier.evaluate;"
        "bad = [m for m in sys.modules if m.split('.')[0] in {'flask', 'sqlalchemy', 'app'}];"
        "print(','.join(bad))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""


def test_only_hypermedia_spells_htmx_headers() -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "app"
    spelling = [
        path.relative_to(root).as_posix()
        for path in root.rglob("*.py")
        if '"HX-' in path.read_text() and path.name != "hypermedia.py"
    ]
    assert spelling == []
