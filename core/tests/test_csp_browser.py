"""In Chromium, the pages load under the Content-Security-Policy without a single violation: the login page, the
application wizard (including the wallet page's script) and the API documentation."""

from __future__ import annotations

import os
from typing import Any

import pytest
from eth_account import Account

from accounts.tests.factories import PASSWORD, MembershipFactory, OrganisationFactory, UserFactory
from kyc.tests.test_browser import CHROMIUM, LAUNCH_ARGS

pytestmark = [
    pytest.mark.browser,
    # A live server needs committed data (transaction=True), which the audit trail's triggers allow on PostgreSQL.
    pytest.mark.postgres,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium"),
]

# Runs before any page script (Playwright injects it outside the page's policy) and records every violation.
RECORD_VIOLATIONS_JS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(e.violatedDirective + " blocked " + (e.blockedURI || "inline") + " in " + e.sourceFile);
});
"""


@pytest.mark.django_db(transaction=True)
def test_the_login_page_the_wizard_and_the_api_docs_load_with_no_csp_violation(
    live_server: Any, settings: Any, tmp_path: Any
) -> None:
    from playwright.sync_api import sync_playwright

    from kyc import services

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    settings.MEDIA_ROOT = tmp_path / "media"
    user = UserFactory(email="treasury@institution.example")
    org = OrganisationFactory(name="Northwind Asset Management", kind="institution")
    MembershipFactory(user=user, organisation=org, role="owner")
    application = services.application_create(by=user, subject_type="institution", organisation=org)
    wallet = services.wallet_add(
        application=application, by=user, address=Account.create().address, label="Treasury", purpose="staking_deposits"
    )
    app_url = f"/applications/{application.public_id}"
    pages = [
        f"{app_url}/step/details/",
        f"{app_url}/step/company/",
        f"{app_url}/step/people/",
        f"{app_url}/step/documents/",
        f"{app_url}/step/wallets/",
        f"{app_url}/wallets/{wallet.public_id}/prove/",
        f"{app_url}/step/review/",
        "/applications/new/",
        f"/organisations/{org.public_id}/api-keys/",
        "/api/v1/docs/",
    ]
    console: list[str] = []
    violations: dict[str, list[str]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        page = browser.new_page()
        page.add_init_script(RECORD_VIOLATIONS_JS)
        page.on("console", lambda m: console.append(m.text) if "Content Security Policy" in m.text else None)
        base = live_server.url

        response = page.goto(base + "/accounts/login/")
        assert response is not None and "script-src 'self'" in response.headers["content-security-policy"]
        violations["/accounts/login/"] = page.evaluate("window.__cspViolations")
        page.fill("[name=login]", user.email)
        page.fill("[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(base + "/")
        for path in pages:
            page.goto(base + path, wait_until="networkidle")
            violations[path] = page.evaluate("window.__cspViolations")
        # The documentation pages render their content (their scripts ran).
        page.goto(base + "/api/v1/docs/", wait_until="networkidle")
        page.wait_for_selector(".swagger-ui .info", timeout=15000)
        browser.close()

    assert {path: found for path, found in violations.items() if found} == {}
    assert console == []


def _sign_in_staff(page: Any, base: str, user: Any) -> None:
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
    from django.utils import timezone

    from accounts.tests.factories import TOTP_SECRET

    page.goto(base + "/accounts/login/")
    page.fill("[name=login]", user.email)
    page.fill("[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.fill("[name=code]", format_hotp_value(hotp_value(TOTP_SECRET, int(timezone.now().timestamp()) // 30)))
    page.click("button[type=submit]")
    page.wait_for_url(base + "/staff/")


@pytest.mark.django_db(transaction=True)
def test_the_staff_pages_load_with_no_csp_violation(live_server: Any, settings: Any, tmp_path: Any) -> None:
    from playwright.sync_api import sync_playwright

    from accounts.tests.factories import StaffUserFactory
    from kyc import services
    from kyc.tests.factories import complete_company

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    settings.MEDIA_ROOT = tmp_path / "media"
    owner = UserFactory(email="ops@institution.example")
    MembershipFactory(user=owner, organisation=OrganisationFactory(name="Northwind"), role="owner")
    case = complete_company(owner, Account.create())
    services.application_submit(application=case, by=owner)
    staff = {
        "approver": StaffUserFactory(email="approver@claystack.example", roles=["approver"]),
        "whitelist_admin": StaffUserFactory(email="wl@claystack.example", roles=["whitelist_admin"]),
    }
    pages = {
        "approver": [
            "/staff/",
            "/staff/cases/",
            f"/staff/cases/{case.public_id}/",
            "/staff/audit/",
            "/staff/screening/lists/",
            "/staff/operators/",
            "/staff/reports/",
            "/staff/privacy/",
        ],
        "whitelist_admin": ["/staff/", "/staff/whitelist/", "/staff/whitelist/changes/", "/staff/whitelist/drift/"],
    }
    violations: dict[str, list[str]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        for persona, paths in pages.items():
            context = browser.new_context()
            page = context.new_page()
            page.add_init_script(RECORD_VIOLATIONS_JS)
            _sign_in_staff(page, live_server.url, staff[persona])
            for path in paths:
                response = page.goto(live_server.url + path, wait_until="networkidle")
                assert response is not None and response.status == 200, (persona, path)
                violations[f"{persona} {path}"] = page.evaluate("window.__cspViolations")
            context.close()
        browser.close()
    assert {where: found for where, found in violations.items() if found} == {}
