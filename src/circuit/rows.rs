//! The rows a circuit really uses, measured by running its own synthesis against a recorder
//! instead of estimated: the planner sizes k from this, so `zkinfer setup` can never find fewer
//! rows than the layout needs (halo2's keygen panics with `NotEnoughRowsAvailable` when it does).
//!
//! An estimate misses what the floor planner adds: regions placed after the model's (the
//! commitments' sponge, the weight packing), the instance rows copies reach, and the row after
//! each lookup table, where halo2 starts filling the table's unused rows (`fill_from_row` must
//! start inside the usable rows, so a table as long as the usable rows does not fit).

use super::ModelCircuit;
use halo2_proofs::circuit::Value;
use halo2_proofs::halo2curves::bn256::Fr;
use halo2_proofs::plonk::{
    Advice, Any, Assigned, Assignment, Challenge, Circuit, Column, ConstraintSystem, Error, Fixed, FloorPlanner,
    Instance, Selector,
};

/// Records the highest row any assignment, copy, selector or table fill touches.
#[derive(Default)]
struct Recorder {
    /// One past the highest row touched: the usable rows the circuit needs.
    rows: usize,
}

impl Recorder {
    fn touch(&mut self, row: usize) {
        self.rows = self.rows.max(row + 1);
    }
}

impl Assignment<Fr> for Recorder {
    fn enter_region<NR, N>(&mut self, _: N)
    where
        NR: Into<String>,
        N: FnOnce() -> NR,
    {
    }

    fn annotate_column<A, AR>(&mut self, _: A, _: Column<Any>)
    where
        A: FnOnce() -> AR,
        AR: Into<String>,
    {
    }

    fn exit_region(&mut self) {}

    fn enable_selector<A, AR>(&mut self, _: A, _: &Selector, row: usize) -> Result<(), Error>
    where
        A: FnOnce() -> AR,
        AR: Into<String>,
    {
        self.touch(row);
        Ok(())
    }

    fn query_instance(&self, _: Column<Instance>, _: usize) -> Result<Value<Fr>, Error> {
        Ok(Value::unknown())
    }

    fn assign_advice<'v>(&mut self, _: Column<Advice>, row: usize, _: Value<Assigned<Fr>>) -> Value<&'v Assigned<Fr>> {
        self.touch(row);
        Value::unknown()
    }

    fn assign_fixed(&mut self, _: Column<Fixed>, row: usize, _: Assigned<Fr>) {
        self.touch(row);
    }

    fn copy(&mut self, _: Column<Any>, left: usize, _: Column<Any>, right: usize) {
        self.touch(left.max(right));
    }

    fn fill_from_row(&mut self, _: Column<Fixed>, row: usize, _: Value<Assigned<Fr>>) -> Result<(), Error> {
        // keygen requires the first filled row to be usable, even when nothing is left to fill.
        self.touch(row);
        Ok(())
    }

    fn get_challenge(&self, _: Challenge) -> Value<Fr> {
        Value::unknown()
    }

    fn push_namespace<NR, N>(&mut self, _: N)
    where
        NR: Into<String>,
        N: FnOnce() -> NR,
    {
    }

    fn pop_namespace(&mut self, _: Option<String>) {}
}

/// The usable rows `circuit` needs: one past the highest row its synthesis touches.
pub fn used_rows(circuit: &ModelCircuit) -> Result<usize, Error> {
    let mut cs = ConstraintSystem::<Fr>::default();
    let config = ModelCircuit::configure_with_params(&mut cs, circuit.params());
    let mut recorder = Recorder::default();
    let constants = cs.constants().clone();
    <ModelCircuit as Circuit<Fr>>::FloorPlanner::synthesize(&mut recorder, circuit, config, constants)?;
    Ok(recorder.rows)
}
