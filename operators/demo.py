"""Demo data for the run command: a spread of approved operators with validators and score history.

`seed_demo` should call `seed_operators()` after the demo accounts exist (it is idempotent). Approved operators
are written directly, as a fixture: their KYC/KYB cases belong to the kyc app's own demo data.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from py_ecc.bls import G2ProofOfPossession as bls

from accounts.models import Organisation, User
from operators import checklist
from operators.ethvalues import withdrawal_credentials_for
from operators.models import (
    DueDiligenceItem,
    ExitRequest,
    OperatorAddress,
    OperatorProfile,
    OperatorScore,
    Validator,
)

# name, category, EL, CL, hosting type, provider, country, validators, score
DEMO_OPERATORS = [
    ("Northstar Staking", "professional", "geth", "lighthouse", "cloud", "AWS", "US", 120, "96.5"),
    ("Alpenglow Nodes", "professional", "nethermind", "teku", "data_centre", "Equinix FR5", "DE", 80, "94.1"),
    ("Tokyo Validator Works", "professional", "geth", "prysm", "cloud", "Google Cloud", "JP", 60, "91.0"),
    ("Lisbon Home Staker", "solo_home", "besu", "nimbus", "home", "home", "PT", 4, "97.2"),
    ("Andes SSV Collective", "ssv_operator", "erigon", "lodestar", "data_centre", "OVH", "CL", 30, "88.3"),
    ("Nairobi DV Cluster", "obol_cluster", "reth", "lighthouse", "cloud", "Hetzner", "KE", 24, "90.4"),
    ("Baltic Bare Metal", "professional", "geth", "lighthouse", "data_centre", "Hetzner", "EE", 45, "68.0"),
]


def _address(n: int) -> str:
    return "0x" + f"{n:040x}"


@transaction.atomic
def seed_operators() -> list[OperatorProfile]:
    """Create the demo operators once; returns them."""
    created: list[OperatorProfile] = []
    owner = User.objects.filter(email="olivia@nodeworks.example").first()
    secret = 10_000
    now = timezone.now()
    for i, (name, category, el, cl, hosting, provider, country, count, score) in enumerate(DEMO_OPERATORS, start=1):
        existing = OperatorProfile.objects.filter(name=name).first()
        if existing is not None:
            created.append(existing)
            secret += count
            continue
        org = Organisation.objects.create(name=name, kind=Organisation.Kind.OPERATOR_COMPANY, country=country)
        operator = OperatorProfile.objects.create(
            name=name,
            organisation=org,
            category=category,
            pool="permissioned" if category == "professional" else "public",
            status=OperatorProfile.Status.APPROVED,
            execution_client=el,
            consensus_client=cl,
            execution_client_version="latest",
            consensus_client_version="latest",
            hosting_type=hosting,
            hosting_provider=provider,
            country=country,
            years_experience=2 + i,
            mev_relays=["flashbots", "ultrasound"],
            ssv_operator_ids=[100 + i] if category == "ssv_operator" else [],
            validator_cap=10 if category == "solo_home" else 200,
            submitted_at=now - timedelta(days=40),
            decided_at=now - timedelta(days=30),
        )
        withdrawal = _address(0xC1A7 * 1000 + i)
        OperatorAddress.objects.create(operator=operator, address=withdrawal, purpose="withdrawal", label="Withdrawals")
        DueDiligenceItem.objects.bulk_create(
            [
                DueDiligenceItem(operator=operator, key=k, result=DueDiligenceItem.Result.PASS)
                for k in checklist.keys_for(category)
            ]
        )
        credentials = "0x" + withdrawal_credentials_for(withdrawal).hex()
        Validator.objects.bulk_create(
            [
                Validator(
                    operator=operator,
                    pubkey="0x" + bls.SkToPk(secret + k).hex(),
                    withdrawal_credentials=credentials,
                    beacon_status=Validator.BeaconStatus.ACTIVE,
                )
                for k in range(count)
            ]
        )
        secret += count
        for day in range(10, -1, -2):
            drift = Decimal(day) / 4
            OperatorScore.objects.create(
                operator=operator,
                formula_version="v1",
                epoch_from=0,
                epoch_to=1575,
                score=min(Decimal(100), Decimal(score) - drift),
                components={"formula_version": "v1", "source": "demo history"},
            )
        created.append(operator)
    first = created[0]
    validator = first.validators.order_by("id").first()
    if validator is not None and not validator.exit_requests.exists():
        ExitRequest.objects.create(
            operator=first,
            validator=validator,
            kind=ExitRequest.Kind.REQUESTED,
            reason="Rebalancing the pool towards minority clients",
            deadline=now + timedelta(hours=72),
        )
    if owner is not None and not OperatorProfile.objects.filter(user=owner).exists():
        owner_org = owner.organisations.first()
        if owner_org is not None and not OperatorProfile.objects.filter(organisation=owner_org).exists():
            from operators.services import operator_create

            operator_create(
                by=owner,
                organisation=owner_org,
                fields={
                    "name": "NodeWorks",
                    "category": "professional",
                    "pool": "permissioned",
                    "execution_client": "nethermind",
                    "consensus_client": "nimbus",
                    "hosting_type": "data_centre",
                    "hosting_provider": "Hetzner",
                    "country": "DE",
                    "years_experience": 3,
                },
            )
    return created
