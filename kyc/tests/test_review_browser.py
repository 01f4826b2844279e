"""End to end in Chromium: a submitted case is screened (one UBO is on the OFAC list), a reviewer signs in with
TOTP, claims it from the queue, rules on the hit and approves at high risk; a second officer with the approver
role is notified and gives the second approval; the applicant signs in and sees the decision.

Screenshots go to var/screenshots/ (looked at when the pages change)."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.conf import settings as django_settings
from django.utils import timezone

from accounts.tests.factories import (
    PASSWORD,
    TOTP_SECRET,
    MembershipFactory,
    OrganisationFactory,
    StaffUserFactory,
    UserFactory,
)
from kyc import risk, services
from kyc.models import Application, Decision, HitAdjudication
from kyc.tests.factories import complete_company, person_data, png
from kyc.tests.test_browser import CHROMIUM, LAUNCH_ARGS
from screening import selectors
from screening.services import list_import
from screening.tests.conftest import FIXTURES
from whitelist.models import Change

SCREENSHOTS = Path(django_settings.BASE_DIR) / "var" / "screenshots"
S = Application.Status

pytestmark = [
    pytest.mark.browser,
    # A live server needs committed data (transaction=True), which only PostgreSQL flushes past the audit trail's
    # append-only trigger (see test_browser.py).
    pytest.mark.postgres,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium"),
]


@pytest.fixture
def eager() -> Iterator[None]:
    """Screening runs in-process when the submission commits, as a worker would run it."""
    from claystack_portal.celery import app

    before = (app.conf.task_always_eager, app.conf.task_eager_propagates)
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, False
    selectors._index_cache.clear()
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = before
    selectors._index_cache.clear()


def _totp() -> str:
    return format_hotp_value(hotp_value(TOTP_SECRET, int(timezone.now().timestamp()) // 30))


def _sign_in(page: Any, base: str, email: str, *, totp: bool) -> None:
    page.goto(base + "/accounts/login/")
    page.fill("[name=login]", email)
    page.fill("[name=password]", PASSWORD)
    page.click("button[type=submit]")
    if totp:
        page.wait_for_url("**/accounts/2fa/authenticate/")
        page.fill("[name=code]", _totp())
        page.click("button[type=submit]")
        page.wait_for_url("**/staff/**")


def _shot(page: Any, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@pytest.mark.django_db(transaction=True)
def test_a_case_is_claimed_ruled_on_approved_twice_and_the_applicant_sees_the_decision(
    live_server: Any, settings: Any, tmp_path: Path, eager: None, wallet_key: Any
) -> None:
    from playwright.sync_api import expect, sync_playwright

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    settings.MEDIA_ROOT = tmp_path / "media"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    ofac = {
        "sdn": FIXTURES / "ofac_sdn_excerpt.csv",
        "alt": FIXTURES / "ofac_alt_excerpt.csv",
        "add": FIXTURES / "ofac_add_excerpt.csv",
        "comments": FIXTURES / "ofac_sdn_comments_excerpt.csv",
    }
    list_import(source="ofac", files=ofac, monitor=False)
    risk.fatf_lists_load()

    applicant = UserFactory(email="treasury@northwind.example", full_name="Tess Treasury")
    org = OrganisationFactory(name="Northwind Asset Management", kind="institution")
    MembershipFactory(user=applicant, organisation=org, role="owner")
    reviewer = StaffUserFactory(email="rita.reviewer@claystack.example", full_name="Rita Reviewer", roles=["reviewer"])
    approver = StaffUserFactory(
        email="arjun.approver@claystack.example", full_name="Arjun Approver", roles=["approver"]
    )
    application = complete_company(applicant, wallet_key)
    # One beneficial owner shares a name, birth date and nationality with an OFAC SDN entry: a real hit to rule on.
    owner = application.people.get(legal_name="Otto Owner")
    services.person_update(
        person=owner,
        by=applicant,
        data=person_data(
            legal_name="Kirill Shamalov", date_of_birth=dt.date(1982, 3, 22), nationalities=["RU"], ownership_percent=30
        ),
    )
    # The owner's passport scan: an image the case page previews inline.
    services.document_upload(
        application=application, by=applicant, kind="id_front", upload=png("passport.png"), person=owner
    )
    services.application_submit(application=application, by=applicant)
    application.refresh_from_db()
    assert application.status == S.READY_FOR_REVIEW  # screened on commit, one open hit
    case_path = f"/staff/cases/{application.public_id}/"

    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
            base = live_server.url

            # The reviewer finds the case among those with open hits, claims it, rules on the hit and approves.
            rita = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            _sign_in(rita, base, reviewer.email, totp=True)
            rita.goto(base + "/staff/cases/?open_hits=1")
            expect(rita.locator("table.review-table tbody tr")).to_have_count(1)
            expect(rita.locator("table.review-table")).to_contain_text("open hits")
            _shot(rita, "review-queue-open-hits")
            rita.click(f"text={application.reference}")
            expect(rita.locator("h1")).to_contain_text(application.reference)
            expect(rita.locator("#hits")).to_contain_text("SHAMALOV, Kirill")
            # Documents are previewed through the authorised view: the image decodes, each PDF has its frame.
            preview = rita.locator("img.doc-preview-image")
            expect(preview).to_have_count(1)
            preview.scroll_into_view_if_needed()
            rita.wait_for_function("document.querySelector('img.doc-preview-image').naturalWidth > 0")
            expect(rita.locator("iframe.doc-preview-pdf")).to_have_count(4)
            rita.click("button:has-text('Claim this case')")
            expect(rita.locator("#case-status")).to_have_text("In review")
            rita.select_option("#hits select[name=ruling]", "false_positive")
            rita.fill(
                "#hits textarea[name=rationale]",
                "Different person: our owner's passport and address differ from the SDN entry's identifiers.",
            )
            rita.click("#hits button:has-text('Record ruling')")
            expect(rita.locator(".message-success")).to_contain_text("Ruling recorded")
            expect(rita.locator("#hits")).to_contain_text("False positive by rita.reviewer@claystack.example")
            expect(rita.locator(".case-blockers")).to_have_count(0)
            rita.select_option("#approve-level", "high")
            rita.fill("#approve-reason", "Ownership verified against the register; the SDN hit is a different person.")
            _shot(rita, "review-case-before-approval")
            # The decision panel says what the rules computed and what an override means.
            expect(rita.locator("#approve-computed")).to_contain_text("A lower level is an override")
            rita.locator(".case-panel").screenshot(path=str(SCREENSHOTS / "review-decision-panel.png"))
            rita.click("#approve-form button[type=submit]")
            expect(rita.locator("#case-status")).to_have_text("Pending second approval")
            expect(rita.locator("#approvals")).to_contain_text("rita.reviewer@claystack.example")
            _shot(rita, "review-case-pending-second-approval")

            # The approver is told in the portal, follows the notification and gives the second approval.
            arjun = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            _sign_in(arjun, base, approver.email, totp=True)
            expect(arjun.locator("a[aria-label='Notifications: 1 unread']")).to_be_visible()
            arjun.click("a[aria-label='Notifications: 1 unread']")
            expect(arjun.locator("table")).to_contain_text("waits for approval 2 of 2")
            _shot(arjun, "review-notifications")
            arjun.click(f'table a:has-text("{application.reference}")')
            expect(arjun.locator("h1")).to_contain_text(application.reference)
            arjun.fill("#approve-reason", "Second review: documents, ownership and the screening ruling are sound.")
            arjun.click("#approve-form button:has-text('Give second approval')")
            expect(arjun.locator("#case-status")).to_have_text("Approved")
            expect(arjun.locator("a[aria-label='Notifications: 0 unread']")).to_be_visible()
            _shot(arjun, "review-case-approved")
            # The risk settings an approver maintains.
            arjun.click("nav >> text=Risk settings")
            expect(arjun.locator("h1")).to_have_text("Risk rule set")
            expect(arjun.locator("button:has-text('Publish version 2')")).to_be_visible()
            _shot(arjun, "review-risk-rules")
            arjun.click("text=FATF country lists")
            expect(arjun.locator("#in-force-h")).to_contain_text("In force on")
            expect(arjun.locator("main")).to_contain_text("Iran")
            _shot(arjun, "review-fatf-lists")

            # The applicant signs in and sees the decision with its validity.
            tess = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            _sign_in(tess, base, applicant.email, totp=False)
            tess.goto(base + f"/applications/{application.public_id}/")
            expect(tess.locator(".kyc-status")).to_contain_text("Approved")
            expect(tess.locator("main")).to_contain_text("Approved until")
            expect(tess.locator("main")).not_to_contain_text("SDN hit is a different person")
            _shot(tess, "review-applicant-sees-approval")
            # Nor can the applicant open the staff case page.
            assert tess.goto(base + case_path).status == 404
            browser.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)

    application.refresh_from_db()
    assert application.status == S.APPROVED
    assert application.valid_until is not None
    assert (application.valid_until - timezone.now()).days in range(360, 367)  # high risk: 12 months
    decision = Decision.objects.get(application=application)
    assert (decision.outcome, decision.by, decision.risk_level) == ("approved", approver, "high")
    assert list(application.approvals.values_list("by", flat=True)) == [reviewer.pk, approver.pk]
    assert HitAdjudication.objects.get(application=application).ruling == "false_positive"
    assert Change.objects.filter(action="add", address=application.wallets.get().address).exists()
