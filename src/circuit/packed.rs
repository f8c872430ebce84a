//! Packed public values (`--input-visibility packed`, `--output-visibility packed`): several
//! fixed-point values in one field element, so a verifier reads, hashes and evaluates
//! ⌊252 / (2s+1)⌋ times fewer public values (14 at 2^-8) and its calldata shrinks alike.
//!
//! A packed value q has been range-checked to [−2^(2s), 2^(2s)) where it was made (an input where
//! it lands, an output by a range block of its own unless it is already a range-checked
//! quotient), so u = q + 2^(2s) has B = 2s + 1 bits and a word Σ_i u_i·2^(B·i) over c ≤ ⌊252/B⌋
//! values is below 2^252 < p: distinct value lists give distinct words, and the first value sits
//! in the lowest bits (a consumer reads value i as `(word >> B·i) & (2^B − 1)` minus 2^(2s)).
//!
//! No gadget of its own: the words are Horner sums on the linear gate's rows, which every model
//! has. The values of a word go last-first over ⌈c/lanes⌉ rows; a row holding r of them has the
//! coefficients 2^(B·(r−1−j)), the bias 2^(2s)·Σ of them, and (after the word's first row) the
//! chain coefficient 2^(B·r), so its accumulator is the word so far shifted up by r values plus
//! its own. Those fixed cells exceed the layout's i128 cells, so they are written at synthesis
//! from this plan; the accumulators are field elements, not wires, and are written there too.

use super::builder::{Builder, Col, WireDef, WireId};
use super::{fr_u128, linear, to_field};
use halo2_proofs::halo2curves::bn256::Fr;
use halo2_proofs::halo2curves::ff::Field;
use serde::{Deserialize, Serialize};

/// Bits of one packed value at scale 2^s: the range check's [−2^(2s), 2^(2s)), offset.
pub fn bits(scale_bits: u32) -> u32 {
    2 * scale_bits + 1
}

/// Values per word: as many B-bit values as stay below 2^252 < p.
pub fn per_word(bits: u32) -> usize {
    (252 / bits) as usize
}

/// One packed part of the public values (the inputs or the outputs): its values and its rows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Packing {
    /// The values in order, each a range-checked wire.
    pub wires: Vec<WireId>,
    /// B: bits per value.
    pub bits: u32,
    /// The row of each word's first linear row; a word of c values takes ⌈c/lanes⌉ rows.
    pub starts: Vec<usize>,
}

/// One linear row of a word: the wires in its lanes, their coefficients, the bias, and the
/// chain coefficient (0 on the word's first row, where the previous accumulator is not read).
pub struct Row {
    /// The row in the model region.
    pub row: usize,
    /// The values in lanes 0…, last-first within the word.
    pub wires: Vec<WireId>,
    /// Lane j's coefficient 2^(B·(r−1−j)).
    pub coeffs: Vec<Fr>,
    /// 2^(2s)·Σ coefficients: the values' offsets.
    pub bias: Fr,
    /// 2^(B·r) after the word's first row, 0 on it.
    pub chain: Fr,
}

fn pow2(bits: u32) -> Fr {
    Fr::from(2).pow_vartime([bits as u64])
}

impl Packing {
    /// The words' values, each a slice of `wires` (the last may be short).
    pub fn words(&self) -> std::slice::Chunks<'_, WireId> {
        self.wires.chunks(per_word(self.bits))
    }

    /// The linear rows of word `j` over `lanes` lanes, in order: its values last-first, so the
    /// first value ends in the lowest bits.
    pub fn rows(&self, j: usize, lanes: usize) -> Vec<Row> {
        let word: Vec<WireId> = self.words().nth(j).expect("a word of this packing").iter().rev().copied().collect();
        let offset = pow2(self.bits - 1);
        word.chunks(lanes)
            .enumerate()
            .map(|(k, chunk)| {
                let r = chunk.len() as u32;
                let coeffs: Vec<Fr> = (0..r).map(|i| pow2(self.bits * (r - 1 - i))).collect();
                let bias = coeffs.iter().fold(Fr::zero(), |a, c| a + c) * offset;
                let chain = if k == 0 { Fr::zero() } else { pow2(self.bits * r) };
                Row { row: self.starts[j] + k, wires: chunk.to_vec(), coeffs, bias, chain }
            })
            .collect()
    }

    /// Each word's value in the field, as the gate computes it (so also for a forged witness).
    pub fn values(&self, witness: &[i128], lanes: usize) -> Vec<Fr> {
        (0..self.starts.len())
            .map(|j| {
                self.rows(j, lanes).iter().fold(Fr::zero(), |acc, row| row_value(row, acc, |w| to_field(witness[w])))
            })
            .collect()
    }
}

/// A row's accumulator after `prev`: `chain·prev + bias + Σ coeff·value`.
pub fn row_value(row: &Row, prev: Fr, value: impl Fn(WireId) -> Fr) -> Fr {
    row.wires.iter().zip(&row.coeffs).fold(row.chain * prev + row.bias, |acc, (&w, c)| acc + *c * value(w))
}

/// Lays out the words of `wires` (each already range-checked) on linear rows from `b.row`: the
/// values in the lanes and the row selector; the rest is written at synthesis.
pub(super) fn layout(b: &mut Builder, wires: Vec<WireId>, scale_bits: u32) -> Packing {
    let mut packing = Packing { wires, bits: bits(scale_bits), starts: vec![] };
    for j in 0..packing.words().len() {
        packing.starts.push(b.row);
        for row in packing.rows(j, b.lanes) {
            for (i, &w) in row.wires.iter().enumerate() {
                b.place(Col::Advice(i), row.row, w);
            }
            b.fix(linear::Q, row.row, 1);
            b.row += 1;
        }
    }
    packing
}

/// Whether `wire` is range-checked to [−2^(2s), 2^(2s)) where it is made: an input (checked where
/// it lands), a requant quotient, or a rectified one.
pub(super) fn range_checked(b: &Builder, wire: WireId) -> bool {
    matches!(b.wires[wire], WireDef::Input { .. } | WireDef::Quotient { .. } | WireDef::Relu { .. })
}

/// The values of `words` (a packed part of the public values, `n` values in all), or `None` when
/// a word is not a packing of values in range (a verified proof's never is).
pub fn unpack(words: &[Fr], n: usize, bits: u32) -> Option<Vec<i128>> {
    // No scale packs values wider than this (MAX_SCALE_BITS 18 gives 37); a wider claim (from a
    // consumer's `packBits`) is no packing this crate makes.
    if !(2..=64).contains(&bits) {
        return None;
    }
    let m = per_word(bits);
    if words.len() != n.div_ceil(m) {
        return None;
    }
    let offset = 1i128 << (bits - 1);
    let mut out = Vec::with_capacity(n);
    for (j, word) in words.iter().enumerate() {
        let c = m.min(n - j * m);
        let repr = halo2_proofs::halo2curves::ff::PrimeField::to_repr(word);
        let bit = |i: u32| (repr[(i / 8) as usize] >> (i % 8)) & 1 == 1;
        if (c as u32 * bits..256).any(bit) {
            return None;
        }
        for i in 0..c as u32 {
            let u = (0..bits).filter(|&k| bit(i * bits + k)).fold(0i128, |u, k| u | 1 << k);
            out.push(u - offset);
        }
    }
    Some(out)
}

/// The word of `values` (at most `per_word(bits)`, each in range), natively: what `unpack` reads.
pub fn pack_word(values: &[i128], bits: u32) -> Fr {
    let offset = 1i128 << (bits - 1);
    values.iter().rev().fold(Fr::zero(), |acc, &q| acc * pow2(bits) + fr_u128((q + offset) as u128))
}

#[cfg(test)]
mod tests {
    use super::super::layout::{Col, Layout, WireDef};
    use super::super::privacy::{Privacy, Public};
    use super::super::tests::{failed_checks, mock, toy_circuit};
    use super::super::ModelCircuit;
    use super::*;
    use crate::graph::{Graph, Node, Op};
    use crate::quant::QuantModel;

    #[test]
    fn words_round_trip_and_refuse_what_no_packing_makes() {
        let b = bits(8);
        assert_eq!((b, per_word(b)), (17, 14));
        let values: Vec<i128> = (0..30).map(|i| (i * 7919 % 131_072) - 65_536).chain([-65_536, 65_535]).collect();
        let words: Vec<Fr> = values.chunks(per_word(b)).map(|w| pack_word(w, b)).collect();
        assert_eq!(unpack(&words, values.len(), b), Some(values.clone()));
        // A bit above the last value, or a word too many or too few, is no packing of n values.
        let mut high = words.clone();
        high[2] += pow2(b * 4);
        assert_eq!(unpack(&high, values.len(), b), None);
        assert_eq!(unpack(&words[..2], values.len(), b), None);
        assert_eq!(unpack(&words, values.len() - per_word(b) * 2 - 1, b), None);
    }

    /// The toy model with its defaults (packed inputs and outputs): one word each, computed by the
    /// circuit as natively, and every cell of the packing rows bound.
    #[test]
    fn toy_words_are_the_values_and_every_cell_binds() {
        let (_, c, public) = toy_circuit(&[0.7, -1.2, 2.5]);
        assert_eq!(c.layout.privacy, Privacy::default());
        assert_eq!(c.layout.packings.len(), 2);
        assert_eq!(public.len(), 2);
        assert_eq!(mock(&c, &public), Ok(()));
        let w = c.witness.as_ref().unwrap();
        for (i, p) in c.layout.packings.iter().enumerate() {
            let values: Vec<i128> = p.wires.iter().map(|&x| w[x]).collect();
            assert_eq!(unpack(&public[i..i + 1], values.len(), p.bits), Some(values));
        }
        let lanes = c.layout.lanes;
        for p in &c.layout.packings {
            for row in p.rows(0, lanes) {
                let cols = (0..row.wires.len()).map(Col::Advice).chain([Col::Advice(lanes)]);
                for col in cols {
                    let t = ModelCircuit { tamper: vec![(col, row.row, Fr::from(12345))], ..c.clone() };
                    assert!(mock(&t, &public).is_err(), "{col:?}@{} unconstrained", row.row);
                }
            }
        }
        // Another word for the same witness: the instance copy refuses it.
        for i in 0..public.len() {
            let mut other = public.clone();
            other[i] += Fr::one();
            assert_eq!(failed_checks(mock(&c, &other)), vec!["permutation"]);
        }
    }

    /// An attacker publishing a word that unpacks to other outputs, with the word's accumulator
    /// cell set to match: the linear gate on that row refuses it.
    #[test]
    fn a_word_of_other_values_is_refused_by_the_gate() {
        let (_, c, mut public) = toy_circuit(&[0.7, -1.2, 2.5]);
        let p = &c.layout.packings[1];
        let w = c.witness.as_ref().unwrap();
        let mut values: Vec<i128> = p.wires.iter().map(|&x| w[x]).collect();
        values[0] += 1;
        let forged = pack_word(&values, p.bits);
        let at = c.layout.public.iter().position(|x| *x == Public::Packed { packing: 1, word: 0 }).unwrap();
        public[at] = forged;
        let last = p.rows(0, c.layout.lanes).last().unwrap().row;
        let t = ModelCircuit { tamper: vec![(Col::Advice(c.layout.lanes), last, forged)], ..c.clone() };
        assert_eq!(failed_checks(mock(&t, &public)), vec!["gate 'linear'"]);
    }

    /// An output made by no range check (the sum of two inputs) gets a range block of its own
    /// before it is packed, so a value outside [−2^(2s), 2^(2s)) — which could alias into the next
    /// value's bits — cannot be proven (the block's soundness: `requant::tests`).
    #[test]
    fn an_unchecked_output_is_range_checked_before_packing() {
        let node = |name: &str, op, inputs: Vec<usize>| Node { name: name.into(), op, inputs, shape: vec![1, 2] };
        let g = Graph {
            nodes: vec![node("x", Op::Input { index: 0 }, vec![]), node("sum", Op::Add, vec![0, 0])],
            inputs: vec![0],
            outputs: vec![1],
        };
        let q = QuantModel::from_graph(&g, 6);
        let layout = Layout::plan(&q, 4, Privacy::default(), true).unwrap();
        let out = &layout.packings[1];
        for &wire in &out.wires {
            assert!(matches!(layout.wires[wire], WireDef::Linear { .. }));
            assert!(layout.wires.iter().any(|d| matches!(d, WireDef::Sign { y, .. } if *y == wire)), "unchecked");
        }
        // A sum past the range: the witness stops at the range check, naming the node.
        let x = q.quantize_inputs(&[vec![40.0, -1.0]]).unwrap();
        let err = layout.witness(&q, &x).unwrap_err().to_string();
        assert!(err.contains("sum"), "{err}");
    }
}
