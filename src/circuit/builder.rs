//! The cells of a layout under construction: wires, their definitions, and where gadgets place
//! them. Gadgets and op layouts write through a `Builder`; nothing here knows a gadget, so the
//! tiers above (gadgets, then ops, then the planner) depend on this file and not on each other.

use super::gadget::FixedCol;
use serde::{Deserialize, Serialize};

pub type WireId = usize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Col {
    Advice(usize),
    /// The lookup-checked column: every cell in it lies in [0, 2^s).
    Range,
    /// Column i of the Poseidon gadget (0–2 state, 3–5 auxiliary, then the next group's); only
    /// tests name these cells.
    Hash(usize),
    /// Column i of the packing gadget (0 weight, 1 limb, 2 accumulator); tests only.
    Pack(usize),
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum WireDef {
    Input {
        input: usize,
        index: usize,
    },
    /// A model parameter held as private advice (the private and hashed weight modes).
    Weight {
        value: i128,
    },
    /// `bias + Σ coeff·wire (+ prev)`: one row of a linear combination.
    Linear {
        terms: Vec<(WireId, i128)>,
        bias: i128,
        prev: Option<WireId>,
    },
    Quotient {
        acc: WireId,
    },
    Remainder {
        acc: WireId,
    },
    Sign {
        y: WireId,
        node: usize,
    },
    Limb {
        y: WireId,
        sign: WireId,
        index: u32,
    },
    Relu {
        y: WireId,
        sign: WireId,
    },
    Product {
        a: WireId,
        b: WireId,
    },
    /// `Σ a·b (+ prev)`: one row of a dot product.
    Dot {
        pairs: Vec<(WireId, WireId)>,
        prev: Option<WireId>,
    },
    /// A lookup input on the table grid, its rescale remainder, and a wire times 2^bits.
    TableIndex {
        x: WireId,
    },
    TableRem {
        x: WireId,
        q: WireId,
    },
    Scaled {
        w: WireId,
        bits: u32,
    },
    /// The table value of model node `node` at index `q`.
    Lookup {
        q: WireId,
        node: usize,
    },
}

pub(crate) struct Builder {
    pub lanes: usize,
    pub row: usize,
    pub wires: Vec<WireDef>,
    pub advice: Vec<(Col, usize, WireId)>,
    pub fixed: Vec<(FixedCol, usize, i128)>,
    pub constants: std::collections::HashMap<i128, WireId>,
    pub tables: Vec<Table>,
    pub weights: Vec<WireId>,
}

/// A lookup table: `values[i]` at key `lo + i·step`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Table {
    pub lo: i64,
    pub step: i64,
    pub values: Vec<i64>,
}

impl Builder {
    pub fn wire(&mut self, def: WireDef) -> WireId {
        self.wires.push(def);
        self.wires.len() - 1
    }
    /// A model parameter: a fixed coefficient normally, a private advice wire when weights are
    /// private (its first placement is its home; every other use is copy-constrained to it).
    pub fn weight(&mut self, value: i128) -> WireId {
        let w = self.wire(WireDef::Weight { value });
        self.weights.push(w);
        w
    }
    pub fn place(&mut self, col: Col, row: usize, wire: WireId) {
        self.advice.push((col, row, wire));
    }
    /// The tag of a table, registering it on first use (equal tables share one).
    pub fn table_tag(&mut self, table: Table) -> usize {
        if let Some(i) = self.tables.iter().position(|t| *t == table) {
            return i + 1;
        }
        self.tables.push(table);
        self.tables.len()
    }
    pub fn fix(&mut self, col: FixedCol, row: usize, value: i128) {
        if value != 0 {
            self.fixed.push((col, row, value));
        }
    }
}
