"""One object of each kind, owned by organisation A, and one user per persona: the data the authorisation
matrix fills URL parameters from. Built once per test module (see test_authz_matrix.py)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from eth_account import Account

from accounts.api_keys import api_key_create
from accounts.invitations import organisation_invitation_create
from accounts.models import ApiKey, ApiKeyScope, Organisation, OrganisationInvitation, User
from accounts.roles import StaffRole
from accounts.tests.factories import MembershipFactory, OrganisationFactory, StaffUserFactory, UserFactory
from kyc import services as kyc_services
from kyc.models import Application, Document, Person, WalletAddress
from kyc.tests.factories import complete_company, pdf, person_data

ANON = "anonymous"
OWNER = "owner_a"
OUTSIDER = "applicant_b"
REVIEWER = "reviewer"
APPROVER = "approver"
WHITELIST_ADMIN = "whitelist_admin"
BOARD = "board_member"
AUDITOR = "auditor"
NO_MFA = "staff_without_mfa"

PERSONAS: tuple[str, ...] = (ANON, OWNER, OUTSIDER, REVIEWER, APPROVER, WHITELIST_ADMIN, BOARD, AUDITOR, NO_MFA)
# The role each staff persona holds, from accounts/roles.py; the one without MFA is a reviewer.
STAFF_ROLES: dict[str, str] = {
    REVIEWER: StaffRole.REVIEWER,
    APPROVER: StaffRole.APPROVER,
    WHITELIST_ADMIN: StaffRole.WHITELIST_ADMIN,
    BOARD: StaffRole.BOARD_MEMBER,
    AUDITOR: StaffRole.AUDITOR,
    NO_MFA: StaffRole.REVIEWER,
}


@dataclass
class World:
    users: dict[str, User | None]
    org_a: Organisation
    org_b: Organisation
    application: Application  # a draft KYB application of organisation A (the applicant-side pages)
    case: Application  # a submitted KYB application of organisation A (the review pages)
    person: Person
    document: Document
    wallet: WalletAddress
    case_wallet: WalletAddress
    invitation: OrganisationInvitation
    invitation_token: str
    api_key: ApiKey
    extra: dict[str, Any] = field(default_factory=dict)


def build_world() -> World:
    """The root conftest's personas (Alice owns Acme, Charlie is the outsider, staff by role), built once: its
    fixtures are per test, this world is per module."""
    owner: User = UserFactory.create(email="alice@acme.example", full_name="Alice Owner")
    org_a = OrganisationFactory(name="Acme Capital Ltd")
    MembershipFactory(user=owner, organisation=org_a, role="owner")
    outsider: User = UserFactory.create(email="charlie@other.example", full_name="Charlie Outsider")
    org_b = OrganisationFactory(name="Other Holdings")
    MembershipFactory(user=outsider, organisation=org_b, role="owner")
    users: dict[str, User | None] = {ANON: None, OWNER: owner, OUTSIDER: outsider}
    for persona, role in STAFF_ROLES.items():
        users[persona] = StaffUserFactory.create(
            email=f"{persona.replace('_', '.')}@claystack.example", roles=[role], mfa=persona != NO_MFA
        )

    # The submitted case first: complete_company fills everything in; submitting makes it a review case.
    case = complete_company(owner, Account.create())
    kyc_services.application_submit(application=case, by=owner)
    case_wallet = case.wallets.get()

    application = kyc_services.application_create(by=owner, subject_type="institution", organisation=org_a)
    person = kyc_services.person_add(
        application=application, by=owner, role="director", data=person_data(position="CEO")
    )
    document = kyc_services.document_upload(
        application=application, by=owner, kind="certificate_of_incorporation", upload=pdf("incorporation.pdf")
    )
    wallet = kyc_services.wallet_add(
        application=application,
        by=owner,
        address=Account.create().address,
        label="Treasury",
        purpose="staking_deposits",
    )
    invitation, token = organisation_invitation_create(
        organisation=org_a, email="new.colleague@acme.example", by=owner, accept_url_base="http://testserver/x/"
    )
    api_key = api_key_create(
        organisation=org_a, name="Back office", scopes=["status:read"], expires_in_days=30, by=owner
    ).api_key
    # Keys for the API-key checks: one that may only read status, one with every scope.
    key_read = api_key_create(
        organisation=org_a, name="Status reader", scopes=["status:read"], expires_in_days=30, by=owner
    ).plaintext
    key_all = api_key_create(
        organisation=org_a, name="Integration", scopes=list(ApiKeyScope.values), expires_in_days=30, by=owner
    ).plaintext
    world = World(
        users=users,
        org_a=org_a,
        org_b=org_b,
        application=application,
        case=case,
        person=person,
        document=document,
        wallet=wallet,
        case_wallet=case_wallet,
        invitation=invitation,
        invitation_token=token,
        api_key=api_key,
    )
    world.extra["key_read"], world.extra["key_all"] = key_read, key_all
    _operators(world)
    _whitelist(world)
    _integrations(world)
    _assurance(world)
    _privacy(world)
    return world


def _assurance(world: World) -> None:
    from assurance.models import VerificationRun

    world.extra["verification"] = VerificationRun.objects.create(source="derived target", summary={"violations": 0})


def _privacy(world: World) -> None:
    from privacy.services import data_export_build, data_export_request

    owner = world.users[OWNER]
    assert owner is not None
    export = data_export_request(subject=owner, by=owner, include_screening=False)
    world.extra["data_export"] = data_export_build(export_id=export.pk)


def _integrations(world: World) -> None:
    from integrations.models import Endpoint, EventType

    # Written directly: the service checks the URL's host, which needs DNS the tests do not have.
    world.extra["endpoint"] = Endpoint.objects.create(
        organisation=world.org_a,
        url="https://hooks.acme.example/claystack",
        events=[EventType.values[0]],
        secret="whsec-" + "a" * 40,
        created_by=world.users[OWNER],
    )
    world.extra["endpoint_action"] = "disable"


def _operators(world: World) -> None:
    from operators.models import Node
    from operators.tests.factories import OperatorFactory

    operator = OperatorFactory(organisation=world.org_a, name="Acme Nodes")
    world.extra["operator"] = operator
    world.extra["operator_address"] = operator.addresses.create(address="0x" + "33" * 20, purpose="withdrawal")
    world.extra["node"] = Node.objects.create(
        operator=operator,
        name="node-1",
        execution_client="geth",
        consensus_client="lighthouse",
        hosting_type="cloud",
        hosting_provider="AWS",
        country="DE",
    )


def _whitelist(world: World) -> None:
    from whitelist.models import Batch, Deployment, Reconciliation

    address = "0x" + "11" * 20
    deployment = Deployment.objects.create(
        list_key="stakers",
        chain_id=31337,
        address="0x" + "22" * 20,
        tx_hash="0x" + "33" * 32,
        block_number=1,
        deployer=address,
        admin=address,
    )
    world.extra["batch"] = Batch.objects.create(
        batch_id="0x" + "44" * 32,
        deployment=deployment,
        list_key="stakers",
        action="add",
        valid_until=int((timezone.now() + dt.timedelta(days=30)).timestamp()),
        status="awaiting_approval",
        mode="board",
        size=1,
        calldata="0x",
        approvals_required=2,
    )
    from web3 import Web3

    from whitelist.chain import artifact

    safe_batch_id = "0x" + "55" * 32
    contract = Web3().eth.contract(abi=artifact()["abi"])
    world.extra["safe_batch"] = Batch.objects.create(
        batch_id=safe_batch_id,
        deployment=deployment,
        list_key="stakers",
        action="remove",
        valid_until=0,
        status="awaiting_safe",
        mode="safe",
        size=1,
        calldata=str(contract.encode_abi("removeBatch", [[world.case_wallet.address], safe_batch_id])),
    )
    world.extra["reconciliation"] = Reconciliation.objects.create(
        list_key="stakers", deployment=deployment, block_number=1, drift=[]
    )
