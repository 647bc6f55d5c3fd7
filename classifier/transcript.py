"""Parsing transcripts: plain text with speaker prefixes, WebVTT with voice tags, JSON."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Literal

Format = Literal["auto", "text", "vtt", "json"]


@dataclass(frozen=True)
class Turn:
    speaker: str  # "customer" or "agent"
    text: str


class TranscriptError(ValueError):
    """A transcript that cannot be read; the message names the line."""


# Speaker prefixes people use in Danish, Swedish, Norwegian and English transcripts.
CUSTOMER_NAMES = {
    "customer",
    "client",
    "caller",
    "kunde",
    "kunden",
    "kund",
    "opkalder",
    "borger",
    "medlem",
    "innringer",
    "uppringare",
    "c",
    "k",
}
AGENT_NAMES = {
    "agent",
    "advisor",
    "adviser",
    "representative",
    "rep",
    "employee",
    "staff",
    "support",
    "medarbejder",
    "rådgiver",
    "raadgiver",
    "konsulent",
    "kundeservice",
    "sagsbehandler",
    "handläggare",
    "handlaggare",
    "rådgivare",
    "kundtjänst",
    "medarbetare",
    "handsaman",
    "saksbehandler",
    "kundeservicemedarbeider",
    "veileder",
    "a",
    "m",
}
_PREFIX = re.compile(r"^\s*([^\W\d][\w\-. ]{0,40}?)\s*[:>]\s*(.*)$")
_VOICE = re.compile(r"<v(?:\.[\w.-]+)?\s+([^>]+)>(.*?)(?:</v>|$)", re.DOTALL)
_TIMING = re.compile(r"^\s*(\d{2}:)?\d{2}:\d{2}\.\d{3}\s+-->\s+")


def speaker_of(name: str) -> str | None:
    key = name.strip().lower()
    if key in CUSTOMER_NAMES:
        return "customer"
    if key in AGENT_NAMES:
        return "agent"
    return None


def parse(content: str, fmt: Format = "auto") -> list[Turn]:
    """Turns in order; consecutive lines of one speaker are separate turns."""
    if fmt == "auto":
        fmt = detect_format(content)
    if fmt == "json":
        return parse_json(content)
    if fmt == "vtt":
        return parse_vtt(content)
    return parse_text(content)


def detect_format(content: str) -> Format:
    head = content.lstrip("\ufeff \t\r\n")
    if head.startswith("WEBVTT"):
        return "vtt"
    if head.startswith("{") or head.startswith("["):
        return "json"
    return "text"


def parse_text(content: str) -> list[Turn]:
    turns: list[Turn] = []
    for number, line in enumerate(content.splitlines(), start=1):
        if not line.strip():
            continue
        match = _PREFIX.match(line)
        speaker = speaker_of(match.group(1)) if match else None
        if match and speaker:
            text = match.group(2).strip()
            if text:
                turns.append(Turn(speaker, text))
        elif turns:  # a continuation line belongs to the turn above it
            last = turns[-1]
            turns[-1] = Turn(last.speaker, f"{last.text} {line.strip()}")
        else:
            raise TranscriptError(
                f"line {number}: no speaker prefix (expected e.g. 'Customer:', 'Kunde:', "
                f"'Kund:', 'Agent:', 'Medarbejder:', 'Handläggare:', 'Rådgiver:')"
            )
    return turns


def parse_vtt(content: str) -> list[Turn]:
    lines = content.lstrip("\ufeff").splitlines()
    if not lines or not lines[0].startswith("WEBVTT"):
        raise TranscriptError("line 1: a WebVTT file starts with 'WEBVTT'")
    turns: list[Turn] = []
    in_cue = False
    for number, line in enumerate(lines[1:], start=2):
        if _TIMING.match(line):
            in_cue = True
            continue
        if not line.strip():
            in_cue = False
            continue
        if not in_cue:
            continue  # cue identifiers, NOTE and STYLE blocks
        voices = _VOICE.findall(line)
        if not voices:
            if turns:
                last = turns[-1]
                turns[-1] = Turn(last.speaker, f"{last.text} {_strip_tags(line)}")
                continue
            raise TranscriptError(f"line {number}: cue text without a <v Speaker> voice tag")
        for name, text in voices:
            speaker = speaker_of((name.split() or [""])[0]) or speaker_of(name)
            if speaker is None:
                raise TranscriptError(
                    f"line {number}: voice '{name}' is neither a customer nor an agent name"
                )
            if _strip_tags(text):
                turns.append(Turn(speaker, _strip_tags(text)))
    return turns


def _strip_tags(text: str) -> str:
    return re.sub(r"<[^>]+>", "", text).strip()


def parse_json(content: str) -> list[Turn]:
    try:
        data = json.loads(content)
    except json.JSONDecodeError as error:
        raise TranscriptError(f"line {error.lineno}: not valid JSON ({error.msg})") from error
    except RecursionError as error:  # json's parser gives up on absurdly deep nesting
        raise TranscriptError("line 1: the JSON is nested too deeply") from error
    utterances = data.get("utterances") if isinstance(data, dict) else data
    if not isinstance(utterances, list):
        raise TranscriptError("JSON transcript needs an 'utterances' list")
    turns = []
    for index, item in enumerate(utterances):
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            raise TranscriptError(f"utterance {index}: needs 'speaker' and 'text'")
        speaker = speaker_of(str(item.get("speaker", "")))
        if speaker is None:
            raise TranscriptError(
                f"utterance {index}: speaker '{item.get('speaker')}' is not customer or agent"
            )
        if item["text"].strip():
            turns.append(Turn(speaker, item["text"].strip()))
    return turns
