"""The few SSZ hash_tree_root computations deposits need, in pure Python over sha256.

Containers from the consensus specs (phase0): DepositMessage(pubkey: Bytes48, withdrawal_credentials: Bytes32,
amount: uint64), DepositData(... + signature: Bytes96), ForkData(current_version: Bytes4,
genesis_validators_root: Bytes32), SigningData(object_root: Bytes32, domain: Bytes32).
"""

from __future__ import annotations

from hashlib import sha256

ZERO_CHUNK = b"\x00" * 32
DOMAIN_DEPOSIT = bytes.fromhex("03000000")


def _h(a: bytes, b: bytes) -> bytes:
    return sha256(a + b).digest()


def _chunks(data: bytes) -> list[bytes]:
    padded = data + b"\x00" * (-len(data) % 32)
    return [padded[i : i + 32] for i in range(0, len(padded), 32)] or [ZERO_CHUNK]


def merkleize(chunks: list[bytes]) -> bytes:
    """Root of the chunks padded with zero chunks to the next power of two."""
    size = 1
    while size < len(chunks):
        size *= 2
    layer = chunks + [ZERO_CHUNK] * (size - len(chunks))
    while len(layer) > 1:
        layer = [_h(layer[i], layer[i + 1]) for i in range(0, len(layer), 2)]
    return layer[0]


def bytes_root(data: bytes) -> bytes:
    """hash_tree_root of a fixed-size byte vector (Bytes4, Bytes32, Bytes48, Bytes96)."""
    return merkleize(_chunks(data))


def uint64_root(value: int) -> bytes:
    return value.to_bytes(8, "little") + b"\x00" * 24


def deposit_message_root(*, pubkey: bytes, withdrawal_credentials: bytes, amount: int) -> bytes:
    return merkleize([bytes_root(pubkey), bytes_root(withdrawal_credentials), uint64_root(amount)])


def deposit_data_root(*, pubkey: bytes, withdrawal_credentials: bytes, amount: int, signature: bytes) -> bytes:
    return merkleize(
        [bytes_root(pubkey), bytes_root(withdrawal_credentials), uint64_root(amount), bytes_root(signature)]
    )


def compute_deposit_domain(fork_version: bytes) -> bytes:
    # Deposits are valid across forks: the domain uses the genesis fork version and a zero validators root.
    fork_data_root = merkleize([bytes_root(fork_version), ZERO_CHUNK])
    return DOMAIN_DEPOSIT + fork_data_root[:28]


def signing_root(object_root: bytes, domain: bytes) -> bytes:
    return merkleize([object_root, domain])
