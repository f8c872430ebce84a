            // Helpers shared by every zkinfer verifier (src/evm/helpers.yul); R and Q are filled in at generation.
            function fr() -> r { r := 0x{{ r }} }
            // Reads n field elements from calldata, rejecting any that is not below r.
            function read_scalars(cd, mem, n) -> ok {
                ok := 1
                let r := fr()
                for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                    let v := calldataload(add(cd, shl(5, i)))
                    ok := and(ok, lt(v, r))
                    mstore(add(mem, shl(5, i)), v)
                }
            }
            // Reads n affine G1 points (x, y), rejecting coordinates ≥ q and points off the curve,
            // (0, 0) among them: the precompiles would read it as the point at infinity, which no
            // proof contains (every commitment is blinded), and zkinfer's Rust verifier refuses it.
            function read_points(cd, mem, n) -> ok {
                ok := 1
                let q := 0x{{ q }}
                for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                    let x := calldataload(add(cd, shl(6, i)))
                    let y := calldataload(add(cd, add(shl(6, i), 0x20)))
                    let lhs := mulmod(y, y, q)
                    let rhs := addmod(mulmod(mulmod(x, x, q), x, q), 3, q)
                    ok := and(ok, and(and(lt(x, q), lt(y, q)), eq(lhs, rhs)))
                    mstore(add(mem, shl(6, i)), x)
                    mstore(add(mem, add(shl(6, i), 0x20)), y)
                }
            }
            // EvmTranscript's squeeze: challenge = keccak(buffer) mod r, and the hash restarts
            // the buffer.
            function squeeze(start, len, dst) {
                let h := keccak256(start, len)
                mstore(dst, mod(h, fr()))
                mstore(add(dst, 0x20), h)
            }
            function pow2k(v, k) -> r {
                r := v
                let m := fr()
                for { let i := 0 } lt(i, k) { i := add(i, 1) } { r := mulmod(r, r, m) }
            }
            function modexp_inv(v) -> r {
                let p := mload(0x40)
                mstore(p, 0x20) mstore(add(p, 0x20), 0x20) mstore(add(p, 0x40), 0x20)
                mstore(add(p, 0x60), v) mstore(add(p, 0x80), sub(fr(), 2)) mstore(add(p, 0xa0), fr())
                if iszero(staticcall(gas(), 0x05, p, 0xc0, p, 0x20)) { revert(0, 0) }
                r := mload(p)
            }
            // acc += s·(px, py), with the ecMul and ecAdd precompiles. Every point was checked
            // on the curve when read, so a failing precompile means out of gas: revert, so that
            // a short gas limit is an error (and gas estimation is honest), never a "false".
            function ec_mul_add(acc, px, py, s) -> ok {
                let p := mload(0x40)
                mstore(p, px) mstore(add(p, 0x20), py) mstore(add(p, 0x40), s)
                ok := staticcall(gas(), 0x07, p, 0x60, p, 0x40)
                mstore(add(p, 0x40), mload(acc)) mstore(add(p, 0x60), mload(add(acc, 0x20)))
                ok := and(ok, staticcall(gas(), 0x06, p, 0x80, acc, 0x40))
                if iszero(ok) { revert(0, 0) }
            }
