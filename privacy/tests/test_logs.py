"""Logs never carry personal data: distinctive values go through the real flows (sign-up, sign-in, the API, an
upload, submission with screening, the review, a password reset, error pages) while every logger writes at DEBUG
through the production JSON formatter, and none of the values may appear in what was written.

The wallet address is left out on purpose: it is public (it is what the on-chain whitelist lists).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils.module_loading import import_string

from core.logging import JsonFormatter
from kyc.models import Application
from kyc.tests.factories import PDF_BYTES, PNG_BYTES, prove_wallet

NAME = "Zebulon Quintavalle-Okonkwo"
BIRTH_DATE = "1971-11-23"
ID_NUMBER = "ZQ9081726354"
EMAIL = "zebulon.quintavalle@okonkwo-mail.example"
IBAN = "GB29NWBK60161331926819"
ADDRESS = "77 Quillfeather Lane"
PASSWORD = "a-long-and-distinctive-passphrase-4417"
SECRETS = {
    "name": NAME,
    "surname": "Quintavalle",
    "date of birth": BIRTH_DATE,
    "ID number": ID_NUMBER,
    "e-mail": EMAIL,
    "e-mail local part": "zebulon.quintavalle",
    "IBAN": IBAN,
    "address": ADDRESS,
    "password": PASSWORD,
}


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """Every logger at DEBUG into one stream, formatted as production formats it (JSON lines, request ids)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    # The filters the deployed console handler has, taken from settings.LOGGING (not a copy of them).
    config: dict[str, Any] = settings.LOGGING
    for name in config["handlers"]["console"]["filters"]:
        handler.addFilter(import_string(config["filters"][name]["()"])())
    handler.setLevel(logging.DEBUG)
    loggers = [logging.getLogger()] + [
        logger for logger in logging.Logger.manager.loggerDict.values() if isinstance(logger, logging.Logger)
    ]
    saved = [(logger, logger.level, logger.disabled) for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
        logger.disabled = False
        if logger is logging.getLogger() or not logger.propagate:
            logger.addHandler(handler)
    try:
        yield stream
    finally:
        for logger, level, disabled in saved:
            logger.setLevel(level)
            logger.disabled = disabled
            logger.removeHandler(handler)


@pytest.fixture
def eager() -> Iterator[None]:
    from claystack_portal.celery import app

    before = (app.conf.task_always_eager, app.conf.task_eager_propagates)
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, False
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = before


@pytest.fixture
def lists(db: Any) -> None:
    from screening.services import list_import
    from screening.tests.conftest import FIXTURES

    list_import(
        source="ofac",
        files={
            "sdn": FIXTURES / "ofac_sdn_excerpt.csv",
            "alt": FIXTURES / "ofac_alt_excerpt.csv",
            "add": FIXTURES / "ofac_add_excerpt.csv",
            "comments": FIXTURES / "ofac_sdn_comments_excerpt.csv",
        },
        monitor=False,
    )


def _sign_up_and_sign_in(client: Client) -> Any:
    from allauth.account.models import EmailAddress

    from accounts.models import User

    response = client.post(reverse("account_signup"), {"email": EMAIL, "password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code in (200, 302), response.content[:300]
    user = User.objects.get(email=EMAIL)
    assert mail.outbox, "sign-up sends a verification e-mail"
    # The applicant follows the link in the e-mail (the key is the one allauth sent).
    EmailAddress.objects.filter(user=user).update(verified=True)
    failed = client.post(reverse("account_login"), {"login": EMAIL, "password": "wrong-" + PASSWORD})
    assert failed.status_code == 200  # the form again, with an error
    assert client.post(reverse("account_login"), {"login": EMAIL, "password": PASSWORD}).status_code == 302
    return user


def _apply_through_the_api(client: Client, user: Any, wallet_key: Any) -> Application:
    response = client.post("/api/v1/applications/", {"subject_type": "individual"}, content_type="application/json")
    assert response.status_code == 201, response.content
    public_id = response.json()["id"] if "id" in response.json() else response.json()["public_id"]
    base = f"/api/v1/applications/{public_id}/"
    bad = client.put(
        base + "profile/", {"legal_name": NAME, "date_of_birth": "1971-13-45"}, content_type="application/json"
    )
    assert bad.status_code == 400
    profile = {
        "legal_name": NAME,
        "other_names": ["Zeb Quintavalle"],
        "date_of_birth": BIRTH_DATE,
        "nationalities": ["GB"],
        "country_of_residence": "GB",
        "residential_address": f"{ADDRESS}\nLondon N1 9GU",
        "tax_residence": "GB",
        "occupation": "Quintavalle family office",
        "source_of_funds": f"Salary paid into {IBAN}",
        "source_of_wealth": "Employment income",
        "pep_status": "not_pep",
        "id_document_type": "passport",
        "id_document_number": ID_NUMBER,
        "id_document_country": "GB",
        "id_document_expiry": "2031-01-01",
    }
    response = client.put(base + "profile/", profile, content_type="application/json")
    assert response.status_code == 200, response.content
    details = {"expected_volume_eth": "32", "source_of_funds": f"Savings held at {IBAN} ({NAME})"}
    assert client.patch(base + "details/", details, content_type="application/json").status_code == 200
    for kind, name, content in (
        ("id_front", f"{NAME} passport {ID_NUMBER}.png", PNG_BYTES),
        ("proof_of_address", f"{ADDRESS} bill.pdf", PDF_BYTES),
    ):
        upload = SimpleUploadedFile(name, content)
        response = client.post(base + "documents/", {"kind": kind, "file": upload})
        assert response.status_code == 201, response.content
    refused = client.post(
        base + "documents/", {"kind": "other", "file": SimpleUploadedFile(f"{NAME}.exe", b"MZ" + b"\0" * 64)}
    )
    assert refused.status_code == 400
    application = Application.objects.get(public_id=public_id)
    prove_wallet(application, user, wallet_key)
    return application


def _add_a_director_through_the_api(owner: Any) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(owner)
    organisation = owner.organisations.get()
    response = client.post(
        "/api/v1/applications/",
        {"subject_type": "institution", "organisation": str(organisation.public_id)},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    base = f"/api/v1/applications/{body.get('id') or body['public_id']}/"
    director = {
        "role": "director",
        "legal_name": NAME,
        "date_of_birth": BIRTH_DATE,
        "residential_address": ADDRESS,
        "id_document_type": "passport",
        "id_document_number": ID_NUMBER,
        "position": "Chief executive",
    }
    response = client.post(base + "people/", director, content_type="application/json")
    assert response.status_code == 201, response.content
    # A UBO share over 100 % is refused: the error path runs too.
    too_much = {**director, "role": "ubo", "ownership_percent": "140"}
    assert client.post(base + "people/", too_much, content_type="application/json").status_code == 400


@pytest.mark.usefixtures("eager", "lists")
def test_no_personal_value_reaches_any_log_line_through_the_real_flows(
    captured: io.StringIO, alice: Any, wallet_key: Any, reviewer: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client = Client(raise_request_exception=False)
    user = _sign_up_and_sign_in(client)
    application = _apply_through_the_api(client, user, wallet_key)
    _add_a_director_through_the_api(alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/v1/applications/{application.public_id}/submit/")
    assert response.status_code == 200, response.content
    application.refresh_from_db()
    assert application.status == Application.Status.READY_FOR_REVIEW  # screened for real

    staff = Client(raise_request_exception=False)
    staff.force_login(reviewer)
    assert staff.get(reverse("kyc:queue"), {"q": NAME}).status_code == 200
    case_url = reverse("kyc:case", args=[application.public_id])
    assert staff.get(case_url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        staff.post(reverse("kyc:case_action", args=[application.public_id, "claim"]))
        staff.post(
            reverse("kyc:case_action", args=[application.public_id, "reject"]),
            {
                "reason_code": "unverifiable_identity",
                "internal_note": f"{NAME}: passport {ID_NUMBER} does not match {BIRTH_DATE}",
                "applicant_message": f"Dear {NAME}, we could not verify your identity.",
            },
        )
    application.refresh_from_db()
    assert application.status == Application.Status.REJECTED

    # Someone else asks for a password reset for that address, and mistypes URLs holding personal data.
    anonymous = Client(raise_request_exception=False)
    assert anonymous.post(reverse("account_reset_password"), {"email": EMAIL}).status_code in (200, 302)
    assert anonymous.get(f"/api/v1/whitelist/{EMAIL}").status_code in (400, 404)
    assert client.get(f"/invitations/{EMAIL}/").status_code == 404
    assert anonymous.post(reverse("account_login"), {"login": EMAIL, "password": "x"}).status_code == 200

    output = captured.getvalue()
    assert output.count("\n") > 5, "the capture saw log lines (it must not pass by capturing nothing)"
    # The mistyped URLs were logged ("Not Found: /path"), with the address replaced.
    assert "[e-mail redacted]" in output
    leaks = {label: value for label, value in SECRETS.items() if value.lower() in output.lower()}
    lines = [line for line in output.splitlines() if any(v.lower() in line.lower() for v in leaks.values())]
    assert not leaks, f"personal data in the logs: {sorted(leaks)}; lines: {lines[:5]}"


def test_the_filter_drops_template_debug_records_and_redacts_e_mails_in_messages_and_tracebacks() -> None:
    from core.logging import PersonalDataFilter

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(PersonalDataFilter())
    logger = logging.getLogger("privacy.tests.redaction")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        handler.handle(
            logging.LogRecord("django.template", logging.DEBUG, __file__, 1, "template context %s", (EMAIL,), None)
        )
        logger.warning("Not Found: /invitations/%s/", EMAIL.replace("@", "%40"))
        try:
            raise ValueError(f"no account for {EMAIL}")
        except ValueError:
            logger.exception("lookup failed")
    finally:
        logger.removeHandler(handler)
    output = stream.getvalue()
    assert "zebulon" not in output
    assert "template context" not in output
    assert output.count("[e-mail redacted]") == 2
    assert "ValueError: no account for [e-mail redacted]" in output


@pytest.mark.urls("privacy.tests.urls_boom")
def test_a_server_error_whose_path_and_exception_hold_an_e_mail_logs_neither(captured: io.StringIO, db: Any) -> None:
    response = Client(raise_request_exception=False).get(f"/boom/{EMAIL}/")
    assert response.status_code == 500
    assert EMAIL.encode() not in response.content  # the error page does not echo it either
    output = captured.getvalue()
    assert "Internal Server Error: /boom/[e-mail redacted]/" in output
    assert "RuntimeError: lookup of [e-mail redacted] failed" in output
    assert "zebulon" not in output.lower()
