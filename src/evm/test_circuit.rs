//! A circuit small enough to key in milliseconds that still has what the generator special-cases:
//! two gates of one shape (one shared Yul function), a rotation, a lookup, several permutation
//! sets, an instance column, and all-zero fixed columns (identity commitments). Its synthesis
//! assigns nothing: the phases depend on the verifying key's structure, not on values.

use halo2_proofs::circuit::{Layouter, SimpleFloorPlanner};
use halo2_proofs::halo2curves::bn256::{Bn256, Fr, G1Affine};
use halo2_proofs::plonk::{keygen_vk, Advice, Circuit, Column, ConstraintSystem, Error, Expression, VerifyingKey};
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use halo2_proofs::poly::Rotation;
use rand_chacha::rand_core::SeedableRng;

pub struct Tiny;

impl Circuit<Fr> for Tiny {
    type Config = ();
    type FloorPlanner = SimpleFloorPlanner;
    type Params = ();

    fn without_witnesses(&self) -> Self {
        Tiny
    }

    fn configure(meta: &mut ConstraintSystem<Fr>) {
        let advice: Vec<Column<Advice>> = (0..4).map(|_| meta.advice_column()).collect();
        let q = meta.fixed_column();
        let instance = meta.instance_column();
        for a in &advice {
            meta.enable_equality(*a);
        }
        meta.enable_equality(instance);
        let (a, b, c, d) = (advice[0], advice[1], advice[2], advice[3]);
        for (x, y, z) in [(a, b, c), (c, d, b)] {
            meta.create_gate("mul", |m| {
                let q = m.query_fixed(q, Rotation::cur());
                let (x, y, z) = (
                    m.query_advice(x, Rotation::cur()),
                    m.query_advice(y, Rotation::cur()),
                    m.query_advice(z, Rotation::cur()),
                );
                vec![q * (x * y - z)]
            });
        }
        meta.create_gate("step", |m| {
            let q = m.query_fixed(q, Rotation::cur());
            let next = m.query_advice(a, Rotation::next());
            let (a, d) = (m.query_advice(a, Rotation::cur()), m.query_advice(d, Rotation::cur()));
            vec![q.clone() * (next - a.clone() - d * Expression::Constant(Fr::from(3))), -(q * a)]
        });
        let table = meta.lookup_table_column();
        meta.lookup("range", |m| vec![(m.query_advice(d, Rotation::cur()), table)]);
    }

    fn synthesize(&self, _: (), _: impl Layouter<Fr>) -> Result<(), Error> {
        Ok(())
    }
}

pub fn keys() -> (ParamsKZG<Bn256>, VerifyingKey<G1Affine>) {
    let params = ParamsKZG::<Bn256>::setup(5, rand_chacha::ChaCha20Rng::seed_from_u64(7));
    let vk = keygen_vk(&params, &Tiny).expect("keygen of the test circuit");
    (params, vk)
}

/// Runs the straight-line field arithmetic the emitter writes (`mstore(A, addmod|mulmod(X, Y,
/// M))`, `mstore(A, mod(sub(M, X), M))`, `mstore(A, X)`) over a word memory, with M the `R` local
/// or its literal. Enough to check an evaluation without an EVM.
pub fn run(code: &str, memory: &mut std::collections::HashMap<usize, Fr>) {
    let r_literal = format!("0x{}", crate::field::MODULUS_HEX);
    let hex = |s: &str| -> Fr {
        let digits = s.trim().trim_start_matches("0x");
        crate::field::from_hex(&format!("{digits:0>64}")).unwrap()
    };
    let addr = |s: &str| usize::from_str_radix(s.trim().trim_start_matches("0x"), 16).unwrap();
    let modulus = |m: &str| assert!(m == "R" || m == r_literal, "unexpected modulus {m}");
    for line in code.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with("//")) {
        let inner = line
            .strip_prefix("mstore(")
            .and_then(|l| l.strip_suffix(')'))
            .unwrap_or_else(|| panic!("not straight-line: {line}"));
        let (dst, expr) = inner.split_once(", ").unwrap();
        let operand = |s: &str| match s.strip_prefix("mload(") {
            Some(a) => memory[&addr(a.trim_end_matches(')'))],
            None => hex(s),
        };
        let value = if let Some(args) = expr.strip_prefix("addmod(").or(expr.strip_prefix("mulmod(")) {
            let parts: Vec<&str> = args.strip_suffix(')').unwrap().split(", ").collect();
            modulus(parts[2]);
            let (x, y) = (operand(parts[0]), operand(parts[1]));
            if expr.starts_with("addmod") {
                x + y
            } else {
                x * y
            }
        } else if let Some(args) = expr.strip_prefix("mod(sub(") {
            let (m, rest) = args.split_once(", ").unwrap();
            let (x, m2) = rest.rsplit_once("), ").unwrap();
            modulus(m);
            modulus(m2.trim_end_matches(')'));
            -operand(x)
        } else {
            operand(expr)
        };
        memory.insert(addr(dst), value);
    }
}
