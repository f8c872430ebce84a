//! The cells of a layout under construction: wires, their definitions, and where gadgets place
//! them. Gadgets and op layouts write through a `Builder`; nothing here knows a gadget, so the
//! tiers above (gadgets, then ops, then the planner) depend on this file and not on each other.

use super::gadget::FixedCol;
use serde::{Deserialize, Serialize};

/// Index of a wire in `Layout::wires`, and of its value in a witness.
pub type WireId = usize;

/// An advice column a layout places cells in (the commitment gadgets' columns only for tampering).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Col {
    /// General advice column i in 0..=lanes (copy-enabled); column `lanes` holds the linear and dot
    /// accumulators.
    Advice(usize),
    /// The lookup-checked column: every cell in it lies in [0, 2^r), r = `Layout::range_bits`.
    Range,
    /// Column i of the Poseidon gadget (0–2 state, 3–5 auxiliary, then the next group's); only
    /// tests name these cells.
    Hash(usize),
    /// Column i of the packing gadget (0 weight, 1 limb, 2 accumulator); tests only.
    Pack(usize),
    /// Looked-up column i of the one-row requant gadget (`requant_wide`): limb1, then rem.
    Wide(usize),
    /// Second-phase column i of the randomised product check (0, 1 operands, 2 accumulator); tests only.
    Late(usize),
}

/// How a wire's value follows from earlier wires (what `Layout::witness` evaluates, in order); each
/// definition names only wires defined before it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum WireDef {
    /// An element of a model input: the prover's to choose, bound only by its public value or
    /// commitment when it has one.
    Input {
        /// Position of the input among the model's inputs.
        input: usize,
        /// Position of the element in that input, flattened.
        index: usize,
    },
    /// A model parameter held as private advice (the private and hashed weight modes).
    Weight {
        /// The quantised parameter: at scale 2^s for a weight, 2^(2s) for a bias.
        value: i128,
    },
    /// `bias + Σ coeff·wire (+ prev)`: one row of a linear combination.
    Linear {
        /// `(wire, coefficient)` pairs, at most `lanes` per row; coefficients go to fixed cells.
        terms: Vec<(WireId, i128)>,
        /// The constant term: the bias on a chain's first row, 0 on the rows after it.
        bias: i128,
        /// The previous row's accumulator when this row continues a chain (its chain flag is set).
        prev: Option<WireId>,
    },
    /// The requant block's y: `acc / 2^s` rounded half up (`quant::rescale`).
    Quotient {
        /// The accumulator rescaled, at scale 2^(2s).
        acc: WireId,
    },
    /// The rescale remainder `acc + 2^(s-1) − y·2^s`, in [0, 2^s): range-checked on the block's third row.
    Remainder {
        /// The accumulator whose rescale it completes.
        acc: WireId,
    },
    /// 1 when y ≥ 0, else 0; computing it is where a value outside the calibrated range is refused.
    Sign {
        /// The value range-checked (the requant block's y).
        y: WireId,
        /// The model node y belongs to, named in the out-of-range error.
        node: usize,
    },
    /// One r-bit limb of the offset-binary range check, of `y + 2^(2s) − sign·2^(2s)`.
    Limb {
        /// The value range-checked.
        y: WireId,
        /// Its sign wire: the offset takes `sign·2^(2s)` back off.
        sign: WireId,
        /// Which r bits, from the lowest (range cell on the block's row `index`).
        index: u32,
        /// r, the range table's width: 2s/r limbs make up the 2s bits.
        bits: u32,
    },
    /// Bits `[index·bits, (index+1)·bits)` of a wire: one range cell of a remainder wider than
    /// the range table (a rescale by s bits over an r-bit table, s = d·r, takes d of them).
    Chunk {
        /// The wire split (a `Remainder`).
        w: WireId,
        /// Which chunk, from the lowest.
        index: u32,
        /// r, the range table's width.
        bits: u32,
    },
    /// `sign·y`: y rectified, on the requant block's second row.
    Relu {
        /// The value rectified (already range-checked).
        y: WireId,
        /// Its sign wire: 1 keeps y, 0 zeroes it.
        sign: WireId,
    },
    /// `a·b`, at the sum of its factors' scales (one product-gadget row).
    Product {
        /// The factor in advice column 0.
        a: WireId,
        /// The factor in advice column 1.
        b: WireId,
    },
    /// `Σ a·b (+ prev)`: one row of a dot product.
    Dot {
        /// The factor pairs, at most `lanes / 2` per row (a short row's unused pairs multiply the zero wire).
        pairs: Vec<(WireId, WireId)>,
        /// The previous row's accumulator when this row continues a chain (its chain flag is set).
        prev: Option<WireId>,
    },
    /// A lookup input on its table's grid: `x / 2^shift` rounded half up.
    TableIndex {
        /// The lookup input, at scale 2^s.
        x: WireId,
        /// The table's shift d (`QOp::Lut::shift`).
        shift: u32,
    },
    /// The lookup rescale's remainder `x + 2^(d-1) − q·2^d`, in [0, 2^d) (in the range column).
    TableRem {
        /// The lookup input.
        x: WireId,
        /// Its `TableIndex` wire.
        q: WireId,
        /// The table's shift d.
        shift: u32,
    },
    /// `w·2^bits`: the lookup remainder lifted so the range check [0, 2^s) bounds it below 2^d.
    Scaled {
        /// The wire scaled (a `TableRem`).
        w: WireId,
        /// The shift, s − d.
        bits: u32,
    },
    /// Entry (c, p) of product check `check`'s claimed product `Σ_i W[c][i]·X[i][p]` (with the
    /// bias as the row of ones): computed outright here, proven by `freivalds` without a row per
    /// multiply.
    Claimed {
        /// Index into `Layout::products`.
        check: usize,
        /// Output row (channel) of the product.
        c: usize,
        /// Output column (position) of the product.
        p: usize,
    },
    /// The table value of model node `node` at index `q`.
    Lookup {
        /// The table key: a `TableIndex` wire, or the input itself when d = 0.
        q: WireId,
        /// The model node whose table (function or constant data) is looked up.
        node: usize,
    },
}

pub(crate) struct Builder {
    pub lanes: usize,
    /// Whether one-input outputs share pointwise rows (the planner's choice: fewer rows, two
    /// more fixed columns) or take a linear row each.
    pub pointwise: bool,
    /// Whether requant blocks take one row with two more looked-up columns (the planner's choice).
    pub wide: bool,
    /// Range cells per s-bit limb, d: the range table is [0, 2^(s/d)) (`Shape::split`).
    pub split: usize,
    /// s/d, the range table's width in bits.
    pub range_bits: u32,
    pub row: usize,
    pub wires: Vec<WireDef>,
    pub advice: Vec<(Col, usize, WireId)>,
    pub fixed: Vec<(FixedCol, usize, i128)>,
    pub constants: std::collections::HashMap<i128, WireId>,
    pub tables: Vec<Table>,
    pub weights: Vec<WireId>,
    pub products: Vec<super::freivalds::Product>,
    pub late: super::freivalds::Late,
}

/// A lookup table: `values[i]` at key `lo + i·step`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Table {
    /// The key of `values[0]`: a grid index for a function table, an integer at scale 2^s for constant data.
    pub lo: i64,
    /// Key spacing: 1 on a function's grid, 2^s for constant data keyed by an integer index.
    pub step: i64,
    /// The outputs at the activation scale 2^s; the lookup binds each to its key.
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
