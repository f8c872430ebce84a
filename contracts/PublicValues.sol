// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// Packed public values (`INPUT_VISIBILITY` / `OUTPUT_VISIBILITY` = `VISIBILITY_PACKED`): a word
/// holds ⌊252 / bits⌋ fixed-point values, value i of a word in bits [bits·i, bits·(i+1)) as
/// value + 2^(bits−1), so every word is below 2^252 and the first value is in the lowest bits.
/// The circuit range-checks each value to [−2^(bits−1), 2^(bits−1)) and computes the words, so a
/// verified proof's words always unpack (docs/soundness.md, "packed public values").
library PublicValues {
    /// The BN254 scalar field modulus; public values are its elements.
    uint256 internal constant R = 0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001;

    /// A value outside what a word holds: the circuit could not prove it either.
    error PackedValueOutOfRange(uint256 index, int256 value);

    /// Values per word at `bits` bits each.
    function perWord(uint256 bits) internal pure returns (uint256) {
        return 252 / bits;
    }

    /// Words for `n` values.
    function wordCount(uint256 n, uint256 bits) internal pure returns (uint256) {
        uint256 m = 252 / bits;
        return (n + m - 1) / m;
    }

    /// The `n` values packed in `words[from…]`, signed.
    function unpack(uint256[] memory words, uint256 from, uint256 n, uint256 bits)
        internal
        pure
        returns (int256[] memory values)
    {
        values = new int256[](n);
        uint256 m = 252 / bits;
        uint256 mask = (uint256(1) << bits) - 1;
        int256 offset = int256(uint256(1) << (bits - 1));
        for (uint256 i = 0; i < n; i++) {
            uint256 word = words[from + i / m];
            values[i] = int256((word >> (bits * (i % m))) & mask) - offset;
        }
    }

    /// The words of `values` (what a proof over these values has as its public values).
    function pack(int256[] memory values, uint256 bits) internal pure returns (uint256[] memory words) {
        uint256 m = 252 / bits;
        words = new uint256[]((values.length + m - 1) / m);
        int256 offset = int256(uint256(1) << (bits - 1));
        for (uint256 i = 0; i < values.length; i++) {
            int256 v = values[i];
            if (v < -offset || v >= offset) revert PackedValueOutOfRange(i, v);
            words[i / m] |= uint256(v + offset) << (bits * (i % m));
        }
    }

    /// Field elements above (r-1)/2 stand for negative numbers.
    function toSigned(uint256 v) internal pure returns (int256) {
        return v > (R - 1) / 2 ? -int256(R - v) : int256(v);
    }

    /// The field element standing for `v` (|v| below r).
    function toField(int256 v) internal pure returns (uint256) {
        return v < 0 ? R - uint256(-v) : uint256(v);
    }
}
