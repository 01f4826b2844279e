"""Parsers for sanctions lists as their publishers ship them. Pure: files in, `ParsedList` out, or
`ListFormatError` naming the file, the line and what was wrong. The service `list_import` stores the result.

Formats:
- OFAC `sdn.csv` / `cons_prim.csv` (12 columns, no header, `-0- ` for empty, ends with a \\x1a byte), `alt.csv`
  (ent_num, alt_num, type, name, remarks), `add.csv` (ent_num, add_num, address, city, country, remarks),
  `sdn_comments.csv` (ent_num, overflow of the remarks column). Entity ids `OFAC:<ent_num>`.
- UN consolidated XML (INDIVIDUALS/INDIVIDUAL, ENTITIES/ENTITY). Entity ids `UN:<REFERENCE_NUMBER>`.
- UK sanctions list: the FCDO's official XML (`Designation` elements), the official CSV (a "Report Date" line,
  then a header with `Unique ID`, `Name 6`, `Name 1`..`Name 5`, `Name type`, ...) or a directory in the reshaped
  form (`subjects.csv`, `subject_names.csv`, `subject_dobs.csv`). Entity ids `UK:<unique id>`.
- Generic CSV (documented in screening/README.md): `entity_id, name, schema, aliases, birth_dates,
  nationalities, programs`, list columns separated by `;`.
- Address list: a CSV with an `address` column (optional `status`, `entity_id`, `entity_name`, `ticker`) or one
  address per line.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from defusedxml import DefusedXmlException, ElementTree  # type: ignore[import-untyped]

from core.names import name_from_source, names_from_source
from screening.addresses import normalise_address

OFAC_EMPTY = "-0-"
EOF_MARKER = "\x1a"
_DIGITAL_CURRENCY = re.compile(r"Digital Currency Address - ([A-Z0-9]+)\s+([^\s;,]+)")
_DOB = re.compile(r"DOB ([^;]+?)(?:;|$)")
_NATIONALITY = re.compile(r"(?:nationality|Nationality) ([^;]+?)(?:;|$)")
_AKA = re.compile(r"[af]\.k\.a\. '([^']+)'")


class ListFormatError(Exception):
    """A file that is not in the expected format, corrupt or truncated. Nothing is imported."""


@dataclass
class EntityRecord:
    entity_id: str
    schema: str
    name: str
    aliases: list[str] = field(default_factory=list)
    birth_dates: list[str] = field(default_factory=list)
    nationalities: list[str] = field(default_factory=list)
    programs: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)

    def fingerprint(self) -> str:
        """SHA-256 of the canonical record: any change of name, alias, date, country or programme shows."""
        canonical = json.dumps(
            {
                "schema": self.schema,
                "name": self.name,
                "aliases": sorted(set(self.aliases)),
                "birth_dates": sorted(set(self.birth_dates)),
                "nationalities": sorted(set(self.nationalities)),
                "programs": sorted(set(self.programs)),
                "data": self.data,
            },
            sort_keys=True,
            ensure_ascii=False,
        )
        return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass
class AddressRecord:
    address: str
    as_published: str
    ticker: str = ""
    entity_id: str = ""
    entity_name: str = ""
    delisted: bool = False


@dataclass
class ParsedList:
    entities: dict[str, EntityRecord] = field(default_factory=dict)
    addresses: list[AddressRecord] = field(default_factory=list)
    warnings: dict[str, int] = field(default_factory=dict)

    def warn(self, key: str) -> None:
        self.warnings[key] = self.warnings.get(key, 0) + 1

    def normalise_names(self) -> None:
        """Names as published, in the one form the portal stores and screens (core.names): NFKC, invisible
        characters dropped (a publisher cannot be asked to retype), repeats removed. An entity left with no
        name at all is dropped and counted."""
        for key, entity in list(self.entities.items()):
            names = names_from_source([entity.name, *entity.aliases])
            if not names:
                self.warn("entity_without_name")
                del self.entities[key]
                continue
            entity.name, entity.aliases = names[0], names[1:]
        for address in self.addresses:
            address.entity_name = name_from_source(address.entity_name)


def _read_text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ListFormatError(f"{path.name}: cannot be read ({exc.strerror}).") from exc
    if not raw.strip():
        raise ListFormatError(f"{path.name}: the file is empty.")
    nul = raw.find(b"\x00")
    if nul >= 0:
        # No published list contains one, and PostgreSQL cannot store it: refuse before anything is written.
        raise ListFormatError(f"{path.name}: a NUL byte at offset {nul} (corrupt file, or not a text file).")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        # OFAC has shipped Windows-1252 files; anything that decodes neither way is corrupt.
        try:
            return raw.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise ListFormatError(f"{path.name}: not UTF-8 or Windows-1252 text (byte {exc.start}).") from exc


def _ofac_value(value: str) -> str:
    value = value.strip()
    return "" if value == OFAC_EMPTY else value


def _ofac_rows(path: Path, *, columns: int, require_eof_marker: bool) -> list[list[str]]:
    """Rows of an OFAC CSV, checked for shape. OFAC ends each file with \\x1a: a missing marker means the
    download was cut short, which is the truncation a row count cannot show."""
    text = _read_text(path)
    stripped = text.rstrip("\r\n")
    if stripped.endswith(EOF_MARKER):
        text = stripped[: -len(EOF_MARKER)]
    elif require_eof_marker:
        raise ListFormatError(
            f"{path.name}: truncated: OFAC files end with the \\x1a end-of-file byte and this one does not."
        )
    rows: list[list[str]] = []
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        for row in reader:
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if len(row) != columns:
                raise ListFormatError(
                    f"{path.name} line {reader.line_num}: expected {columns} columns, found {len(row)} "
                    "(corrupt or truncated file)."
                )
            if not row[0].strip().isdigit():
                raise ListFormatError(
                    f"{path.name} line {reader.line_num}: the first column must be the numeric ent_num, "
                    f"found {row[0][:30]!r}."
                )
            rows.append(row)
    except csv.Error as exc:
        raise ListFormatError(f"{path.name} line {reader.line_num}: {exc} (corrupt or truncated file).") from exc
    if not rows:
        raise ListFormatError(f"{path.name}: no rows.")
    return rows


_OFAC_SCHEMA = {"individual": "Person", "vessel": "Vessel", "aircraft": "Airplane", "": "Organization"}


def _remarks_facts(entity: EntityRecord, parsed: ParsedList, remarks: str) -> None:
    for dob in _DOB.findall(remarks):
        entity.birth_dates.append(dob.strip())
    for nationality in _NATIONALITY.findall(remarks):
        entity.nationalities.append(nationality.strip().rstrip("."))
    for alias in _AKA.findall(remarks):
        if alias not in entity.aliases:
            entity.aliases.append(alias)
    for ticker, address in _DIGITAL_CURRENCY.findall(remarks):
        address = address.rstrip(".")
        parsed.addresses.append(
            AddressRecord(
                address=normalise_address(address),
                as_published=address,
                ticker=ticker,
                entity_id=entity.entity_id,
                entity_name=entity.name,
            )
        )


_OFAC_PROGRAM_SEPARATOR = re.compile(r"\]\s*\[|;")


def ofac_programs(value: str) -> list[str]:
    """The programme codes of an SDN.CSV `program` field. OFAC writes several as `SDGT] [SYRIA` (the field is
    the text between the outer brackets of `[SDGT] [SYRIA]`), so they are split on `] [`, and on `;`."""
    value = value.strip().removeprefix("[").removesuffix("]")
    programs = (p.strip() for p in _OFAC_PROGRAM_SEPARATOR.split(value))
    return list(dict.fromkeys(p for p in programs if p))


def parse_ofac(
    *,
    sdn: Path,
    alt: Path | None = None,
    add: Path | None = None,
    comments: Path | None = None,
    require_eof_marker: bool = True,
) -> ParsedList:
    parsed = ParsedList()
    remarks_by_id: dict[str, str] = {}
    for row in _ofac_rows(sdn, columns=12, require_eof_marker=require_eof_marker):
        ent_num = row[0].strip()
        name = _ofac_value(row[1])
        if not name:
            raise ListFormatError(f"{sdn.name}: entry {ent_num} has no name.")
        sdn_type = _ofac_value(row[2]).lower()
        entity = EntityRecord(
            entity_id=f"OFAC:{ent_num}",
            schema=_OFAC_SCHEMA.get(sdn_type, "Organization"),
            name=name,
            programs=ofac_programs(_ofac_value(row[3])),
            data={k: v for k, v in {"title": _ofac_value(row[4]), "vessel_flag": _ofac_value(row[9])}.items() if v},
        )
        parsed.entities[entity.entity_id] = entity
        remarks_by_id[entity.entity_id] = _ofac_value(row[11])
    if comments is not None:
        for row in _ofac_rows(comments, columns=2, require_eof_marker=require_eof_marker):
            key = f"OFAC:{row[0].strip()}"
            if key in remarks_by_id:
                remarks_by_id[key] += _ofac_value(row[1])
            else:
                parsed.warn("comments_for_unknown_entity")
    for key, remarks in remarks_by_id.items():
        _remarks_facts(parsed.entities[key], parsed, remarks)
        if remarks:
            parsed.entities[key].data["remarks"] = remarks
    if alt is not None:
        for row in _ofac_rows(alt, columns=5, require_eof_marker=require_eof_marker):
            key = f"OFAC:{row[0].strip()}"
            known = parsed.entities.get(key)
            alias = _ofac_value(row[3])
            if known is None:
                # Published alias files can be newer than the primary file (see data README): tolerated, counted.
                parsed.warn("aliases_for_unknown_entity")
            elif alias and alias not in known.aliases:
                known.aliases.append(alias)
    if add is not None:
        for row in _ofac_rows(add, columns=6, require_eof_marker=require_eof_marker):
            key = f"OFAC:{row[0].strip()}"
            target = parsed.entities.get(key)
            if target is None:
                parsed.warn("addresses_for_unknown_entity")
                continue
            country = _ofac_value(row[4])
            if country:
                countries = target.data.setdefault("address_countries", [])
                if country not in countries:
                    countries.append(country)
    return parsed


def _xml_text(node: Any, path: str) -> str:
    found = node.find(path)
    return (found.text or "").strip() if found is not None and found.text else ""


def parse_un(path: Path) -> ParsedList:
    text = _read_text(path)
    try:
        root = ElementTree.fromstring(text.encode("utf-8"))
    except ElementTree.ParseError as exc:
        raise ListFormatError(f"{path.name}: not well-formed XML ({exc}); corrupt or truncated file.") from exc
    except DefusedXmlException as exc:  # entity declarations or external references: refused, never expanded
        raise ListFormatError(f"{path.name}: XML with {type(exc).__name__}; not a list as published.") from exc
    if root.tag != "CONSOLIDATED_LIST":
        raise ListFormatError(f"{path.name}: the root element must be CONSOLIDATED_LIST, found {root.tag}.")
    parsed = ParsedList()
    for kind, schema in (("INDIVIDUAL", "Person"), ("ENTITY", "Organization")):
        for node in root.iter(kind):
            ref = _xml_text(node, "REFERENCE_NUMBER")
            if not ref:
                raise ListFormatError(f"{path.name}: an {kind} (DATAID {_xml_text(node, 'DATAID')}) has no reference.")
            parts = [_xml_text(node, tag) for tag in ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")]
            name = " ".join(p for p in parts if p)
            entity = EntityRecord(entity_id=f"UN:{ref}", schema=schema, name=name)
            original = _xml_text(node, "NAME_ORIGINAL_SCRIPT")
            if original:
                entity.aliases.append(original)
            for alias in node.iter(f"{kind}_ALIAS"):
                alias_name = _xml_text(alias, "ALIAS_NAME")
                if alias_name and alias_name not in entity.aliases:
                    entity.aliases.append(alias_name)
            for dob in node.iter("INDIVIDUAL_DATE_OF_BIRTH"):
                for tag in ("DATE", "YEAR", "FROM_YEAR", "TO_YEAR"):
                    value = _xml_text(dob, tag)
                    if value:
                        entity.birth_dates.append(value)
            for nat in node.findall("NATIONALITY/VALUE"):
                if nat.text and nat.text.strip():
                    entity.nationalities.append(nat.text.strip())
            entity.programs = [_xml_text(node, "UN_LIST_TYPE")] if _xml_text(node, "UN_LIST_TYPE") else []
            entity.data = {"listed_on": _xml_text(node, "LISTED_ON"), "version": _xml_text(node, "VERSIONNUM")}
            parsed.entities[entity.entity_id] = entity
    if not parsed.entities:
        raise ListFormatError(f"{path.name}: no INDIVIDUAL or ENTITY records.")
    return parsed


def _csv_dicts(path: Path, *, required: Iterable[str], skip_until: str | None = None) -> list[dict[str, str]]:
    text = _read_text(path).lstrip("\ufeff")
    if skip_until is not None:
        # The official UK CSV opens with a "Report Date: ..." line before its header.
        lines = text.splitlines(keepends=True)
        for i, line in enumerate(lines):
            if skip_until.lower() in line.lower():
                text = "".join(lines[i:])
                break
    reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [h.strip() for h in (reader.fieldnames or [])]
    except csv.Error as exc:  # the header row is read (and can be corrupt) before any data row
        raise ListFormatError(f"{path.name} header: {exc} (corrupt or truncated file).") from exc
    missing = [c for c in required if c not in header]
    if missing:
        raise ListFormatError(f"{path.name}: missing column(s) {', '.join(missing)}; found {', '.join(header)}.")
    rows: list[dict[str, str]] = []
    try:
        for row in reader:
            if None in row or any(v is None for v in row.values()):
                raise ListFormatError(
                    f"{path.name} line {reader.line_num}: wrong number of columns (corrupt or truncated file)."
                )
            rows.append({(k or "").strip(): (v or "").strip() for k, v in row.items()})
    except csv.Error as exc:
        raise ListFormatError(f"{path.name} line {reader.line_num}: {exc} (corrupt or truncated file).") from exc
    return rows


_UK_SCHEMA = {"individual": "Person", "entity": "Organization", "ship": "Vessel"}


def _parse_uk_xml(path: Path, text: str) -> ParsedList:
    """The FCDO's `UK_Sanctions_List.xml`: one `Designation` per person, entity or ship with `UniqueID`,
    `IndividualEntityShip`, `Names/Name` (`Name1`..`Name6`, `NameType`), `NonLatinNames`, `RegimeName`,
    `LastUpdated` and, for people, `IndividualDetails/Individual` (`DOBs/DOB`, `Nationalities/Nationality`)."""
    try:
        root = ElementTree.fromstring(text.encode("utf-8"))
    except ElementTree.ParseError as exc:
        raise ListFormatError(f"{path.name}: not well-formed XML ({exc}); corrupt or truncated file.") from exc
    except DefusedXmlException as exc:  # entity declarations or external references: refused, never expanded
        raise ListFormatError(f"{path.name}: XML with {type(exc).__name__}; not a list as published.") from exc
    parsed = ParsedList()
    for position, node in enumerate(root.iter("Designation"), start=1):
        uid = _xml_text(node, "UniqueID")
        if not uid:
            raise ListFormatError(f"{path.name}: Designation {position} has no UniqueID.")
        kind = _xml_text(node, "IndividualEntityShip").lower()
        entity = EntityRecord(entity_id=f"UK:{uid}", schema=_UK_SCHEMA.get(kind, "Organization"), name="")
        for name_node in node.iterfind("Names/Name"):
            parts = [_xml_text(name_node, f"Name{i}") for i in range(1, 7)]
            full = " ".join(p for p in parts if p) or _xml_text(name_node, "Name")
            if not full:
                continue
            if _xml_text(name_node, "NameType").lower() == "primary name" and not entity.name:
                entity.name = full
            elif full not in entity.aliases:
                entity.aliases.append(full)
        for non_latin in node.iter("NameNonLatinScript"):
            if non_latin.text and non_latin.text.strip() and non_latin.text.strip() not in entity.aliases:
                entity.aliases.append(non_latin.text.strip())
        for dob in node.iter("DOB"):
            if dob.text and dob.text.strip():
                entity.birth_dates.append(dob.text.strip())
        for nationality in node.iter("Nationality"):
            value = (nationality.text or "").strip()
            if value and value not in entity.nationalities:
                entity.nationalities.append(value)
        entity.programs = sorted({(r.text or "").strip() for r in node.iter("RegimeName") if (r.text or "").strip()})
        entity.data = {
            "last_updated": _xml_text(node, "LastUpdated"),
            "un_reference": _xml_text(node, "UNReferenceNumber"),
        }
        parsed.entities[entity.entity_id] = entity
    return parsed


def parse_uk(path: Path) -> ParsedList:
    if path.is_file():
        text = _read_text(path)
        if text.lstrip("\ufeff \r\n\t").startswith("<"):
            parsed = _parse_uk_xml(path, text)
            return _uk_finish(path, parsed)
    parsed = ParsedList()
    if path.is_dir():
        subjects = _csv_dicts(path / "subjects.csv", required=("unique_id", "subject_type"))
        for row in subjects:
            uid = row["unique_id"]
            parsed.entities[f"UK:{uid}"] = EntityRecord(
                entity_id=f"UK:{uid}",
                schema=_UK_SCHEMA.get(row["subject_type"].lower(), "Organization"),
                name="",
                data={"last_updated": row.get("last_updated", "")},
            )
        for row in _csv_dicts(path / "subject_names.csv", required=("unique_id", "name_type", "full_name")):
            entity = parsed.entities.get(f"UK:{row['unique_id']}")
            if entity is None:
                parsed.warn("names_for_unknown_subject")
                continue
            if row["name_type"] == "primary" and not entity.name:
                entity.name = row["full_name"]
            elif row["full_name"] and row["full_name"] not in entity.aliases:
                entity.aliases.append(row["full_name"])
        dobs = path / "subject_dobs.csv"
        if dobs.exists():
            for row in _csv_dicts(dobs, required=("unique_id", "year")):
                entity = parsed.entities.get(f"UK:{row['unique_id']}")
                if entity is not None and row["year"]:
                    parts = [row["year"], row.get("month", ""), row.get("day", "")]
                    entity.birth_dates.append("-".join(p for p in parts if p))
    else:
        rows = _csv_dicts(path, required=("Unique ID", "Name 6", "Name type"), skip_until="Unique ID")
        for row in rows:
            key = f"UK:{row['Unique ID']}"
            given = [row.get(f"Name {i}", "") for i in range(1, 6)]
            full = " ".join(p for p in [*given, row["Name 6"]] if p)
            entity = parsed.entities.get(key)
            if entity is None:
                entity = parsed.entities[key] = EntityRecord(
                    entity_id=key,
                    schema=_UK_SCHEMA.get(row.get("Designation Type", row.get("Type", "")).lower(), "Organization"),
                    name="",
                )
            if row["Name type"].lower().startswith("primary") and not entity.name:
                entity.name = full
            elif full and full not in entity.aliases:
                entity.aliases.append(full)
            dob = row.get("D.O.B", "")
            if dob and dob not in entity.birth_dates:
                entity.birth_dates.append(dob)
            nationality = row.get("Nationality(/ies)", row.get("Nationality", ""))
            if nationality and nationality not in entity.nationalities:
                entity.nationalities.append(nationality)
    return _uk_finish(path, parsed)


def _uk_finish(path: Path, parsed: ParsedList) -> ParsedList:
    for entity in list(parsed.entities.values()):
        if not entity.name:
            if entity.aliases:
                entity.name = entity.aliases.pop(0)
            else:
                parsed.warn("subject_without_name")
                del parsed.entities[entity.entity_id]
    if not parsed.entities:
        raise ListFormatError(f"{path.name}: no subjects.")
    return parsed


def _split(value: str) -> list[str]:
    return [v.strip() for v in value.split(";") if v.strip()]


def parse_generic_csv(path: Path) -> ParsedList:
    parsed = ParsedList()
    for row in _csv_dicts(path, required=("entity_id", "name")):
        if not row["entity_id"] or not row["name"]:
            raise ListFormatError(f"{path.name}: every row needs entity_id and name.")
        parsed.entities[row["entity_id"]] = EntityRecord(
            entity_id=row["entity_id"],
            schema=row.get("schema") or "Person",
            name=row["name"],
            aliases=_split(row.get("aliases", "")),
            birth_dates=_split(row.get("birth_dates", "")),
            nationalities=_split(row.get("nationalities", "")),
            programs=_split(row.get("programs", "")),
        )
    if not parsed.entities:
        raise ListFormatError(f"{path.name}: no rows.")
    return parsed


def parse_address_list(path: Path) -> ParsedList:
    parsed = ParsedList()
    text = _read_text(path).lstrip("\ufeff")
    first = text.splitlines()[0] if text else ""
    if "address" in [c.strip().lower() for c in first.split(",")]:
        rows = _csv_dicts(path, required=("address",))
    else:
        rows = [{"address": line.strip()} for line in text.splitlines() if line.strip() and not line.startswith("#")]
    for number, row in enumerate(rows, start=1):
        published = row["address"]
        normalised = normalise_address(published)
        if not normalised:
            raise ListFormatError(f"{path.name} row {number}: {published[:60]!r} is not a wallet address.")
        parsed.addresses.append(
            AddressRecord(
                address=normalised,
                as_published=published,
                ticker=row.get("ticker", "") or ("ETH" if normalised.startswith("0x") else ""),
                entity_id=row.get("entity_id") or _ofac_uid(row.get("sdn_uids", "")),
                entity_name=row.get("entity_name") or row.get("sdn_entity_names", ""),
                delisted=row.get("status", "").lower() == "delisted",
            )
        )
    if not parsed.addresses:
        raise ListFormatError(f"{path.name}: no addresses.")
    return parsed


# Column sizes of ListEntity / ListAddress: an id cannot be cut short (two ids could become one), so a value
# that does not fit is a format error, raised before anything is written.
MAX_ENTITY_ID, MAX_SCHEMA = 100, 30


def check_limits(parsed: ParsedList, name: str) -> None:
    ids = [e.entity_id for e in parsed.entities.values()] + [a.entity_id for a in parsed.addresses]
    for entity_id in ids:
        if len(entity_id) > MAX_ENTITY_ID:
            raise ListFormatError(f"{name}: the entity id {entity_id[:40]!r}... is over {MAX_ENTITY_ID} characters.")
    for entity in parsed.entities.values():
        if len(entity.schema) > MAX_SCHEMA:
            raise ListFormatError(
                f"{name}: the schema {entity.schema[:40]!r} of {entity.entity_id} is over {MAX_SCHEMA} characters."
            )


def _ofac_uid(value: str) -> str:
    """The dev address file names OFAC entries by bare uid ("39796" or "39796; 39797"): keep the first."""
    first = value.replace(";", ",").split(",")[0].strip()
    return f"OFAC:{first}" if first.isdigit() else first


# ---------------------------------------------------------------------------------------------------------------
# OpenSanctions exports (PEPs): FollowTheMoney entities or Senzing records, one JSON object per line
# ---------------------------------------------------------------------------------------------------------------

# What a listed person is, for the reviewer: on a sanctions list, a PEP, or a PEP's relative or close associate.
CATEGORY_SANCTION, CATEGORY_PEP, CATEGORY_RCA = "sanction", "pep", "rca"
_FTM_SUBJECT_SCHEMATA = frozenset({"Person", "Organization", "Company", "LegalEntity", "PublicBody"})
_FTM_NAME_PROPS = ("name", "alias", "previousName", "weakAlias")
_SENZING_SCHEMA = {"PERSON": "Person", "ORGANIZATION": "Organization"}


def category_for_topics(topics: Iterable[str], *, default: str = CATEGORY_SANCTION) -> str:
    """OpenSanctions topics to our category: a sanction outranks a public role, a PEP outranks an associate.
    Anything else (crime, debarment...) gets `default`: treated as a sanctions-grade listing unless the caller
    imports a PEP collection."""
    found = set(topics)
    if any(t == "sanction" or t.startswith("sanction.") for t in found):
        return CATEGORY_SANCTION
    if any(t == "role.pep" or t.startswith("role.pep.") for t in found):
        return CATEGORY_PEP
    if "role.rca" in found:
        return CATEGORY_RCA
    return default


def _json_lines(path: Path) -> Iterable[tuple[int, dict[str, Any]]]:
    text = _read_text(path).lstrip("\ufeff")
    stripped = text.lstrip()
    if stripped.startswith("["):
        raise ListFormatError(
            f"{path.name}: a JSON array; OpenSanctions exports are JSON lines (one entity object per line)."
        )
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ListFormatError(
                f"{path.name} line {number}: not JSON ({exc.msg} at column {exc.colno}); expected one "
                "FollowTheMoney entity or Senzing record per line."
            ) from exc
        if not isinstance(value, dict):
            raise ListFormatError(f"{path.name} line {number}: a JSON {type(value).__name__}, not an entity object.")
        yield number, value


def _strings(value: Any, *, where: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ListFormatError(f"{where} must be a list of strings, found {json.dumps(value)[:60]}.")
    return [v.strip() for v in value if v.strip()]


def _records(value: Any, *, where: str) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ListFormatError(f"{where} must be a list of objects, found {json.dumps(value)[:60]}.")
    return value


def parse_opensanctions(path: Path) -> ParsedList:
    """An OpenSanctions collection (the PEP collection, or any other) as FollowTheMoney entities
    (`entities.ftm.json`: `id`, `schema`, `properties`) or as Senzing records (`senzing.json`: `RECORD_ID`,
    `RECORD_TYPE`, `NAMES`, `RISKS`, `DATES`, `COUNTRIES`, `RELATIONSHIPS`), detected from the first line.
    Positions come from FtM `position` properties and Occupancy/Position entities, or from the Senzing records
    that persons point to; relatives and associates (topic `role.rca`, FtM Family/Associate links) are marked.
    Entity ids `OS:<id>`."""
    lines = list(_json_lines(path))
    if not lines:
        raise ListFormatError(f"{path.name}: no records.")
    first_number, first = lines[0]
    if "schema" in first and "properties" in first:
        parsed = _parse_ftm(path, lines)
    elif "RECORD_ID" in first:
        parsed = _parse_senzing(path, lines)
    else:
        raise ListFormatError(
            f"{path.name} line {first_number}: neither a FollowTheMoney entity (id, schema, properties) nor a "
            f"Senzing record (RECORD_ID, NAMES); found the fields {', '.join(sorted(first)[:8]) or 'none'}."
        )
    if not parsed.entities:
        raise ListFormatError(f"{path.name}: no person or organisation records.")
    return parsed


def _parse_ftm(path: Path, lines: list[tuple[int, dict[str, Any]]]) -> ParsedList:
    parsed = ParsedList()
    posts: dict[str, str] = {}  # Position id -> its name
    occupancies: list[tuple[str, str]] = []  # (holder id, post id)
    links: list[tuple[str, str, str, str]] = []  # (person id, other id, kind, relationship)
    for number, record in lines:
        where = f"{path.name} line {number}"
        entity_id, schema, props = record.get("id"), record.get("schema"), record.get("properties")
        if not isinstance(entity_id, str) or not entity_id.strip():
            raise ListFormatError(f"{where}: field id must be a non-empty string.")
        if not isinstance(schema, str) or not schema:
            raise ListFormatError(f"{where}: field schema must be a FollowTheMoney schema name such as Person.")
        if not isinstance(props, dict):
            raise ListFormatError(f"{where}: field properties must be an object of property: [values].")
        values = {key: _strings(props.get(key), where=f"{where}: properties.{key}") for key in props}
        if schema == "Position":
            posts[entity_id] = (values.get("name") or [""])[0]
            continue
        if schema == "Occupancy":
            for holder in values.get("holder", []):
                for post in values.get("post", []):
                    occupancies.append((holder, post))
            continue
        if schema in ("Family", "Associate"):
            other_key = "relative" if schema == "Family" else "associate"
            relationship = ", ".join(values.get("relationship", [])) or schema.lower()
            for person in values.get("person", []):
                for other in values.get(other_key, []):
                    links.append((person, other, "family" if schema == "Family" else "associate", relationship))
            continue
        if schema not in _FTM_SUBJECT_SCHEMATA:
            parsed.warn(f"skipped_{schema.lower()}")
            continue
        names = [n for key in _FTM_NAME_PROPS for n in values.get(key, [])]
        caption = record.get("caption") if isinstance(record.get("caption"), str) else ""
        primary = (values.get("name") or [caption or ""])[0]
        if not primary and not names:
            raise ListFormatError(f"{where}: entity {entity_id} has no properties.name.")
        topics = values.get("topics", [])
        entity = EntityRecord(
            entity_id=f"OS:{entity_id}",
            schema="Organization" if schema in ("PublicBody", "LegalEntity") else schema,
            name=primary or names[0],
            aliases=[n for n in names if n != (primary or names[0])],
            birth_dates=values.get("birthDate", []),
            nationalities=values.get("nationality", []) + values.get("citizenship", []),
            programs=values.get("program", []),
            data={
                "category": category_for_topics(topics, default=CATEGORY_PEP),
                "topics": sorted(set(topics)),
                "positions": values.get("position", []),
                "countries": values.get("country", []),
                "datasets": _strings(record.get("datasets"), where=f"{where}: datasets"),
            },
        )
        parsed.entities[entity.entity_id] = entity
    for holder, post in occupancies:
        holding = parsed.entities.get(f"OS:{holder}")
        if holding is not None and posts.get(post) and posts[post] not in holding.data["positions"]:
            holding.data["positions"].append(posts[post])
    for person, other, kind, relationship in links:
        # The relative or associate (`other`) is marked with whom they are linked to; the PEP keeps its own topics.
        for subject, counterpart in ((other, person), (person, other)):
            linked = parsed.entities.get(f"OS:{subject}")
            partner = parsed.entities.get(f"OS:{counterpart}")
            if linked is None or partner is None or linked.data["category"] != CATEGORY_RCA:
                continue
            linked.data["relation"] = kind
            linked.data.setdefault("linked_to", []).append(f"{partner.name} ({relationship})")
    return parsed


def _parse_senzing(path: Path, lines: list[tuple[int, dict[str, Any]]]) -> ParsedList:
    parsed = ParsedList()
    anchors: dict[str, str] = {}  # positions and other non-subject records, by their key
    pointers: dict[str, list[tuple[str, str]]] = {}
    for number, record in lines:
        where = f"{path.name} line {number}"
        record_id = record.get("RECORD_ID")
        if not isinstance(record_id, str) or not record_id.strip():
            raise ListFormatError(f"{where}: field RECORD_ID must be a non-empty string.")
        names = _records(record.get("NAMES"), where=f"{where}: NAMES")
        full_names: list[tuple[str, str]] = []
        for i, item in enumerate(names):
            full = (
                item.get("NAME_FULL")
                or item.get("NAME_ORG")
                or " ".join(str(item.get(k) or "") for k in ("NAME_FIRST", "NAME_MIDDLE", "NAME_LAST"))
            )
            if not isinstance(full, str):
                raise ListFormatError(f"{where}: NAMES[{i}].NAME_FULL must be a string.")
            if full.strip():
                full_names.append((str(item.get("NAME_TYPE") or ""), full.strip()))
        relationships = _records(record.get("RELATIONSHIPS"), where=f"{where}: RELATIONSHIPS")
        record_type = record.get("RECORD_TYPE")
        if record_type not in _SENZING_SCHEMA:
            for rel in relationships:
                if rel.get("REL_ANCHOR_KEY") and full_names:
                    anchors[str(rel["REL_ANCHOR_KEY"])] = full_names[0][1]
            continue
        if not full_names:
            raise ListFormatError(f"{where}: record {record_id} has no NAMES[].NAME_FULL.")
        primary = next((n for t, n in full_names if t == "PRIMARY"), full_names[0][1])
        topics = [str(r.get("TOPIC")) for r in _records(record.get("RISKS"), where=f"{where}: RISKS") if r.get("TOPIC")]
        dates = _records(record.get("DATES"), where=f"{where}: DATES")
        countries = _records(record.get("COUNTRIES"), where=f"{where}: COUNTRIES")
        entity = EntityRecord(
            entity_id=f"OS:{record_id}",
            schema=_SENZING_SCHEMA[str(record_type)],
            name=primary,
            aliases=[n for _, n in full_names if n != primary],
            birth_dates=[str(d["DATE_OF_BIRTH"]) for d in dates if d.get("DATE_OF_BIRTH")],
            nationalities=[
                str(c.get("NATIONALITY") or c.get("CITIZENSHIP"))
                for c in countries
                if c.get("NATIONALITY") or c.get("CITIZENSHIP")
            ],
            data={
                "category": category_for_topics(topics, default=CATEGORY_PEP),
                "topics": sorted(set(topics)),
                "positions": [],
                "datasets": [str(record.get("DATA_SOURCE") or "")],
                "url": str(record.get("URL") or ""),
            },
        )
        parsed.entities[entity.entity_id] = entity
        pointers[entity.entity_id] = [
            (str(r.get("REL_POINTER_ROLE") or ""), str(r["REL_POINTER_KEY"]))
            for r in relationships
            if r.get("REL_POINTER_KEY")
        ]
    for entity_id, targets in pointers.items():
        entity = parsed.entities[entity_id]
        for role, key in targets:
            if role == "Occupancy" and anchors.get(key) and anchors[key] not in entity.data["positions"]:
                entity.data["positions"].append(anchors[key])
            elif role in ("Family", "Associate") and f"OS:{key}" in parsed.entities:
                entity.data["relation"] = role.lower()
                entity.data.setdefault("linked_to", []).append(parsed.entities[f"OS:{key}"].name)
    return parsed
