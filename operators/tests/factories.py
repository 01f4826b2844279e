from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from accounts.tests.factories import OrganisationFactory
from operators.models import OperatorAddress, OperatorProfile, Validator


class OperatorFactory(factory.django.DjangoModelFactory[OperatorProfile]):
    class Meta:
        model = OperatorProfile

    name = factory.Sequence(lambda n: f"Operator {n}")
    organisation = factory.SubFactory(OrganisationFactory, kind="operator_company")
    category = "professional"
    pool = "public"
    execution_client = "geth"
    execution_client_version = "1.16.3"
    consensus_client = "lighthouse"
    consensus_client_version = "7.1.0"
    hosting_type = "cloud"
    hosting_provider = "AWS"
    country = "DE"
    region = "Frankfurt"
    mev_relays = ["flashbots"]
    years_experience = 4
    validator_cap = 500


class OperatorAddressFactory(factory.django.DjangoModelFactory[OperatorAddress]):
    class Meta:
        model = OperatorAddress

    operator = factory.SubFactory(OperatorFactory)
    address = "0x4D68568B8D4E6244233c685B48fEa619621B78D2"
    purpose = "withdrawal"
    label = "Withdrawals"


def pubkey_for(secret: int) -> str:
    from py_ecc.bls import G2ProofOfPossession as bls

    return "0x" + bls.SkToPk(secret).hex()


class ValidatorFactory(factory.django.DjangoModelFactory[Validator]):
    class Meta:
        model = Validator

    operator = factory.SubFactory(OperatorFactory)
    pubkey = factory.Sequence(lambda n: pubkey_for(1000 + n))
    withdrawal_credentials = "0x0100000000000000000000004d68568b8d4e6244233c685b48fea619621b78d2"
    beacon_status = "active"


def approved_kyc_application(*, organisation=None, applicant, subject_type="operator_company", wallets=()):
    """An approved kyc.Application with proven wallets, written directly (the kyc app owns its workflow)."""
    from kyc.models import Application, WalletAddress

    app = Application.objects.create(
        subject_type=subject_type,
        operator_category="professional",
        organisation=organisation,
        applicant=applicant,
        status=Application.Status.APPROVED,
        # An approval always runs until a date; the operators' whitelist entries expire with it.
        valid_until=timezone.now().replace(microsecond=0) + dt.timedelta(days=365),
    )
    for address, purpose in wallets:
        WalletAddress.objects.create(
            application=app, address=address, label=purpose, purpose=purpose, verified_at=timezone.now()
        )
    return app
