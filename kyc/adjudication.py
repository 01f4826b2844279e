"""Adjudication of a case's screening hits. Screening knows subjects only by the opaque refs kyc gives them:
"kyc.application:<uuid>" (the company), "kyc.person:<uuid>", "kyc.wallet:<uuid>", "kyc.colleague:<case>:<user>"
and "kyc.operator:<uuid>".

A hit's category decides what a "true match" ruling means: on a sanctions hit it is a confirmed sanctions match;
on a PEP hit (or a PEP's relative or close associate) it confirms the person is politically exposed, a risk
factor that requires enhanced due diligence and the approver's sign-off, not a sanctions match."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User
from accounts.permissions import user_has_capability
from accounts.roles import Capability
from core.audit import audit_record
from core.exceptions import ApplicationError
from kyc.models import Application, HitAdjudication
from kyc.whitelisting import case_wallets_resync

if TYPE_CHECKING:
    from screening.models import Hit


def subject_refs(application: Application) -> list[str]:
    refs = [f"kyc.application:{application.public_id}"]
    refs += [f"kyc.person:{p}" for p in application.people.values_list("public_id", flat=True)]
    refs += [f"kyc.wallet:{w}" for w in application.wallets.values_list("public_id", flat=True)]
    # Colleagues acting for the customer and node operators vetted under the case (kyc.screening_flow).
    if application.organisation is not None:
        users = application.organisation.memberships.values_list("user__public_id", flat=True)
        refs += [f"kyc.colleague:{application.public_id}:{u}" for u in users]
    refs += [f"kyc.operator:{o}" for o in application.operator_profiles.values_list("public_id", flat=True)]
    return refs


def case_hits(application: Application) -> QuerySet[Hit]:
    from screening.models import Hit

    return Hit.objects.filter(
        check_run__subject_ref__in=subject_refs(application), suppressed=False, is_history=False
    ).select_related("check_run")


def open_hits(application: Application) -> list[Hit]:
    """Hits with no ruling yet, or whose last ruling is "escalate": they block an approval."""
    last: dict[int, str] = {}
    for hit_id, ruling in HitAdjudication.objects.filter(application=application).values_list("hit_id", "ruling"):
        last[hit_id] = ruling
    return [h for h in case_hits(application) if last.get(h.pk, HitAdjudication.Ruling.ESCALATE) == "escalate"]


def confirmed_hits(application: Application) -> int:
    """Confirmed sanctions matches (PEP hits confirmed are counted by `confirmed_pep_hits`)."""
    return (
        HitAdjudication.objects.filter(application=application, ruling=HitAdjudication.Ruling.TRUE_MATCH)
        .filter(hit__category="sanction")
        .count()
    )


def confirmed_pep_hits(application: Application) -> list[Hit]:
    """PEP hits (and relatives or close associates) a reviewer confirmed as this case's person, last ruling
    per hit."""
    from screening.models import Hit

    last: dict[int, str] = {}
    rows = HitAdjudication.objects.filter(application=application).exclude(hit__category="sanction")
    for hit_id, ruling in rows.order_by("at", "pk").values_list("hit_id", "ruling"):
        last[hit_id] = ruling
    confirmed = [hit_id for hit_id, ruling in last.items() if ruling == HitAdjudication.Ruling.TRUE_MATCH]
    return list(Hit.objects.filter(pk__in=confirmed).select_related("check_run").order_by("pk"))


@transaction.atomic
def hit_adjudicate(*, application: Application, hit_id: int, by: User, ruling: str, rationale: str) -> HitAdjudication:
    """Rule on one hit of the case. A false positive is also remembered by screening, so a re-screen of the
    same subject does not raise the same entity again."""
    from screening.services import false_positive_record

    if not user_has_capability(by, Capability.CASE_REVIEW):
        raise ApplicationError("You do not have the role needed to adjudicate hits.", code="forbidden")
    if ruling not in HitAdjudication.Ruling.values:
        raise ApplicationError(
            f"ruling: choose one of {', '.join(HitAdjudication.Ruling.values)}.", code="invalid_ruling"
        )
    rationale = rationale.strip()
    if not rationale:
        raise ApplicationError("rationale: say why you rule this way.", code="invalid_rationale")
    hit = next((h for h in case_hits(application) if h.pk == hit_id), None)
    if hit is None:
        raise ApplicationError("hit: this hit does not belong to the case.", code="unknown_hit")
    adjudication = HitAdjudication.objects.create(
        application=application, hit=hit, ruling=ruling, rationale=rationale, by=by, at=timezone.now()
    )
    if ruling == HitAdjudication.Ruling.FALSE_POSITIVE:
        false_positive_record(hit=hit, by=by, reason=rationale)
    audit_record(
        actor=by,
        action="case.hit_adjudicated",
        target=application,
        data={"hit": hit_id, "ruling": ruling, "rationale": rationale, "category": hit.category},
    )
    if ruling == HitAdjudication.Ruling.TRUE_MATCH and hit.category == "sanction":
        _remove_sanctioned_wallet(application=application, hit=hit, by=by, rationale=rationale)
    # A ruling changes what the risk rests on (a confirmed PEP makes the case high risk: approver level).
    from kyc.screening_flow import case_risk_reassess

    case_risk_reassess(application)
    return adjudication


def _remove_sanctioned_wallet(*, application: Application, hit: Hit, by: User, rationale: str) -> None:
    """A confirmed match on a wallet of an approved case: recompute the wallet's whitelist target in the ruling's
    transaction (the outbox). A wallet with a confirmed match proves nothing any more (`kyc.whitelisting`), so it
    comes off the list even while the case stays approved; the ruling and the removal commit together."""
    ref = hit.check_run.subject_ref
    if not ref.startswith("kyc.wallet:"):
        return
    application = Application.objects.select_for_update().get(pk=application.pk)
    if application.status != Application.Status.APPROVED:
        return  # not on the whitelist yet: the open match already keeps the case from being approved
    wallet = application.wallets.filter(public_id=ref.split(":", 1)[1]).first()
    if wallet is None:
        return
    changes = case_wallets_resync(
        application=application,
        by=by,
        reason=f"Confirmed sanctions match {hit.entity_id} ({application.reference})"[:500],
    )
    change = next((c for c in changes if c.address == wallet.address), None)
    audit_record(
        actor=by,
        action="case.sanctioned_wallet_removal_requested",
        target=application,
        data={
            "wallet": str(wallet.public_id),
            "address": wallet.address,
            "entity_id": hit.entity_id,
            "hit": hit.pk,
            "change": change.pk if change else None,
            "rationale": rationale,
        },
    )
