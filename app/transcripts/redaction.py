"""The privacy filter: every path that stores customer text goes through `redact`.

Candidates are found with patterns and then validated with python-stdnum (national ids,
IBAN, Luhn) and phonenumbers, so that order numbers, amounts and dates are left alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import phonenumbers
from stdnum import iban, luhn
from stdnum.dk import cpr
from stdnum.no import fodselsnummer
from stdnum.se import personnummer

PLACEHOLDERS = ("[EMAIL]", "[PHONE]", "[CARD]", "[IBAN]", "[NATIONAL_ID]", "[ACCOUNT]", "[NAME]")

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-zA-Z]{2,}(?![\w-])")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){10,30}\b")
_DIGITS = re.compile(r"(?<![\w+])\d(?:[ -]?\d){11,18}(?!\w)")  # card candidates: 12–19 digits
_NATIONAL = re.compile(r"(?<![\w+-])(?:\d{8}|\d{6})[-+ ]?\d{4,5}(?![\w-])")
_ACCOUNT = re.compile(
    r"(?i)\b(?:konto(?:nummer|nr\.?)?|kontonr\.?|account(?: number| no\.?)?|reg\.? ?nr\.?"
    r"|clearingnummer|clearingnr\.?)[:\s]*((?:\d[ -]?){4,18}\d)"
)
_NAME_INTRO = re.compile(
    r"(?i)\b(?:my name is|you're speaking (?:with|to)|you are speaking (?:with|to)|jeg hedder"
    r"|mit navn er|du taler med|jeg heter|mitt navn er|du snakker med|jag heter|mitt namn är"
    r"|du pratar med)\s+"
    r"((?-i:[A-ZÆØÅÄÖ][a-zæøåäöéü]+)(?:\s(?-i:[A-ZÆØÅÄÖ][a-zæøåäöéü]+)){0,2})"
)
# Words that say the number after them is an order, case or invoice number, not a phone.
_REFERENCE_WORDS = re.compile(
    r"(?i)(?:ordre|order|ordrenummer|ordernummer|ordrenr|ordernr|sag|sagsnummer|sagsnr|ärende"
    r"|ärendenummer|ärendenr|saksnummer|saksnr|faktura|fakturanummer|fakturanr|invoice|ref"
    r"|reference|referens|referanse|booking|bookingnummer|bokning|bokningsnummer|kundenummer"
    r"|kundnummer|customer number|tracking|sporingsnummer|kolli|pakke|paket|nr|no|#)\.?:?\s*$"
)
_PHONE_REGIONS = ("DK", "SE", "NO", "GB")
_DATE = re.compile(r"^(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[./-]\d{1,2}[./-]\d{2,4})$")


@dataclass(frozen=True)
class Finding:
    start: int
    end: int
    placeholder: str


def _email(text: str) -> Iterable[Finding]:
    for match in _EMAIL.finditer(text):
        yield Finding(match.start(), match.end(), "[EMAIL]")


def _iban(text: str) -> Iterable[Finding]:
    # The pattern is greedy: a number or capitalised word after the IBAN joins the match, so
    # each candidate start is tried with the longest valid IBAN that ends at a word boundary.
    position = 0
    while (match := _IBAN.search(text, position)) is not None:
        end = match.end()
        while end - match.start() >= 14:
            if (
                not text[end - 1].isspace()
                and not text[end : end + 1].isalnum()
                and iban.is_valid(text[match.start() : end])
            ):
                yield Finding(match.start(), end, "[IBAN]")
                break
            end -= 1
        else:
            end = match.start() + 1
        position = end


def _card(text: str) -> Iterable[Finding]:
    for match in _DIGITS.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        if 13 <= len(digits) <= 19 and digits[0] in "23456" and luhn.is_valid(digits):
            yield Finding(match.start(), match.end(), "[CARD]")


def _national_id(text: str) -> Iterable[Finding]:
    for match in _NATIONAL.finditer(text):
        candidate = match.group()
        compact = re.sub(r"\D", "", candidate)
        valid = (
            (len(compact) == 10 and cpr.is_valid(compact))
            or (len(compact) in (10, 12) and personnummer.is_valid(candidate.replace(" ", "-")))
            or (len(compact) in (10, 12) and _is_samordningsnummer(compact))
            or (len(compact) == 11 and fodselsnummer.is_valid(compact))
        )
        if valid:
            yield Finding(match.start(), match.end(), "[NATIONAL_ID]")


def _is_samordningsnummer(digits: str) -> bool:
    """Swedish co-ordination number: a personnummer whose day has 60 added."""
    short = digits[-10:]
    day = int(short[4:6])
    if day <= 60:
        return False
    as_personnummer = f"{short[:4]}{day - 60:02d}{short[6:]}"
    return luhn.is_valid(short) and personnummer.is_valid(
        as_personnummer[:6] + "-" + as_personnummer[6:9] + luhn.calc_check_digit(as_personnummer[:9])
    )


def _account(text: str) -> Iterable[Finding]:
    for match in _ACCOUNT.finditer(text):
        yield Finding(match.start(1), match.end(1), "[ACCOUNT]")


# No valid number has fewer digits: 5 in national form in our regions (Norway's shortest),
# 6 in international form anywhere (tests/app/test_redaction.py reads it from phonenumbers'
# metadata). Most turns hold fewer, and the matcher costs more than the rest of the filter.
MIN_PHONE_DIGITS = 5
_ANY_DIGIT = re.compile(r"\d")  # any Unicode decimal digit, as phonenumbers reads them


def _phone(text: str) -> Iterable[Finding]:
    if len(_ANY_DIGIT.findall(text)) < MIN_PHONE_DIGITS:
        return
    seen: set[tuple[int, int]] = set()
    for region in _PHONE_REGIONS:
        for match in phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.VALID):
            span = (match.start, match.end)
            if (
                span in seen
                or _DATE.match(match.raw_string)
                or _REFERENCE_WORDS.search(text[max(0, match.start - 24) : match.start])
            ):
                continue
            seen.add(span)
            yield Finding(match.start, match.end, "[PHONE]")


def _name(text: str) -> Iterable[Finding]:
    for match in _NAME_INTRO.finditer(text):
        yield Finding(match.start(1), match.end(1), "[NAME]")


# Order matters: the more specific identifier claims its characters first.
DETECTORS: tuple[Callable[[str], Iterable[Finding]], ...] = (
    _email,
    _iban,
    _card,
    _national_id,
    _account,
    _phone,
    _name,
)


def findings(text: str) -> list[Finding]:
    """Non-overlapping personal-data spans, in text order."""
    taken: list[Finding] = []
    for detector in DETECTORS:
        for found in detector(text):
            if all(found.end <= other.start or found.start >= other.end for other in taken):
                taken.append(found)
    return sorted(taken, key=lambda f: f.start)


def redact(text: str) -> str:
    """Replace personal data with typed placeholders such as [EMAIL] or [NATIONAL_ID]."""
    for _ in range(4):  # a placeholder can expose what its neighbour hid (digits after a card)
        redacted = _redact_once(text)
        if redacted == text:
            break
        text = redacted
    return text


def _redact_once(text: str) -> str:
    if not text:
        return text
    parts = []
    position = 0
    for found in findings(text):
        parts.append(text[position : found.start])
        parts.append(found.placeholder)
        position = found.end
    parts.append(text[position:])
    return "".join(parts)
