"""In Chromium: an approved customer renews from the status page (one button, a pre-filled draft), and an auditor
reads the integrity check's result. Screenshots go to var/screenshots/."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings

from accounts.tests.factories import MembershipFactory, OrganisationFactory, StaffUserFactory, UserFactory
from assurance.services import verification_run
from assurance.tests.helpers import approved
from kyc.models import Application
from kyc.tests.test_browser import CHROMIUM, LAUNCH_ARGS
from kyc.tests.test_review_browser import _shot, _sign_in

SCREENSHOTS = Path(django_settings.BASE_DIR) / "var" / "screenshots"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,  # a live server needs committed data, which only PostgreSQL flushes past the audit trigger
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium"),
]


@pytest.mark.django_db(transaction=True)
def test_a_customer_renews_from_the_approved_case_and_an_auditor_reads_the_integrity_check(
    live_server: Any, settings: Any, tmp_path: Path, wallet_key: Any
) -> None:
    from playwright.sync_api import expect, sync_playwright

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    settings.MEDIA_ROOT = tmp_path / "media"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    applicant = UserFactory(email="treasury@northwind.example", full_name="Tess Treasury")
    MembershipFactory(user=applicant, organisation=OrganisationFactory(name="Northwind Asset Management"), role="owner")
    reviewer = StaffUserFactory(email="rita.reviewer@claystack.example", roles=["reviewer"])
    auditor = StaffUserFactory(email="aude.auditor@claystack.example", full_name="Aude Auditor", roles=["auditor"])
    case = approved(applicant, wallet_key, reviewer)
    run = verification_run(trigger="command")
    assert run.violation_count == 0 and run.summary["listed"]["stakers"] == 1

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        base = live_server.url

        tess = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        _sign_in(tess, base, applicant.email, totp=False)
        tess.goto(base + f"/applications/{case.public_id}/#renew")
        expect(tess.locator("#renew")).to_contain_text("Your wallets stay on the whitelist while we review it")
        _shot(tess, "renewal-approved-case")
        tess.click("#renew button:has-text('Renew this approval')")
        expect(tess.locator(".message-success")).to_contain_text(f"of {case.reference}")
        renewal = Application.objects.get(renews=case)
        assert renewal.status == "draft" and renewal.wallets.filter(verified_at__isnull=False).count() == 1
        _shot(tess, "renewal-draft-prefilled")
        tess.goto(base + f"/applications/{case.public_id}/")
        expect(tess.locator("#renew")).to_contain_text(f"Your renewal {renewal.reference} is draft")

        aude = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        _sign_in(aude, base, auditor.email, totp=True)
        aude.click("nav >> text=Integrity")
        expect(aude.locator("h1")).to_have_text("Integrity of the whitelist")
        expect(aude.locator("main")).to_contain_text("No violation")
        expect(aude.locator("main")).to_contain_text("1 on stakers")
        _shot(aude, "integrity-overview")
        aude.click("text=Details")
        expect(aude.locator("main")).to_contain_text("every removal has its reason")
        _shot(aude, "integrity-run")
        browser.close()
