//! A recording backend: runs a circuit's `synthesize` through halo2's floor planner, as keygen and
//! the prover do, and keeps every fixed value, every advice value together with *whether it was
//! assigned at all*, and every copy constraint. MockProver reads an unassigned advice cell as 0
//! and keeps no trace of it, yet an unassigned cell is exactly what a cheating prover fills in:
//! the audit needs to tell the two apart.

use halo2_proofs::circuit::Value;
use halo2_proofs::halo2curves::bn256::Fr;
use halo2_proofs::plonk::{
    Advice, Any, Assigned, Assignment, Challenge, Circuit, Column, ConstraintSystem, Error as PlonkError, Fixed,
    FloorPlanner, Instance, Selector,
};

/// A cell of any column kind, by column index and absolute row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CellRef {
    /// An advice cell: (index among advice columns, row).
    Advice(usize, usize),
    /// A fixed cell: (index among fixed columns, row).
    Fixed(usize, usize),
    /// An instance cell: (index among instance columns, row), the row being the public value's position.
    Instance(usize, usize),
}

impl CellRef {
    fn of(column: Column<Any>, row: usize) -> CellRef {
        match column.column_type() {
            Any::Advice(_) => CellRef::Advice(column.index(), row),
            Any::Fixed => CellRef::Fixed(column.index(), row),
            Any::Instance => CellRef::Instance(column.index(), row),
        }
    }
}

/// One synthesis of a circuit, cell by cell.
pub struct Recorded {
    /// log2 of the rows it was synthesized at.
    pub k: u32,
    /// Rows, 2^k: rotations wrap modulo n, as in the proof system.
    pub n: usize,
    /// Rows halo2 lets a circuit use (the rest hold blinding factors).
    pub usable: usize,
    /// The constraint system the circuit configured: the gates, lookups and copies the audit checks.
    pub cs: ConstraintSystem<Fr>,
    /// `[column][row]`.
    pub fixed: Vec<Vec<Fr>>,
    /// `[column][row]`; an unassigned cell reads 0, so `order` tells it from an assigned zero.
    pub advice: Vec<Vec<Fr>>,
    /// `[column][row]`: 0 if never assigned, else 1 + the order of the first assignment, so the
    /// cell a value is first written to (its definition) can be told from its copies.
    pub order: Vec<Vec<u32>>,
    /// `[column][row]`: the public values given to `record` from row 0, zero after them.
    pub instance: Vec<Vec<Fr>>,
    /// Every copy constraint, in the order synthesis made them (`check` groups them into classes).
    pub copies: Vec<(CellRef, CellRef)>,
    /// The challenges the second phase was synthesized at: fixed random values, the audit's
    /// stand-in for the transcript's (an attacker here knows them; one in a proof does not).
    pub challenges: Vec<Fr>,
}

impl Recorded {
    /// Whether advice cell (col, row) was ever assigned: an empty cell is the prover's to fill.
    pub fn assigned(&self, col: usize, row: usize) -> bool {
        self.order[col][row] != 0
    }
}

struct Recorder {
    rec: Recorded,
    next: u32,
}

impl Assignment<Fr> for Recorder {
    fn enter_region<NR: Into<String>, N: FnOnce() -> NR>(&mut self, _: N) {}
    fn annotate_column<A: FnOnce() -> AR, AR: Into<String>>(&mut self, _: A, _: Column<Any>) {}
    fn exit_region(&mut self) {}
    fn enable_selector<A: FnOnce() -> AR, AR: Into<String>>(
        &mut self,
        _: A,
        _: &Selector,
        _: usize,
    ) -> Result<(), PlonkError> {
        // zkinfer's gates switch on fixed columns, never on halo2 selectors: a selector would be
        // compressed at keygen into columns this recording does not model.
        unreachable!("zkinfer circuits use fixed columns, not selectors")
    }
    fn query_instance(&self, column: Column<Instance>, row: usize) -> Result<Value<Fr>, PlonkError> {
        Ok(Value::known(self.rec.instance[column.index()][row]))
    }
    fn assign_advice<'v>(
        &mut self,
        column: Column<Advice>,
        row: usize,
        to: Value<Assigned<Fr>>,
    ) -> Value<&'v Assigned<Fr>> {
        let mut value = Fr::zero();
        let _ = to.map(|v| value = v.evaluate());
        self.rec.advice[column.index()][row] = value;
        let order = &mut self.rec.order[column.index()][row];
        if *order == 0 {
            self.next += 1;
            *order = self.next;
        }
        Value::unknown()
    }
    fn assign_fixed(&mut self, column: Column<Fixed>, row: usize, to: Assigned<Fr>) {
        self.rec.fixed[column.index()][row] = to.evaluate();
    }
    fn copy(&mut self, left: Column<Any>, left_row: usize, right: Column<Any>, right_row: usize) {
        self.rec.copies.push((CellRef::of(left, left_row), CellRef::of(right, right_row)));
    }
    fn fill_from_row(&mut self, column: Column<Fixed>, row: usize, to: Value<Assigned<Fr>>) -> Result<(), PlonkError> {
        let mut value = Fr::zero();
        let _ = to.map(|v| value = v.evaluate());
        for r in row..self.rec.usable {
            self.rec.fixed[column.index()][r] = value;
        }
        Ok(())
    }
    fn get_challenge(&self, c: Challenge) -> Value<Fr> {
        Value::known(self.rec.challenges[c.index()])
    }
    fn push_namespace<NR: Into<String>, N: FnOnce() -> NR>(&mut self, _: N) {}
    fn pop_namespace(&mut self, _: Option<String>) {}
}

/// Synthesizes `circuit` at 2^k rows with these public values, as the prover would.
pub fn record<C: Circuit<Fr>>(circuit: &C, k: u32, instance: &[Fr]) -> Result<Recorded, PlonkError> {
    let mut cs = ConstraintSystem::default();
    let config = C::configure_with_params(&mut cs, circuit.params());
    let n = 1usize << k;
    let usable = n - (cs.blinding_factors() + 1);
    if n < cs.minimum_rows() || instance.len() > usable {
        return Err(PlonkError::NotEnoughRowsAvailable { current_k: k });
    }
    let mut column = vec![Fr::zero(); n];
    column[..instance.len()].copy_from_slice(instance);
    let rec = Recorded {
        k,
        n,
        usable,
        fixed: vec![vec![Fr::zero(); n]; cs.num_fixed_columns()],
        advice: vec![vec![Fr::zero(); n]; cs.num_advice_columns()],
        order: vec![vec![0; n]; cs.num_advice_columns()],
        instance: vec![column; cs.num_instance_columns()],
        copies: vec![],
        challenges: (1..=cs.num_challenges() as u64)
            .map(|i| Fr::from(0x9e37_79b9_7f4a_7c15u64.wrapping_mul(i)))
            .collect(),
        cs,
    };
    let constants = rec.cs.constants().clone();
    let mut recorder = Recorder { rec, next: 0 };
    C::FloorPlanner::synthesize(&mut recorder, circuit, config, constants)?;
    Ok(recorder.rec)
}
