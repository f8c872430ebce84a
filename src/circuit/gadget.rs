//! The gadget tier: what every layout gadget shares, and the registry that configures them.
//!
//! A gadget owns its fixed columns (selectors and coefficients) and its gates; layouts name one of
//! them as a `FixedCol` (the gadget's kind and an index into its own columns), so adding a gadget
//! touches its file and one line of `registry!` below, and no central enum of columns.
//!
//! The registry's order is the order columns are created in, which the verifying key (and so
//! every deployed verifier) depends on: append, never reorder.

use super::layout::Layout;
use super::CircuitParams;
use halo2_proofs::halo2curves::bn256::Fr;
use halo2_proofs::plonk::{Advice, Column, ConstraintSystem, Error as PlonkError, Fixed, TableColumn};
use serde::{Deserialize, Serialize};

/// The columns every gadget may read besides its own: the `lanes + 1` general advice columns
/// (copy-enabled), the range-checked column (every cell in [0, 2^r)) and that range's table.
#[derive(Clone, Debug)]
pub struct Shared {
    /// Lanes first, the accumulator column last; all copy-enabled, so gadgets bind by copies.
    pub advice: Vec<Column<Advice>>,
    /// Looked up in `range_table` on every row: a gadget puts a cell here to bound it.
    pub range: Column<Advice>,
    /// `[0, 2^range_bits)`, filled by the circuit.
    pub range_table: TableColumn,
    /// Activations are integers at 2^-scale_bits; gadgets' constants (2^s, 2^(2s)) follow it.
    pub scale_bits: u32,
    /// r, the range table's width: s itself, or s/d when the range check is split (`Shape::split`).
    pub range_bits: u32,
    /// The bits lookup inputs are rescaled by, when the model has lookup tables.
    pub table_shift: Option<u32>,
}

/// One row of a gadget's lookup table, handed to the circuit that assigns it.
pub type TableRow<'a> = &'a mut dyn FnMut(&[Fr]) -> Result<(), PlonkError>;

/// A configured gadget, as the circuit sees it once its gates exist.
pub trait Gadget: std::fmt::Debug + Send + Sync {
    /// Its fixed columns, in the order its layouts index them (`FixedCol::index`).
    fn fixed(&self) -> &[Column<Fixed>];

    /// The table columns it looks up into, when it brings its own table.
    fn table_columns(&self) -> &[TableColumn] {
        &[]
    }

    /// Emits every row of its table for this layout (one value per table column, in order).
    fn table_rows(&self, _layout: &Layout, _row: TableRow<'_>) -> Result<(), PlonkError> {
        Ok(())
    }

    /// Advice columns of its own that layouts place cells in (`Col::Wide`).
    fn advice(&self) -> &[Column<Advice>] {
        &[]
    }

    /// Its second-phase columns and challenges, when it has them (the product check).
    fn second_phase(&self) -> Option<&super::freivalds::FreivaldsConfig> {
        None
    }
}

/// The fixed columns of a gadget that owns nothing else (selectors and coefficients), which is
/// most of them: created in order (the verifying key depends on it) and read back by the names
/// its layouts use.
#[derive(Clone, Debug)]
pub struct FixedColumns {
    kind: Kind,
    columns: Vec<Column<Fixed>>,
}

impl FixedColumns {
    /// `n` new fixed columns for the gadget `kind`.
    pub fn new(meta: &mut ConstraintSystem<Fr>, kind: Kind, n: usize) -> Self {
        FixedColumns { kind, columns: (0..n).map(|_| meta.fixed_column()).collect() }
    }

    /// The column a layout names `col`; it must be this gadget's.
    pub fn get(&self, col: FixedCol) -> Column<Fixed> {
        assert_eq!(col.gadget, self.kind, "{col:?} read by the {:?} gadget", self.kind);
        self.columns[col.index]
    }
}

impl Gadget for FixedColumns {
    fn fixed(&self) -> &[Column<Fixed>] {
        &self.columns
    }
}

/// A gadget's configure function: creates its columns and gates.
pub type Configure = fn(&mut ConstraintSystem<Fr>, &Shared) -> Box<dyn Gadget>;

/// A cell column of a gadget, as a layout names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FixedCol {
    /// Whose column: the gadget configured it and its gate reads it.
    pub gadget: Kind,
    /// Position among that gadget's fixed columns, as its `Gadget::fixed` lists them.
    pub index: usize,
}

impl FixedCol {
    /// For a gadget's own constants (`linear::Q`, `requant::RANGE`…).
    pub const fn new(gadget: Kind, index: usize) -> Self {
        FixedCol { gadget, index }
    }
}

macro_rules! registry {
    ($($(#[$doc:meta])* $kind:ident => $module:ident;)*) => {
        /// Every layout gadget, named as layouts name it.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum Kind { $($(#[$doc])* $kind),* }

        /// The gadgets in column-creation order.
        pub const REGISTRY: &[(Kind, Configure)] = &[$((Kind::$kind, super::$module::configure)),*];
    };
}

registry! {
    /// `linear.rs`: chained sums with fixed coefficients.
    Linear => linear;
    /// `requant.rs`: rescale, range check, relu.
    Requant => requant;
    /// `product.rs`: one product of two activations.
    Product => product;
    /// `dot.rs`: chained sums of products of two activations.
    Dot => dot;
    /// `lut.rs`: tabulated functions and keyed selections.
    Lut => lut;
    /// `pointwise.rs`: several `y = m·x + c` to a row.
    Pointwise => pointwise;
    /// `freivalds.rs`: whole matrix products checked at random challenges (a second phase).
    Freivalds => freivalds;
    /// `requant_wide.rs`: requant in one row, its range cells in three looked-up columns.
    RequantWide => requant_wide;
}

/// Configures the gadgets this circuit's layout uses (sets a fixed cell of), in registry order;
/// indexed by `Kind as usize`. A gadget no layout row selects would only add columns the prover
/// commits to and the verifier pays for (1l_sigmoid carried 16 fixed columns for 12 rows).
pub fn configure_all(
    meta: &mut ConstraintSystem<Fr>,
    shared: &Shared,
    p: &CircuitParams,
) -> Vec<Option<Box<dyn Gadget>>> {
    REGISTRY.iter().map(|&(kind, configure)| p.gadgets.contains(&kind).then(|| configure(meta, shared))).collect()
}
