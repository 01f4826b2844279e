"""A client for the standard Beacon API (ethereum/beacon-APIs), reading only what the performance import needs.

Every call has a timeout; every response is parsed into pydantic models (numbers arrive as decimal strings and
are checked); anything else raises `BeaconError` with a reason the import records. A node that reports it is
syncing raises `BeaconSyncing`: its data would be stale, so nothing is imported.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

import requests
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

FAR_FUTURE_EPOCH = 2**64 - 1
T = TypeVar("T")


class BeaconError(Exception):
    """The beacon node could not be used: unreachable, an error status, or an answer we cannot trust."""


class BeaconSyncing(BeaconError):
    pass


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


def _uint(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValueError("expected a decimal string")
    text = str(value)
    if not text.isdigit():
        raise ValueError(f"expected an unsigned decimal string, got {text[:20]!r}")
    number = int(text)
    if number >= 2**64:
        raise ValueError("out of uint64 range")
    return number


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValueError("expected a decimal string")
    text = str(value)
    if not text.lstrip("-").isdigit():
        raise ValueError(f"expected a signed decimal string, got {text[:20]!r}")
    return int(text)


class SyncStatus(_Model):
    head_slot: int
    sync_distance: int
    is_syncing: bool
    is_optimistic: bool = False
    el_offline: bool = False

    _u = field_validator("head_slot", "sync_distance", mode="before")(_uint)


class ValidatorInfo(_Model):
    pubkey: str = Field(pattern=r"^0x[0-9a-fA-F]{96}$")
    withdrawal_credentials: str = Field(pattern=r"^0x[0-9a-fA-F]{64}$")
    effective_balance: int
    slashed: bool
    activation_epoch: int
    exit_epoch: int

    _u = field_validator("effective_balance", "activation_epoch", "exit_epoch", mode="before")(_uint)


class ValidatorState(_Model):
    index: int
    balance: int
    status: str = Field(
        pattern=r"^(pending_initialized|pending_queued|active_ongoing|active_exiting|active_slashed|"
        r"exited_unslashed|exited_slashed|withdrawal_possible|withdrawal_done)$"
    )
    validator: ValidatorInfo

    _u = field_validator("index", "balance", mode="before")(_uint)


class IdealReward(_Model):
    effective_balance: int
    head: int
    target: int
    source: int

    _u = field_validator("effective_balance", "head", "target", "source", mode="before")(_uint)


class TotalReward(_Model):
    validator_index: int
    head: int
    target: int
    source: int
    inactivity: int = 0

    _i = field_validator("head", "target", "source", "inactivity", mode="before")(_int)
    _u = field_validator("validator_index", mode="before")(_uint)


class AttestationRewards(_Model):
    ideal_rewards: list[IdealReward]
    total_rewards: list[TotalReward]


class ProposerDuty(_Model):
    pubkey: str = Field(pattern=r"^0x[0-9a-fA-F]{96}$")
    validator_index: int
    slot: int

    _u = field_validator("validator_index", "slot", mode="before")(_uint)


class HeaderMessage(_Model):
    slot: int
    proposer_index: int

    _u = field_validator("slot", "proposer_index", mode="before")(_uint)


class _SignedHeader(_Model):
    message: HeaderMessage


class BlockHeader(_Model):
    root: str
    canonical: bool
    header: _SignedHeader


class _Envelope(_Model):
    data: Any


class _ListOf(_Model, Generic[T]):
    items: list[T]


class BeaconClient:
    def __init__(self, base_url: str, *, timeout: float = 10.0, session: requests.Session | None = None) -> None:
        if not base_url:
            raise BeaconError("No beacon node is configured (OPERATORS_BEACON_URL).")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = session or requests.Session()

    def _request(self, method: str, path: str, *, params: Any = None, json: Any = None, allow_404: bool = False) -> Any:
        url = self.base_url + path
        try:
            response = self.session.request(method, url, params=params, json=json, timeout=self.timeout)
        except requests.RequestException as exc:
            raise BeaconError(f"{method} {path}: the beacon node did not answer ({type(exc).__name__}).") from exc
        if allow_404 and response.status_code == 404:
            return None
        if response.status_code != 200:
            raise BeaconError(f"{method} {path}: HTTP {response.status_code} {response.text[:200]}")
        try:
            body = response.json()
            return _Envelope.model_validate(body).data
        except (ValueError, ValidationError) as exc:
            raise BeaconError(f"{method} {path}: the answer is not the Beacon API's JSON envelope.") from exc

    def _parse(self, model: Any, data: Any, path: str) -> Any:
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise BeaconError(f"{path}: unexpected data at {where or 'root'}: {first['msg']}.") from exc

    def syncing(self) -> SyncStatus:
        path = "/eth/v1/node/syncing"
        result: SyncStatus = self._parse(SyncStatus, self._request("GET", path), path)
        return result

    def validators(self, *, state_id: str, ids: list[str]) -> list[ValidatorState]:
        path = f"/eth/v1/beacon/states/{state_id}/validators"
        out: list[ValidatorState] = []
        for i in range(0, len(ids), 64):
            data = self._request("GET", path, params={"id": ",".join(ids[i : i + 64])})
            out += self._parse(_ListOf[ValidatorState], {"items": data}, path).items
        return out

    def attestation_rewards(self, *, epoch: int, indices: list[int]) -> AttestationRewards:
        path = f"/eth/v1/beacon/rewards/attestations/{epoch}"
        data = self._request("POST", path, json=[str(i) for i in indices])
        result: AttestationRewards = self._parse(AttestationRewards, data, path)
        return result

    def proposer_duties(self, *, epoch: int) -> list[ProposerDuty]:
        path = f"/eth/v1/validator/duties/proposer/{epoch}"
        items: list[ProposerDuty] = self._parse(
            _ListOf[ProposerDuty], {"items": self._request("GET", path)}, path
        ).items
        return items

    def block_header(self, *, block_id: str) -> BlockHeader | None:
        """The header at a slot, or None when the slot is empty (the node answers 404)."""
        path = f"/eth/v1/beacon/headers/{block_id}"
        data = self._request("GET", path, allow_404=True)
        if data is None:
            return None
        header: BlockHeader = self._parse(BlockHeader, data, path)
        return header
