//! Where an aggregation circuit's cells go (docs/aggregation-design.md §6.4): the advice cells
//! (lookup cells included) of one in-circuit multi-scalar multiplication over BN254 with
//! halo2-ecc's chip as snark-verifier's loader configures it (3 limbs of 88 bits, 254-bit
//! scalars), for variable bases (the inner proofs' commitments) and fixed bases (their verifying
//! keys' commitments), at several sizes. What merging the inner proofs' MSMs into one could save
//! follows from the per-base figures.
//!
//! `cargo run --release --example msm_cells [-- --json]` (about a minute; no proving).

use halo2_proofs::halo2curves::bn256::{Fr, G1Affine};
use halo2_proofs::halo2curves::ff::PrimeField;
use halo2_proofs::halo2curves::group::Curve;
use snark_verifier_sdk::snark_verifier::halo2_base::gates::circuit::builder::BaseCircuitBuilder;
use snark_verifier_sdk::snark_verifier::halo2_base::gates::circuit::CircuitBuilderStage;
use snark_verifier_sdk::snark_verifier::halo2_ecc::bn254::FpChip;
use snark_verifier_sdk::snark_verifier::halo2_ecc::ecc::EccChip;

#[derive(serde::Serialize)]
struct Row {
    kind: &'static str,
    bases: usize,
    cells: usize,
    cells_per_base: usize,
}

/// Cells of one MSM of `n` bases, variable (loaded as witnesses) or fixed (constants).
fn cells(n: usize, fixed: bool) -> usize {
    let mut b = BaseCircuitBuilder::<Fr>::from_stage(CircuitBuilderStage::Keygen).use_k(22).use_lookup_bits(21);
    let range = b.range_chip();
    let fp = FpChip::<Fr>::new(&range, 88, 3);
    let ecc = EccChip::new(&fp);
    let bases: Vec<G1Affine> = (0..n).map(|i| (G1Affine::generator() * Fr::from(i as u64 + 7)).to_affine()).collect();
    let ctx = b.main(0);
    // Scalars of full width, as Fiat–Shamir challenges and their products are.
    let scalars: Vec<Vec<_>> =
        (0..n).map(|i| vec![ctx.load_witness(Fr::from(i as u64 + 3).invert().unwrap())]).collect();
    if fixed {
        ecc.fixed_base_msm::<G1Affine>(b.pool(0), &bases, scalars, Fr::NUM_BITS as usize);
    } else {
        let points: Vec<_> = bases.iter().map(|p| ecc.load_private_unchecked(b.main(0), (p.x, p.y))).collect();
        ecc.variable_base_msm::<G1Affine>(b.pool(0), &points, scalars, Fr::NUM_BITS as usize);
    }
    let st = b.statistics();
    st.gate.total_advice_per_phase[0] + st.total_lookup_advice_per_phase[0]
}

fn main() {
    let json = std::env::args().any(|a| a == "--json");
    let mut rows = vec![];
    for (kind, fixed, sizes) in [("variable", false, [1, 16, 32, 64, 136]), ("fixed", true, [1, 18, 36, 72, 144])] {
        for n in sizes {
            let c = cells(n, fixed);
            rows.push(Row { kind, bases: n, cells: c, cells_per_base: c / n });
        }
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&rows).unwrap());
        return;
    }
    println!("| bases | kind | cells | cells per base |\n|---|---|---|---|");
    for r in &rows {
        println!("| {} | {} | {} | {} |", r.bases, r.kind, r.cells, r.cells_per_base);
    }
}
