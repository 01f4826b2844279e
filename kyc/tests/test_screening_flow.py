"""Screening of a case from submission to review: the checks per subject, their states on the case, failures that
block the approval until re-run, the Sumsub webhook, resubmission, and monitoring alerts on approved cases."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse

from core.models import AuditEvent
from kyc import adjudication, review, screening_flow, services
from kyc.models import Application, Person
from kyc.tests.factories import complete_company, complete_individual, person_data
from screening import selectors
from screening.models import Check, CheckStatus, Hit, Outcome, ProviderEvent
from screening.services import list_import, monitoring_run
from screening.tests.conftest import FIXTURES, Recorded, Reply, VendorServer, reply_json, vendor_server  # noqa: F401

S = Application.Status
WEBHOOK_SECRET = "sumsub-webhook-secret"
SUMSUB_TOKEN = "sbx:app-token"
SUMSUB_SECRET = "sumsub-secret-key"
LISTED_ADDRESS = "0x098B716B8Aaf21512996dC57EB0615e2383E2f96"  # OFAC:27307 in the shipped excerpt


@pytest.fixture(autouse=True)
def _fresh_index() -> Iterator[None]:
    # The in-memory name index is keyed by list version ids, which restart with every test database.
    selectors._index_cache.clear()
    yield
    selectors._index_cache.clear()


@pytest.fixture
def eager() -> Iterator[None]:
    """Celery runs each task in-process when it is enqueued (retries included, without their countdown), as a
    worker would; a task's error stays in the task, as on a worker (the tests assert what it left behind)."""
    from claystack_portal.celery import app

    before = (app.conf.task_always_eager, app.conf.task_eager_propagates)
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, False
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = before


@pytest.fixture
def lists(db: Any) -> None:
    ofac = {
        "sdn": FIXTURES / "ofac_sdn_excerpt.csv",
        "alt": FIXTURES / "ofac_alt_excerpt.csv",
        "add": FIXTURES / "ofac_add_excerpt.csv",
        "comments": FIXTURES / "ofac_sdn_comments_excerpt.csv",
    }
    list_import(source="ofac", files=ofac, monitor=False)
    list_import(source="un", files={"file": FIXTURES / "un_consolidated_excerpt.xml"}, monitor=False)


def submit(application: Application, user: Any, capture: Any) -> Application:
    """Submit and let every after-commit effect run: the screening task, each check's task, the settling."""
    with capture(execute=True):
        services.application_submit(application=application, by=user)
    application.refresh_from_db()
    return application


def _approve(application: Application, reviewer: Any) -> Application:
    review.case_claim(application=application, by=reviewer)
    return review.case_approve(application=application, by=reviewer, reason="screened clear", risk_level="low")


# Orchestration --------------------------------------------------------------------------------------------------


def test_a_submitted_company_is_screened_subject_by_subject_and_then_ready_for_review_with_its_risk(
    alice: Any, wallet_key: Any, lists: None, eager: None, django_capture_on_commit_callbacks: Any
) -> None:
    app = submit(complete_company(alice, wallet_key), alice, django_capture_on_commit_callbacks)
    assert app.status == S.READY_FOR_REVIEW
    assert list(app.transitions.values_list("to_status", flat=True)) == [S.SUBMITTED, S.SCREENING, S.READY_FOR_REVIEW]
    checks = screening_flow.case_checks(app)
    people = {f"kyc.person:{p.public_id}": p for p in app.people.all()}
    wallet = app.wallets.get()
    assert sorted((c.subject_ref, c.kind) for c in checks) == sorted(
        [(f"kyc.application:{app.public_id}", "name"), (f"kyc.wallet:{wallet.public_id}", "wallet")]
        + [(ref, "name") for ref in people]
        # The colleagues acting for the company are screened too, under the names they gave.
        + [
            (f"kyc.colleague:{app.public_id}:{m.user.public_id}", "name")
            for m in app.organisation.memberships.select_related("user")
            if m.user.full_name
        ]
    )
    assert {c.status for c in checks} == {CheckStatus.DONE}
    director = next(c for c in checks if c.subject_ref.startswith("kyc.person:") and "Jane" in c.subject["name"])
    # Birth year and nationality go to the matcher as evidence (the nationality as the lists spell it); the full
    # date of birth stays encrypted in kyc.
    assert director.subject["birth_date"] == "1984" and director.subject["nationality"] == "United Kingdom"
    assert "1984-03-14" not in json.dumps([c.subject for c in checks] + [c.raw_payload for c in checks])
    assert screening_flow.case_screening_blockers(app) == []
    assert app.risk_rules_version is not None and app.risk_level
    assert AuditEvent.objects.filter(action="case.screening_started").count() == 1


def test_the_plan_follows_the_configured_providers(alice: Any, wallet_key: Any, settings: Any) -> None:
    app = Application.objects.get(pk=complete_company(alice, wallet_key).pk)
    settings.SCREENING_PROVIDERS = {"name": "", "wallet": "embedded", "identity": "sumsub", "company": "gleif"}
    plan = screening_flow.case_screening_plan(app)
    kinds = sorted({(p.subject_ref.split(":")[0], p.kind) for p in plan})
    assert kinds == [("kyc.application", "company"), ("kyc.person", "identity"), ("kyc.wallet", "wallet")]
    company = next(p for p in plan if p.kind == "company")
    assert company.subject["lei"] == app.company.lei and company.subject["schema"] == "Company"
    assert len([p for p in plan if p.kind == "identity"]) == app.people.count()


def test_a_listed_person_gets_a_hit_that_is_open_on_the_case_and_counts_in_the_risk(
    alice: Any, wallet_key: Any, lists: None, eager: None, django_capture_on_commit_callbacks: Any
) -> None:
    app = complete_individual(alice, wallet_key)
    services.application_profile_update(
        application=app,
        by=alice,
        data=person_data(legal_name="Kirill Shamalov", date_of_birth="1982-03-22", nationalities=["RU"]),
    )
    app = submit(app, alice, django_capture_on_commit_callbacks)
    assert app.status == S.READY_FOR_REVIEW
    hits = adjudication.open_hits(app)
    assert [h.entity_id for h in hits] == ["OFAC:24184"]
    assert "birth year agrees" in hits[0].explanation
    assert any(f["factor"] == "open_hit" for f in app.risk_factors)


def test_a_second_submission_signal_creates_no_duplicate_checks(
    alice: Any, wallet_key: Any, lists: None, eager: None, django_capture_on_commit_callbacks: Any
) -> None:
    app = submit(complete_individual(alice, wallet_key), alice, django_capture_on_commit_callbacks)
    before = Check.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        from kyc.signals import application_submitted

        application_submitted.send(sender=Application, application_id=app.pk)
        assert screening_flow.case_screening_start(application_id=app.pk) == []
    assert Check.objects.count() == before == 2  # the applicant's name and the wallet
    app.refresh_from_db()
    assert app.status == S.READY_FOR_REVIEW
    assert app.transitions.filter(to_status=S.SCREENING).count() == 1


def test_an_unavailable_provider_is_retried_then_failed_visibly_and_blocks_approval_until_staff_rerun(
    alice: Any,
    wallet_key: Any,
    reviewer: Any,
    eager: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # No list imported: the embedded provider refuses to answer rather than pass anybody.
    app = submit(complete_individual(alice, wallet_key), alice, django_capture_on_commit_callbacks)
    assert app.status == S.READY_FOR_REVIEW  # failed checks are settled, not left hanging
    checks = screening_flow.case_checks(app)
    assert {(c.status, c.outcome) for c in checks} == {(CheckStatus.FAILED, Outcome.ERROR)}
    assert all(c.attempts == 6 and c.error.startswith("Provider unavailable") for c in checks)
    blockers = screening_flow.case_screening_blockers(app)
    assert len(blockers) == 2 and all("failed" in b and "re-run it" in b for b in blockers)
    page = render_to_string("screening/_case_checks.html", {"checks": checks, "can_review": True})
    assert "Provider unavailable" in page and "Re-run the failed screening checks" in page
    # An auditor sees the failure but is offered no action.
    read_only = render_to_string("screening/_case_checks.html", {"checks": checks, "can_review": False})
    assert "Provider unavailable" in read_only and "Re-run" not in read_only

    lists_ofac = {"sdn": FIXTURES / "ofac_sdn_excerpt.csv"}
    list_import(source="ofac", files=lists_ofac, monitor=False, require_eof_marker=False)
    client = Client()
    client.force_login(reviewer)
    case_page = client.get(reverse("kyc:case", args=[app.public_id])).content.decode()
    assert "Screening checks" in case_page and "Re-run the failed screening checks" in case_page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("kyc_screening:rerun", args=[app.public_id]))
    assert response.status_code == 302
    assert screening_flow.case_screening_blockers(app) == []
    assert {c.status for c in Check.objects.filter(pk__in=[c.pk for c in checks])} == {CheckStatus.DONE}
    assert AuditEvent.objects.filter(action="case.screening_rerun", actor=reviewer).count() == 1


def test_the_rerun_action_is_for_case_reviewers_only(
    alice: Any, wallet_key: Any, charlie: Any, auditor: Any, reviewer: Any
) -> None:
    app = complete_individual(alice, wallet_key)
    services.application_submit(application=app, by=alice)
    services.application_transition(application=app, to=S.READY_FOR_REVIEW, by=None)
    url = reverse("kyc_screening:rerun", args=[app.public_id])
    client = Client()
    assert client.post(url).status_code == 302  # anonymous: to the login page
    for outsider in (alice, charlie, auditor):
        client.force_login(outsider)
        assert client.post(url).status_code == 404
    client.force_login(reviewer)
    assert client.get(url).status_code == 405
    response = client.post(url, follow=True)
    assert "no failed screening check" in response.content.decode()
    assert not AuditEvent.objects.filter(action="case.screening_rerun").exists()


def test_a_case_stuck_before_review_is_screened_again_by_the_rerun_action_never_passed_unscreened(
    alice: Any, wallet_key: Any, reviewer: Any, lists: None, eager: None, django_capture_on_commit_callbacks: Any
) -> None:
    app = complete_individual(alice, wallet_key)
    services.application_submit(application=app, by=alice)  # its after-commit events never ran: no check
    services.application_transition(application=app, to=S.SCREENING, by=None)
    client = Client()
    client.force_login(reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("kyc_screening:rerun", args=[app.public_id]), follow=True)
    assert "screening started again" in response.content.decode()
    app.refresh_from_db()
    assert app.status == S.READY_FOR_REVIEW
    assert sorted(c.kind for c in screening_flow.case_checks(app)) == ["name", "wallet"]
    assert {c.status for c in screening_flow.case_checks(app)} == {CheckStatus.DONE}


def test_a_resubmitted_case_screens_only_what_changed_and_keeps_its_assignee(
    alice: Any, wallet_key: Any, reviewer: Any, lists: None, eager: None, django_capture_on_commit_callbacks: Any
) -> None:
    app = submit(complete_company(alice, wallet_key), alice, django_capture_on_commit_callbacks)
    review.case_claim(application=app, by=reviewer)
    review.case_request_information(application=app, by=reviewer, items=["people"], message="Full name of Uma?")
    uma = app.people.get(legal_name="Uma Owner")
    services.person_update(person=uma, by=alice, data={"legal_name": "Uma Maria Owner"})
    before = Check.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        review.case_resubmit(application=app, by=alice)
    app.refresh_from_db()
    new = Check.objects.filter(pk__gt=0).order_by("-pk")[: Check.objects.count() - before]
    assert [(c.subject_ref, c.subject["name"]) for c in new] == [(f"kyc.person:{uma.public_id}", "Uma Maria Owner")]
    assert app.status == S.READY_FOR_REVIEW and app.assignee == reviewer
    assert list(app.transitions.values_list("to_status", flat=True))[-3:] == [
        S.RESUBMITTED,
        S.SCREENING,
        S.READY_FOR_REVIEW,
    ]


def test_the_case_checks_partial_shows_each_check_with_its_hits(
    alice: Any,
    wallet_key: Any,
    lists: None,
    eager: None,
    django_capture_on_commit_callbacks: Any,
    django_assert_max_num_queries: Any,
) -> None:
    app = complete_individual(alice, wallet_key)
    services.application_profile_update(
        application=app, by=alice, data=person_data(legal_name="Kirill Shamalov", date_of_birth="1982-03-22")
    )
    app = submit(app, alice, django_capture_on_commit_callbacks)
    with django_assert_max_num_queries(6):
        checks = screening_flow.case_checks(app)
        page = render_to_string("screening/_case_checks.html", {"checks": checks})
    assert "Kirill Shamalov (Applicant)" in page and "Name screening" in page and "Wallet screening" in page
    assert "OFAC:24184" in page and "SHAMALOV" in page.upper() and "birth year agrees" in page
    assert "embedded" in page and "Done" in page
    assert "Re-run" not in page


# Sumsub webhook ------------------------------------------------------------------------------------------------


def _sumsub_signed(then: Any) -> Any:
    def handler(req: Recorded) -> Reply:
        ts = req.headers.get("X-App-Access-Ts", "")
        path = req.path + (f"?{req.query}" if req.query else "")
        expected = hmac.new(
            SUMSUB_SECRET.encode(), ts.encode() + req.method.encode() + path.encode() + req.body, hashlib.sha256
        ).hexdigest()
        if req.headers.get("X-App-Access-Sig") != expected:
            return 401, {"Content-Type": "application/json"}, b'{"description": "Request signature mismatch"}'
        result: Reply = then(req)
        return result

    return handler


@pytest.fixture
def sumsub(settings: Any, vendor_server: VendorServer) -> VendorServer:  # noqa: F811
    settings.SCREENING_PROVIDERS = {**settings.SCREENING_PROVIDERS, "identity": "sumsub"}
    settings.SUMSUB_BASE_URL = vendor_server.base_url
    settings.SUMSUB_APP_TOKEN = SUMSUB_TOKEN
    settings.SUMSUB_SECRET_KEY = SUMSUB_SECRET
    settings.SUMSUB_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.SCREENING_HTTP_TIMEOUT = 2
    vendor_server.on("POST", "/resources/applicants", _sumsub_signed(reply_json({"id": "applicant-1"})))
    vendor_server.on("POST", "/resources/accessTokens/sdk", _sumsub_signed(reply_json({"token": "_act-sbx-1"})))
    return vendor_server


def _event(answer: str, created: str, reject_type: str = "") -> bytes:
    review_result: dict[str, Any] = {"reviewAnswer": answer}
    if reject_type:
        review_result |= {"reviewRejectType": reject_type, "rejectLabels": ["FORGERY"]}
    return json.dumps(
        {
            "applicantId": "applicant-1",
            "inspectionId": "inspection-1",
            "correlationId": f"req-{created}",
            "levelName": "basic-kyc-level",
            "type": "applicantReviewed",
            "reviewResult": review_result,
            "reviewStatus": "completed",
            "createdAtMs": created,
        }
    ).encode()


def _post(client: Client, body: bytes, secret: str = WEBHOOK_SECRET, sign: bool = True) -> Any:
    headers = {}
    if sign:
        headers = {
            "X-Payload-Digest": hmac.new(secret.encode(), body, hashlib.sha256).hexdigest(),
            "X-Payload-Digest-Alg": "HMAC_SHA256_HEX",
        }
    return client.post("/webhooks/sumsub/", data=body, content_type="application/json", headers=headers)


@pytest.fixture
def waiting_for_identity(
    alice: Any, wallet_key: Any, lists: None, eager: None, sumsub: VendorServer, django_capture_on_commit_callbacks: Any
) -> Application:
    app = submit(complete_individual(alice, wallet_key), alice, django_capture_on_commit_callbacks)
    return app


def test_with_an_identity_provider_the_case_waits_in_screening_for_the_verdict(
    waiting_for_identity: Application, sumsub: VendorServer
) -> None:
    app = waiting_for_identity
    assert app.status == S.SCREENING
    identity = Check.objects.get(kind="identity")
    person = app.people.get(role=Person.Role.SUBJECT)
    assert identity.subject_ref == f"kyc.person:{person.public_id}" and identity.external_id == "applicant-1"
    assert identity.status == CheckStatus.RUNNING
    created = sumsub.calls("POST", "/resources/applicants")[0].json()
    # Sumsub knows the person by the opaque ref only.
    assert created["externalUserId"] == f"kyc.person:{person.public_id}"
    assert any("identity verification check is still running" in b for b in screening_flow.case_screening_blockers(app))


def test_a_signed_green_review_completes_the_identity_check_and_the_case_moves_to_review(
    waiting_for_identity: Application, django_capture_on_commit_callbacks: Any
) -> None:
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, _event("GREEN", "2026-11-20 10:00:00.000"))
    assert response.status_code == 200 and response.json()["status"] == "applied"
    identity = Check.objects.get(kind="identity")
    assert (identity.status, identity.outcome) == (CheckStatus.DONE, Outcome.CLEAR)
    waiting_for_identity.refresh_from_db()
    assert waiting_for_identity.status == S.READY_FOR_REVIEW


def test_a_forged_or_unsigned_webhook_is_a_401_and_changes_nothing(
    waiting_for_identity: Application, django_capture_on_commit_callbacks: Any
) -> None:
    client = Client()
    body = _event("GREEN", "2026-11-20 10:00:00.000")
    with django_capture_on_commit_callbacks(execute=True):
        forged = _post(client, body, secret="guessed")
        unsigned = _post(client, body, sign=False)
        tampered = client.post(
            "/webhooks/sumsub/",
            data=body.replace(b"GREEN", b"RED"),
            content_type="application/json",
            headers={
                "X-Payload-Digest": hmac.new(WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest(),
                "X-Payload-Digest-Alg": "HMAC_SHA256_HEX",
            },
        )
    assert (forged.status_code, unsigned.status_code, tampered.status_code) == (401, 401, 401)
    assert "Unsigned" in unsigned.json()["error"]
    assert not ProviderEvent.objects.exists()
    assert Check.objects.get(kind="identity").status == CheckStatus.RUNNING
    waiting_for_identity.refresh_from_db()
    assert waiting_for_identity.status == S.SCREENING
    assert Client().get("/webhooks/sumsub/").status_code == 405


def test_a_replayed_webhook_is_applied_once_and_an_older_event_never_overwrites_a_newer_one(
    waiting_for_identity: Application, django_capture_on_commit_callbacks: Any
) -> None:
    client = Client()
    final_red = _event("RED", "2026-11-20 12:00:00.000", reject_type="FINAL")
    older_green = _event("GREEN", "2026-11-20 09:00:00.000")
    with django_capture_on_commit_callbacks(execute=True):
        statuses = [_post(client, b).json()["status"] for b in (final_red, final_red, older_green)]
    assert statuses == ["applied", "duplicate", "stale"]
    assert AuditEvent.objects.filter(action="screening.webhook_applied").count() == 1
    identity = Check.objects.get(kind="identity")
    assert (identity.status, identity.outcome) == (CheckStatus.DONE, Outcome.MATCH)
    waiting_for_identity.refresh_from_db()
    assert waiting_for_identity.status == S.READY_FOR_REVIEW


def test_a_red_retry_keeps_the_case_in_screening_until_the_final_verdict(
    waiting_for_identity: Application, django_capture_on_commit_callbacks: Any
) -> None:
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        _post(client, _event("RED", "2026-11-20 10:00:00.000", reject_type="RETRY"))
    identity = Check.objects.get(kind="identity")
    assert (identity.status, identity.outcome) == (CheckStatus.RUNNING, Outcome.NEEDS_REVIEW)
    waiting_for_identity.refresh_from_db()
    assert waiting_for_identity.status == S.SCREENING


# Monitoring -----------------------------------------------------------------------------------------------------


def _ofac_with(tmp_path: Path, line: bytes, name: str = "sdn.csv") -> dict[str, Path]:
    sdn = tmp_path / name
    raw = (FIXTURES / "ofac_sdn_excerpt.csv").read_bytes().rstrip(b"\x1a")
    sdn.write_bytes(raw + line + b"\r\n\x1a")
    return {
        "sdn": sdn,
        "alt": FIXTURES / "ofac_alt_excerpt.csv",
        "add": FIXTURES / "ofac_add_excerpt.csv",
        "comments": FIXTURES / "ofac_sdn_comments_excerpt.csv",
    }


UMA = b'99001,"OWNER, Uma",individual,"RUSSIA-EO14024",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- '


@pytest.fixture
def approved(
    alice: Any, wallet_key: Any, reviewer: Any, lists: None, eager: None, django_capture_on_commit_callbacks: Any
) -> Application:
    app = submit(complete_company(alice, wallet_key), alice, django_capture_on_commit_callbacks)
    app = _approve(app, reviewer)
    assert app.status == S.APPROVED
    return app


def test_a_list_update_that_adds_an_approved_person_raises_an_open_hit_and_alerts_the_officers(
    approved: Application, reviewer: Any, tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    from kyc.models import Notification

    uma = approved.people.get(legal_name="Uma Owner")
    assert adjudication.open_hits(approved) == []
    version = list_import(source="ofac", files=_ofac_with(tmp_path, UMA), monitor=False).version
    with django_capture_on_commit_callbacks(execute=True):
        created = monitoring_run(version_id=version.pk)
    assert [c.subject_ref for c in created] == [f"kyc.person:{uma.public_id}"]
    hits = adjudication.open_hits(approved)
    assert [h.entity_id for h in hits] == ["OFAC:99001"]
    alert = AuditEvent.objects.get(action="case.monitoring_alert")
    assert alert.data["entities"] == ["OFAC:99001"]
    note = Notification.objects.get(recipient=reviewer)
    assert approved.reference in note.title and "OFAC:99001" in note.body


def test_an_import_runs_monitoring_through_the_default_hooks_without_any_setting(
    approved: Application, eager: None, tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    # The default SCREENING_MONITORING_SUBJECTS / _ALERT point at kyc: an import alone raises the alert.
    with django_capture_on_commit_callbacks(execute=True):
        list_import(source="ofac", files=_ofac_with(tmp_path, UMA), monitor=True)
    assert [h.entity_id for h in adjudication.open_hits(approved)] == ["OFAC:99001"]
    assert AuditEvent.objects.filter(action="case.monitoring_alert", target_id=str(approved.pk)).exists()


def test_a_remembered_false_positive_stays_quiet_until_the_entity_record_changes(
    approved: Application, reviewer: Any, tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    v2 = list_import(source="ofac", files=_ofac_with(tmp_path, UMA), monitor=False).version
    with django_capture_on_commit_callbacks(execute=True):
        monitoring_run(version_id=v2.pk)
    hit = adjudication.open_hits(approved)[0]
    adjudication.hit_adjudicate(
        application=approved, hit_id=hit.pk, by=reviewer, ruling="false_positive", rationale="born 1951 in Omsk"
    )
    other = b'99002,"NOBODY, Related",individual,"RUSSIA-EO14024",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- '
    v3 = list_import(source="ofac", files=_ofac_with(tmp_path, UMA + b"\r\n" + other, "v3.csv"), monitor=False).version
    with django_capture_on_commit_callbacks(execute=True):
        assert monitoring_run(version_id=v3.pk) == []
    assert AuditEvent.objects.filter(action="case.monitoring_alert").count() == 1
    changed = UMA.replace(b"RUSSIA-EO14024", b"RUSSIA-EO14024] [CYBER2")
    v4 = list_import(source="ofac", files=_ofac_with(tmp_path, changed, "v4.csv"), monitor=False).version
    with django_capture_on_commit_callbacks(execute=True):
        assert len(monitoring_run(version_id=v4.pk)) == 1
    assert [h.entity_id for h in adjudication.open_hits(approved)] == ["OFAC:99001"]
    assert AuditEvent.objects.filter(action="case.monitoring_alert").count() == 2


def test_monitoring_screens_only_approved_cases(
    approved: Application, alice: Any, other_key: Any, django_capture_on_commit_callbacks: Any
) -> None:
    draft = complete_individual(alice, other_key)
    refs = {m.subject_ref for m in screening_flow.monitored_subjects()}
    assert f"kyc.application:{approved.public_id}" in refs
    assert f"kyc.wallet:{approved.wallets.get().public_id}" in refs
    assert not any(str(p) in r for p in draft.people.values_list("public_id", flat=True) for r in refs)


def test_a_sanctioned_address_on_an_approved_wallet_is_raised_and_a_confirmed_match_asks_the_whitelist_to_remove_it(
    alice: Any,
    wallet_key: Any,
    reviewer: Any,
    lists: None,
    eager: None,
    tmp_path: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from whitelist.models import Change

    app = submit(complete_company(alice, wallet_key), alice, django_capture_on_commit_callbacks)
    app = _approve(app, reviewer)
    wallet = app.wallets.get()
    listing = tmp_path / "addresses.csv"
    listing.write_text(f"address,status,entity_id,entity_name\n{wallet.address.lower()},listed,OFAC:77777,MIXER X\n")
    version = list_import(source="address-list", files={"file": listing}, monitor=False).version
    with django_capture_on_commit_callbacks(execute=True):
        monitoring_run(version_id=version.pk)
    hit = Hit.objects.get(check_run__subject_ref=f"kyc.wallet:{wallet.public_id}", entity_id="OFAC:77777")
    adjudication.hit_adjudicate(
        application=app, hit_id=hit.pk, by=reviewer, ruling="true_match", rationale="listed address, same wallet"
    )
    removal = Change.objects.get(action="remove")
    assert removal.address == wallet.address and removal.reference == f"kyc.application:{app.public_id}"
    assert "OFAC:77777" in removal.reason
    audit = AuditEvent.objects.get(action="case.sanctioned_wallet_removal_requested")
    assert audit.data["change"] == removal.pk and audit.actor == reviewer


# Lost messages ----------------------------------------------------------------------------------------------------


def test_a_case_whose_start_message_was_lost_is_screened_by_the_sweep(
    alice: Any, wallet_key: Any, lists: None, eager: None, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    app = complete_company(alice, wallet_key)
    with django_capture_on_commit_callbacks(execute=False):  # the broker lost the start task
        services.application_submit(application=app, by=alice)
    app.refresh_from_db()
    assert app.status == S.SUBMITTED and not screening_flow.case_checks(app)
    assert screening_flow.cases_screening_stuck() == ([], [])  # not yet overdue: the normal flow may still run
    settings.KYC_SCREENING_STALE_MINUTES = 0
    assert screening_flow.cases_screening_stuck() == ([app.pk], [])
    with django_capture_on_commit_callbacks(execute=True):
        screening_flow.screening_sweep_task()
    app.refresh_from_db()
    assert app.status == S.READY_FOR_REVIEW
    assert {c.status for c in screening_flow.case_checks(app)} == {CheckStatus.DONE}


def test_a_check_whose_message_was_lost_is_sent_again_and_the_case_moves_on(
    alice: Any, wallet_key: Any, lists: None, eager: None, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from screening.tasks import checks_sweep_task

    app = complete_company(alice, wallet_key)
    with django_capture_on_commit_callbacks(execute=True):
        services.application_submit(application=app, by=alice)
    app.refresh_from_db()
    lost = screening_flow.case_checks(app)[0]
    # The worker died before acknowledging: the check is back to pending with its case still in screening.
    Check.objects.filter(pk=lost.pk).update(status=CheckStatus.PENDING)
    Application.objects.filter(pk=app.pk).update(status=S.SCREENING)
    assert selectors.checks_stuck() == []
    settings.SCREENING_CHECK_STALE_MINUTES = 0
    assert selectors.checks_stuck() == [lost.pk]
    with django_capture_on_commit_callbacks(execute=True):
        assert checks_sweep_task() == 1
    lost.refresh_from_db()
    app.refresh_from_db()
    assert lost.status == CheckStatus.DONE
    assert app.status == S.READY_FOR_REVIEW
