"""kyc's side of the whitelist: which wallets approved cases prove, and the recompute at each decision.

A wallet is proven while its case is approved and in date, its ownership was proven, and no screening hit on it was
confirmed as a true match. Staker cases prove the stakers' list (a registered `whitelist.targets` source). Operator
cases prove nothing on their own: the operators app's source lists an operator's addresses while the operator and
its case are approved (`operators.whitelisting`), reading `wallet_proofs` below.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import QuerySet

from kyc.models import OPERATOR_SUBJECT_TYPES, Application, HitAdjudication, WalletAddress
from whitelist.models import Change, ListKey
from whitelist.targets import Claim, Source, target_source_register

S = Application.Status
WALLET_REF = "kyc.wallet:"


def _sanctioned_wallet_ids(wallet_ids: Iterable[str]) -> set[str]:
    """Wallets (public ids) with a screening hit an officer confirmed as a true match: never on a list again."""
    refs = [f"{WALLET_REF}{w}" for w in wallet_ids]
    confirmed = HitAdjudication.objects.filter(
        ruling=HitAdjudication.Ruling.TRUE_MATCH, hit__check_run__subject_ref__in=refs
    ).values_list("hit__check_run__subject_ref", flat=True)
    return {ref.removeprefix(WALLET_REF) for ref in confirmed}


def sanctioned_addresses(addresses: Iterable[str]) -> set[str]:
    """Addresses with a wallet (on any case) whose screening hit an officer confirmed as a true match."""
    wallets = dict(WalletAddress.objects.filter(address__in=list(addresses)).values_list("public_id", "address"))
    barred = _sanctioned_wallet_ids(str(w) for w in wallets)
    return {address for public_id, address in wallets.items() if str(public_id) in barred}


def wallet_proofs(
    *, addresses: Iterable[str], now: dt.datetime, operator_cases: bool | None = None
) -> list[tuple[str, int, dt.datetime, str]]:
    """(address, application pk, valid_until, case reference) for every approved, in-date case that proves the
    address: operator cases only (True), staker cases only (False) or any (None)."""
    rows = WalletAddress.objects.filter(
        address__in=list(addresses),
        verified_at__isnull=False,
        application__status=S.APPROVED,
        application__valid_until__gt=now,
    )
    if operator_cases is not None:
        rows = (
            rows.filter(application__subject_type__in=OPERATOR_SUBJECT_TYPES)
            if operator_cases
            else rows.exclude(application__subject_type__in=OPERATOR_SUBJECT_TYPES)
        )
    found = list(
        rows.values_list("address", "public_id", "application_id", "application__valid_until", "application__public_id")
    )
    barred = _sanctioned_wallet_ids(str(r[1]) for r in found)
    return [
        (address, app_pk, valid_until, f"kyc.application:{app_public_id}")
        for address, wallet_id, app_pk, valid_until, app_public_id in found
        if str(wallet_id) not in barred and valid_until is not None
    ]


def _staker_claims(addresses: list[str], now: dt.datetime) -> dict[str, Claim]:
    best: dict[str, Claim] = {}
    for address, _app, valid_until, reference in wallet_proofs(addresses=addresses, now=now, operator_cases=False):
        if address not in best or valid_until > best[address].valid_until:
            best[address] = Claim(valid_until=valid_until, reference=reference)
    return best


def _staker_candidates() -> Iterator[str]:
    yield from (
        WalletAddress.objects.filter(verified_at__isnull=False)
        .exclude(application__subject_type__in=OPERATOR_SUBJECT_TYPES)
        .values_list("address", flat=True)
        .distinct()
        .iterator(chunk_size=5000)
    )


STAKERS_SOURCE = Source(claims=_staker_claims, candidates=_staker_candidates)


def register_sources() -> None:
    target_source_register(ListKey.STAKERS, STAKERS_SOURCE)


def case_wallets_resync(*, application: Application, by: Any, reason: str) -> list[Change]:
    """Recompute the whitelist target of every wallet of the case on every list, in the caller's (the decision's)
    transaction. Every list: a case proves more than its own list (an operator's addresses are wallets of the case
    it is vetted under), so a decision about a wallet moves it wherever it is listed. Whatever the decision, the
    wallets end up exactly where the approved cases put them."""
    from whitelist.services import whitelist_targets_update

    wallets: QuerySet[WalletAddress] = application.wallets.all()
    addresses = list(wallets.values_list("address", flat=True))
    changes: list[Change] = []
    for list_key in ListKey.values:
        changes += whitelist_targets_update(
            list_key=list_key,
            addresses=addresses,
            actor=by,
            reason=reason,
            reference=f"kyc.application:{application.public_id}",
        )
    return changes
