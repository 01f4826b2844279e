"""Anchoring the audit chain's head on chain: the backend `core.audit_head` reaches through
AUDIT_ANCHOR_BACKEND, because core names no app and only this app talks to the chain.

The head goes as the input of a zero-value transaction from the portal's signer to AUDIT_ANCHOR_ADDRESS. The
nonce comes from the sync's own per-signer cursor, under its lock, so an anchor never takes a nonce a batch
is given; the signed transaction is stored before it is broadcast.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction

from core.audit_head import AnchorOnChain, AnchorUnavailable
from core.models import AuditAnchor
from whitelist import config
from whitelist.chain import AlreadySubmitted, ChainUnavailable, Misconfigured, checksum
from whitelist.config import Runtime
from whitelist.sync import _locked_cursor, initial_fees

logger = logging.getLogger(__name__)


class ChainAnchor:
    def __init__(self, runtime: Runtime | None = None) -> None:
        self._rt = runtime

    def configured(self) -> bool:
        return bool(settings.AUDIT_ANCHOR_ADDRESS) and (self._rt is not None or config.is_enabled())

    def _runtime(self) -> Runtime:
        if self._rt is None:
            try:
                self._rt = config.runtime(at_start=False)
            except ChainUnavailable as exc:
                raise AnchorUnavailable(str(exc)) from exc
        return self._rt

    @staticmethod
    def _to() -> str:
        try:
            return checksum(settings.AUDIT_ANCHOR_ADDRESS)
        except ValueError as exc:
            raise Misconfigured("AUDIT_ANCHOR_ADDRESS", f"is not a valid address: {exc}") from None

    def send(self, *, payload: str, head_seq: int, head_hash: str) -> AuditAnchor:
        rt = self._runtime()
        signer = rt.signer
        if signer is None:
            raise Misconfigured(
                "WHITELIST_SIGNER_KEY", "anchoring the audit head needs the portal's signer, which Safe mode has not"
            )
        to = self._to()
        data = "0x" + payload.encode().hex()
        try:
            fees = initial_fees(rt.chain)
            if fees is None:
                raise AnchorUnavailable("the base fee is above WHITELIST_MAX_FEE_GWEI: the anchor waits")
            gas = rt.chain.estimate_gas(sender=signer.address, to=to, data=data)
            with transaction.atomic():
                cursor = _locked_cursor(rt.chain, rt.chain_id, signer.address)
                nonce = max(cursor.next_nonce, rt.chain.nonce(signer.address, block="latest"))
                tx = rt.chain.build_tx(chain_id=rt.chain_id, nonce=nonce, to=to, data=data, gas=gas, fees=fees)
                signed = signer.sign(tx)
                anchor = AuditAnchor.objects.create(
                    head_seq=head_seq,
                    head_hash=head_hash,
                    payload=payload,
                    chain_id=rt.chain_id,
                    sender=signer.address,
                    to_address=to,
                    nonce=nonce,
                    tx_hash=signed.tx_hash,
                    raw=signed.raw,
                )
                cursor.next_nonce = nonce + 1
                cursor.save(update_fields=["next_nonce"])
            self._broadcast(anchor)
        except ChainUnavailable as exc:
            raise AnchorUnavailable(str(exc)) from exc
        return anchor

    def _broadcast(self, anchor: AuditAnchor) -> None:
        try:
            self._runtime().chain.send_raw(anchor.raw)
        except AlreadySubmitted as exc:
            if exc.nonce_too_low and self._runtime().chain.receipt(anchor.tx_hash) is None:
                # Another transaction took the nonce (the key is shared outside the portal): the next run
                # anchors the head again with a fresh nonce.
                anchor.status = AuditAnchor.Status.FAILED
                anchor.save(update_fields=["status", "updated_at"])
                return
        if anchor.status == AuditAnchor.Status.SIGNED:
            anchor.status = AuditAnchor.Status.BROADCAST
            anchor.save(update_fields=["status", "updated_at"])

    def settle(self) -> int:
        """Record the receipt of each anchor still in flight, or send its stored bytes again."""
        settled = 0
        open_anchors = AuditAnchor.objects.filter(status__in=[AuditAnchor.Status.SIGNED, AuditAnchor.Status.BROADCAST])
        try:
            for anchor in open_anchors.order_by("id"):
                receipt = self._runtime().chain.receipt(anchor.tx_hash)
                if receipt is None:
                    self._broadcast(anchor)
                    continue
                anchor.status = AuditAnchor.Status.MINED if receipt.status == 1 else AuditAnchor.Status.FAILED
                anchor.block_number = receipt.block_number
                anchor.save(update_fields=["status", "block_number", "updated_at"])
                settled += 1
        except ChainUnavailable as exc:
            raise AnchorUnavailable(str(exc)) from exc
        return settled

    def fetch(self, tx_hash: str) -> AnchorOnChain | None:
        try:
            found = self._runtime().chain.transaction_input(tx_hash)
        except ChainUnavailable as exc:
            raise AnchorUnavailable(str(exc)) from exc
        if found is None:
            return None
        to, data, block = found
        return AnchorOnChain(to=to, input=data, block_number=block)
