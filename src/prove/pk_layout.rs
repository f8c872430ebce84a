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
use std::io::{BufReader, Error, ErrorKind, Read, Result, Seek, SeekFrom};

/// Ok when the key starting at byte `start` of `r` is a proving key for `compiled`'s k whose
/// every length fits in the file: the verifying key (read by halo2, once k is known to be the
/// build's, as k sizes the domain it builds), then l0, l_last, l_active_row, and the fixed values,
/// fixed polynomials and the permutation's two polynomial vectors, each polynomial a u32 length
/// and that many elements. It seeks over the polynomials rather than reading them, so checking
/// costs no copy of a key that may be gigabytes.
pub(crate) fn check<R: Read + Seek>(r: &mut BufReader<R>, start: u64, compiled: &Compiled) -> Result<()> {
    let bad = |why: String| Error::new(ErrorKind::InvalidData, why);
    let end = r.seek(SeekFrom::End(0))?;
    r.seek(SeekFrom::Start(start))?;
    let mut head = [0u8; 5];
    r.read_exact(&mut head)?;
    let k = u32::from_le_bytes([head[1], head[2], head[3], head[4]]);
    if head[0] != 2 || k != compiled.settings.k {
        return Err(bad(format!("not a version-2 key for k = {}", compiled.settings.k)));
    }
    r.seek(SeekFrom::Start(start))?;
    VerifyingKey::<G1Affine>::read::<_, ModelCircuit>(r, SerdeFormat::RawBytesUnchecked, compiled.circuit_params())?;
    let element = std::mem::size_of::<Fr>() as u64;
    for vector in [false, false, false, true, true, true, true] {
        let count = if vector { take_len(r)? } else { 1 };
        let left = end - r.stream_position()?;
        if count.saturating_mul(4) > left {
            return Err(bad(format!("a vector of {count} polynomials in {left} bytes")));
        }
        for _ in 0..count {
            let n = take_len(r)?;
            let left = end - r.stream_position()?;
            let size = n.checked_mul(element).filter(|&s| s <= left);
            let size = size.ok_or_else(|| bad(format!("a polynomial of {n} elements in {left} bytes")))?;
            r.seek_relative(size as i64)?;
        }
    }
    match end - r.stream_position()? {
        0 => Ok(()),
        n => Err(bad(format!("{n} bytes after the key's end"))),
    }
}

/// A big-endian u32 length, as halo2 writes them.
fn take_len(r: &mut impl Read) -> Result<u64> {
    let mut b = [0u8; 4];
    r.read_exact(&mut b).map_err(|_| Error::new(ErrorKind::UnexpectedEof, "truncated"))?;
    Ok(u32::from_be_bytes(b) as u64)
}
