//! The final phase: one multi-scalar multiplication over the multi-open's bases and the pairing
//! that decides the proof. The SRS's G2 points are constants of the contract.

use super::shplonk::Base;
use super::yul::{Emitter, S};
use crate::field::base_to_hex as fq_hex;
use halo2_proofs::halo2curves::bn256::{Bn256, G2Affine};
use halo2_proofs::halo2curves::group::prime::PrimeCurveAffine;
use halo2_proofs::poly::kzg::commitment::ParamsKZG;

/// Accumulates Σ scalar·base; returns the accumulator's address. `key`: where the key
/// contract's words were copied, or `None` when the key's points are constants of the code.
pub fn emit_msm(e: &mut Emitter, scalars: &[(Base, S)], key: Option<usize>) -> usize {
    e.comment("multi-scalar multiplication");
    let acc = e.alloc(2);
    e.line(format!("mstore({acc:#x}, 0) mstore({:#x}, 0)", acc + 32));
    for (base, s) in scalars {
        let sv = e.ld(*s);
        match (base, key) {
            (Base::Proof(p), _) => {
                e.line(format!("ok := and(ok, ec_mul_add({acc:#x}, mload({p:#x}), mload({:#x}), {sv}))", p + 32))
            }
            // An all-zero fixed column commits to the identity: its term vanishes, skip the ecMul.
            // (The key contract's code hash fixes the point, so skipping is as sound as inline.)
            (Base::Const(pt) | Base::Key { point: pt, .. }, _) if bool::from(pt.is_identity()) => {}
            (Base::Key { word, .. }, Some(k)) => {
                let at = k + 32 * word;
                e.line(format!("ok := and(ok, ec_mul_add({acc:#x}, mload({at:#x}), mload({:#x}), {sv}))", at + 32))
            }
            (Base::Const(pt) | Base::Key { point: pt, .. }, _) => {
                e.line(format!("ok := and(ok, ec_mul_add({acc:#x}, {}, {}, {sv}))", fq_hex(&pt.x), fq_hex(&pt.y)))
            }
        }
    }
    acc
}

/// e(h2, \[s\]₂) · e(msm, −\[1\]₂) == 1, with h2 the proof's last point.
pub fn emit_pairing(e: &mut Emitter, params: &ParamsKZG<Bn256>, h2: usize, acc: usize) {
    e.comment("pairing: e(h2, [s]2) · e(msm, -[1]2) == 1");
    let g2: G2Affine = params.g2();
    let s_g2: G2Affine = params.s_g2();
    let neg_g2 = -g2;
    let pair = e.alloc(12);
    let g2_words = |p: &G2Affine| [p.x.c1, p.x.c0, p.y.c1, p.y.c0].map(|f| fq_hex(&f));
    let mut words: Vec<String> = vec![format!("mload({h2:#x})"), format!("mload({:#x})", h2 + 32)];
    words.extend(g2_words(&s_g2));
    words.push(format!("mload({acc:#x})"));
    words.push(format!("mload({:#x})", acc + 32));
    words.extend(g2_words(&neg_g2));
    for (i, w) in words.iter().enumerate() {
        e.line(format!("mstore({:#x}, {w})", pair + 32 * i));
    }
    // Valid points cannot make the pairing precompile fail: a failure is out of gas.
    e.line(format!("if iszero(staticcall(gas(), 0x08, {pair:#x}, 0x180, 0x00, 0x20)) {{ revert(0, 0) }}"));
    e.line("ok := and(ok, eq(mload(0x00), 1))");
}
