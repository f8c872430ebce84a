//! Everything the verifier knows before it sees a proof, resolved once from the verifying key:
//! the order in which the proof is read and challenges are squeezed, and the memory word each
//! of those values lands in. The phases that emit code take their addresses from here, so the
//! layout can be checked (no overlap, every proof byte read exactly once) without reading Yul.

use super::verifier::VerifierSpec;
use super::yul::S;
use halo2_proofs::halo2curves::bn256::{Fr, G1Affine};
use halo2_proofs::halo2curves::ff::Field;
use halo2_proofs::plonk::VerifyingKey;
use halo2_proofs::poly::commitment::Params;

/// Where the transcript region starts: below 0x80 is Solidity's scratch space and free-memory
/// pointer, which the helpers still use.
pub const MEMORY_START: usize = 0x80;

/// One transcript operation, with its calldata and memory addresses fixed.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// The transcript starts from the verifying key's digest.
    Absorb { mem: usize, value: Fr },
    /// The public values, read (and range-checked) from the `instances` argument.
    Instances { mem: usize, count: usize },
    /// `count` points from the proof at byte offset `cd`.
    Points { cd: usize, mem: usize, count: usize },
    /// `count` scalars from the proof at byte offset `cd`.
    Scalars { cd: usize, mem: usize, count: usize },
    /// Hashes memory `[start, start + len)` into `dst` (the challenge) and `dst + 32` (the raw
    /// hash, which restarts the buffer). `pad`: nothing was absorbed since the last squeeze, and
    /// EvmTranscript then hashes one extra byte 0x01 (at `dst`, which the challenge overwrites).
    Squeeze { start: usize, len: usize, dst: usize, pad: bool },
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
    pub k: u32,
    pub n: u64,
    pub omega: Fr,
    pub omega_inv: Fr,
    /// halo2's blinding rows: the last `blinding + 1` rows are not "active".
    pub blinding: i32,
    /// Columns per permutation product (degree − 2).
    pub chunk_len: usize,
    pub num_sets: usize,
    pub num_lookups: usize,
    pub num_instances: usize,
    pub steps: Vec<Step>,
    pub proof_len: usize,
    /// First free word after the transcript region.
    pub memory_end: usize,
    pub instances: Vec<S>,
    pub challenges: Vec<S>,
    pub advice: Vec<usize>,
    pub theta: S,
    pub permuted: Vec<(usize, usize)>,
    pub beta: S,
    pub gamma: S,
    pub perm_z: Vec<usize>,
    pub lookup_z: Vec<usize>,
    pub random_point: usize,
    pub y: S,
    pub h_points: Vec<usize>,
    pub x: S,
    pub advice_evals: Vec<S>,
    pub fixed_evals: Vec<S>,
    pub random_eval: S,
    pub sigma_evals: Vec<S>,
    /// Per permutation set: z(x), z(ωx), and z(ω^last x) for every set but the last.
    pub perm_evals: Vec<Vec<S>>,
    /// Per lookup: z(x), z(ωx), A'(x), A'(ω⁻¹x), S'(x).
    pub lookup_evals: Vec<Vec<S>>,
    pub shplonk_y: S,
    pub shplonk_v: S,
    pub h1: usize,
    pub shplonk_u: S,
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
            k: spec.params.k(),
            n: 1u64 << spec.params.k(),
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
        let plan = Plan::of(&VerifierSpec { vk: &vk, params: &params, num_instances: 3 });
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
        let plan = Plan::of(&VerifierSpec { vk: &vk, params: &params, num_instances: 3 });
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
        let plan = Plan::of(&VerifierSpec { vk: &vk, params: &params, num_instances: 3 });
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
