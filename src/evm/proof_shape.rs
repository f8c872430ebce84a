//! The byte layout of a proof, known from the verifying key alone. The Rust verifier and the
//! generated contract both take their exact proof length from here, so that neither accepts a
//! proof the other refuses for its length (halo2 itself stops reading where the argument ends and
//! would ignore trailing bytes).

use halo2_proofs::halo2curves::bn256::G1Affine;
use halo2_proofs::plonk::VerifyingKey;

/// An affine G1 point: x then y, 32-byte big-endian each (snark-verifier's `EvmTranscript`).
pub const POINT_BYTES: usize = 64;
/// A BN254 scalar, 32-byte big-endian.
pub const SCALAR_BYTES: usize = 32;

/// halo2 writes every commitment of the argument before the first evaluation, then the
/// evaluations, then SHPLONK's two opening commitments; so a proof is `head_points` points,
/// `scalars` scalars, and `tail_points` points, in that order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProofShape {
    /// Commitments before the evaluations: advice, lookups, permutation and vanishing argument.
    pub head_points: usize,
    /// Claimed evaluations.
    pub scalars: usize,
    /// SHPLONK's two opening commitments at the end.
    pub tail_points: usize,
}

impl ProofShape {
    /// Counted in the order halo2-axiom's `verify_proof` reads (KZG: instances are not
    /// committed, so they take no room in the proof).
    pub fn of(vk: &VerifyingKey<G1Affine>) -> ProofShape {
        let cs = vk.cs();
        let lookups = cs.lookups().len();
        let perm_sets = cs.permutation().get_columns().len().div_ceil(cs.degree() - 2);
        // advice, permuted input+table per lookup, permutation products, lookup products, the
        // vanishing argument's random polynomial, the quotient pieces
        let head_points = cs.num_advice_columns()
            + 2 * lookups
            + perm_sets
            + lookups
            + 1
            + vk.get_domain().get_quotient_poly_degree();
        // each permutation product is opened at x and ωx, and at the last row too except the last
        let scalars = cs.advice_queries().len()
            + cs.fixed_queries().len()
            + 1
            + vk.permutation().commitments().len()
            + (3 * perm_sets).saturating_sub(1)
            + 5 * lookups;
        ProofShape { head_points, scalars, tail_points: 2 }
    }

    /// The exact proof length in bytes.
    pub fn bytes(&self) -> usize {
        self.bytes_with(POINT_BYTES)
    }

    /// The exact length with points of `point_bytes` each (32 in the Poseidon transcript, which
    /// writes them compressed).
    pub fn bytes_with(&self, point_bytes: usize) -> usize {
        (self.head_points + self.tail_points) * point_bytes + self.scalars * SCALAR_BYTES
    }

    /// Where the points are: a verifier refuses (0,0) at each, and tests write into each.
    pub fn point_offsets(&self) -> Vec<usize> {
        self.point_offsets_with(POINT_BYTES)
    }

    /// [`ProofShape::point_offsets`] with points of `point_bytes` each.
    pub fn point_offsets_with(&self, point_bytes: usize) -> Vec<usize> {
        let tail = self.head_points * point_bytes + self.scalars * SCALAR_BYTES;
        (0..self.head_points)
            .map(|i| i * point_bytes)
            .chain((0..self.tail_points).map(|i| tail + i * point_bytes))
            .collect()
    }

    /// Where the evaluations are, for tests that write into each.
    pub fn scalar_offsets(&self) -> Vec<usize> {
        let start = self.head_points * POINT_BYTES;
        (0..self.scalars).map(|i| start + i * SCALAR_BYTES).collect()
    }
}
