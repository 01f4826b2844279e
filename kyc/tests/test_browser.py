"""End to end in Chromium: an institution completes KYB with two UBOs, uploads its documents, proves a wallet
through an injected EIP-1193 provider that signs with eth-account, and submits."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from eth_account import Account
from eth_account.messages import encode_defunct

from accounts.tests.factories import PASSWORD, MembershipFactory, OrganisationFactory, UserFactory
from kyc.models import Application
from kyc.tests.factories import PDF_BYTES, REAL_LEI

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(django_settings.BASE_DIR) / "test-artifacts"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# A minimal EIP-1193 provider: the page's requests go to Python, which signs with a real key.
PROVIDER_JS = """
window.ethereum = {
  isClayStackTestProvider: true,
  request: async function ({ method, params }) {
    if (method === "eth_requestAccounts" || method === "eth_accounts") { return [await window.__walletAddress()]; }
    if (method === "eth_chainId") { return "0x1"; }
    if (method === "personal_sign") { return await window.__walletSign(params[0], params[1]); }
    const error = new Error("Unsupported method " + method); error.code = 4200; throw error;
  }
};
"""

pytestmark = [
    pytest.mark.browser,
    # A live server needs committed data (transaction=True); on SQLite the flush between such tests is refused by
    # the audit trail's append-only trigger, so this journey runs on PostgreSQL (as in CI).
    pytest.mark.postgres,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium"),
]


def _fill_person(page: Any, name: str, extra: dict[str, str]) -> None:
    page.fill("[name=legal_name]", name)
    page.fill("[name=date_of_birth]", "1980-05-17")
    page.fill("[name=nationalities]", "GB")
    page.select_option("[name=country_of_residence]", "GB")
    page.fill("[name=residential_address]", "10 Downing Street\nLondon")
    page.select_option("[name=pep_status]", "not_pep")
    page.select_option("[name=id_document_type]", "passport")
    page.fill("[name=id_document_number]", "P7654321")
    page.select_option("[name=id_document_country]", "GB")
    page.fill("[name=id_document_expiry]", "2030-12-31")
    page.fill("[name=occupation]", "Director")
    page.fill("[name=source_of_wealth]", "Salary")
    for field, value in extra.items():
        page.fill(f"[name={field}]", value)
    page.click("button[type=submit]:has-text('Save')")


@pytest.mark.django_db(transaction=True)
def test_an_institution_completes_kyb_in_chromium(live_server: Any, settings: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    # Playwright's sync API keeps an event loop in this thread; the test's own ORM calls are synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    settings.MEDIA_ROOT = tmp_path / "media"
    ARTIFACTS.mkdir(exist_ok=True)
    user = UserFactory(email="treasury@institution.example", full_name="Tess Treasury")
    org = OrganisationFactory(name="Northwind Asset Management", kind="institution")
    MembershipFactory(user=user, organisation=org, role="owner")
    key = Account.create()

    def wallet_sign(hex_message: str, address: str) -> str:
        assert address.lower() == key.address.lower()
        message = bytes.fromhex(hex_message[2:])
        return "0x" + bytes(key.sign_message(encode_defunct(primitive=message)).signature).hex()

    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.expose_function("__walletAddress", lambda: key.address)
            page.expose_function("__walletSign", wallet_sign)
            page.add_init_script(PROVIDER_JS)
            base = live_server.url

            page.goto(base + "/accounts/login/")
            page.fill("[name=login]", user.email)
            page.fill("[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.goto(base + "/applications/new/")
            page.check("input[name=subject_type][value=institution]")
            page.select_option("[name=organisation]", str(org.public_id))
            page.click("button:has-text('Start')")

            page.fill("[name=expected_volume_eth]", "25000")
            page.fill("[name=source_of_funds]", "Client assets under management")
            page.click("button:has-text('Save and continue')")

            page.fill("[name=legal_name]", "Northwind Asset Management Ltd")
            page.fill("[name=registration_number]", "04366849")
            page.fill("[name=lei]", REAL_LEI[:-1] + "1")  # a typo: the check digits catch it
            page.select_option("[name=jurisdiction]", "GB")
            page.fill("[name=incorporation_date]", "2002-02-05")
            page.fill("[name=registered_address]", "1 Canada Square\nLondon E14 5AB")
            page.select_option("[name=entity_type]", "limited_company")
            page.check("[name=is_regulated]")
            page.fill("[name=regulator]", "Financial Conduct Authority")
            page.fill("[name=licence_number]", "FRN 998877")
            page.fill("[name=business_description]", "Discretionary asset management for pension funds.")
            page.click("button:has-text('Save and continue')")
            expect(page.locator(".errorlist")).to_contain_text("check digits do not match")
            page.screenshot(path=str(ARTIFACTS / "kyb-company-lei-refused.png"), full_page=True)
            page.fill("[name=lei]", REAL_LEI)
            page.click("button:has-text('Save and continue')")
            expect(page.locator("h2", has_text="Directors")).to_be_visible()

            for role, name, extra in (
                ("director", "Dana Director", {"position": "Chief Executive"}),
                ("ubo", "Uma Owner", {"ownership_percent": "55"}),
                ("ubo", "Olu Owner", {"ownership_percent": "30"}),
                ("signatory", "Sid Signatory", {"position": "Head of Treasury"}),
            ):
                page.goto(f"{page.url.split('/step/')[0]}/people/add/?role={role}")
                _fill_person(page, name, extra)
                expect(page.locator(".message-success")).to_contain_text(name)
            expect(page.locator("#ubo-total")).to_have_text("85.00 %")
            page.screenshot(path=str(ARTIFACTS / "kyb-people.png"), full_page=True)
            page.click("button:has-text('Continue to documents')")

            for kind in ("certificate_of_incorporation", "register_of_directors", "shareholder_register", "articles"):
                page.select_option("[name=kind]", kind)
                page.set_input_files(
                    "[name=file]", files=[{"name": f"{kind}.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES}]
                )
                page.click("button:has-text('Upload')")
                expect(page.locator(".message-success")).to_contain_text("uploaded")
            page.screenshot(path=str(ARTIFACTS / "kyb-documents.png"), full_page=True)
            page.click("button:has-text('Continue to wallets')")

            page.fill("[name=address]", key.address.lower())
            page.fill("[name=label]", "Treasury staking wallet")
            page.select_option("[name=purpose]", "staking_deposits")
            page.click("button:has-text('Add wallet')")
            page.click("button:has-text('Sign with browser wallet')")
            expect(page.locator("#wallet-status")).to_contain_text("proven", timeout=15_000)
            expect(page.locator(".wallet-proof .badge-ok")).to_have_text("proven")
            page.screenshot(path=str(ARTIFACTS / "kyb-wallets.png"), full_page=True)
            page.click("button:has-text('Continue to review')")

            expect(page.locator("text=Still missing")).to_have_count(0)
            page.screenshot(path=str(ARTIFACTS / "kyb-review.png"), full_page=True)
            page.click("button:has-text('Submit application')")
            expect(page.locator(".kyc-status")).to_contain_text("Submitted")
            page.screenshot(path=str(ARTIFACTS / "kyb-status.png"), full_page=True)
            browser.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)

    application = Application.objects.get(organisation=org)
    assert application.status == Application.Status.SUBMITTED
    assert application.people.filter(role="ubo").count() == 2
    assert application.documents.count() == 4
    wallet = application.wallets.get()
    assert wallet.address == key.address
    assert wallet.proof_method == "browser_wallet"
