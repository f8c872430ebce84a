//! The layout of `pk.bin` (halo2-axiom 0.5's `ProvingKey::write`, raw format), walked before
//! halo2 reads it. halo2 takes each polynomial's length and each polynomial vector's count from
//! the file and allocates that much up front, so one damaged length asks for tens of gigabytes
//! and the allocator aborts the process: no panic that `read_pk` could catch. Found by fuzzing
//! (fuzz/regressions/build_dir, docs/fuzzing.md).

use crate::circuit::ModelCircuit;
use crate::compile::Compiled;
use halo2_proofs::halo2curves::bn256::{Fr, G1Affine};
use halo2_proofs::plonk::VerifyingKey;
use halo2_proofs::SerdeFormat;
use std::io::{Error, ErrorKind, Result};

/// Ok when `bytes` is a proving key for `compiled`'s k whose every length fits in the file:
/// the verifying key (read by halo2, once k is known to be the build's, as k sizes the domain
/// it builds), then l0, l_last, l_active_row, and the fixed values, fixed polynomials and the
/// permutation's two polynomial vectors, each polynomial a u32 length and that many elements.
pub(crate) fn check(bytes: &[u8], compiled: &Compiled) -> Result<()> {
    let bad = |why: String| Error::new(ErrorKind::InvalidData, why);
    let k = bytes.get(1..5).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
    if bytes.first() != Some(&2) || k != Some(compiled.settings.k) {
        return Err(bad(format!("not a version-2 key for k = {}", compiled.settings.k)));
    }
    let mut rest = bytes;
    VerifyingKey::<G1Affine>::read::<_, ModelCircuit>(
        &mut rest,
        SerdeFormat::RawBytesUnchecked,
        compiled.circuit_params(),
    )?;
    let element = std::mem::size_of::<Fr>();
    for vector in [false, false, false, true, true, true, true] {
        let count = if vector { take_len(&mut rest)? } else { 1 };
        if count.saturating_mul(4) > rest.len() {
            return Err(bad(format!("a vector of {count} polynomials in {} bytes", rest.len())));
        }
        for _ in 0..count {
            let n = take_len(&mut rest)?;
            let size = n.checked_mul(element).filter(|&s| s <= rest.len());
            let size = size.ok_or_else(|| bad(format!("a polynomial of {n} elements in {} bytes", rest.len())))?;
            rest = &rest[size..];
        }
    }
    match rest.len() {
        0 => Ok(()),
        n => Err(bad(format!("{n} bytes after the key's end"))),
    }
}

/// A big-endian u32 length, as halo2 writes them.
fn take_len(rest: &mut &[u8]) -> Result<usize> {
    let (head, tail) =
        rest.split_first_chunk::<4>().ok_or_else(|| Error::new(ErrorKind::UnexpectedEof, "truncated"))?;
    *rest = tail;
    Ok(u32::from_be_bytes(*head) as usize)
}
