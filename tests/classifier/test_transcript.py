"""Transcript formats: plain text with speaker prefixes, WebVTT voice tags, JSON."""

from __future__ import annotations

import json

import pytest

from classifier.transcript import TranscriptError, Turn, detect_format, parse


@pytest.mark.parametrize(
    ("customer", "agent"),
    [
        ("Customer", "Agent"),
        ("Kunde", "Medarbejder"),
        ("Kund", "Handläggare"),
        ("Kunde", "Rådgiver"),
        ("kunde", "rådgiver"),
    ],
)
def test_plain_text_speaker_prefixes_in_every_language(customer: str, agent: str) -> None:
    turns = parse(f"{customer}: hej\n{agent}: goddag\n{customer}: hvor er min pakke")
    assert turns == [Turn("customer", "hej"), Turn("agent", "goddag"), Turn("customer", "hvor er min pakke")]


def test_continuation_lines_join_the_turn_above() -> None:
    turns = parse("Customer: my order\nis late again\n\nAgent: sorry to hear that")
    assert turns[0] == Turn("customer", "my order is late again")
    assert len(turns) == 2


def test_text_without_prefix_names_the_line() -> None:
    with pytest.raises(TranscriptError, match="line 2"):
        parse("\nhello there\nCustomer: hi")


def test_webvtt_voice_tags() -> None:
    content = (
        "WEBVTT\n\n1\n00:00:01.000 --> 00:00:03.000\n<v Customer>Hvor bliver min pakke af?</v>\n\n"
        "00:00:03.500 --> 00:00:06.000\n<v.loud Agent>Jeg tjekker det med det samme</v>\n"
    )
    assert detect_format(content) == "vtt"
    assert parse(content) == [
        Turn("customer", "Hvor bliver min pakke af?"),
        Turn("agent", "Jeg tjekker det med det samme"),
    ]


def test_webvtt_unknown_voice_is_an_error_with_line() -> None:
    content = "WEBVTT\n\n00:00:01.000 --> 00:00:03.000\n<v Narrator>hello</v>\n"
    with pytest.raises(TranscriptError, match="line 4"):
        parse(content)


def test_json_transcript_as_in_the_import_format() -> None:
    content = json.dumps(
        {"utterances": [{"speaker": "customer", "text": "Varför?"}, {"speaker": "agent", "text": "För att"}]}
    )
    assert parse(content) == [Turn("customer", "Varför?"), Turn("agent", "För att")]


def test_json_with_unknown_speaker_is_refused() -> None:
    with pytest.raises(TranscriptError, match="utterance 0"):
        parse(json.dumps({"utterances": [{"speaker": "bot", "text": "hi"}]}))
