// SPDX-License-Identifier: MIT
// A minimal EIP-1271 contract wallet for tests: a signature is valid when its EOA owner made it.
// Compiled with solc 0.8.30 (npm solc), optimizer 200 runs, evmVersion cancun: see OwnerWallet.json.
pragma solidity 0.8.30;

contract OwnerWallet {
    address public immutable owner;

    constructor(address owner_) {
        owner = owner_;
    }

    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        if (signature.length != 65) {
            return 0xffffffff;
        }
        bytes32 r;
        bytes32 s;
        uint8 v;
        assembly {
            r := calldataload(signature.offset)
            s := calldataload(add(signature.offset, 32))
            v := byte(0, calldataload(add(signature.offset, 64)))
        }
        address signer = ecrecover(hash, v, r, s);
        return signer != address(0) && signer == owner ? bytes4(0x1626ba7e) : bytes4(0xffffffff);
    }
}
