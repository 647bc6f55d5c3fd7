"""Other systems' transcript formats on any input: only AdapterError ever escapes."""

from __future__ import annotations

import json

from hypothesis import example, given, settings
from hypothesis import strategies as st

from app.imports.adapters import AdapterError, to_utterances

FORMATS = ("auto", "text", "vtt", "json", "contact-lens", "transcribe")
_KEYS = st.sampled_from(
    [
        "Transcript",
        "Participants",
        "ParticipantId",
        "ParticipantRole",
        "Content",
        "results",
        "items",
        "audio_segments",
        "speaker_label",
        "transcript",
        "speaker_labels",
        "segments",
        "start_time",
        "alternatives",
        "content",
        "type",
        "utterances",
        "speaker",
        "text",
    ]
)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.sampled_from(["CUSTOMER", "AGENT", "spk_0", "punctuation", "x"])
    | st.text(max_size=6),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(_KEYS, children, max_size=5),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(json_values, st.sampled_from(FORMATS))
@example({"Transcript": [], "Participants": 3}, "auto")
@example({"results": {"items": [], "speaker_labels": {"segments": [{"items": 1}]}}}, "transcribe")
@example({"results": {"items": [{"alternatives": [{"content": "hi"}], "type": "punctuation"}]}}, "transcribe")
def test_json_like_input_raises_nothing_but_adapter_error(value: object, fmt: str) -> None:
    try:
        utterances = to_utterances(json.dumps(value), fmt)  # type: ignore[arg-type]
    except AdapterError:
        return
    assert all(u["speaker"] in {"customer", "agent"} and isinstance(u["text"], str) for u in utterances)


@settings(max_examples=150, deadline=None)
@given(st.one_of(st.text(max_size=100), st.binary(max_size=100)), st.sampled_from(FORMATS))
def test_any_text_or_bytes_raises_nothing_but_adapter_error(content: str | bytes, fmt: str) -> None:
    try:
        to_utterances(content, fmt)  # type: ignore[arg-type]
    except AdapterError:
        pass
