"""Fuzzing the SIWE (EIP-4361) parser: any text is either refused with SiweParseError (which says what is
wrong) or parsed into a message that renders and parses back to itself, so what the portal compares field by
field is exactly what was signed. Bounded and reproducible: fixed example counts, derandomized, no deadline."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kyc import siwe
from kyc.siwe import SiweMessage, SiweParseError

FUZZ = settings(max_examples=300, derandomize=True, deadline=None, database=None)

line_text = st.text(st.characters(blacklist_characters="\n", blacklist_categories=("Cs",)), max_size=40)
hex40 = st.text(alphabet="0123456789abcdefABCDEF", min_size=40, max_size=40)


def outcome(text: str) -> SiweMessage | None:
    try:
        message = siwe.parse(text)
    except SiweParseError as exc:
        assert str(exc).startswith("it")  # read as "The message is refused: it ..." / "its ..."
        return None
    assert siwe.parse(message.render()) == message  # round trip
    return message


@st.composite
def near_messages(draw: st.DrawFn) -> str:
    """A real challenge, then lines dropped, duplicated, reordered or rewritten: the parser's edge cases."""
    message = siwe.build(
        domain=draw(st.sampled_from(["portal.claystack.example", "localhost:8000", "a"])),
        address="0x" + draw(hex40),
        uri=draw(st.sampled_from(["https://portal.claystack.example/kyc", ""])),
        chain_id=draw(st.integers(0, 2**64)),
        nonce=draw(st.text(alphabet="abcdefghijklmnop0123456789", min_size=8, max_size=17)),
        issued_at=dt.datetime(2026, 11, 20, tzinfo=dt.UTC),
        expires_at=dt.datetime(2026, 11, 21, tzinfo=dt.UTC),
    )
    lines = message.render().split("\n")
    for _ in range(draw(st.integers(0, 4))):
        at = draw(st.integers(0, len(lines) - 1))
        op = draw(st.sampled_from(["drop", "dup", "swap", "rewrite", "prefix", "crlf", "pad"]))
        if op == "drop" and len(lines) > 1:
            del lines[at]
        elif op == "dup":
            lines.insert(at, lines[at])
        elif op == "swap":
            other = draw(st.integers(0, len(lines) - 1))
            lines[at], lines[other] = lines[other], lines[at]
        elif op == "rewrite":
            lines[at] = draw(line_text)
        elif op == "prefix":
            name = draw(st.sampled_from(["URI", "Version", "Chain ID", "Nonce", "Issued At", "Expiration Time"]))
            lines[at] = f"{name}: {draw(line_text)}"
        elif op == "crlf":
            lines[at] += "\r"
        elif op == "pad":
            lines[at] = draw(st.sampled_from([" ", "\t", "\u00a0", "\u2028"])) + lines[at]
    return "\n".join(lines)


@FUZZ
@given(text=st.text(max_size=600))
def test_arbitrary_text_is_refused_with_a_parse_error_or_round_trips(text: str):
    outcome(text)


@FUZZ
@given(text=near_messages())
def test_a_damaged_challenge_is_refused_with_a_parse_error_or_round_trips(text: str):
    outcome(text)


def test_the_portals_own_challenge_round_trips():
    message = siwe.build(
        domain="portal.claystack.example",
        address="0x" + "ab" * 20,
        uri="https://portal.claystack.example/kyc",
        chain_id=1,
        nonce="k3Xq9bZ2mPa",
        issued_at=dt.datetime(2026, 11, 20, tzinfo=dt.UTC),
        expires_at=dt.datetime(2026, 11, 21, tzinfo=dt.UTC),
    )
    assert outcome(message.render()) == message


@pytest.mark.parametrize("chain_id", ["", "x", "1" * 5000])
def test_a_chain_id_that_is_not_a_number_is_refused(chain_id: str):
    lines = [
        "portal.claystack.example wants you to sign in with your Ethereum account:",
        "0x" + "ab" * 20,
        "",
        siwe.STATEMENT,
        "",
        "URI: https://portal.claystack.example/kyc",
        "Version: 1",
        f"Chain ID: {chain_id}",
        "Nonce: abcdefgh",
        "Issued At: 2026-11-20T00:00:00Z",
        "Expiration Time: 2026-11-21T00:00:00Z",
    ]
    with pytest.raises(SiweParseError, match="Chain ID is not a number"):
        siwe.parse("\n".join(lines))
