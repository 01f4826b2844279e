from __future__ import annotations

import json
from io import StringIO
from typing import Any

from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from core.crypto import decrypt_str
from kyc.models import Person
from kyc.tests.factories import complete_company


def _raw(person: Person, column: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM kyc_person WHERE id = %s", [person.pk])  # noqa: S608 - test constant
        return str(cursor.fetchone()[0])


def test_identity_numbers_birth_dates_and_addresses_are_encrypted_at_rest(alice: Any, wallet_key: Any) -> None:
    app = complete_company(alice, wallet_key)
    person = app.people.first()
    assert person is not None
    for column, plain in (
        ("id_document_number", "123456789"),
        ("date_of_birth", "1984-03-14"),
        ("residential_address", "1 High Street"),
    ):
        stored = _raw(person, column)
        assert plain not in stored
        assert stored.startswith("gAAAA")  # a Fernet token
    with connection.cursor() as cursor:
        cursor.execute("SELECT registered_address FROM kyc_companyprofile")
        assert "Shell Centre" not in cursor.fetchone()[0]
    person.refresh_from_db()
    assert person.id_document_number == "123456789"
    assert str(person.date_of_birth) == "1984-03-14"


def test_the_reencrypt_command_moves_every_value_to_the_newest_key(alice: Any, wallet_key: Any, settings: Any) -> None:
    app = complete_company(alice, wallet_key)
    person = app.people.first()
    assert person is not None
    before = _raw(person, "id_document_number")
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, *settings.FIELD_ENCRYPTION_KEYS]
    out = StringIO()
    call_command("kyc_reencrypt", stdout=out)
    summary = json.loads(out.getvalue().strip().splitlines()[-1])
    assert summary["kyc.Person"] == 4
    assert summary["kyc.CompanyProfile"] == 1
    after = _raw(person, "id_document_number")
    assert after != before
    # Readable with the newest key alone: the old key can now be removed.
    settings.FIELD_ENCRYPTION_KEYS = [new_key]
    assert decrypt_str(after) == "123456789"
    person.refresh_from_db()
    assert person.residential_address.startswith("1 High Street")
    app.company.refresh_from_db()
    assert app.company.registered_address.startswith("Shell Centre")


def test_the_audit_trail_records_that_personal_data_changed_but_not_the_value(alice: Any, wallet_key: Any) -> None:
    from core.models import AuditEvent
    from kyc.services import person_update

    app = complete_company(alice, wallet_key)
    person = app.people.get(legal_name="Uma Owner")
    person_update(
        person=person,
        by=alice,
        data={
            "id_document_number": "NEW-999",
            "occupation": "Investor",
            "legal_name": "Uma Q Owner",
            "pep_status": "pep",
        },
    )
    event = AuditEvent.objects.filter(action="application.person_updated").latest("seq")
    assert event.data["changes"]["id_document_number"] == "(changed)"
    assert event.data["changes"]["occupation"] == "(changed)"
    assert event.data["changes"]["legal_name"] == "(changed)"
    # What a reviewer's decision rests on stays readable.
    assert event.data["changes"]["pep_status"][1] == "pep"
    for value in ("NEW-999", "Investor", "Uma Q Owner", "Portfolio manager"):
        assert value not in json.dumps(event.data)


def test_the_reencrypt_command_also_moves_staff_second_factor_secrets(reviewer: Any, settings: Any) -> None:
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value, yield_hotp_counters_from_time

    from accounts.tests.factories import TOTP_SECRET

    totp_before = Authenticator.objects.get(user=reviewer, type=Authenticator.Type.TOTP).data["secret"]
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, *settings.FIELD_ENCRYPTION_KEYS]
    out = StringIO()
    call_command("kyc_reencrypt", stdout=out)
    summary = json.loads(out.getvalue().strip().splitlines()[-1])
    assert summary["mfa.Authenticator"] == 2  # the TOTP secret and the recovery codes' seed
    # With the old key gone the reviewer still signs in: the secret decrypts and a current code is accepted.
    settings.FIELD_ENCRYPTION_KEYS = [new_key]
    totp = TOTP(Authenticator.objects.get(user=reviewer, type=Authenticator.Type.TOTP))
    assert totp.instance.data["secret"] != totp_before
    assert decrypt_str(totp.instance.data["secret"]) == TOTP_SECRET
    code = format_hotp_value(hotp_value(TOTP_SECRET, next(yield_hotp_counters_from_time())))
    assert totp.validate_code(code)
