"""Fuzzing the list importers: corrupted, truncated or arbitrary files must end in ListFormatError (the
importer's own error, which names the file and what is wrong) or in a parsed list, never in another
exception; and a failed import through `list_import` must leave the active list version as it was.

Bounded and reproducible for CI: fixed example counts, derandomized, no deadline. The seeds are the real
excerpts in fixtures/ (see their README) plus small UK and generic CSV files in the published layouts.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from screening import importers
from screening.importers import ListFormatError, ParsedList
from screening.models import ListVersion
from screening.services import list_import

FIXTURES = Path(__file__).parent / "fixtures"

UK_CSV = (
    b"Report Date: 20-Nov-2026\r\n"
    b"Name 6,Name 1,Name 2,Name 3,Name 4,Name 5,Name type,D.O.B,Nationality(/ies),Unique ID,Designation Type\r\n"
    b"KIM,Jong,,,,,Primary name,01/01/1960,North Korea,DPR0001,Individual\r\n"
    b"KIMMY,Jong,,,,,Alias,,,DPR0001,Individual\r\n"
    b"ACME SHIPPING,,,,,,Primary name,,,RUS0002,Entity\r\n"
)
GENERIC_CSV = (
    b"entity_id,name,schema,aliases,birth_dates,nationalities,programs\n"
    b"X-1,Ivan Petrov,Person,Ivan P.;I. Petrov,1970-01-01,RU,EU-RU\n"
    b"X-2,Blue Sea Ltd,Organization,,,,EU-RU\n"
)

# Bytes that matter to these formats, spliced in by the mutator: quoting, separators, line ends, OFAC's
# end-of-file byte, NUL, invalid UTF-8, XML markup and the entity/DTD constructs a hostile file would carry.
TOKENS = [
    b'"',
    b",",
    b";",
    b"\r\n",
    b"\n",
    b"\r",
    b"\x1a",
    b"\x00",
    b"\xff\xfe",
    b"\x81",
    b"\xc3",
    b"-0-",
    b"<",
    b">",
    b"</",
    b"&amp;",
    b"&#0;",
    b"&#x1F;",
    b"<!DOCTYPE l [<!ENTITY e 'x'>]>",
    b'<!DOCTYPE l SYSTEM "file:///etc/passwd">',
    b"&e;",
    b"<![CDATA[",
    b"<INDIVIDUAL><REFERENCE_NUMBER>Q</REFERENCE_NUMBER></INDIVIDUAL>",
    b"Unique ID",
    b"address",
    b"0x" + b"ab" * 20,
    b"9" * 40,
    b"\xef\xbb\xbf",
    b"\x1a\x1a",
]

FUZZ = settings(
    max_examples=150,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@st.composite
def mutated(draw: st.DrawFn, seed: bytes) -> bytes:
    """The seed after one to five edits: flip, insert (random or a token), delete a range, truncate, repeat."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 5))):
        pos = draw(st.integers(0, len(data)))
        op = draw(st.sampled_from(["token", "flip", "line-token", "insert", "token", "delete", "truncate", "repeat"]))
        if op == "flip" and data:
            at = min(pos, len(data) - 1)
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif op == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=8))
        elif op == "token":
            data[pos:pos] = draw(st.sampled_from(TOKENS))
        elif op == "line-token":  # where a format's constructs start: a declaration, a row, a cell
            starts = [0] + [i + 1 for i, byte in enumerate(data) if byte == 0x0A]
            at = starts[min(draw(st.integers(0, 8)), len(starts) - 1)]
            data[at:at] = draw(st.sampled_from(TOKENS))
        elif op == "delete":
            del data[pos : pos + draw(st.integers(1, 64))]
        elif op == "truncate":
            del data[pos:]
        elif op == "repeat":
            chunk = data[pos : pos + draw(st.integers(1, 16))]
            data[pos:pos] = chunk * draw(st.integers(1, 40))
    return bytes(data)


def _parse_bytes(parse: Callable[[Path], ParsedList], data: bytes, name: str) -> ParsedList | None:
    """Parse `data` as a file; None when the importer refused it with its own error (the only accepted way)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        try:
            parsed = parse(path)
        except ListFormatError as exc:
            assert name in str(exc) or "Unknown source" in str(exc)  # the message names the file
            return None
    assert isinstance(parsed, ParsedList)
    return parsed


def _ofac_sdn(path: Path) -> ParsedList:
    return importers.parse_ofac(sdn=path)


def _ofac_with(option: str) -> Callable[[Path], ParsedList]:
    def parse(path: Path) -> ParsedList:
        return importers.parse_ofac(sdn=FIXTURES / "ofac_sdn_excerpt.csv", **{option: path})

    return parse


PARSERS: dict[str, tuple[Callable[[Path], ParsedList], bytes, str]] = {
    "ofac-sdn": (_ofac_sdn, (FIXTURES / "ofac_sdn_excerpt.csv").read_bytes(), "sdn.csv"),
    "ofac-alt": (_ofac_with("alt"), (FIXTURES / "ofac_alt_excerpt.csv").read_bytes(), "alt.csv"),
    "ofac-add": (_ofac_with("add"), (FIXTURES / "ofac_add_excerpt.csv").read_bytes(), "add.csv"),
    "ofac-comments": (
        _ofac_with("comments"),
        (FIXTURES / "ofac_sdn_comments_excerpt.csv").read_bytes(),
        "sdn_comments.csv",
    ),
    "un": (importers.parse_un, (FIXTURES / "un_consolidated_excerpt.xml").read_bytes(), "consolidated.xml"),
    "uk": (importers.parse_uk, UK_CSV, "UK_Sanctions_List.csv"),
    "generic-csv": (importers.parse_generic_csv, GENERIC_CSV, "list.csv"),
    "address-csv": (
        importers.parse_address_list,
        (FIXTURES / "eth_addresses_excerpt.csv").read_bytes(),
        "addresses.csv",
    ),
    "address-plain": (
        importers.parse_address_list,
        (FIXTURES / "eth_addresses_plain.txt").read_bytes(),
        "addresses.txt",
    ),
}


@pytest.mark.parametrize("kind", list(PARSERS))
def test_every_seed_file_parses_cleanly(kind: str):
    parse, seed, name = PARSERS[kind]
    parsed = _parse_bytes(parse, seed, name)
    assert parsed is not None and (parsed.entities or parsed.addresses)


@pytest.mark.parametrize("kind", list(PARSERS))
def test_a_mutated_real_file_is_parsed_or_refused_with_a_list_format_error(kind: str):
    parse, seed, name = PARSERS[kind]

    @FUZZ
    @given(data=mutated(seed))
    def run(data: bytes) -> None:
        _parse_bytes(parse, data, name)

    run()


@pytest.mark.parametrize("kind", list(PARSERS))
def test_arbitrary_bytes_are_parsed_or_refused_with_a_list_format_error(kind: str):
    parse, _, name = PARSERS[kind]

    @settings(FUZZ, max_examples=80)
    @given(data=st.binary(max_size=2048))
    def run(data: bytes) -> None:
        _parse_bytes(parse, data, name)

    run()


# Through the service, on the real database: what the parser lets through must also store cleanly (or be
# refused as a format error), and a refused import changes nothing.
IMPORTS: dict[str, tuple[str, str, bytes, str]] = {
    "ofac": ("ofac", "sdn", (FIXTURES / "ofac_sdn_excerpt.csv").read_bytes(), "sdn.csv"),
    "un": ("un", "file", (FIXTURES / "un_consolidated_excerpt.xml").read_bytes(), "consolidated.xml"),
    "uk": ("uk", "file", UK_CSV, "UK_Sanctions_List.csv"),
    "csv": ("csv", "file", GENERIC_CSV, "list.csv"),
    "address-list": (
        "address-list",
        "file",
        (FIXTURES / "eth_addresses_excerpt.csv").read_bytes(),
        "addresses.csv",
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("kind", list(IMPORTS))
def test_a_corrupted_import_is_refused_and_leaves_the_active_version_untouched(kind: str, tmp_path: Path):
    source, option, seed, name = IMPORTS[kind]
    good = tmp_path / name
    good.write_bytes(seed)
    list_import(source=source, files={option: good}, monitor=False)

    @settings(FUZZ, max_examples=60)
    @given(data=mutated(seed))
    def run(data: bytes) -> None:
        active = ListVersion.objects.get(source=source, is_active=True)
        bad = tmp_path / f"fuzzed-{name}"
        bad.write_bytes(data)
        try:
            outcome = list_import(source=source, files={option: bad}, monitor=False)
        except ListFormatError:
            after = ListVersion.objects.get(source=source, is_active=True)
            assert (after.pk, after.checksum, after.counts) == (active.pk, active.checksum, active.counts)
            assert after.entities.count() == active.entities.count()
            assert after.addresses.count() == active.addresses.count()
            return
        assert outcome.version.is_active
        assert ListVersion.objects.filter(source=source, is_active=True).count() == 1

    run()


# Regressions: what the fuzzing above found, pinned as plain tests.


def test_a_un_file_declaring_an_xml_entity_is_refused_as_a_format_error(tmp_path: Path):
    seed = (FIXTURES / "un_consolidated_excerpt.xml").read_bytes()
    at = seed.index(b"<CONSOLIDATED_LIST")
    path = tmp_path / "consolidated.xml"
    path.write_bytes(seed[:at] + b"<!DOCTYPE l [<!ENTITY e 'x'>]>" + seed[at:])
    with pytest.raises(ListFormatError, match=r"consolidated\.xml: XML with EntitiesForbidden"):
        importers.parse_un(path)


def test_a_csv_whose_header_row_has_broken_quoting_is_refused_as_a_format_error(tmp_path: Path):
    path = tmp_path / "list.csv"
    path.write_bytes(b'"entity_id"x,name\nX-1,Ivan\n')
    with pytest.raises(ListFormatError, match=r"list\.csv header: .* expected after"):
        importers.parse_generic_csv(path)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"entity_id,name\nX-1,Iv\x00an\n", "a NUL byte at offset 21"),
        (b"entity_id,name\n" + b"X" * 101 + b",Ivan\n", "is over 100 characters"),
        (b"entity_id,name,schema\nX-1,Ivan," + b"P" * 31 + b"\n", "schema 'PPPP"),
    ],
)
def test_a_list_the_database_could_not_store_is_refused_and_the_active_version_stays(
    tmp_path: Path, content: bytes, message: str
):
    good = tmp_path / "good.csv"
    good.write_bytes(GENERIC_CSV)
    active = list_import(source="csv", files={"file": good}, monitor=False).version
    bad = tmp_path / "bad.csv"
    bad.write_bytes(content)
    with pytest.raises(ListFormatError, match=message):
        list_import(source="csv", files={"file": bad}, monitor=False)
    assert ListVersion.objects.get(source="csv", is_active=True) == active
    assert ListVersion.objects.filter(source="csv").count() == 1
