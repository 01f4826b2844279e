"""Renewal of an approved case: what is copied, what is not, and which false-positive rulings carry over."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from assurance.tests.helpers import approved
from core.exceptions import ApplicationError
from kyc import services
from kyc.models import Application, Document, Person
from kyc.renewal import application_renew
from kyc.tests.factories import png
from screening.models import FalsePositive

S = Application.Status


@pytest.fixture
def case(alice: Any, wallet_key: Any, reviewer: Any) -> Application:
    return approved(alice, wallet_key, reviewer)


def _fp(ref: str, entity: str) -> FalsePositive:
    return FalsePositive.objects.create(
        subject_ref=ref, entity_id=entity, entity_fingerprint="f" * 64, reason="different birth date"
    )


def test_false_positive_rulings_carry_over_only_to_subjects_whose_screened_facts_are_unchanged(
    case: Application, alice: Any
) -> None:
    director = case.people.get(role="director")
    uma = case.people.get(legal_name="Uma Owner")
    _fp(f"kyc.person:{director.public_id}", "OFAC:1")
    _fp(f"kyc.person:{uma.public_id}", "OFAC:2")
    _fp(f"kyc.application:{case.public_id}", "UN:3")
    renewal = application_renew(application=case, by=alice)
    new_uma = renewal.people.get(carried_from=uma)
    services.person_update(person=new_uma, by=alice, data={"legal_name": "Uma Owner-Smith"})
    services.application_submit(application=renewal, by=alice)
    new_director = renewal.people.get(carried_from=director)
    carried = set(FalsePositive.objects.exclude(subject_ref__in=[
        f"kyc.person:{director.public_id}", f"kyc.person:{uma.public_id}", f"kyc.application:{case.public_id}"
    ]).values_list("subject_ref", "entity_id"))  # fmt: skip
    # The director and the company are the same as screened before; Uma's name changed, so she is judged afresh.
    assert carried == {
        (f"kyc.person:{new_director.public_id}", "OFAC:1"),
        (f"kyc.application:{renewal.public_id}", "UN:3"),
    }


def test_expired_identity_documents_and_old_proofs_of_address_are_not_copied(
    case: Application, alice: Any, settings: Any
) -> None:
    settings.KYC_RENEWAL_PROOF_OF_ADDRESS_MAX_DAYS = 90
    director = case.people.get(role="director")
    Application.objects.filter(pk=case.pk).update(status=S.DRAFT)  # to attach documents the way applicants do
    case.refresh_from_db()
    services.document_upload(application=case, by=alice, kind="id_front", upload=png("passport.png"), person=director)
    services.document_upload(application=case, by=alice, kind="proof_of_address", upload=png("bill.png"))
    Application.objects.filter(pk=case.pk).update(status=S.APPROVED)
    Person.objects.filter(pk=director.pk).update(id_document_expiry=timezone.now().date() - dt.timedelta(days=1))
    Document.objects.filter(application=case, kind="proof_of_address").update(
        created_at=timezone.now() - dt.timedelta(days=120)
    )
    renewal = application_renew(application=case.__class__.objects.get(pk=case.pk), by=alice)
    kinds = sorted(renewal.documents.values_list("kind", flat=True))
    assert "id_front" not in kinds and "proof_of_address" not in kinds
    assert {"certificate_of_incorporation", "register_of_directors", "shareholder_register", "articles"} <= set(kinds)


def test_a_renewal_is_refused_to_someone_outside_the_customer(case: Application, make_staff: Any) -> None:
    from accounts.tests.factories import UserFactory

    with pytest.raises(ApplicationError, match="Only the applicant can renew"):
        application_renew(application=case, by=UserFactory())
    assert not Application.objects.filter(renews=case).exists()
