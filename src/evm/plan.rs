//! Everything the verifier knows before it sees a proof, resolved once from the verifying key:
//! the order in which the proof is read and challenges are squeezed, and the memory word each
//! of those values lands in. The phases that emit code take their addresses from here, so the
//! layout can be checked (no overlap, every proof byte read exactly once) without reading Yul.

use super::verifier::VerifierSpec;
use super::yul::S;
use halo2_proofs::halo2curves::bn256::{Fr, G1Affine};
use halo2_proofs::halo2curves::ff::Field;
use halo2_proofs::plonk::VerifyingKey;

/// Where the transcript region starts: below 0x80 is Solidity's scratch space and free-memory
/// pointer, which the helpers still use.
pub const MEMORY_START: usize = 0x80;

/// One transcript operation, with its calldata and memory addresses fixed.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// The transcript starts from the verifying key's digest.
    Absorb {
        /// Where the digest is stored, the transcript's first word.
        mem: usize,
        /// The verifying key's `transcript_repr`, a constant of the contract.
        value: Fr,
    },
    /// The public values, read (and range-checked) from the `instances` argument.
    Instances {
        /// Where the first value is stored; the others follow, 32 bytes each.
        mem: usize,
        /// How many values are read.
        count: usize,
    },
    /// `count` points from the proof at byte offset `cd`.
    Points {
        /// Byte offset of the first point in the proof.
        cd: usize,
        /// Where the first point is stored, 64 bytes (x, y) each.
        mem: usize,
        /// How many points are read.
        count: usize,
    },
    /// `count` scalars from the proof at byte offset `cd`.
    Scalars {
        /// Byte offset of the first scalar in the proof.
        cd: usize,
        /// Where the first scalar is stored, 32 bytes each.
        mem: usize,
        /// How many scalars are read.
        count: usize,
    },
    /// Hashes memory `[start, start + len)` into `dst` (the challenge) and `dst + 32` (the raw
    /// hash, which restarts the buffer). `pad`: nothing was absorbed since the last squeeze, and
    /// EvmTranscript then hashes one extra byte 0x01 (at `dst`, which the challenge overwrites).
    Squeeze {
        /// First byte hashed: the last squeeze's raw hash, or the transcript's start for the first squeeze.
        start: usize,
        /// Bytes hashed (33 when `pad`).
        len: usize,
        /// Where the challenge is stored; the raw hash goes to the next word.
        dst: usize,
        /// Whether the extra 0x01 byte is hashed (nothing was absorbed since the last squeeze).
        pad: bool,
    },
}

impl Step {
    /// The memory words this step writes, as (address, bytes).
    pub fn region(&self) -> (usize, usize) {
        match *self {
            Step::Absorb { mem, .. } => (mem, 32),
            Step::Instances { mem, count } | Step::Scalars { mem, count, .. } => (mem, 32 * count),
            Step::Points { mem, count, .. } => (mem, 64 * count),
            Step::Squeeze { dst, .. } => (dst, 64),
        }
    }
}

/// The verifier's constants and transcript layout. Scalars are given as `S::Mem` (how the
/// emitter uses them), points by the address of their x coordinate (y follows).
pub struct Plan {
    /// The circuit has 2^k rows.
    pub k: u32,
    /// 2^k, the evaluation domain's size.
    pub n: u64,
    /// Generator of the 2^k-th roots of unity: rotations multiply the evaluation point by its powers.
    pub omega: Fr,
    /// ω⁻¹, for negative rotations.
    pub omega_inv: Fr,
    /// halo2's blinding rows: the last `blinding + 1` rows are not "active".
    pub blinding: i32,
    /// Columns per permutation product (degree − 2).
    pub chunk_len: usize,
    /// Permutation product polynomials: the permuted columns in chunks of `chunk_len`.
    pub num_sets: usize,
    /// Lookup arguments, each with its own product, permuted columns and five evaluations.
    pub num_lookups: usize,
    /// Public values the `instances` argument must hold.
    pub num_instances: usize,
    /// The transcript operations in proof order; the emitter turns each into code.
    pub steps: Vec<Step>,
    /// Bytes a proof must have: the verifier rejects any other length.
    pub proof_len: usize,
    /// First free word after the transcript region.
    pub memory_end: usize,
    /// Where each public value is stored once read.
    pub instances: Vec<S>,
    /// Per halo2 challenge (multi-phase circuits), where it is squeezed to.
    pub challenges: Vec<S>,
    /// Per advice column, the memory address of its commitment.
    pub advice: Vec<usize>,
    /// The lookup compression challenge θ.
    pub theta: S,
    /// Per lookup, the addresses of its permuted input and table commitments (A', S').
    pub permuted: Vec<(usize, usize)>,
    /// The permutation challenge β (also the lookups').
    pub beta: S,
    /// The permutation challenge γ (also the lookups').
    pub gamma: S,
    /// Per permutation set, the address of its product commitment.
    pub perm_z: Vec<usize>,
    /// Per lookup, the address of its product commitment.
    pub lookup_z: Vec<usize>,
    /// Address of the vanishing argument's random polynomial commitment.
    pub random_point: usize,
    /// The challenge y that combines every constraint into the quotient.
    pub y: S,
    /// Addresses of the quotient polynomial's pieces, in proof order.
    pub h_points: Vec<usize>,
    /// The evaluation point x.
    pub x: S,
    /// Per advice query, its claimed evaluation, in the constraint system's query order.
    pub advice_evals: Vec<S>,
    /// Per fixed query, its claimed evaluation, in the constraint system's query order.
    pub fixed_evals: Vec<S>,
    /// The random polynomial's claimed evaluation at x.
    pub random_eval: S,
    /// Per permutation column, σ's claimed evaluation at x.
    pub sigma_evals: Vec<S>,
    /// Per permutation set: z(x), z(ωx), and z(ω^last x) for every set but the last.
    pub perm_evals: Vec<Vec<S>>,
    /// Per lookup: z(x), z(ωx), A'(x), A'(ω⁻¹x), S'(x).
    pub lookup_evals: Vec<Vec<S>>,
    /// SHPLONK's challenge that combines the polynomials of one opening set.
    pub shplonk_y: S,
    /// SHPLONK's challenge that combines the opening sets.
    pub shplonk_v: S,
    /// Address of SHPLONK's first opening commitment (the quotient of the combined sets).
    pub h1: usize,
    /// SHPLONK's challenge u, the point the linearised opening is checked at.
    pub shplonk_u: S,
    /// Address of SHPLONK's second opening commitment (the final KZG witness).
    pub h2: usize,
}

impl Plan {
    /// ω^r, for a rotation r.
    pub fn rot(&self, r: i32) -> Fr {
        if r >= 0 {
            self.omega.pow_vartime([r as u64])
        } else {
            self.omega_inv.pow_vartime([(-r) as u64])
        }
    }

    /// Lays the transcript out in the order halo2-axiom's `verify_proof` reads it: every read
    /// lands in one growing memory region, as in EvmTranscript, so a squeeze hashes one slice.
    pub fn of(spec: &VerifierSpec) -> Plan {
        let vk = spec.vk;
        let cs = vk.cs();
        let domain = vk.get_domain();
        let chunk_len = cs.degree() - 2;
        let num_sets = cs.permutation().get_columns().len().div_ceil(chunk_len);
        let num_lookups = cs.lookups().len();
        let mut t = Layout { next: MEMORY_START, cd: 0, tstart: MEMORY_START, steps: vec![] };

        let t0 = t.alloc(1);
        t.steps.push(Step::Absorb { mem: t0, value: vk.transcript_repr() });
        let inst = t.alloc(spec.num_instances);
        t.steps.push(Step::Instances { mem: inst, count: spec.num_instances });
        let instances = (0..spec.num_instances).map(|i| S::Mem(inst + 32 * i)).collect();
        let (advice, challenges) = read_phases(&mut t, vk);
        let theta = t.squeeze();
        let permuted = (0..num_lookups).map(|_| t.points(2)).map(|p| (p[0], p[1])).collect();
        let beta = t.squeeze();
        let gamma = t.squeeze();
        let perm_z = t.points(num_sets);
        let lookup_z = t.points(num_lookups);
        let random_point = t.points(1)[0];
        let y = t.squeeze();
        let h_points = t.points(domain.get_quotient_poly_degree());
        let x = t.squeeze();
        let advice_evals = t.scalars(cs.advice_queries().len());
        let fixed_evals = t.scalars(cs.fixed_queries().len());
        let random_eval = t.scalars(1)[0];
        let sigma_evals = t.scalars(vk.permutation().commitments().len());
        let perm_evals = (0..num_sets).map(|s| t.scalars(if s + 1 < num_sets { 3 } else { 2 })).collect();
        let lookup_evals = (0..num_lookups).map(|_| t.scalars(5)).collect();
        let shplonk_y = t.squeeze();
        let shplonk_v = t.squeeze();
        let h1 = t.points(1)[0];
        let shplonk_u = t.squeeze();
        let h2 = t.points(1)[0];
        let proof_len = super::proof_shape::ProofShape::of(vk).bytes();
        assert_eq!(proof_len, t.cd, "ProofShape disagrees with the transcript this contract reads");

        Plan {
            k: domain.k(),
            n: 1u64 << domain.k(),
            omega: domain.get_omega(),
            omega_inv: domain.get_omega_inv(),
            blinding: cs.blinding_factors() as i32,
            chunk_len,
            num_sets,
            num_lookups,
            num_instances: spec.num_instances,
            steps: t.steps,
            proof_len,
            memory_end: t.next,
            instances,
            challenges,
            advice,
            theta,
            permuted,
            beta,
            gamma,
            perm_z,
            lookup_z,
            random_point,
            y,
            h_points,
            x,
            advice_evals,
            fixed_evals,
            random_eval,
            sigma_evals,
            perm_evals,
            lookup_evals,
            shplonk_y,
            shplonk_v,
            h1,
            shplonk_u,
            h2,
        }
    }
}

/// Multi-phase circuits commit to each phase's advice before that phase's challenges.
fn read_phases(t: &mut Layout, vk: &VerifyingKey<G1Affine>) -> (Vec<usize>, Vec<S>) {
    let cs = vk.cs();
    let mut advice = vec![0usize; cs.num_advice_columns()];
    let mut challenges = vec![S::Const(Fr::ZERO); cs.num_challenges()];
    let advice_phase = cs.advice_column_phase();
    let challenge_phase = cs.challenge_phase();
    let max_phase = advice_phase.iter().chain(challenge_phase.iter()).copied().max().unwrap_or(0);
    for phase in 0..=max_phase {
        for (col, &p) in advice_phase.iter().enumerate() {
            if p == phase {
                advice[col] = t.points(1)[0];
            }
        }
        for (i, &p) in challenge_phase.iter().enumerate() {
            if p == phase {
                challenges[i] = t.squeeze();
            }
        }
    }
    (advice, challenges)
}

/// The cursor of the layout: the next free memory word, the next unread proof byte, and where
/// the transcript buffer restarts after the last squeeze.
struct Layout {
    next: usize,
    cd: usize,
    tstart: usize,
    steps: Vec<Step>,
}

impl Layout {
    fn alloc(&mut self, words: usize) -> usize {
        let p = self.next;
        self.next += 32 * words;
        p
    }

    fn points(&mut self, count: usize) -> Vec<usize> {
        let mem = self.alloc(2 * count);
        if count > 0 {
            self.steps.push(Step::Points { cd: self.cd, mem, count });
        }
        self.cd += 64 * count;
        (0..count).map(|i| mem + 64 * i).collect()
    }

    fn scalars(&mut self, count: usize) -> Vec<S> {
        let mem = self.alloc(count);
        if count > 0 {
            self.steps.push(Step::Scalars { cd: self.cd, mem, count });
        }
        self.cd += 32 * count;
        (0..count).map(|i| S::Mem(mem + 32 * i)).collect()
    }

    fn squeeze(&mut self) -> S {
        let len = self.next - self.tstart;
        let pad = len == 32;
        let dst = self.alloc(2);
        self.steps.push(Step::Squeeze { start: self.tstart, len: if pad { 33 } else { len }, dst, pad });
        self.tstart = dst + 32;
        S::Mem(dst)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_circuit;
    use super::*;

    #[test]
    fn transcript_regions_tile_memory_without_overlap() {
        let (params, vk) = test_circuit::keys();
        let plan = Plan::of(&VerifierSpec::inline(&vk, &params, 3));
        let mut regions: Vec<(usize, usize)> = plan.steps.iter().map(Step::region).collect();
        regions.sort();
        let mut at = MEMORY_START;
        for (start, len) in regions {
            assert_eq!(start, at, "a gap or an overlap at {start:#x}");
            at += len;
        }
        assert_eq!(at, plan.memory_end);
    }

    #[test]
    fn proof_is_read_once_in_order_and_matches_its_shape() {
        let (params, vk) = test_circuit::keys();
        let plan = Plan::of(&VerifierSpec::inline(&vk, &params, 3));
        let shape = super::super::proof_shape::ProofShape::of(&vk);
        let mut cd = 0;
        let (mut points, mut scalars) = (vec![], vec![]);
        for step in &plan.steps {
            match *step {
                Step::Points { cd: at, count, .. } => {
                    assert_eq!(at, cd);
                    points.extend((0..count).map(|i| at + 64 * i));
                    cd += 64 * count;
                }
                Step::Scalars { cd: at, count, .. } => {
                    assert_eq!(at, cd);
                    scalars.extend((0..count).map(|i| at + 32 * i));
                    cd += 32 * count;
                }
                _ => {}
            }
        }
        assert_eq!(cd, plan.proof_len);
        assert_eq!(plan.proof_len, shape.bytes());
        assert_eq!(points, shape.point_offsets());
        assert_eq!(scalars, shape.scalar_offsets());
        assert!(
            plan.num_lookups > 0 && plan.num_sets > 1,
            "the test circuit should exercise lookups and several permutation sets"
        );
    }

    #[test]
    fn each_squeeze_hashes_exactly_what_was_absorbed_since_the_last() {
        let (params, vk) = test_circuit::keys();
        let plan = Plan::of(&VerifierSpec::inline(&vk, &params, 3));
        let mut start = MEMORY_START;
        let mut squeezes = 0;
        for step in &plan.steps {
            if let Step::Squeeze { start: s, len, dst, pad } = *step {
                assert_eq!(s, start);
                assert_eq!(pad, dst - s == 32, "only a bare previous hash is padded");
                assert_eq!(len, dst - s + pad as usize);
                start = dst + 32;
                squeezes += 1;
            }
        }
        // theta, beta, gamma, y, x, and SHPLONK's y, v, u (the test circuit has no challenges)
        assert_eq!(squeezes, 8);
    }
}
