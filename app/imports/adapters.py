"""Other systems' transcripts as the import contract's utterance list of {speaker, text}.

Plain text with speaker prefixes and WebVTT go through classifier.transcript; the JSON of
Amazon Connect Contact Lens and of Amazon Transcribe (with speaker identification) is
read here. Each function returns turns in order; none touches the database.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal

from classifier import transcript

Format = Literal["auto", "text", "vtt", "json", "contact-lens", "transcribe"]
UtteranceDict = dict[str, str]

DEFAULT_AGENT_LABEL = "spk_0"  # who speaks first on a contact-centre call: the agent answering
_ROLES = {"CUSTOMER": "customer", "AGENT": "agent"}


class AdapterError(ValueError):
    """A transcript that cannot be turned into utterances; the message says where and why."""


def to_utterances(
    content: str | bytes, fmt: Format = "auto", *, agent_label: str = DEFAULT_AGENT_LABEL
) -> list[UtteranceDict]:
    """Utterances from any supported format; `auto` tells them apart by their content."""
    if isinstance(content, bytes):
        try:
            content = content.decode("utf-8")
        except UnicodeDecodeError as error:
            raise AdapterError("the transcript is not UTF-8 text") from error
    content = content.lstrip("\ufeff")
    if fmt == "auto":
        fmt = _detect(content)
    if fmt in ("text", "vtt", "json"):
        return from_transcript(content, fmt)
    data = _json(content)
    if fmt == "contact-lens":
        return from_contact_lens(data)
    return from_transcribe(data, agent_label=agent_label)


def _detect(content: str) -> Format:
    if transcript.detect_format(content) != "json":
        return transcript.detect_format(content)
    data = _json(content)
    if isinstance(data, dict) and isinstance(data.get("Transcript"), list):
        return "contact-lens"
    if isinstance(data, dict) and isinstance(data.get("results"), dict):
        return "transcribe"
    return "json"


def _json(content: str) -> Any:
    try:
        return json.loads(content)
    except json.JSONDecodeError as error:
        raise AdapterError(f"line {error.lineno}: not valid JSON ({error.msg})") from error


def from_transcript(content: str, fmt: transcript.Format = "auto") -> list[UtteranceDict]:
    """Plain text with `Customer:`/`Agent:` prefixes (and their Nordic cousins), WebVTT
    with voice tags, or Matchpoint's own JSON."""
    try:
        turns = transcript.parse(content, fmt)
    except transcript.TranscriptError as error:
        raise AdapterError(str(error)) from error
    return [{"speaker": turn.speaker, "text": turn.text} for turn in turns]


def from_contact_lens(data: Mapping[str, Any]) -> list[UtteranceDict]:
    """Amazon Connect Contact Lens output: `Transcript` segments with a `ParticipantId`
    (CUSTOMER or AGENT, or an id that `Participants` maps to its `ParticipantRole`) and
    `Content`. Segments of other participants (SYSTEM, bots, supervisors) are left out."""
    segments = data.get("Transcript") if isinstance(data, Mapping) else None
    if not isinstance(segments, list):
        raise AdapterError("Contact Lens output needs a 'Transcript' list")
    participants = data.get("Participants")
    roles = {
        str(p.get("ParticipantId")): str(p.get("ParticipantRole", ""))
        for p in (participants if isinstance(participants, list) else [])
        if isinstance(p, Mapping)
    }
    utterances = []
    for index, segment in enumerate(segments):
        if not isinstance(segment, Mapping) or not isinstance(segment.get("Content"), str):
            raise AdapterError(f"Transcript[{index}]: needs 'ParticipantId' and 'Content'")
        participant = str(segment.get("ParticipantId", ""))
        speaker = _ROLES.get((roles.get(participant) or participant).upper())
        text = segment["Content"].strip()
        if speaker and text:
            utterances.append({"speaker": speaker, "text": text})
    return utterances


def from_transcribe(
    data: Mapping[str, Any], *, agent_label: str = DEFAULT_AGENT_LABEL
) -> list[UtteranceDict]:
    """Amazon Transcribe output with speaker identification. `agent_label` names the agent's
    speaker label (spk_0 by default); every other label is the customer. Uses
    `results.audio_segments` when present, else the words of `results.items` with their
    speaker from the item itself or from `results.speaker_labels.segments`."""
    results = data.get("results") if isinstance(data, Mapping) else None
    if not isinstance(results, Mapping):
        raise AdapterError("Transcribe output needs a 'results' object")
    segments = results.get("audio_segments")
    if (
        isinstance(segments, list)
        and segments
        and all(isinstance(s, Mapping) and s.get("speaker_label") for s in segments)
    ):
        return _from_audio_segments(segments, agent_label)
    return _from_items(results, agent_label)


def _speaker(label: str, agent_label: str) -> str:
    return "agent" if label == agent_label else "customer"


def _from_audio_segments(segments: list[Mapping[str, Any]], agent_label: str) -> list[UtteranceDict]:
    utterances = []
    for segment in segments:
        text = str(segment.get("transcript") or "").strip()
        if text:
            utterances.append({"speaker": _speaker(str(segment["speaker_label"]), agent_label), "text": text})
    return utterances


def _from_items(results: Mapping[str, Any], agent_label: str) -> list[UtteranceDict]:
    items = results.get("items")
    if not isinstance(items, list):
        raise AdapterError("Transcribe output needs 'results.items' or 'results.audio_segments'")
    label_at: dict[str, str] = {}  # a word's start time -> its speaker label
    speaker_labels = results.get("speaker_labels")
    segments = speaker_labels.get("segments") if isinstance(speaker_labels, Mapping) else None
    for segment in segments if isinstance(segments, list) else []:
        if not isinstance(segment, Mapping):
            continue
        words = segment.get("items")
        for item in words if isinstance(words, list) else []:
            if not isinstance(item, Mapping):
                continue
            label = item.get("speaker_label") or segment.get("speaker_label")
            if item.get("start_time") is not None and label:
                label_at[str(item["start_time"])] = str(label)
    turns: list[tuple[str, list[str]]] = []  # (speaker label, words)
    for index, item in enumerate(items):
        alternatives = item.get("alternatives") if isinstance(item, Mapping) else None
        if not alternatives or not isinstance(alternatives[0], Mapping):
            raise AdapterError(f"results.items[{index}]: needs 'alternatives' with 'content'")
        word = str(alternatives[0].get("content") or "")
        if item.get("type") == "punctuation":
            if turns:
                turns[-1][1][-1] += word  # "thanks" + "," -> "thanks,"
            continue
        label = item.get("speaker_label") or label_at.get(str(item.get("start_time")))
        if not label:
            raise AdapterError(
                f"results.items[{index}]: no speaker label; "
                "transcribe with speaker identification (ShowSpeakerLabels)"
            )
        if not turns or turns[-1][0] != label:
            turns.append((str(label), []))
        turns[-1][1].append(word)
    return [
        {"speaker": _speaker(label, agent_label), "text": " ".join(words)} for label, words in turns if words
    ]
