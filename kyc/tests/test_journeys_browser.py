"""New customers in Chromium, from sign-up (with the e-mail link) to an address on a local chain (anvil): every step
of the wizard, a request for information answered in the portal, resubmission, approval, and the wallet shown on
chain on the applicant's own page. Screenshots land in var/screenshots/journey-*.png."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core import mail
from eth_account import Account
from eth_account.messages import encode_defunct

from accounts.models import User
from accounts.tests.factories import StaffUserFactory
from kyc import review
from kyc.models import OPERATOR_SUBJECT_TYPES, Application
from kyc.tests.factories import PDF_BYTES, PNG_BYTES, REAL_LEI
from kyc.tests.test_browser import CHROMIUM, LAUNCH_ARGS, PROVIDER_JS
from screening import selectors as screening_selectors
from whitelist.sync import sync_until_settled
from whitelist.tests.conftest import anvil_node, anvil_tx, chain_settings  # noqa: F401 - the local chain fixtures

SCREENSHOTS = Path(django_settings.BASE_DIR) / "var" / "screenshots"
S = Application.Status
PASSWORD = "a-long-enough-passphrase-9"

pytestmark = [
    pytest.mark.browser,
    # A live server needs committed data, which only PostgreSQL flushes past the audit trail's trigger.
    pytest.mark.postgres,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium"),
]


@pytest.fixture
def eager() -> Iterator[None]:
    """Screening runs in-process when a submission commits, as a worker would, against the shipped list excerpts."""
    from claystack_portal.celery import app
    from screening.services import list_import
    from screening.tests.conftest import FIXTURES

    ofac = {
        "sdn": FIXTURES / "ofac_sdn_excerpt.csv",
        "alt": FIXTURES / "ofac_alt_excerpt.csv",
        "add": FIXTURES / "ofac_add_excerpt.csv",
        "comments": FIXTURES / "ofac_sdn_comments_excerpt.csv",
    }
    list_import(source="ofac", files=ofac, monitor=False)
    list_import(source="address-list", files={"file": FIXTURES / "eth_addresses_excerpt.csv"}, monitor=False)

    before = (app.conf.task_always_eager, app.conf.task_eager_propagates)
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, False
    screening_selectors._index_cache.clear()
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = before


def _shot(page: Any, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"journey-{name}.png"), full_page=True)


def _sign_up(page: Any, base: str, email: str) -> None:
    page.goto(base + "/accounts/signup/")
    page.fill("[name=email]", email)
    page.fill("[name=password1]", PASSWORD)
    page.fill("[name=password2]", PASSWORD)
    page.click("button:has-text('Create the account')")
    page.wait_for_url("**/accounts/confirm-email/")
    message = next(m for m in reversed(mail.outbox) if email in m.to)
    link = re.search(r"(https?://\S+/accounts/confirm-email/\S+)", message.body)
    assert link is not None, message.body
    page.goto(base + "/accounts/confirm-email/" + link.group(1).split("/accounts/confirm-email/")[1])
    page.click("button[type=submit]")  # allauth's confirmation page posts the key; then the person is signed in


def _fill_person(page: Any, name: str, *, subject: bool, extra: dict[str, str] | None = None) -> None:
    page.fill("[name=legal_name]", name)
    page.fill("[name=date_of_birth]", "1985-04-12")
    page.fill("[name=nationalities]", "PT")
    page.select_option("[name=country_of_residence]", "PT")
    page.fill("[name=residential_address]", "Rua Augusta 10\n1100-053 Lisboa")
    page.select_option("[name=pep_status]", "not_pep")
    page.select_option("[name=id_document_type]", "passport")
    page.fill("[name=id_document_number]", "CB123456")
    page.select_option("[name=id_document_country]", "PT")
    page.fill("[name=id_document_expiry]", "2034-06-30")
    page.fill("[name=occupation]", "Engineer")
    page.fill("[name=source_of_wealth]", "Salary and savings")
    for field, value in (extra or {}).items():
        page.fill(f"[name={field}]", value)
    page.click("button:has-text('Save and continue')" if subject else "button[type=submit]:has-text('Save')")


def _upload(page: Any, kind: str, name: str, data: bytes, mime: str) -> None:
    from playwright.sync_api import expect

    page.select_option("[name=kind]", kind)
    page.set_input_files("[name=file]", files=[{"name": name, "mimeType": mime, "buffer": data}])
    page.click("button:has-text('Upload')")
    expect(page.locator(".message-success")).to_contain_text("uploaded")


def _prove_wallet(page: Any, address: str) -> None:
    from playwright.sync_api import expect

    page.fill("[name=address]", address)
    page.fill("[name=label]", "Staking wallet")
    page.select_option("[name=purpose]", "staking_deposits")
    page.click("button:has-text('Add wallet')")
    page.click("button:has-text('Sign with browser wallet')")
    expect(page.locator("#wallet-status")).to_contain_text("proven", timeout=15_000)


def _approve(application: Application, officers: list[Any]) -> Application:
    application.refresh_from_db()
    review.case_claim(application=application, by=officers[0])
    # At the level the risk rules computed: a lower one would be an override (reason, second approver).
    application = review.case_approve(application=application, by=officers[0], reason="verified")
    for officer in officers[1:]:
        if application.status != S.PENDING_SECOND_APPROVAL:
            break
        application = review.case_approve(application=application, by=officer, reason="second look: fine")
    return application


def _browser(p: Any, key: Any) -> tuple[Any, Any]:
    def wallet_sign(hex_message: str, address: str) -> str:
        message = bytes.fromhex(hex_message[2:])
        return "0x" + bytes(key.sign_message(encode_defunct(primitive=message)).signature).hex()

    browser = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.expose_function("__walletAddress", lambda: key.address)
    page.expose_function("__walletSign", wallet_sign)
    page.add_init_script(PROVIDER_JS)
    return browser, page


def _journey(live_server: Any, settings: Any, tmp_path: Path, body: Callable[[Any, str], None]) -> None:
    from playwright.sync_api import sync_playwright

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    try:
        with sync_playwright() as p:
            body(p, live_server.url)
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def _officers() -> list[Any]:
    return [
        StaffUserFactory(email="journey.reviewer@claystack.example", roles=["reviewer"]),
        StaffUserFactory(email="journey.approver@claystack.example", roles=["approver"]),
        StaffUserFactory(email="journey.approver2@claystack.example", roles=["approver"]),
    ]


def _answer_rfi_and_see_chain(
    page: Any,
    base: str,
    application: Application,
    officers: list[Any],
    anvil: Any,
    prefix: str,
    fix: Callable[[], None],
) -> None:
    """The reviewer asks for something; the applicant reads it in the portal, changes it, sends it back; the case
    is approved, the whitelist batch is mined on anvil, and the applicant sees the wallet on chain."""
    from playwright.sync_api import expect

    application.refresh_from_db()
    assert application.status == S.READY_FOR_REVIEW, application.status
    review.case_claim(application=application, by=officers[0])
    review.case_request_information(
        application=application,
        by=officers[0],
        items=["documents:proof_of_address"],
        message="The proof of address is older than three months: please upload a recent one.",
    )
    status_url = f"{base}/applications/{application.public_id}/"
    page.goto(status_url)
    expect(page.locator(".kyc-rfi-message")).to_contain_text("older than three months")
    expect(page.locator(".kyc-rfi button[disabled]")).to_be_visible()
    _shot(page, f"{prefix}-rfi")
    fix()
    page.goto(status_url)
    expect(page.locator(".kyc-rfi .badge-ok")).to_have_text("changed")
    page.click("button:has-text('Send the changes back to the reviewer')")
    expect(page.locator(".kyc-status")).to_contain_text("Resubmitted")
    _shot(page, f"{prefix}-resubmitted")

    application = _approve(application, officers)
    assert application.status == S.APPROVED, application.status
    sync_until_settled(anvil.rt, mine=lambda: anvil.mine(1))
    page.goto(status_url)
    expect(page.locator(".wallet-chain")).to_contain_text("on chain")
    expect(page.locator(".wallet-chain")).to_contain_text("block")
    _shot(page, f"{prefix}-on-chain")
    wallet = application.wallets.get()
    list_key = "operators" if application.subject_type in OPERATOR_SUBJECT_TYPES else "stakers"
    assert anvil.contract(list_key).is_whitelisted(wallet.address)


@pytest.mark.django_db(transaction=True)
def test_a_new_individual_goes_from_sign_up_to_a_wallet_on_chain(
    live_server: Any,
    settings: Any,
    tmp_path: Path,
    eager: None,
    anvil_tx: Any,  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    key = Account.create()
    officers = _officers()

    def body(p: Any, base: str) -> None:
        browser, page = _browser(p, key)
        _sign_up(page, base, "ines@example.pt")
        page.goto(base + "/applications/new/")
        page.check("input[name=subject_type][value=individual]")
        _shot(page, "individual-start")
        page.click("button:has-text('Start')")
        page.fill("[name=expected_volume_eth]", "64")
        page.fill("[name=source_of_funds]", "Savings from salary")
        page.click("button:has-text('Save and continue')")
        _fill_person(page, "Inês Almeida", subject=True)
        expect(page.locator("h2", has_text="Documents")).to_be_visible()
        _shot(page, "individual-documents-checklist")
        _upload(page, "id_front", "passport.png", PNG_BYTES, "image/png")
        _upload(page, "proof_of_address", "bill.pdf", PDF_BYTES, "application/pdf")
        page.click("button:has-text('Continue to wallets')")
        _prove_wallet(page, key.address)
        page.click("button:has-text('Continue to review')")
        expect(page.locator("text=Still missing")).to_have_count(0)
        page.click("button:has-text('Submit application')")
        expect(page.locator(".kyc-status")).to_contain_text("Ready for review")
        _shot(page, "individual-submitted")
        application = Application.objects.get(applicant__email="ines@example.pt")

        def fix() -> None:
            page.goto(f"{base}/applications/{application.public_id}/step/documents/")
            _upload(
                page,
                "proof_of_address",
                "bill-recent.pdf",
                PDF_BYTES.replace(b"%%EOF", b"%new\n%%EOF"),
                "application/pdf",
            )

        _answer_rfi_and_see_chain(page, base, application, officers, anvil_tx, "individual", fix)
        browser.close()

    _journey(live_server, settings, tmp_path, body)
    assert User.objects.get(email="ines@example.pt").emailaddress_set.get().verified


@pytest.mark.django_db(transaction=True)
def test_a_new_institution_registers_its_organisation_and_goes_from_sign_up_to_a_wallet_on_chain(
    live_server: Any,
    settings: Any,
    tmp_path: Path,
    anvil_tx: Any,  # noqa: F811
    eager: None,
) -> None:
    from playwright.sync_api import expect

    key = Account.create()
    officers = _officers()

    def body(p: Any, base: str) -> None:
        browser, page = _browser(p, key)
        _sign_up(page, base, "treasury@tejo-capital.example")
        page.goto(base + "/applications/new/")
        page.check("input[name=subject_type][value=institution]")
        # No organisation yet: it is registered as the first step of the first application.
        page.fill("[name=organisation_name]", "Tejo Capital SA")
        page.select_option("[name=organisation_country]", "PT")
        page.fill("[name=organisation_lei]", REAL_LEI)
        _shot(page, "institution-start-with-organisation")
        page.click("button:has-text('Start')")
        page.fill("[name=expected_volume_eth]", "12000")
        page.fill("[name=source_of_funds]", "Client assets under management")
        page.click("button:has-text('Save and continue')")
        expect(page.locator("[name=lei]")).to_have_value(REAL_LEI)
        expect(page.locator("[name=jurisdiction]")).to_have_value("PT")
        page.fill("[name=registration_number]", "PT514000000")
        page.fill("[name=incorporation_date]", "2015-03-02")
        page.fill("[name=registered_address]", "Avenida da Liberdade 100\n1250-145 Lisboa")
        page.select_option("[name=entity_type]", "limited_company")
        page.fill("[name=business_description]", "Asset manager staking client ETH.")
        page.click("button:has-text('Save and continue')")
        expect(page.locator("h2", has_text="Directors")).to_be_visible()
        people = page.url.split("/step/")[0]
        for role, name, extra in (
            ("director", "Duarte Director", {"position": "Chief executive"}),
            ("signatory", "Sofia Signatory", {"position": "Head of treasury"}),
        ):
            page.goto(f"{people}/people/add/?role={role}")
            _fill_person(page, name, subject=False, extra=extra)
            expect(page.locator(".message-success")).to_contain_text(name)
        # Widely held: no natural person owns 25 % or more, so the senior managing official is recorded instead.
        page.check("[name=no_ubo_declared]")
        page.click("button:has-text('Save the declaration')")
        page.goto(f"{people}/people/add/?role=senior_manager")
        _fill_person(page, "Marta Manager", subject=False, extra={"position": "Chief executive"})
        expect(page.locator(".message-success")).to_contain_text("Marta Manager")
        _shot(page, "institution-people")
        page.click("button:has-text('Continue to documents')")
        for kind in ("certificate_of_incorporation", "register_of_directors", "shareholder_register", "articles"):
            _upload(
                page, kind, f"{kind}.pdf", PDF_BYTES.replace(b"%%EOF", f"%{kind}\n%%EOF".encode()), "application/pdf"
            )
        _upload(page, "proof_of_address", "bill.pdf", PDF_BYTES, "application/pdf")
        _shot(page, "institution-documents")
        page.click("button:has-text('Continue to wallets')")
        _prove_wallet(page, key.address)
        page.click("button:has-text('Continue to review')")
        expect(page.locator("text=Still missing")).to_have_count(0)
        _shot(page, "institution-review")
        page.click("button:has-text('Submit application')")
        expect(page.locator(".kyc-status")).to_contain_text("Ready for review")
        application = Application.objects.get(organisation__name="Tejo Capital SA")

        def fix() -> None:
            page.goto(f"{base}/applications/{application.public_id}/step/documents/")
            _upload(
                page,
                "proof_of_address",
                "bill-2.pdf",
                PDF_BYTES.replace(b"%%EOF", b"%recent\n%%EOF"),
                "application/pdf",
            )

        _answer_rfi_and_see_chain(page, base, application, officers, anvil_tx, "institution", fix)
        browser.close()

    _journey(live_server, settings, tmp_path, body)
    application = Application.objects.get(organisation__name="Tejo Capital SA")
    assert application.organisation.lei == REAL_LEI and application.company.no_ubo_declared
    assert application.organisation.memberships.get().user.email == "treasury@tejo-capital.example"


@pytest.mark.django_db(transaction=True)
def test_a_new_operator_company_onboards_without_dead_ends_and_its_address_reaches_the_chain(
    live_server: Any,
    settings: Any,
    tmp_path: Path,
    anvil_tx: Any,  # noqa: F811
    eager: None,
) -> None:
    """Sign-up, the organisation, the operator profile (country from a list), the KYB case started from the
    operator page, the withdrawal address proven inside the operator flow, keys last, submission only once complete,
    then approval and the address on the operators' list on chain."""
    import json

    from playwright.sync_api import expect

    from kyc.tests.factories import complete_company, sign
    from operators import checklist
    from operators.deposit_data import make_deposit_entry
    from operators.models import OperatorProfile
    from operators.services import checklist_item_review, operator_transition

    key, withdrawal = Account.create(), Account.create()
    officers = _officers()

    def body(p: Any, base: str) -> None:
        browser, page = _browser(p, key)
        _sign_up(page, base, "olga@douro-nodes.example")
        page.goto(base + "/organisations/new/?kind=operator_company")
        page.fill("[name=name]", "Douro Nodes Lda")
        page.check("input[name=kind][value=operator_company]")
        page.select_option("[name=country]", "PT")
        page.click("button:has-text('Register the organisation')")
        expect(page.locator(".message-success")).to_contain_text("Douro Nodes Lda registered")
        page.goto(base + "/operators/new/")
        page.select_option("[name=owner]", label="Douro Nodes Lda (company, KYB)")
        page.fill("[name=name]", "Douro Nodes")
        page.select_option("[name=category]", "professional")
        page.select_option("[name=pool]", "public")
        page.select_option("[name=execution_client]", "nethermind")
        page.fill("[name=execution_client_version]", "1.32.0")
        page.select_option("[name=consensus_client]", "teku")
        page.fill("[name=consensus_client_version]", "25.6.0")
        page.select_option("[name=hosting_type]", "data_centre")
        page.fill("[name=hosting_provider]", "Equinix LS1")
        page.select_option("[name=country]", label="Portugal")
        page.fill("[name=region]", "Lisbon")
        page.fill("[name=years_experience]", "4")
        page.click("button:has-text('Save draft')")
        expect(page.locator("#op-steps-title")).to_be_visible()
        expect(page.locator(".op-problems")).to_contain_text("Link your KYC or KYB application")
        expect(page.locator("button:has-text('Submit for technical review')")).to_be_disabled()
        _shot(page, "operator-incomplete")
        operator_url = page.url
        page.fill("[name=address]", withdrawal.address)
        page.select_option("[name=purpose]", "withdrawal")
        page.click("button:has-text('Add address')")
        expect(page.locator(".address-control")).to_contain_text("not proven")

        # The KYB case, started from the operator page's link, is completed and approved (the individual and
        # institution journeys drive every wizard step in the browser; here the focus is the operator flow).
        user = User.objects.get(email="olga@douro-nodes.example")
        application = complete_company(user, key, subject_type="operator_company", category="professional")
        from kyc import services as kyc_services

        kyc_services.application_submit(application=application, by=user)
        assert _approve(application, officers).status == S.APPROVED
        page.goto(operator_url)
        page.select_option("[name=application]", str(application.public_id))
        page.click("button:has-text('Link')")

        # The withdrawal address is not a wallet of the (now read-only) KYB case: it is proven right here.
        page.click(".address-control a:has-text('Prove')")
        message = page.locator("#siwe-message").inner_text()
        page.fill("[name=signature]", sign(withdrawal, message))
        page.click("button:has-text('Verify signature')")
        expect(page.locator(".message-success")).to_contain_text("proven")
        expect(page.locator(".address-control")).to_contain_text("proven")

        entry = make_deposit_entry(
            secret_key=4711,
            withdrawal_address=withdrawal.address,
            amount_gwei=32_000_000_000,
            fork_version="00000000",
            network_name="mainnet",
        )
        page.goto(operator_url.rstrip("/") + "/deposit-data/")
        page.set_input_files(
            "[name=file]",
            files=[
                {"name": "deposit_data.json", "mimeType": "application/json", "buffer": json.dumps([entry]).encode()}
            ],
        )
        page.click("button:has-text('Import')")
        page.goto(operator_url)
        expect(page.locator(".op-problems")).to_have_count(0)
        _shot(page, "operator-complete")
        page.click("button:has-text('Submit for technical review')")
        expect(page.locator("text=What happens next")).to_be_visible()
        _shot(page, "operator-submitted")

        operator = OperatorProfile.objects.get(name="Douro Nodes")
        reviewer = officers[0]
        operator_transition(operator=operator, to_status="in_review", by=reviewer)
        for item in checklist.keys_for(operator.category):
            checklist_item_review(operator=operator, key=item, result="pass", note="checked", by=reviewer)
        operator_transition(operator=operator, to_status="approved", by=reviewer)
        sync_until_settled(anvil_tx.rt, mine=lambda: anvil_tx.mine(1))
        assert anvil_tx.contract("operators").is_whitelisted(withdrawal.address)
        page.goto(f"{base}/applications/{application.public_id}/")
        expect(page.locator(".wallet-chain")).to_contain_text("on chain")
        _shot(page, "operator-kyb-on-chain")
        browser.close()

    _journey(live_server, settings, tmp_path, body)
