// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";

/// @title ClayStack permissioned-pool whitelist
/// @notice One deployment per list: the portal deploys one contract for stakers and one for node operators,
/// each carrying its list key, so a pool checks exactly one `isWhitelisted` and a list can be governed apart.
/// @dev Per address a uint64 valid-until timestamp (0 = not listed). The admin role is meant for a Safe or a
/// timelock; the manager role only adds and removes addresses (the portal's signer, or a Safe).
contract ClayStackWhitelist is AccessControl {
    bytes32 public constant MANAGER_ROLE = keccak256("WHITELIST_MANAGER_ROLE");

    /// @notice Which list this contract holds, e.g. keccak256("stakers") or keccak256("operators").
    bytes32 public immutable LIST_KEY;

    mapping(address account => uint64 validUntil) public validUntil;

    /// @dev One event per address so an indexer can follow any one address; the batch id ties it to the
    /// portal's batch record.
    event Whitelisted(address indexed account, uint64 validUntil, bytes32 batchId);
    event Removed(address indexed account, bytes32 batchId);

    error EmptyBatch();
    error ZeroAddress(uint256 index);
    error ValidUntilInPast(uint64 validUntil);
    error ZeroAdmin();

    constructor(address admin, address manager, bytes32 listKey) {
        if (admin == address(0)) revert ZeroAdmin();
        LIST_KEY = listKey;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        if (manager != address(0)) _grantRole(MANAGER_ROLE, manager);
    }

    /// @notice Whether `account` is listed and its entry has not expired.
    function isWhitelisted(address account) external view returns (bool) {
        return validUntil[account] > block.timestamp;
    }

    /// @notice Batched read for reconciliation: one call returns many entries at one block.
    function validUntilMany(address[] calldata accounts) external view returns (uint64[] memory result) {
        result = new uint64[](accounts.length);
        for (uint256 i = 0; i < accounts.length; ++i) {
            result[i] = validUntil[accounts[i]];
        }
    }

    /// @notice List (or re-date) every address in `accounts` until `until` (a unix timestamp in the future).
    function addBatch(address[] calldata accounts, uint64 until, bytes32 batchId) external onlyRole(MANAGER_ROLE) {
        uint256 n = accounts.length;
        if (n == 0) revert EmptyBatch();
        if (until <= block.timestamp) revert ValidUntilInPast(until);
        for (uint256 i = 0; i < n; ++i) {
            address account = accounts[i];
            if (account == address(0)) revert ZeroAddress(i);
            validUntil[account] = until;
            emit Whitelisted(account, until, batchId);
        }
    }

    /// @notice Unlist every address in `accounts`.
    function removeBatch(address[] calldata accounts, bytes32 batchId) external onlyRole(MANAGER_ROLE) {
        uint256 n = accounts.length;
        if (n == 0) revert EmptyBatch();
        for (uint256 i = 0; i < n; ++i) {
            address account = accounts[i];
            if (account == address(0)) revert ZeroAddress(i);
            delete validUntil[account];
            emit Removed(account, batchId);
        }
    }
}
