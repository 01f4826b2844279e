from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from screening.importers import ListFormatError, parse_ofac, parse_uk, parse_un
from screening.models import ListAddress, ListEntity, ListVersion
from screening.services import list_import
from screening.tests.conftest import FIXTURES

pytestmark = pytest.mark.django_db


def test_the_ofac_importer_reads_sdn_alt_add_and_comments_as_ofac_publishes_them(ofac_files: dict[str, Path]) -> None:
    parsed = parse_ofac(**ofac_files)
    assert len(parsed.entities) == 7
    sberbank = parsed.entities["OFAC:17018"]
    assert sberbank.name == "PUBLIC JOINT STOCK COMPANY SBERBANK OF RUSSIA"
    assert "SBERBANK ROSSII" in sberbank.aliases  # from alt.csv
    assert "Russia" in sberbank.data["address_countries"]  # from add.csv
    assert "SBERBANK INDIA" in sberbank.aliases  # a.k.a. in the overflow remarks of sdn_comments.csv
    kirill = parsed.entities["OFAC:24184"]
    assert kirill.schema == "Person" and kirill.birth_dates == ["22 Mar 1982"]
    assert parsed.entities["OFAC:36"].schema == "Organization"  # "-0- " type is an entity, not a value


def test_ofac_remarks_yield_digital_currency_addresses_normalised_with_their_ticker(
    ofac_files: dict[str, Path],
) -> None:
    parsed = parse_ofac(**ofac_files)
    lazarus = [a for a in parsed.addresses if a.entity_id == "OFAC:27307"]
    assert len(lazarus) == 8 and {a.ticker for a in lazarus} == {"ETH"}
    first = lazarus[0]
    assert first.as_published == "0x098B716B8Aaf21512996dC57EB0615e2383E2f96"
    assert first.address == "0x098b716b8aaf21512996dc57eb0615e2383e2f96"


def test_a_truncated_ofac_file_is_refused_with_the_file_and_reason(tmp_path: Path, ofac_files: dict[str, Path]) -> None:
    raw = ofac_files["sdn"].read_bytes()
    cut = tmp_path / "sdn.csv"
    cut.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(ListFormatError, match=r"sdn.csv.*(truncated|columns|corrupt)"):
        parse_ofac(sdn=cut)


def test_an_ofac_file_cut_on_a_line_boundary_is_caught_by_the_missing_end_marker(
    tmp_path: Path, ofac_files: dict[str, Path]
) -> None:
    lines = ofac_files["sdn"].read_bytes().split(b"\r\n")
    cut = tmp_path / "sdn.csv"
    cut.write_bytes(b"\r\n".join(lines[:3]) + b"\r\n")
    with pytest.raises(ListFormatError, match="end-of-file"):
        parse_ofac(sdn=cut)


def test_the_un_importer_keeps_reference_numbers_original_script_and_birth_dates() -> None:
    parsed = parse_un(FIXTURES / "un_consolidated_excerpt.xml")
    saddam = parsed.entities["UN:IQi.001"]
    assert saddam.schema == "Person"
    assert "صدام حسين التكريتي" in saddam.aliases
    assert saddam.birth_dates
    assert parsed.entities["UN:CDe.001"].schema == "Organization"


def test_a_truncated_un_file_is_refused(tmp_path: Path) -> None:
    cut = tmp_path / "un.xml"
    cut.write_bytes((FIXTURES / "un_consolidated_excerpt.xml").read_bytes()[:3000])
    with pytest.raises(ListFormatError, match="not well-formed XML"):
        parse_un(cut)


def test_a_failed_import_leaves_the_active_version_untouched(tmp_path: Path, ofac_files: dict[str, Path]) -> None:
    first = list_import(source="ofac", files=ofac_files, monitor=False).version
    broken = tmp_path / "sdn.csv"
    broken.write_bytes(ofac_files["sdn"].read_bytes()[:700])
    with pytest.raises(ListFormatError):
        list_import(source="ofac", files={"sdn": broken}, monitor=False)
    assert list(ListVersion.objects.values_list("pk", "is_active")) == [(first.pk, True)]
    assert ListEntity.objects.count() == 7


def test_each_import_is_a_version_with_checksum_counts_and_a_diff_against_the_previous(
    tmp_path: Path, ofac_files: dict[str, Path]
) -> None:
    v1 = list_import(source="ofac", files=ofac_files, monitor=False).version
    assert v1.counts["entities"] == 7 and v1.counts["addresses"] > 0 and len(v1.checksum) == 64
    again = list_import(source="ofac", files=ofac_files, monitor=False)
    assert not again.created and again.version.pk == v1.pk  # identical files: nothing new

    # The next publication drops AEROCARIBBEAN (36) and renames an alias of BNC (306).
    lines = ofac_files["sdn"].read_bytes().split(b"\r\n")
    edited = [line for line in lines if not line.startswith(b"36,")]
    edited = [line.replace(b"a.k.a. 'BNC'", b"a.k.a. 'BNC CUBA'") for line in edited]
    sdn2 = tmp_path / "sdn.csv"
    sdn2.write_bytes(b"\r\n".join(edited))
    v2 = list_import(source="ofac", files={**ofac_files, "sdn": sdn2}, monitor=False).version
    assert v2.number == 2 and v2.is_active
    assert v2.diff["removed"] == ["OFAC:36"]
    assert v2.diff["changed"] == ["OFAC:306"]
    assert v2.diff["added"] == []
    v1.refresh_from_db()
    assert not v1.is_active


def test_the_uk_importer_reads_the_reshaped_directory(tmp_path: Path) -> None:
    folder = tmp_path / "uk"
    folder.mkdir()
    (folder / "subjects.csv").write_text(
        "unique_id,subject_type,un_reference_number,ofsi_group_id,date_designated,last_updated\n"
        "RUS0001,individual,,1,01/01/2022,01/02/2022\n"
    )
    (folder / "subject_names.csv").write_text(
        "name_id,unique_id,name_type,alias_strength,full_name,name_6,name_1,name_2,name_3,name_4,name_5\n"
        "1,RUS0001,primary,,Ivan Petrov,Petrov,Ivan,,,,\n2,RUS0001,alias,,Ivan PETROFF,,,,,,\n"
    )
    parsed = parse_uk(folder)
    assert parsed.entities["UK:RUS0001"].name == "Ivan Petrov"
    assert parsed.entities["UK:RUS0001"].aliases == ["Ivan PETROFF"]


def test_the_uk_importer_reads_the_official_csv_with_its_report_date_line(tmp_path: Path) -> None:
    path = tmp_path / "UK_Sanctions_List.csv"
    path.write_text(
        "Report Date: 01-May-2026\n"
        "Last Updated,Unique ID,OFSI Group ID,UN Reference Number,Name 6,Name 1,Name 2,Name 3,Name 4,Name 5,"
        "Name type,Alias strength,Designation Type,D.O.B,Nationality(/ies)\n"
        "01/05/2026,RUS0002,2,,IVANOV,Sergei,,,,,Primary Name,,Individual,01/02/1960,Russia\n"
        "01/05/2026,RUS0002,2,,IVANOFF,Sergey,,,,,Alias,Good quality,Individual,01/02/1960,Russia\n"
    )
    entity = parse_uk(path).entities["UK:RUS0002"]
    assert entity.name == "Sergei IVANOV" and entity.aliases == ["Sergey IVANOFF"]
    assert entity.schema == "Person" and entity.birth_dates == ["01/02/1960"]


def test_the_generic_csv_and_address_list_importers(tmp_path: Path) -> None:
    generic = tmp_path / "list.csv"
    generic.write_text("entity_id,name,schema,aliases,birth_dates\nX:1,Jane Roe,Person,Janet Roe;J. Roe,1970\n")
    version = list_import(source="csv", files={"file": generic}, monitor=False).version
    entity = ListEntity.objects.get(version=version)
    assert entity.aliases == ["Janet Roe", "J. Roe"] and entity.birth_dates == ["1970"]
    plain = list_import(source="address-list", files={"file": FIXTURES / "eth_addresses_plain.txt"}, monitor=False)
    assert plain.version.counts["addresses"] == 2
    assert set(ListAddress.objects.filter(version=plain.version).values_list("address", flat=True)) == {
        "0x098b716b8aaf21512996dc57eb0615e2383e2f96",
        "0xa0e1c89ef1a489c9c7de96311ed5ce5d32c20e4b",
    }


def test_an_address_list_with_a_non_address_names_the_row(tmp_path: Path) -> None:
    bad = tmp_path / "addresses.csv"
    bad.write_text("address\n0x098B716B8Aaf21512996dC57EB0615e2383E2f96\nnot an address!\n")
    with pytest.raises(ListFormatError, match="row 2"):
        list_import(source="address-list", files={"file": bad}, monitor=False)


def test_the_import_command_reports_the_version_and_refuses_a_corrupt_file(
    tmp_path: Path, ofac_files: dict[str, Path], capsys: Any
) -> None:
    call_command("sanctions_import", "--no-monitoring", "un", str(FIXTURES / "un_consolidated_excerpt.xml"))
    assert '"version": 1' in capsys.readouterr().out
    corrupt = tmp_path / "sdn.csv"
    shutil.copy(ofac_files["sdn"], corrupt)
    corrupt.write_bytes(corrupt.read_bytes().replace(b'"LAZARUS GROUP"', b'"LAZARUS GROUP'))
    with pytest.raises(CommandError, match="active version is unchanged"):
        call_command("sanctions_import", "--no-monitoring", "ofac", "--sdn", str(corrupt))


def test_the_full_published_files_import(shared_lists: Path) -> None:
    ofac = list_import(
        source="ofac",
        files={
            "sdn": shared_lists / "ofac_sdn_2024-05-03.csv",
            "alt": shared_lists / "ofac_alt_2025-12.csv",
            "add": shared_lists / "ofac_add_2025-12.csv",
            "comments": shared_lists / "ofac_sdn_comments_2025-12.csv",
        },
        monitor=False,
    ).version
    assert ofac.counts["entities"] == 14965
    # alt/add files are newer than the primary file: their unknown entities are tolerated and counted.
    assert ofac.counts["warning_aliases_for_unknown_entity"] > 0
    assert ListAddress.objects.filter(version=ofac, ticker="ETH").count() >= 49
    un = list_import(source="un", files={"file": shared_lists / "un_consolidated_2026-02-27.xml"}, monitor=False)
    assert un.version.counts["entities"] == 1003
    uk = list_import(source="uk", files={"file": shared_lists / "uk_sanctions_list_2026-05_covyr"}, monitor=False)
    assert uk.version.counts["entities"] == 6046
    cons = list_import(
        source="ofac-cons",
        files={
            "sdn": shared_lists / "ofac_nonsdn_cons_prim_2025-12.csv",
            "alt": shared_lists / "ofac_nonsdn_cons_alt_2025-12.csv",
            "add": shared_lists / "ofac_nonsdn_cons_add_2025-12.csv",
            "comments": shared_lists / "ofac_nonsdn_cons_comments_2025-12.csv",
        },
        monitor=False,
    )
    assert cons.version.counts["entities"] == 442


UK_XML = """<?xml version="1.0" encoding="utf-8"?>
<Designations>
  <DateGenerated>2026-05-01T00:00:00</DateGenerated>
  <Designation>
    <LastUpdated>2026-05-01T00:00:00</LastUpdated>
    <DateDesignated>2022-03-15T00:00:00</DateDesignated>
    <UniqueID>RUS0003</UniqueID>
    <OFSIGroupID>3</OFSIGroupID>
    <UNReferenceNumber />
    <Names>
      <Name><Name1>Sergei</Name1><Name6>IVANOV</Name6><NameType>Primary Name</NameType></Name>
      <Name><Name1>Sergey</Name1><Name6>IVANOFF</Name6><NameType>Primary Name Variation</NameType></Name>
      <Name><Name6>SERGIO</Name6><NameType>Alias</NameType><AliasStrength>Weak</AliasStrength></Name>
    </Names>
    <NonLatinNames>
      <NonLatinName><NameNonLatinScript>Сергей Иванов</NameNonLatinScript>
      <NonLatinScriptType>Cyrillic</NonLatinScriptType><NonLatinScriptLanguage>Russian</NonLatinScriptLanguage>
      </NonLatinName>
    </NonLatinNames>
    <RegimeName>Russia</RegimeName>
    <IndividualEntityShip>Individual</IndividualEntityShip>
    <IndividualDetails><Individual>
      <DOBs><DOB>01/02/1960</DOB></DOBs>
      <Nationalities><Nationality>Russia</Nationality></Nationalities>
    </Individual></IndividualDetails>
  </Designation>
  <Designation>
    <UniqueID>RUS0004</UniqueID>
    <Names><Name><Name6>ACME SHIPPING LLC</Name6><NameType>Primary Name</NameType></Name></Names>
    <RegimeName>Russia</RegimeName>
    <IndividualEntityShip>Entity</IndividualEntityShip>
  </Designation>
</Designations>
"""


def test_the_uk_importer_reads_the_official_xml_designations(tmp_path: Path) -> None:
    # Element names as the FCDO publishes UK_Sanctions_List.xml; the people and the company are made up.
    path = tmp_path / "UK_Sanctions_List.xml"
    path.write_text(UK_XML, encoding="utf-8")
    parsed = parse_uk(path)
    person = parsed.entities["UK:RUS0003"]
    assert person.name == "Sergei IVANOV" and person.schema == "Person"
    assert person.aliases == ["Sergey IVANOFF", "SERGIO", "Сергей Иванов"]
    assert person.birth_dates == ["01/02/1960"] and person.nationalities == ["Russia"]
    assert person.programs == ["Russia"]
    assert parsed.entities["UK:RUS0004"].schema == "Organization"


def test_a_truncated_uk_xml_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "UK_Sanctions_List.xml"
    path.write_text(UK_XML[: len(UK_XML) // 2], encoding="utf-8")
    with pytest.raises(ListFormatError, match=r"UK_Sanctions_List.xml: not well-formed XML.*truncated"):
        parse_uk(path)


def test_an_ofac_entry_with_several_programmes_keeps_each_one(ofac_files: dict[str, Path]) -> None:
    parsed = parse_ofac(**ofac_files)
    assert parsed.entities["OFAC:17018"].programs == ["UKRAINE-EO13662", "RUSSIA-EO14024"]
    assert parsed.entities["OFAC:39796"].programs == ["DPRK3", "CYBER2"]
    assert all("]" not in p and "[" not in p for e in parsed.entities.values() for p in e.programs)


def test_the_migration_splits_stored_programmes_and_keeps_false_positive_decisions(alice: Any) -> None:
    """Rows imported before the fix are split in place; their fingerprint becomes what a fresh import
    computes, and a reviewer's dismissal moves with it."""
    import importlib

    from django.apps import apps

    from screening.importers import EntityRecord
    from screening.models import FalsePositive

    migration = importlib.import_module("screening.migrations.0002_split_ofac_programmes")
    before = EntityRecord(
        entity_id="OFAC:36", schema="Organization", name="AEROCARIBBEAN AIRLINES", programs=["SDGT] [SYRIA"]
    )
    after = EntityRecord(
        entity_id="OFAC:36", schema="Organization", name="AEROCARIBBEAN AIRLINES", programs=["SDGT", "SYRIA"]
    )
    version = ListVersion.objects.create(source="ofac", number=1, checksum="0" * 64, is_active=True)
    ListEntity.objects.create(
        version=version,
        entity_id=before.entity_id,
        schema=before.schema,
        name=before.name,
        programs=before.programs,
        fingerprint=before.fingerprint(),
    )
    FalsePositive.objects.create(
        subject_ref="kyc.person:1",
        entity_id="OFAC:36",
        entity_fingerprint=before.fingerprint(),
        reason="Other",
        decided_by=alice,
    )
    migration.split_ofac_programmes(apps, None)
    entity = ListEntity.objects.get()
    assert entity.programs == ["SDGT", "SYRIA"] and entity.fingerprint == after.fingerprint()
    assert FalsePositive.objects.get().entity_fingerprint == after.fingerprint()
