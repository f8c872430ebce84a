//! The KZG structured reference string: the dev one, a ceremony file given to `setup --srs`, and
//! the build's own copy (`kzg.srs`).
//!
//! The two files are trusted differently. A ceremony file comes from outside, so every point is
//! checked before a key is made with it: a damaged one would otherwise give keys that prove
//! nothing, or panic deep in the prover. The build's copy was written by `setup`, which recorded
//! its digest in `srs.json`; it is read back fast and refused whole when the digest differs.

use crate::error::{Error, Result};
use halo2_proofs::arithmetic::{best_multiexp, parallelize};
use halo2_proofs::halo2curves::bn256::{Bn256, Fr, G1Affine, G2Affine, G1};
use halo2_proofs::halo2curves::ff::Field;
use halo2_proofs::halo2curves::ff::{BatchInvert, PrimeField};
use halo2_proofs::halo2curves::group::{prime::PrimeCurveAffine, Curve, Group};
use halo2_proofs::halo2curves::pairing::Engine;
use halo2_proofs::halo2curves::CurveAffine;
use halo2_proofs::poly::commitment::{Params, ParamsProver};
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use halo2_proofs::SerdeFormat;
use rand::SeedableRng;
use sha3::{Digest, Keccak256};
use std::io::{Read, Write};
use std::path::Path;

/// The KZG parameters (structured reference string) on BN254 that keys and proofs are made with.
pub type Srs = ParamsKZG<Bn256>;

/// The seed of the development SRS. Anyone can recompute its toxic waste from this number: it
/// makes proofs forgeable and must never secure anything of value. Use `--srs` with a ceremony file.
pub const DEV_SRS_SEED: u64 = 0x007a_6b69_6e66_6572;

/// A 2^k SRS from the public `DEV_SRS_SEED`: for development and tests only, as its toxic waste is known.
///
/// The same points as halo2's `ParamsKZG::setup` with that seed (a test checks it), made ~10×
/// faster: halo2 multiplies the generator by each of the 2·2^k scalars in full (256 doublings
/// each), which took minutes of a k 21 setup here; a fixed-base table turns each into 32 additions.
pub fn dev_srs(k: u32) -> Srs {
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(DEV_SRS_SEED);
    let tau = Fr::random(&mut rng);
    let n = 1usize << k;
    let table = FixedBase::new(G1Affine::generator());
    let powers = chunked(n, |start, out| {
        let mut p = tau.pow_vartime([start as u64]);
        for v in out {
            *v = p;
            p *= tau;
        }
    });
    // The Lagrange basis at τ: L_i(τ) = (τ^n − 1)/n · ω^i / (τ − ω^i).
    let omega = (k..Fr::S).fold(Fr::ROOT_OF_UNITY, |w, _| w.square());
    let scale = (tau.pow_vartime([n as u64]) - Fr::ONE) * Fr::from(n as u64).invert().unwrap();
    let lagrange = chunked(n, |start, out| {
        let mut w = omega.pow_vartime([start as u64]);
        let mut numerators = Vec::with_capacity(out.len());
        for v in out.iter_mut() {
            *v = tau - w;
            numerators.push(scale * w);
            w *= omega;
        }
        out.iter_mut().batch_invert();
        for (v, num) in out.iter_mut().zip(numerators) {
            *v *= num;
        }
    });
    let g2 = G2Affine::generator();
    let s_g2 = (g2 * tau).into();
    // `from_parts` is a method; a k 1 instance is the cheapest receiver.
    ParamsKZG::<Bn256>::setup(1, rand_chacha::ChaCha20Rng::seed_from_u64(0)).from_parts(
        k,
        table.mul_all(&powers),
        Some(table.mul_all(&lagrange)),
        g2,
        s_g2,
    )
}

/// `n` scalars computed by `fill(start, chunk)` over chunks, in parallel.
fn chunked(n: usize, fill: impl Fn(usize, &mut [Fr]) + Send + Sync + Clone) -> Vec<Fr> {
    let mut out = vec![Fr::ZERO; n];
    parallelize(&mut out, |c, start| fill(start, c));
    out
}

/// Multiples of one point: `table[j][b − 1] = b·2^(8j)·G`, so `x·G` is one addition per byte of x.
struct FixedBase(Vec<Vec<G1Affine>>);

impl FixedBase {
    fn new(base: G1Affine) -> FixedBase {
        let mut rows = vec![];
        let mut step = G1::from(base);
        for _ in 0..32 {
            let mut row = vec![step; 255];
            for b in 1..255 {
                row[b] = row[b - 1] + step;
            }
            let mut affine = vec![G1Affine::identity(); 255];
            G1::batch_normalize(&row, &mut affine);
            rows.push(affine);
            step = row[254] + step; // 256·step
        }
        FixedBase(rows)
    }

    fn mul_all(&self, scalars: &[Fr]) -> Vec<G1Affine> {
        let mut out = vec![G1Affine::identity(); scalars.len()];
        parallelize(&mut out, |out, start| {
            let points: Vec<G1> = scalars[start..start + out.len()]
                .iter()
                .map(|x| {
                    let mut acc = G1::identity();
                    for (row, &b) in self.0.iter().zip(x.to_repr().as_ref()) {
                        if b != 0 {
                            acc += row[b as usize - 1];
                        }
                    }
                    acc
                })
                .collect();
            G1::batch_normalize(&points, out);
        });
        out
    }
}

/// What names an SRS: a digest of τ·G2, the point its toxic waste τ fixes. A key made with one
/// SRS is useless with another of the same size, so `pk.bin`'s stamp carries this.
pub fn srs_fingerprint(params: &Srs) -> [u8; 32] {
    use halo2_proofs::halo2curves::group::GroupEncoding;
    Keccak256::digest(params.s_g2().to_bytes().as_ref()).into()
}

/// True when `params` is the dev SRS (of any size: τ is the seeded generator's first draw, so
/// τ·G2 is the same for every k). A ceremony path pointing at a saved dev SRS is still insecure.
pub fn is_dev(params: &Srs) -> bool {
    srs_fingerprint(params) == srs_fingerprint(&dev_srs(1))
}

/// halo2's raw format: k (u32 LE), then 2^k points g and 2^k points g_lagrange (64 bytes each),
/// then g2 and s_g2 (128 bytes each). The header is checked before halo2 trusts it.
fn check_header(path: &Path, hint: &str) -> Result<u32> {
    crate::artifact::check_regular(path)?;
    let bad = |reason: String| Error::BadInput { path: path.into(), reason: format!("{reason}: {hint}") };
    let len = std::fs::metadata(path).map_err(|e| Error::io(path, e))?.len();
    let mut head = [0u8; 4];
    crate::artifact::open(path)?
        .read_exact(&mut head)
        .map_err(|_| bad("too short to be a halo2 KZG params file".into()))?;
    let file_k = u32::from_le_bytes(head);
    if file_k == 0 || file_k > 28 || len != 4 + 2 * 64 * (1u64 << file_k) + 256 {
        return Err(bad(format!("not a halo2 KZG params file in raw format ({len} bytes, header says k = {file_k})")));
    }
    Ok(file_k)
}

/// Loads a ceremony file (halo2 raw format, as PSE's and EZKL's are) for a circuit of 2^k rows:
/// every coordinate canonical, every point on its curve, g the powers of one τ (checked with a
/// random combination and one pairing), and g_lagrange recomputed from g rather than trusted.
pub fn load_srs(path: &Path, k: u32) -> Result<Srs> {
    let file_k = check_header(path, "give a ceremony file in halo2's raw format (as PSE and EZKL publish)")?;
    let bad = |reason: String| Error::BadInput {
        path: path.into(),
        reason: format!("{reason}: the file is damaged or not a KZG ceremony file; download it again"),
    };
    if file_k < k {
        return Err(Error::BadInput {
            path: path.into(),
            reason: format!("holds 2^{file_k} points but this circuit needs 2^{k}"),
        });
    }
    let mut r = std::io::BufReader::new(crate::artifact::open(path)?);
    let params = ParamsKZG::<Bn256>::read_custom(&mut r, SerdeFormat::RawBytes)
        .map_err(|e| bad(format!("a coordinate is not a field element ({e})")))?;
    let g = params.get_g()[..1 << k].to_vec();
    if let Some(i) = g.iter().position(|p| !bool::from(p.is_on_curve())) {
        return Err(bad(format!("point g[{i}] is not on BN254's G1")));
    }
    if !bool::from(params.g2().is_on_curve()) || !bool::from(params.s_g2().is_on_curve()) {
        return Err(bad("its G2 points are not on BN254's G2".into()));
    }
    if !powers_of_one_tau(&g, params.g2(), params.s_g2()) {
        return Err(bad("its points are not the powers of one τ (e(Σ rᵢ·gᵢ₊₁, G2) ≠ e(Σ rᵢ·gᵢ, τ·G2))".into()));
    }
    Ok(params.from_parts(k, g, None, params.g2(), params.s_g2()))
}

/// gᵢ₊₁ = τ·gᵢ for every i, with τ·G2 = `s_g2`: one pairing on random combinations of both sides
/// (a wrong point survives with probability 1/r).
fn powers_of_one_tau(g: &[G1Affine], g2: G2Affine, s_g2: G2Affine) -> bool {
    use halo2_proofs::halo2curves::group::Curve;
    if g.len() < 2 {
        return true;
    }
    let r: Vec<Fr> = (0..g.len() - 1).map(|_| Fr::random(rand::rngs::OsRng)).collect();
    let shifted = best_multiexp(&r, &g[1..]).to_affine();
    let base = best_multiexp(&r, &g[..g.len() - 1]).to_affine();
    Bn256::pairing(&shifted, &g2) == Bn256::pairing(&base, &s_g2)
}

/// Writes the SRS in halo2's raw format, the one `load_srs` (and other halo2 tools) read back,
/// and returns the file's digest for `srs.json`.
pub fn write_srs(params: &Srs, path: &Path) -> Result<String> {
    let mut batch = crate::artifact::Batch::new();
    let digest = stage_srs(params, path, &mut batch)?;
    batch.commit()?;
    Ok(digest)
}

/// [`write_srs`] into `batch`: nothing replaces the old file until the batch commits.
pub fn stage_srs(params: &Srs, path: &Path, batch: &mut crate::artifact::Batch) -> Result<String> {
    let mut digest = String::new();
    batch.write(path, |w| {
        let mut h = Hashing { inner: w, hasher: Keccak256::new() };
        params.write(&mut h)?;
        digest = format!("0x{}", hex::encode(h.hasher.finalize()));
        Ok(())
    })?;
    Ok(digest)
}

/// Reads the build's own `kzg.srs` back, refusing it unless its digest is the one `setup`
/// recorded: a flipped byte would otherwise reach the prover as a point off the curve.
pub fn read_build_srs(path: &Path, k: u32, digest: &str) -> Result<Srs> {
    let again = "run `zkinfer setup BUILD/` again (with the same --srs, if one was given)";
    let file_k = check_header(path, again)?;
    if file_k != k {
        return Err(Error::BadInput {
            path: path.into(),
            reason: format!("holds 2^{file_k} points but this build is set up for 2^{k}: {again}"),
        });
    }
    let mut h = Hashing { inner: std::io::BufReader::new(crate::artifact::open(path)?), hasher: Keccak256::new() };
    // Unchecked is safe to run here: the header fixed the length, so no read comes up short, and
    // nothing read is used before the digest matches.
    let params =
        ParamsKZG::<Bn256>::read_custom(&mut h, SerdeFormat::RawBytesUnchecked).map_err(|e| Error::io(path, e))?;
    let found = format!("0x{}", hex::encode(h.hasher.finalize()));
    if found != digest {
        return Err(Error::BadInput {
            path: path.into(),
            reason: format!(
                "damaged: its digest is {} where setup recorded {} in srs.json; {again}",
                crate::artifact::short(&found),
                crate::artifact::short(digest)
            ),
        });
    }
    Ok(params)
}

/// A reader or writer that hashes what passes through it.
struct Hashing<T> {
    inner: T,
    hasher: Keccak256,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast dev SRS is halo2's own `setup` with the seed, point for point (g, g_lagrange,
    /// s_g2), so keys made before and after are the same.
    #[test]
    fn dev_srs_is_halo2s_setup() {
        for k in [1, 4, 9] {
            let slow = ParamsKZG::<Bn256>::setup(k, rand_chacha::ChaCha20Rng::seed_from_u64(DEV_SRS_SEED));
            let (mut a, mut b) = (vec![], vec![]);
            slow.write_custom(&mut a, SerdeFormat::RawBytesUnchecked).unwrap();
            dev_srs(k).write_custom(&mut b, SerdeFormat::RawBytesUnchecked).unwrap();
            assert!(a == b, "k {k}: the fast dev SRS differs from halo2's");
        }
    }

    #[test]
    fn a_ceremony_file_with_one_wrong_point_is_refused() {
        let dir = std::env::temp_dir().join(format!("zkinfer-srs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("ceremony.srs");
        let params = dev_srs(5);
        write_srs(&params, &path).unwrap();
        let good = load_srs(&path, 4).unwrap();
        assert_eq!(good.k(), 4);
        // Trimmed, with g_lagrange recomputed: byte for byte the 2^4 dev SRS.
        let (a, b) = (dir.join("a.srs"), dir.join("b.srs"));
        assert_eq!(write_srs(&good, &a).unwrap(), write_srs(&dev_srs(4), &b).unwrap());
        assert!(is_dev(&good));
        // A point on the curve but not τ times its predecessor: only the pairing sees it.
        let mut g = params.get_g().to_vec();
        g[7] = (g[7] + g[0]).into();
        let forged = params.from_parts(5, g, None, params.g2(), params.s_g2());
        write_srs(&forged, &path).unwrap();
        let e = load_srs(&path, 5).unwrap_err().to_string();
        assert!(e.contains("not the powers of one τ"), "{e}");
        // One flipped byte: off the curve, or not a field element.
        write_srs(&params, &path).unwrap();
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[4 + 64 * 3 + 5] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        let e = load_srs(&path, 5).unwrap_err().to_string();
        assert!(e.contains("g[3] is not on") || e.contains("not a field element"), "{e}");
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn the_builds_copy_is_checked_against_its_digest() {
        let dir = std::env::temp_dir().join(format!("zkinfer-srs-digest-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("kzg.srs");
        let digest = write_srs(&dev_srs(4), &path).unwrap();
        assert_eq!(digest, crate::artifact::digest(&std::fs::read(&path).unwrap()));
        assert!(read_build_srs(&path, 4, &digest).is_ok());
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[1000] ^= 0x80;
        std::fs::write(&path, &bytes).unwrap();
        let e = read_build_srs(&path, 4, &digest).unwrap_err().to_string();
        assert!(e.contains("damaged"), "{e}");
        std::fs::remove_dir_all(&dir).ok();
    }
}
