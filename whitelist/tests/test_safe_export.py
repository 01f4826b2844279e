"""The Safe Transaction Builder file: its `meta.checksum` is the one the Builder computes (checked against
the Builder's own test vector), and the call is given as a method with its values, so the signers see the
method and the address list, and the Builder's encoding of them is the portal's calldata byte for byte."""

from __future__ import annotations

import json
from typing import Any

from django.urls import reverse

from whitelist.config import Runtime
from whitelist.models import Batch
from whitelist.safe import transaction_builder_checksum
from whitelist.sync import whitelist_sync
from whitelist.tests.factories import request_add
from whitelist.tests.txbuilder import builder_accepts_checksum, builder_encode

# apps/tx-builder/src/lib/checksum.test.js in safe-global/safe-react-apps ("Add checksum to BatchFile").
BUILDER_VECTOR: dict[str, Any] = {
    "version": "1.0",
    "chainId": "4",
    "createdAt": 1646321521061,
    "meta": {
        "name": "test batch file",
        "txBuilderVersion": "1.4.0",
        "checksum": "",
        "createdFromSafeAddress": "0xDF8a1Ce35c9a6ACE153B4e0767942f1E2291a1Aa",
        "createdFromOwnerAddress": "0x49d4450977E2c95362C13D3a31a09311E0Ea26A6",
    },
    "transactions": [
        {
            "to": "0x49d4450977E2c95362C13D3a31a09311E0Ea26A6",
            "value": "0",
            "contractMethod": {
                "inputs": [{"internalType": "address", "name": "paramAddress", "type": "address"}],
                "name": "testAddress",
                "payable": False,
            },
            "contractInputsValues": {"paramAddress": "0x49d4450977E2c95362C13D3a31a09311E0Ea26A6"},
        },
        {
            "to": "0x49d4450977E2c95362C13D3a31a09311E0Ea26A6",
            "value": "0",
            "contractMethod": {
                "inputs": [{"internalType": "bool", "name": "paramBool", "type": "bool"}],
                "name": "testBool",
                "payable": False,
            },
            "contractInputsValues": {"paramAddress": "", "paramBool": "false"},
        },
        {
            "to": "0x49d4450977E2c95362C13D3a31a09311E0Ea26A6",
            "value": "2000000000000000000",
            "data": "0x42f4579000000000000000000000000049d4450977e2c95362c13d3a31a09311e0ea26a6",
        },
    ],
}


def test_the_checksum_is_the_transaction_builders_on_its_own_test_vector() -> None:
    expected = "0x4ecbfd364aa6759983915644e73f8bd411e85a2dc306f252a387c2728c4db64c"
    assert transaction_builder_checksum(BUILDER_VECTOR) == expected
    # Key order does not matter; the name is left out (renaming a batch keeps it valid); the order of the
    # transactions does matter.
    shuffled = dict(reversed(list(BUILDER_VECTOR.items())))
    assert transaction_builder_checksum(shuffled) == expected
    renamed = {**BUILDER_VECTOR, "meta": {**BUILDER_VECTOR["meta"], "name": "another name"}}
    assert transaction_builder_checksum(renamed) == expected
    reordered = {**BUILDER_VECTOR, "transactions": list(reversed(BUILDER_VECTOR["transactions"]))}
    assert transaction_builder_checksum(reordered) != expected


def test_the_exported_file_passes_the_builders_checksum_and_shows_the_method_and_addresses(
    client, tester, make_staff, settings
):
    settings.WHITELIST_SAFE_ADDRESS = tester.signer.address
    rt = Runtime(chain=tester.chain, chain_id=tester.chain_id, signer=None, mode="safe")
    changes = [request_add() for _ in range(3)]
    whitelist_sync(rt)
    batch = Batch.objects.get()
    client.force_login(make_staff("whitelist_admin"))
    raw = client.get(reverse("whitelist_batch_safe", args=[batch.pk])).content
    export = json.loads(raw)

    assert export["meta"]["checksum"].startswith("0x") and builder_accepts_checksum(export)
    tampered = json.loads(raw)
    tampered["transactions"][0]["contractInputsValues"]["accounts"] = "[]"
    assert not builder_accepts_checksum(tampered)

    (call,) = export["transactions"]
    assert call["data"] is None  # raw data would make the Builder show "Custom hex data" only
    assert call["contractMethod"]["name"] == "addBatch"
    listed = call["contractInputsValues"]["accounts"].strip("[]").split(",")
    assert sorted(listed) == sorted(c.address for c in changes)
    assert builder_encode(call) == batch.calldata
