"""The privacy filter on any text: never crashes, idempotent, leaves digit-free text alone,
and never lets a generated valid identifier through."""

from __future__ import annotations

import datetime as dt
import string

import phonenumbers
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st
from stdnum import iban, luhn
from stdnum.dk import cpr

from app.transcripts.redaction import PLACEHOLDERS, findings, redact

# --- Generators of valid identifiers, checked with the same libraries a reviewer would use ---

_LOCAL = string.ascii_letters + string.digits + "_+-"
_LABEL = string.ascii_lowercase + string.digits


@st.composite
def emails(draw: st.DrawFn) -> str:
    local = draw(st.lists(st.text(_LOCAL, min_size=1, max_size=8), min_size=1, max_size=3)).copy()
    labels = draw(st.lists(st.text(_LABEL, min_size=1, max_size=8), min_size=1, max_size=3))
    tld = draw(st.text(string.ascii_lowercase, min_size=2, max_size=6))
    return ".".join(local) + "@" + ".".join([*labels, tld])


@st.composite
def phones(draw: st.DrawFn) -> str:
    region = draw(st.sampled_from(["DK", "SE", "NO", "GB"]))
    example_number = phonenumbers.example_number_for_type(
        region,
        draw(st.sampled_from([phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE])),
    )
    national = str(example_number.national_number)
    digits = draw(
        st.lists(st.sampled_from(string.digits), min_size=len(national) - 3, max_size=len(national) - 3)
    )
    candidate = national[:3] + "".join(digits)
    number = phonenumbers.parse(candidate, region)
    assume(phonenumbers.is_valid_number(number))
    style = draw(
        st.sampled_from([phonenumbers.PhoneNumberFormat.INTERNATIONAL, phonenumbers.PhoneNumberFormat.E164])
    )
    return phonenumbers.format_number(number, style)


@st.composite
def cprs(draw: st.DrawFn) -> str:
    born = draw(st.dates(min_value=dt.date(1940, 1, 1), max_value=dt.date(2020, 12, 31)))
    serial = draw(st.integers(0, 9999))
    # Serials whose first digit fits the century (stdnum checks it against the date).
    value = f"{born:%d%m%y}-{serial:04d}"
    assume(cpr.is_valid(value))
    return value


@st.composite
def ibans(draw: st.DrawFn) -> str:
    bban = "".join(draw(st.lists(st.sampled_from(string.digits), min_size=14, max_size=14)))
    check = iban.calc_check_digits("DK" + "00" + bban)
    value = f"DK{check}{bban}"
    assert iban.is_valid(value)
    return draw(st.sampled_from([value, " ".join(value[i : i + 4] for i in range(0, len(value), 4))]))


@st.composite
def cards(draw: st.DrawFn) -> str:
    first = draw(st.sampled_from("2345"))
    body = first + "".join(draw(st.lists(st.sampled_from(string.digits), min_size=14, max_size=14)))
    number = body + luhn.calc_check_digit(body)
    assert luhn.is_valid(number)
    return draw(st.sampled_from([number, " ".join(number[i : i + 4] for i in range(0, 16, 4))]))


identifiers = st.one_of(emails(), phones(), cprs(), ibans(), cards())

# Surrounding prose: no digits, no @, so it cannot itself look like an identifier.
_PROSE = st.characters(blacklist_categories=("Nd", "Cs"), blacklist_characters="@")
prose = st.text(_PROSE, max_size=30)
words = st.lists(st.text(string.ascii_letters + "æøåÆØÅäöÄÖ.,!?'", min_size=1, max_size=10), max_size=5).map(
    " ".join
)

# Text the filter has to think about: digits, separators, @, and its own trigger words.
_TRICKY = st.sampled_from(
    [
        "@",
        ".",
        "-",
        "+",
        " ",
        "+45 ",
        "DK",
        "SE",
        "my name is ",
        "Jeg hedder ",
        "konto ",
        "ordre ",
        "nr. ",
        "[EMAIL]",
        "[PHONE]",
        "2026-03-02",
        "12.03.2026",
        "a",
        "Anna",
        ".dk",
        "\n",
    ]
)
tricky = st.lists(
    st.one_of(_TRICKY, st.text(string.digits, min_size=1, max_size=12), st.text(max_size=4)), max_size=25
).map("".join)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(max_size=200), tricky))
@example("my name is Anna 12345678 a@b.dk DK5000400440116243 4111111111111111")
def test_redact_never_crashes_and_is_idempotent(text: str) -> None:
    once = redact(text)
    assert isinstance(once, str)
    assert redact(once) == once


@settings(max_examples=200, deadline=None)
@given(prose)
def test_text_without_digits_or_at_is_only_touched_by_name_introductions(text: str) -> None:
    spans = findings(text)
    assert all(found.placeholder == "[NAME]" for found in spans)
    if not spans:
        assert redact(text) == text


@settings(max_examples=300, deadline=None)
@given(words, identifiers, words)
@example("Ring til", "+45 20 12 34 56", "tak")
@example("Mit IBAN er", "DK5000400440116243", "OK TAK")  # a capitalised word after it joined the match
@example("Mit IBAN er", "DK5000400440116243", "4111 1111")  # and so did a number
def test_a_valid_identifier_never_survives(before: str, identifier: str, after: str) -> None:
    text = f"{before} {identifier} {after}".strip()
    redacted = redact(text)
    assert identifier not in redacted, (text, redacted)
    assert any(placeholder in redacted for placeholder in PLACEHOLDERS)
