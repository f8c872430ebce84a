//! The aggregate's last step (`zkinfer solidity --aggregate`): its first 12 public values are the
//! inner proofs' openings folded into one KZG accumulator (lhs, rhs), 3 limbs of 88 bits per
//! coordinate. The verifier decodes them with the checks `aggregate::circuit::accumulator`
//! makes, then folds them into its own opening with a challenge that hashes all four points,
//! so one pairing decides the aggregation proof and every inner proof:
//! e(h2 + c·rhs, \[s\]₂) · e(msm + c·lhs, −\[1\]₂) == 1.

use super::plan::Plan;
use super::yul::{Emitter, S};
use crate::aggregate::circuit::{LIMB_BITS, TOP_LIMB_BITS};

/// Decodes the accumulator from the first 12 public values, returns false (before any
/// precompile sees them) unless each limb is in range and both points are on the curve, and
/// folds it into `(msm, h2)`; returns the folded pair's addresses `(lhs, rhs)`.
pub fn emit_fold(e: &mut Emitter, plan: &Plan, msm: usize, h2: usize) -> (usize, usize) {
    e.comment("accumulator: 12 limbs, 88 bits each (the top limb of a coordinate 80 bits), two points on the curve");
    let limb = |i: usize| match plan.instances[i] {
        S::Mem(at) => format!("mload({at:#x})"),
        S::Const(_) => unreachable!("public values are read at run time"),
    };
    let acc = e.alloc(4);
    for c in 0..4 {
        let (l0, l1, l2) = (limb(3 * c), limb(3 * c + 1), limb(3 * c + 2));
        e.line(format!(
            "ok := and(ok, and(and(lt({l0}, shl({LIMB_BITS}, 1)), lt({l1}, shl({LIMB_BITS}, 1))), lt({l2}, shl({TOP_LIMB_BITS}, 1))))"
        ));
        e.line(format!(
            "mstore({:#x}, or(or({l0}, shl({LIMB_BITS}, {l1})), shl({}, {l2})))",
            acc + 32 * c,
            2 * LIMB_BITS
        ));
    }
    // As `read_points` checks the proof's points: coordinates below q, y² = x³ + 3 (so not (0,0)).
    let q = crate::field::BASE_MODULUS_HEX;
    for p in [acc, acc + 64] {
        e.line(format!(
            "{{ let x := mload({p:#x}) let y := mload({:#x}) let q := 0x{q} \
             ok := and(ok, and(and(lt(x, q), lt(y, q)), eq(mulmod(y, y, q), addmod(mulmod(mulmod(x, x, q), x, q), 3, q)))) }}",
            p + 32
        ));
    }
    e.line("if iszero(ok) { mstore(0x00, 0) return(0x00, 0x20) }");
    e.comment("c = keccak(msm, h2, lhs, rhs) mod r; lhs' = msm + c·lhs, rhs' = h2 + c·rhs");
    let buf = e.alloc(8);
    let words = [msm, msm + 32, h2, h2 + 32, acc, acc + 32, acc + 64, acc + 96];
    for (i, w) in words.iter().enumerate() {
        e.line(format!("mstore({:#x}, mload({w:#x}))", buf + 32 * i));
    }
    let c = e.alloc(1);
    e.line(format!("mstore({c:#x}, mod(keccak256({buf:#x}, 0x100), R))"));
    // The folded pair starts as (msm, h2), already in the buffer's first four words.
    let (lhs, rhs) = (buf, buf + 64);
    e.line(format!("ok := and(ok, ec_mul_add({lhs:#x}, mload({acc:#x}), mload({:#x}), mload({c:#x})))", acc + 32));
    e.line(format!(
        "ok := and(ok, ec_mul_add({rhs:#x}, mload({:#x}), mload({:#x}), mload({c:#x})))",
        acc + 64,
        acc + 96
    ));
    (lhs, rhs)
}
