//! A tiny straight-line Yul emitter over BN254's scalar field. Every runtime value lives in a
//! statically allocated memory word, so the generated code never holds more than a few stack
//! slots ("stack too deep" cannot happen however large the circuit) and constants fold at
//! generation time.

use halo2_proofs::halo2curves::bn256::Fr;
use halo2_proofs::halo2curves::ff::Field;
use std::fmt::Write;

/// A scalar known at generation time or stored at a memory address at run time.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum S {
    /// Known at generation time: folded into constants, costs no code.
    Const(Fr),
    /// Stored in the memory word at this address at run time.
    Mem(usize),
}

pub use crate::field::to_hex_literal as fr_hex;

/// Appends straight-line Yul, allocating one memory word per intermediate value.
pub struct Emitter {
    /// The emitted Yul, one indented statement per line.
    pub code: String,
    /// The next free memory address; everything below it is allocated.
    pub next: usize,
    /// How the code names r: the assembly block's local `R` (cheaper to read than a 32-byte
    /// push), or the literal inside Yul functions, which cannot see that local.
    modulus: String,
}

impl Emitter {
    /// Emits code for the verifier's assembly block, where `R` is in scope.
    pub fn new(base: usize) -> Self {
        Emitter { code: String::new(), next: base, modulus: "R".into() }
    }

    /// Emits the body of a Yul function, which must spell the modulus out.
    pub fn in_function(base: usize) -> Self {
        Emitter { code: String::new(), next: base, modulus: format!("0x{}", crate::field::MODULUS_HEX) }
    }

    /// Reserves `words` 32-byte words and returns the address of the first.
    pub fn alloc(&mut self, words: usize) -> usize {
        let p = self.next;
        self.next += 32 * words;
        p
    }

    /// Appends a statement at the verifier body's indentation.
    pub fn line(&mut self, s: impl AsRef<str>) {
        self.code.push_str("            ");
        self.code.push_str(s.as_ref());
        self.code.push('\n');
    }

    /// Appends a `//` comment, to make the generated code reviewable.
    pub fn comment(&mut self, s: &str) {
        let _ = writeln!(self.code, "            // {s}");
    }

    /// The Yul expression reading a value: a hex literal or an `mload`.
    pub fn ld(&self, s: S) -> String {
        match s {
            S::Const(f) => fr_hex(&f),
            S::Mem(p) => format!("mload({p:#x})"),
        }
    }

    /// Stores a Yul expression into a fresh word.
    pub fn store(&mut self, expr: String) -> S {
        let p = self.alloc(1);
        self.line(format!("mstore({p:#x}, {expr})"));
        S::Mem(p)
    }

    /// `a + b mod r`, folded when both are constants or one is zero.
    pub fn add(&mut self, a: S, b: S) -> S {
        match (a, b) {
            (S::Const(x), S::Const(y)) => S::Const(x + y),
            (S::Const(x), o) | (o, S::Const(x)) if x == Fr::ZERO => o,
            _ => {
                let e = format!("addmod({}, {}, {})", self.ld(a), self.ld(b), self.modulus);
                self.store(e)
            }
        }
    }

    /// `a · b mod r`, folded when both are constants or one is zero or one.
    pub fn mul(&mut self, a: S, b: S) -> S {
        match (a, b) {
            (S::Const(x), S::Const(y)) => S::Const(x * y),
            (S::Const(x), _) | (_, S::Const(x)) if x == Fr::ZERO => S::Const(Fr::ZERO),
            (S::Const(x), o) | (o, S::Const(x)) if x == Fr::ONE => o,
            _ => {
                let e = format!("mulmod({}, {}, {})", self.ld(a), self.ld(b), self.modulus);
                self.store(e)
            }
        }
    }

    /// `−a mod r`, folded for a constant.
    pub fn neg(&mut self, a: S) -> S {
        match a {
            S::Const(x) => S::Const(-x),
            _ => {
                let e = format!("mod(sub({r}, {}), {r})", self.ld(a), r = self.modulus);
                self.store(e)
            }
        }
    }

    /// `a − b mod r`.
    pub fn sub(&mut self, a: S, b: S) -> S {
        let nb = self.neg(b);
        self.add(a, nb)
    }

    /// `a² mod r`.
    pub fn square(&mut self, a: S) -> S {
        self.mul(a, a)
    }

    /// Inverts all of `values` with one modexp (Montgomery's trick). Zero inputs give zero, as
    /// halo2's `batch_invert` does.
    pub fn batch_invert(&mut self, values: &[S]) -> Vec<S> {
        let mut prefix = Vec::with_capacity(values.len());
        let mut acc = S::Const(Fr::ONE);
        for &v in values {
            acc = self.mul(acc, v);
            prefix.push(acc);
        }
        let inv_all = self.alloc(1);
        let e = self.ld(acc);
        self.line(format!("mstore({inv_all:#x}, modexp_inv({e}))"));
        let mut inv = S::Mem(inv_all);
        let mut out = vec![S::Const(Fr::ZERO); values.len()];
        for i in (0..values.len()).rev() {
            out[i] = if i == 0 { inv } else { self.mul(inv, prefix[i - 1]) };
            if i > 0 {
                inv = self.mul(inv, values[i]);
            }
        }
        out
    }

    /// Σ_j inst_j · l_j(x) with l_j(x) = ω^j · common / (x - ω^j), where common = (x^n - 1)/n:
    /// one batch inversion in two Yul loops, whatever the number of public values.
    pub fn instance_eval(&mut self, instances: &[S], x: S, common: S, omega: Fr, n: usize) -> S {
        let (Some(S::Mem(inst)), S::Mem(xp)) = (instances.first().copied(), x) else {
            return S::Const(Fr::ZERO);
        };
        let prefix = self.alloc(n);
        let dst = self.alloc(1);
        let (w, w_inv, w_last) =
            (fr_hex(&omega), fr_hex(&omega.invert().unwrap()), fr_hex(&omega.pow_vartime([n as u64 - 1])));
        let c = self.ld(common);
        self.line(format!(
            "{{ let x := mload({xp:#x}) let w := 1 let acc := 1
                  for {{ let j := 0 }} lt(j, {n}) {{ j := add(j, 1) }} {{
                      acc := mulmod(acc, addmod(x, sub({r}, w), {r}), {r}) mstore(add({prefix:#x}, shl(5, j)), acc) w := mulmod(w, {w}, {r}) }}
                  let inv := modexp_inv(acc) let sum := 0 w := {w_last}
                  for {{ let j := {n} }} gt(j, 0) {{ }} {{
                      j := sub(j, 1)
                      let prev := 1 if j {{ prev := mload(add({prefix:#x}, shl(5, sub(j, 1)))) }}
                      let inv_j := mulmod(inv, prev, {r})
                      inv := mulmod(inv, addmod(x, sub({r}, w), {r}), {r})
                      sum := addmod(sum, mulmod(mulmod(mload(add({inst:#x}, shl(5, j))), w, {r}), inv_j, {r}), {r})
                      w := mulmod(w, {w_inv}, {r}) }}
                  mstore({dst:#x}, mulmod(sum, {c}, {r})) }}",
            r = self.modulus
        ));
        S::Mem(dst)
    }
}
