"""Reads of the operators app: scoped lookups, performance aggregates, diversity, allocation input, rewards."""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Count, F, Max, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from accounts.permissions import user_has_capability
from accounts.roles import Capability
from operators.allocation import ALLOCATION_DIMENSIONS, Candidate
from operators.bond import BondBreakdown, compute_bond
from operators.diversity import DIMENSIONS, Distribution, distribution
from operators.models import (
    BeaconImportRun,
    ExitRequest,
    Node,
    OperatorProfile,
    OperatorScore,
    RewardAdjustment,
    SlashingEvent,
    Validator,
    ValidatorEpoch,
)
from operators.performance import PerformanceInputs
from operators.rewards import RewardsReport, compute_rewards, gwei_to_eth

LIVE = (
    Validator.BeaconStatus.UNKNOWN,
    Validator.BeaconStatus.PENDING,
    Validator.BeaconStatus.ACTIVE,
    Validator.BeaconStatus.EXITING,
)
ACTIVE_STATUSES = ("active_ongoing", "active_exiting", "active_slashed")


def operator_list_for_user(*, user: Any) -> QuerySet[OperatorProfile]:
    """The operators a user works on: their organisations' and their own."""
    if not getattr(user, "is_authenticated", False):
        return OperatorProfile.objects.none()
    return (
        OperatorProfile.objects.filter(Q(organisation__memberships__user=user) | Q(user=user))
        .distinct()
        .select_related("organisation", "user")
        .annotate(live_validators=Count("validators", filter=Q(validators__beacon_status__in=LIVE), distinct=True))
        .order_by("name")
    )


def operator_get_for_user(*, user: Any, public_id: uuid.UUID | str) -> OperatorProfile:
    """The operator if `user` works on it or reviews operators; a 404 otherwise, never a 403 that confirms it."""
    qs = OperatorProfile.objects.select_related("organisation", "user", "kyc_application")
    if not user_has_capability(user, Capability.OPERATOR_REVIEW):
        if not getattr(user, "is_authenticated", False):
            raise Http404
        qs = qs.filter(Q(organisation__memberships__user=user) | Q(user=user)).distinct()
    try:
        key = uuid.UUID(str(public_id))
    except ValueError as exc:
        raise Http404 from exc
    operator = qs.filter(public_id=key).first()
    if operator is None:
        raise Http404
    return operator


def operator_works_on(*, user: Any, operator: OperatorProfile) -> bool:
    """Whether `user` acts as the operator: the individual operator or a member of its organisation."""
    if not getattr(user, "is_authenticated", False):
        return False
    if operator.user_id is not None:
        return bool(operator.user_id == user.pk)
    return operator.organisation_id is not None and operator.organisation.memberships.filter(user=user).exists()  # type: ignore[union-attr]


def operator_staff_list(*, status: str = "") -> QuerySet[OperatorProfile]:
    qs = OperatorProfile.objects.select_related("organisation", "user").annotate(
        live_validators=Count("validators", filter=Q(validators__beacon_status__in=LIVE), distinct=True)
    )
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("status", "name")


def latest_imported_epoch() -> int | None:
    value: int | None = BeaconImportRun.objects.filter(result=BeaconImportRun.Result.OK).aggregate(m=Max("epoch"))["m"]
    return value


def performance_inputs(*, operator: OperatorProfile, epoch_from: int, epoch_to: int) -> PerformanceInputs:
    rows = ValidatorEpoch.objects.filter(validator__operator=operator, epoch__gte=epoch_from, epoch__lte=epoch_to)
    agg = rows.aggregate(
        rewards=Sum(F("head_reward") + F("target_reward") + F("source_reward")),
        ideal=Sum("ideal_reward"),
        duties=Sum("proposer_duties"),
        proposed=Sum("blocks_proposed"),
        active=Count("id", filter=Q(status__in=ACTIVE_STATUSES)),
        attested=Count("id", filter=Q(status__in=ACTIVE_STATUSES, source_reward__gt=0)),
    )
    now = timezone.now()
    exits = ExitRequest.objects.filter(
        operator=operator, kind__in=[ExitRequest.Kind.REQUESTED, ExitRequest.Kind.FORCED]
    ).aggregate(
        due=Count("id", filter=Q(status=ExitRequest.Status.DONE) | Q(status=ExitRequest.Status.OPEN, deadline__lt=now)),
        on_time=Count("id", filter=Q(status=ExitRequest.Status.DONE, on_time=True)),
    )
    slashings = SlashingEvent.objects.filter(
        validator__operator=operator, epoch__gte=epoch_from, epoch__lte=epoch_to
    ).count()
    return PerformanceInputs(
        attestation_rewards_gwei=agg["rewards"] or 0,
        ideal_rewards_gwei=agg["ideal"] or 0,
        proposer_duties=agg["duties"] or 0,
        blocks_proposed=agg["proposed"] or 0,
        epochs_active=agg["active"] or 0,
        epochs_attested=agg["attested"] or 0,
        exits_due=exits["due"] or 0,
        exits_on_time=exits["on_time"] or 0,
        slashings=slashings,
    )


def latest_scores(operator_ids: list[int]) -> dict[int, OperatorScore]:
    """The newest score of each operator, in one query."""
    latest_ids = (
        OperatorScore.objects.filter(operator_id__in=operator_ids)
        .values("operator_id")
        .annotate(last=Max("id"))
        .values_list("last", flat=True)
    )
    return {s.operator_id: s for s in OperatorScore.objects.filter(id__in=list(latest_ids))}


def operator_current_score(operator: OperatorProfile) -> Decimal:
    score = latest_scores([operator.pk]).get(operator.pk)
    return score.score if score else Decimal(100)


def operator_bond(operator: OperatorProfile) -> BondBreakdown:
    validators = operator.validators.filter(beacon_status__in=LIVE).count()
    return compute_bond(category=operator.category, validators=validators, score=operator_current_score(operator))


def score_history(operator: OperatorProfile, limit: int = 60) -> list[OperatorScore]:
    return list(reversed(operator.scores.order_by("-created_at", "-id")[:limit]))


def _attribute(operator: OperatorProfile, dimension: str, node: Node | None = None) -> str:
    """The value of `dimension` for a validator of `operator` running on `node`: the node's infrastructure when
    the validator has one, the operator profile's otherwise. The category is always the operator's."""
    if dimension == "category":
        return operator.get_category_display()
    infra: OperatorProfile | Node = node if node is not None else operator
    if dimension == "hosting":
        return "home" if infra.hosting_type == "home" else infra.hosting_provider.strip() or "unknown"
    if dimension == "consensus_client":
        return infra.get_consensus_client_display()
    if dimension == "execution_client":
        return infra.get_execution_client_display()
    return str(getattr(infra, dimension))


def _approved_with_counts() -> list[OperatorProfile]:
    return list(
        OperatorProfile.objects.filter(status=OperatorProfile.Status.APPROVED)
        .annotate(live_validators=Count("validators", filter=Q(validators__beacon_status__in=LIVE)))
        .order_by("name")
    )


def diversity_distributions() -> list[Distribution]:
    """Live validators of approved operators by country, hosting, clients and category, each counted by its node
    when it has one and by its operator's profile otherwise (three queries in all)."""
    operators = {
        op.pk: op for op in OperatorProfile.objects.filter(status=OperatorProfile.Status.APPROVED).order_by("name")
    }
    nodes = {n.pk: n for n in Node.objects.filter(operator_id__in=list(operators))}
    groups = (
        Validator.objects.filter(operator_id__in=list(operators), beacon_status__in=LIVE)
        .values("operator_id", "node_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for group in groups:
        operator = operators[group["operator_id"]]
        node = nodes.get(group["node_id"]) if group["node_id"] is not None else None
        for d in DIMENSIONS:
            counts[d][_attribute(operator, d, node)] += group["n"]
    return [distribution(d, counts[d]) for d in DIMENSIONS]


def operator_nodes(operator: OperatorProfile) -> list[Node]:
    """The operator's nodes with how many live validators run on each."""
    return list(
        operator.nodes.annotate(
            live_validators=Count("validators", filter=Q(validators__beacon_status__in=LIVE))
        ).order_by("name")
    )


def public_operator_performance() -> list[dict[str, Any]]:
    """Each approved operator's score history (public: name, category, country, scores; no personal data)."""
    operators = _approved_with_counts()
    history: dict[int, list[OperatorScore]] = defaultdict(list)
    since = timezone.now() - timedelta(days=30)
    for s in OperatorScore.objects.filter(operator__in=operators, created_at__gte=since).order_by("created_at", "id"):
        history[s.operator_id].append(s)
    return [
        {
            "operator": op,
            "validators": op.live_validators,  # type: ignore[attr-defined]
            "scores": history[op.pk][-30:],
        }
        for op in operators
    ]


def allocation_candidates() -> list[Candidate]:
    """Every operator with validators or approval: approved ones may receive; the others still count."""
    operators = list(
        OperatorProfile.objects.filter(
            Q(status=OperatorProfile.Status.APPROVED) | Q(validators__beacon_status__in=LIVE)
        )
        .distinct()
        .annotate(live_validators=Count("validators", filter=Q(validators__beacon_status__in=LIVE), distinct=True))
    )
    scores = latest_scores([op.pk for op in operators])
    return [
        Candidate(
            key=str(op.public_id),
            name=op.name,
            attributes={d: _attribute(op, d) for d in ALLOCATION_DIMENSIONS},
            current=op.live_validators,
            cap=op.validator_cap,
            score=scores[op.pk].score if op.pk in scores else Decimal(100),
            approved=op.status == OperatorProfile.Status.APPROVED,
        )
        for op in operators
    ]


def rewards_report(
    *, operator: OperatorProfile, epoch_from: int, epoch_to: int, total_eth: Decimal | None = None
) -> RewardsReport:
    """R = T x F x N / A - P + O over [epoch_from, epoch_to], from the imported beacon history."""
    in_range = ValidatorEpoch.objects.filter(epoch__gte=epoch_from, epoch__lte=epoch_to)
    net = F("head_reward") + F("target_reward") + F("source_reward") + F("inactivity_penalty")
    pool = in_range.annotate(net=net).aggregate(
        positive=Sum("net", filter=Q(net__gt=0)),
        attestations=Count("id", filter=Q(source_reward__gt=0)),
    )
    mine = (
        in_range.filter(validator__operator=operator)
        .annotate(net=net)
        .aggregate(attestations=Count("id", filter=Q(source_reward__gt=0)), negative=Sum("net", filter=Q(net__lt=0)))
    )
    adjustments = RewardAdjustment.objects.filter(
        operator=operator, epoch__gte=epoch_from, epoch__lte=epoch_to
    ).aggregate(s=Sum("amount_eth"))["s"] or Decimal(0)
    return compute_rewards(
        epoch_from=epoch_from,
        epoch_to=epoch_to,
        total_eth=total_eth if total_eth is not None else gwei_to_eth(pool["positive"] or 0),
        factor=Decimal(settings.OPERATORS_REWARD_FACTORS[operator.category]),
        operator_attestations=mine["attestations"] or 0,
        all_attestations=pool["attestations"] or 0,
        penalties_eth=gwei_to_eth(-(mine["negative"] or 0)),
        adjustments_eth=Decimal(adjustments),
    )
