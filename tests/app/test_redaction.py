"""The privacy filter on a table of positive and negative cases in Danish, Swedish, English."""

from __future__ import annotations

import pytest

from app.transcripts.redaction import redact

POSITIVE = [
    # (language, text, placeholder that must appear, fragment that must be gone)
    ("da", "Min mail er jens.hansen@post.dk hvis I skal skrive", "[EMAIL]", "jens.hansen"),
    ("sv", "skicka till anna_l+kvitto@firma.se tack", "[EMAIL]", "anna_l"),
    ("en", "Reach me at j.smith@example.co.uk.", "[EMAIL]", "j.smith"),
    ("da", "ring på 20 30 40 50 efter kl 16", "[PHONE]", "20 30 40 50"),
    ("da", "mit nummer er +45 31 22 44 18", "[PHONE]", "31 22 44 18"),
    ("sv", "Ring mig på 070-123 45 67 i eftermiddag", "[PHONE]", "123 45 67"),
    ("sv", "växeln 08-123 456 78", "[PHONE]", "456 78"),
    ("en", "my mobile is +44 7911 123456", "[PHONE]", "7911"),
    ("en", "Norwegian number +47 912 34 567 works too", "[PHONE]", "912 34"),
    ("da", "kortnummer 4111 1111 1111 1111 udløber 04/28", "[CARD]", "4111 1111"),
    ("en", "card 5500-0000-0000-0004 was charged", "[CARD]", "5500-0000"),
    ("da", "overfør til DK50 0040 0440 1162 43", "[IBAN]", "0440 1162"),
    ("sv", "IBAN SE45 5000 0000 0583 9825 7466", "[IBAN]", "0583 9825"),
    ("da", "Mit CPR-nummer er 211062-5629", "[NATIONAL_ID]", "211062-5629"),
    ("da", "cpr 2110625629 står på sagen", "[NATIONAL_ID]", "2110625629"),
    ("sv", "Mitt personnummer är 811228-9874", "[NATIONAL_ID]", "811228-9874"),
    ("sv", "personnr 19811228-9874", "[NATIONAL_ID]", "19811228-9874"),
    ("sv", "samordningsnummer 701063-2391", "[NATIONAL_ID]", "701063-2391"),
    ("en", "my Norwegian ID is 15108695088", "[NATIONAL_ID]", "15108695088"),
    ("da", "reg.nr. 1234 kontonr. 0012345678", "[ACCOUNT]", "0012345678"),
    ("en", "account number 12345678 at the branch", "[ACCOUNT]", "12345678"),
    ("da", "Hej, jeg hedder Mette Sørensen og ringer om min regning", "[NAME]", "Mette"),
    ("sv", "Hej! Jag heter Lars Andersson", "[NAME]", "Andersson"),
    ("en", "Hi, my name is Olivia Brown", "[NAME]", "Olivia"),
]

NEGATIVE = [
    ("da", "Ordre 48213377 er stadig ikke kommet"),
    ("da", "regningen var på 1.299,00 kr den 12.03.2026"),
    ("da", "sagsnummer 2024-118734 hos jer"),
    ("sv", "ordernummer 4471120938 levererades inte"),
    ("sv", "det kostade 2 499 kr och kom 2026-03-14"),
    ("sv", "ärende 55012 öppnades i tisdags"),
    ("en", "order no. 4471120938 arrived broken"),
    ("en", "I paid £129.99 on 14/03/2026 for 3 items"),
    ("en", "tracking 1Z999AA10123456784 says delivered"),
    ("en", "The invoice 4111111111111112 is wrong"),  # fails Luhn: not a card
    ("da", "Jeg er meget utilfreds med jer"),
]


@pytest.mark.parametrize(("lang", "text", "placeholder", "gone"), POSITIVE)
def test_personal_data_is_replaced(lang: str, text: str, placeholder: str, gone: str) -> None:
    redacted = redact(text)
    assert placeholder in redacted, redacted
    assert gone not in redacted, redacted


@pytest.mark.parametrize(("lang", "text"), NEGATIVE)
def test_ordinary_numbers_and_words_are_left_alone(lang: str, text: str) -> None:
    assert redact(text) == text


def test_every_language_has_positive_and_negative_cases() -> None:
    for lang in ("da", "sv", "en"):
        assert any(case[0] == lang for case in POSITIVE)
        assert any(case[0] == lang for case in NEGATIVE)


def test_redaction_is_idempotent() -> None:
    once = redact("ring 20 30 40 50 eller skriv til a@b.dk, CPR 211062-5629")
    assert redact(once) == once


def test_no_phone_number_is_shorter_than_the_filters_digit_floor() -> None:
    """The filter skips the phone matcher for texts with fewer digits than MIN_PHONE_DIGITS;
    phonenumbers' own metadata says no valid number, national or international, is that short."""
    import phonenumbers
    from phonenumbers import PhoneMetadata

    from app.transcripts.redaction import _PHONE_REGIONS, MIN_PHONE_DIGITS

    for region in _PHONE_REGIONS:
        lengths = PhoneMetadata.metadata_for_region(region).general_desc.possible_length
        assert min(length for length in lengths if length > 0) >= MIN_PHONE_DIGITS, region
    for region in phonenumbers.SUPPORTED_REGIONS:
        metadata = PhoneMetadata.metadata_for_region(region)
        lengths = [length for length in metadata.general_desc.possible_length if length > 0]
        if lengths:
            assert len(str(metadata.country_code)) + min(lengths) >= MIN_PHONE_DIGITS, region


def test_phone_numbers_are_still_found_and_short_numbers_left_alone() -> None:
    assert "[PHONE]" in redact("Ring på +45 70 10 20 30, tak.")
    assert "[PHONE]" in redact("Ring 22 33 44 55 i morgen.")  # 8 digits, Danish national form
    assert redact("Det kostede 1234 kr.") == "Det kostede 1234 kr."
