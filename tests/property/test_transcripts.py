"""Transcript parsers on any input: only TranscriptError ever escapes; valid ones round-trip."""

from __future__ import annotations

import json

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from classifier import transcript
from classifier.transcript import TranscriptError, Turn

FORMATS = ("auto", "text", "vtt", "json")

# Text on one line that survives .strip(): no control, line or paragraph separators.
_LINE_CHARS = st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp"))
line_text = st.text(_LINE_CHARS, min_size=1, max_size=40).map(str.strip).filter(bool)
speakers = st.sampled_from(["customer", "agent"])
turns = st.lists(st.builds(Turn, speakers, line_text), min_size=1, max_size=8)

# Inputs that look almost right: the pieces the parsers branch on, shuffled together.
_PIECES = st.sampled_from(
    [
        "WEBVTT",
        "\n",
        "\n\n",
        "00:00.000 --> 00:01.000",
        "00:00:01.000 --> 00:00:02.000 ",
        "<v Customer>",
        "<v Agent>",
        "<v >",
        "<v  >",
        "<v.loud Kunde Jensen>",
        "</v>",
        "<b>",
        "NOTE",
        "Customer:",
        "Agent:",
        "Kunde:",
        "Handläggare>",
        "k:",
        " ",
        "\ufeff",
        "{",
        "}",
        "[",
        "]",
        '"utterances"',
        '"speaker"',
        '"text"',
        ":",
        ",",
        "null",
        "1",
        '"customer"',
        '"x"',
    ]
)
near_misses = st.lists(st.one_of(_PIECES, st.text(max_size=5)), max_size=30).map("".join)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["utterances", "speaker", "text", "x"]) | st.text(max_size=5),
            children,
            max_size=4,
        )
    ),
    max_leaves=12,
)


def _parse_only_fails_cleanly(content: str, fmt: str) -> None:
    try:
        result = transcript.parse(content, fmt)  # type: ignore[arg-type]
    except TranscriptError:
        return
    assert all(
        turn.speaker in {"customer", "agent"} and turn.text == turn.text.strip() and turn.text
        for turn in result
    )


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200), st.sampled_from(FORMATS))
def test_arbitrary_text_raises_nothing_but_transcript_error(content: str, fmt: str) -> None:
    _parse_only_fails_cleanly(content, fmt)


@settings(max_examples=200, deadline=None)
@given(near_misses, st.sampled_from(FORMATS))
@example("WEBVTT\n\n00:00.000 --> 00:01.000\n<v  >hello", "vtt")  # a voice tag with only spaces
@example("WEBVTT\n\n00:00.000 --> 00:01.000\n<v >", "auto")
def test_almost_valid_transcripts_raise_nothing_but_transcript_error(content: str, fmt: str) -> None:
    _parse_only_fails_cleanly(content, fmt)


@settings(max_examples=150, deadline=None)
@given(json_values)
def test_arbitrary_json_raises_nothing_but_transcript_error(value: object) -> None:
    _parse_only_fails_cleanly(json.dumps(value), "json")


@pytest.mark.parametrize("content", ["[" * 100_000, '{"utterances": ' + "[" * 100_000])
def test_absurdly_nested_json_is_a_transcript_error(content: str) -> None:
    with pytest.raises(TranscriptError):
        transcript.parse(content, "json")


def _as_text(generated: list[Turn]) -> str:
    names = {"customer": "Customer", "agent": "Agent"}
    return "\n".join(f"{names[t.speaker]}: {t.text}" for t in generated)


def _as_vtt(generated: list[Turn]) -> str:
    names = {"customer": "Kunde", "agent": "Medarbejder"}
    cues = [
        f"{i}\n00:00:{i:02d}.000 --> 00:00:{i + 1:02d}.000\n<v {names[t.speaker]}>{t.text}</v>"
        for i, t in enumerate(generated)
    ]
    return "WEBVTT\n\n" + "\n\n".join(cues) + "\n"


def _as_json(generated: list[Turn]) -> str:
    return json.dumps({"utterances": [{"speaker": t.speaker, "text": t.text} for t in generated]})


@settings(max_examples=100, deadline=None)
@given(turns)
def test_plain_text_round_trips(generated: list[Turn]) -> None:
    assert transcript.parse(_as_text(generated), "text") == generated


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.builds(Turn, speakers, line_text.filter(lambda s: "<" not in s and ">" not in s)),
        min_size=1,
        max_size=8,
    )
)
def test_webvtt_round_trips(generated: list[Turn]) -> None:
    content = _as_vtt(generated)
    assert transcript.parse(content, "vtt") == generated
    assert transcript.parse(content) == generated  # auto detects it


@settings(max_examples=100, deadline=None)
@given(turns)
def test_json_round_trips(generated: list[Turn]) -> None:
    assert transcript.parse(_as_json(generated), "json") == generated
    assert transcript.parse(_as_json(generated)) == generated
