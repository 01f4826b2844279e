"""One normaliser for every name the portal stores, shows, searches and screens.

A name is normalised once, where it enters: Unicode NFKC (fullwidth letters, ligatures and compatibility forms
become their plain equivalents, combining marks are composed) and runs of white space become one space. What
a person cannot see must not be part of a name: a RIGHT-TO-LEFT OVERRIDE makes "\u202eegedaB cirE\u202c" show
as "Eric Badege" while its characters spell something else, so the stored, displayed, searched and screened
strings would differ. Such characters (format characters of category Cf: bidi controls, zero-width characters,
tags; control characters; unassigned, private-use and surrogate code points; line and paragraph separators;
and the few letters and marks that render as nothing) are

- refused in what people type (`name_clean`, `NameField`, `NameSerializerField`, `NameListSerializerField`),
  with a message naming the character, and
- stripped from what a provider or a list publisher sends (`name_from_source`): we cannot ask them to retype.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from rest_framework import serializers

# Letters and marks that render as nothing though their category says otherwise: the Hangul fillers, the
# Braille blank, the combining grapheme joiner, Khmer's inherent vowels, and the variation selectors.
_INVISIBLE = frozenset(
    [0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x2800, 0x3164, 0xFFA0, *range(0xFE00, 0xFE10), *range(0xE0100, 0xE01F0)]
)
_REFUSED_CATEGORIES = frozenset({"Cf", "Cc", "Co", "Cs", "Cn", "Zl", "Zp"})
# Control characters have no Unicode name; these are the ones people (and forms) actually send.
_CONTROL_NAMES = {0x09: "CHARACTER TABULATION", 0x0A: "LINE FEED", 0x0D: "CARRIAGE RETURN", 0x00: "NULL"}


class InvalidName(ValueError):
    """A typed name with a character that cannot be part of a name. The message names the character."""


def is_invisible(char: str) -> bool:
    return unicodedata.category(char) in _REFUSED_CATEGORIES or ord(char) in _INVISIBLE


def describe_char(char: str) -> str:
    """'U+202E RIGHT-TO-LEFT OVERRIDE': the code point and its Unicode name, as a person can look it up."""
    code = ord(char)
    name = unicodedata.name(char, "") or _CONTROL_NAMES.get(code, "")
    if not name:
        category = unicodedata.category(char)
        name = {"Cc": "CONTROL CHARACTER", "Co": "PRIVATE USE CHARACTER", "Cs": "SURROGATE"}.get(
            category, "UNASSIGNED CODE POINT"
        )
    return f"U+{code:04X} {name}"


def _collapse(value: str) -> str:
    return " ".join(value.split())


def name_clean(value: str) -> str:
    """A name a person typed, normalised; raises InvalidName naming the first invisible character."""
    for position, char in enumerate(value, start=1):
        if is_invisible(char):
            raise InvalidName(
                f"contains the invisible character {describe_char(char)} (character {position}); "
                "type the name as it is written, without control or formatting characters."
            )
    return _collapse(unicodedata.normalize("NFKC", value))


def name_from_source(value: Any) -> str:
    """A name from a provider or a published list: invisible characters dropped, then normalised like a typed one.
    Never raises: what the source sent is screened in the form it displays."""
    text = "" if value is None else str(value)
    text = "".join(" " if char in "\t\r\n\x0b\x0c\u2028\u2029" else char for char in text)
    text = "".join(char for char in text if not is_invisible(char))
    return _collapse(unicodedata.normalize("NFKC", text))


def names_from_source(values: Iterable[Any]) -> list[str]:
    """Each name normalised, empty ones and repeats dropped, order kept."""
    seen: set[str] = set()
    out: list[str] = []
    for value in values:
        name = name_from_source(value)
        if name and name not in seen:
            seen.add(name)
            out.append(name)
    return out


# Form and API fields ------------------------------------------------------------------------------------------


def validate_name(value: str) -> str:
    """Django form of `name_clean`: raises ValidationError with the character named."""
    try:
        return name_clean(value)
    except InvalidName as exc:
        raise ValidationError(f"This name {exc}", code="invisible_character") from exc


def validate_names(values: Iterable[str]) -> list[str]:
    """A list of names (other, former or trading names): each one checked and normalised, empty ones and repeats
    dropped. The error says which name of the list is wrong, without echoing the invisible character."""
    out: list[str] = []
    for number, value in enumerate(values, start=1):
        try:
            name = name_clean(value)
        except InvalidName as exc:
            raise ValidationError(f"Name {number} of the list {exc}", code="invisible_character") from exc
        if name and name not in out:
            out.append(name)
    return out


class NameField(forms.CharField):
    """A form field for one name: normalised, invisible characters refused."""

    def to_python(self, value: Any) -> str:
        text = super().to_python(value) or ""
        return validate_name(text) if text else text


class NameSerializerField(serializers.CharField):
    """An API field for one name: normalised, invisible characters refused (400 naming the character)."""

    def to_internal_value(self, data: Any) -> str:
        text = super().to_internal_value(data)
        try:
            return name_clean(text) if text else text
        except InvalidName as exc:
            raise serializers.ValidationError(f"This name {exc}", code="invisible_character") from exc


class NameListSerializerField(serializers.ListField):
    """A list of names for the API, each one a `NameSerializerField` (errors keyed by the item's index); empty
    ones and repeats (after normalisation) dropped, as in the form."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("child", NameSerializerField(max_length=kwargs.pop("child_max_length", 300)))
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> list[str]:
        out: list[str] = []
        for name in super().to_internal_value(data):
            if name and name not in out:
                out.append(name)
        return out
