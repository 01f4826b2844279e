"""Staff pages of the whitelist: thin views over selectors and services."""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.decorators import capability_required, object_capability
from accounts.permissions import user_has_capability
from accounts.roles import Capability
from core.exceptions import ApplicationError
from whitelist import config, selectors
from whitelist.chain import ChainError, Misconfigured, checksum
from whitelist.models import Batch, ListKey, Reconciliation
from whitelist.reconcile import DRIFT_KINDS, whitelist_reconcile
from whitelist.safe import safe_transaction_builder_json
from whitelist.services import batch_approve, batch_cancel, whitelist_drift_heal, whitelist_push_now


def explorer_tx(tx_hash: str) -> str:
    template = settings.WHITELIST_EXPLORER_TX_URL
    return template.replace("{hash}", tx_hash) if template and tx_hash else ""


def explorer_address(address: str) -> str:
    template = settings.WHITELIST_EXPLORER_ADDRESS_URL
    return template.replace("{address}", address) if template and address else ""


@capability_required(Capability.WHITELIST_VIEW)
def overview(request: HttpRequest) -> HttpResponse:
    batches = list(selectors.batch_list()[:50])
    for b in batches:
        b.explorer_url = explorer_tx(b.tx_hash)  # type: ignore[attr-defined]
    return render(
        request,
        "whitelist/overview.html",
        {
            "enabled": config.is_enabled(),
            "mode": settings.WHITELIST_GOVERNANCE,
            "pending": selectors.change_pending_list()[:50],
            "pending_count": selectors.change_pending_list().count(),
            "batches": batches,
            "progress": selectors.sync_progress(),
            "can_manage": user_has_capability(request.user, Capability.WHITELIST_MANAGE),
            "drift": {key: selectors.reconciliation_latest(list_key=key) for key in ListKey.values},
        },
    )


@capability_required(Capability.WHITELIST_VIEW)
def changes(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.change_pending_list(), 100).get_page(request.GET.get("page"))
    return render(request, "whitelist/changes.html", {"page": page})


@capability_required(Capability.WHITELIST_VIEW)
def progress(request: HttpRequest) -> JsonResponse:
    return JsonResponse(selectors.sync_progress())


@object_capability(Capability.WHITELIST_VIEW)
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    batch = get_object_or_404(Batch.objects.select_related("deployment"), pk=pk)
    attempts = list(batch.transactions.all())
    for t in attempts:
        t.explorer_url = explorer_tx(t.tx_hash)  # type: ignore[attr-defined]
    return render(
        request,
        "whitelist/batch.html",
        {
            "batch": batch,
            "attempts": attempts,
            "history": batch.history.select_related("actor"),
            "approvals": batch.approvals.select_related("user"),
            "changes": batch.changes.order_by("address")[:1000],
            "contract_url": explorer_address(batch.deployment.address),
            "tx_url": explorer_tx(batch.tx_hash),
            "can_approve": batch.status == Batch.Status.AWAITING_APPROVAL
            and user_has_capability(request.user, Capability.WHITELIST_BOARD_APPROVE),
            "can_export": batch.status == Batch.Status.AWAITING_SAFE
            and user_has_capability(request.user, Capability.WHITELIST_MANAGE),
            "can_cancel": batch.status
            in (Batch.Status.AWAITING_APPROVAL, Batch.Status.AWAITING_SAFE, Batch.Status.READY)
            and user_has_capability(request.user, Capability.WHITELIST_MANAGE),
        },
    )


@require_POST
@object_capability(Capability.WHITELIST_BOARD_APPROVE)
def batch_approve_view(request: HttpRequest, pk: int) -> HttpResponse:
    batch = get_object_or_404(Batch, pk=pk)
    try:
        batch_approve(batch=batch, by=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Your approval is recorded.")
    return redirect("whitelist_batch", pk=pk)


@require_POST
@object_capability(Capability.WHITELIST_MANAGE)
def batch_cancel_view(request: HttpRequest, pk: int) -> HttpResponse:
    batch = get_object_or_404(Batch, pk=pk)
    reason = request.POST.get("reason", "").strip()[:500]
    if not reason:
        messages.error(request, "reason: say why the batch is cancelled.")
        return redirect("whitelist_batch", pk=pk)
    try:
        batch_cancel(batch=batch, by=request.user, reason=reason)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "The batch is cancelled; its changes are marked failed.")
    return redirect("whitelist_batch", pk=pk)


@object_capability(Capability.WHITELIST_MANAGE)
def batch_safe_export(request: HttpRequest, pk: int) -> HttpResponse:
    batch = get_object_or_404(Batch.objects.select_related("deployment"), pk=pk, status=Batch.Status.AWAITING_SAFE)
    try:
        safe = config.safe_address()
    except Misconfigured as exc:
        messages.error(request, str(exc))
        return redirect("whitelist_batch", pk=pk)
    body = json.dumps(safe_transaction_builder_json(batch=batch, safe_address=safe), indent=2)
    response = HttpResponse(body, content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="whitelist-batch-{batch.pk}.json"'
    return response


@require_POST
@capability_required(Capability.WHITELIST_MANAGE)
def push_now(request: HttpRequest) -> HttpResponse:
    if not config.is_enabled():
        messages.error(request, "The whitelist has no chain configured (ETH_RPC_URL).")
    else:
        whitelist_push_now(by=request.user)
        messages.success(request, "A sync has been queued; progress updates below.")
    return redirect("whitelist_overview")


@capability_required(Capability.WHITELIST_MANAGE)
def dry_run(request: HttpRequest) -> HttpResponse:
    from whitelist.sync import preview

    error, diff = "", {}
    try:
        diff = preview(config.runtime())
    except (Misconfigured, ChainError) as exc:
        error = str(exc)
    return render(request, "whitelist/dry_run.html", {"diff": diff, "error": error})


@capability_required(Capability.WHITELIST_VIEW)
def drift(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        if not user_has_capability(request.user, Capability.WHITELIST_MANAGE):
            raise Http404
        try:
            rt = config.runtime()
            for key in ListKey.values:
                dep = config.deployment_current(list_key=key, chain_id=rt.chain_id)
                if dep is not None:
                    whitelist_reconcile(chain=rt.chain, deployment=dep)
            messages.success(request, "Reconciliation finished.")
        except (Misconfigured, ChainError) as exc:
            messages.error(request, f"Reconciliation could not run: {exc}")
        return redirect("whitelist_drift")
    runs = list(Reconciliation.objects.select_related("healed_by")[:20])
    return render(
        request,
        "whitelist/drift.html",
        {
            "runs": runs,
            "kinds": DRIFT_KINDS,
            "can_manage": user_has_capability(request.user, Capability.WHITELIST_MANAGE),
        },
    )


@require_POST
@object_capability(Capability.WHITELIST_MANAGE)
def drift_heal(request: HttpRequest, pk: int) -> HttpResponse:
    rec = get_object_or_404(Reconciliation, pk=pk)
    try:
        created = whitelist_drift_heal(reconciliation=rec, by=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{len(created)} changes queued to heal the drift.")
    return redirect("whitelist_drift")


@capability_required(Capability.WHITELIST_VIEW)
def address_search(request: HttpRequest) -> HttpResponse:
    raw = request.GET.get("address", "").strip()
    try:
        return redirect("whitelist_address", address=checksum(raw))
    except ValueError as exc:
        messages.error(request, f"address: {exc}.")
        return redirect("whitelist_overview")


@object_capability(Capability.WHITELIST_VIEW)
def address_detail(request: HttpRequest, address: str) -> HttpResponse:
    try:
        address = checksum(address)
    except ValueError:
        raise Http404 from None
    history = list(selectors.address_history(address=address)[:200])
    for c in history:
        c.explorer_url = explorer_tx(c.batch.tx_hash) if c.batch else ""  # type: ignore[attr-defined]
    return render(
        request,
        "whitelist/address.html",
        {"address": address, "history": history, "status": selectors.address_status(address=address)},
    )
