//! A batched product of two activations, `Y[b] = A[b]·B[b]` with A `[batch, m, k]`, B
//! `[batch, k, n]` and Y `[batch, m, n]`, all row-major: attention's scores (Q·Kᵀ) and its
//! weighted values. The importer transposes the operands into this order (wiring, no rows), so
//! the circuit proves each batch as one randomised product check (`circuit::freivalds`).

use serde::{Deserialize, Serialize};

/// The product's extents.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatMul {
    /// Independent products.
    pub batch: usize,
    /// Rows of A and Y.
    pub m: usize,
    /// The contracted extent.
    pub k: usize,
    /// Columns of B and Y.
    pub n: usize,
}

impl MatMul {
    /// Every `Y[b][i][j] = Σ_t A[b][i][t]·B[b][t][j]`, row-major, over any number type.
    pub fn product<T>(&self, a: &[T], b: &[T], zero: T) -> Vec<T>
    where
        T: Copy + std::ops::Add<Output = T> + std::ops::Mul<Output = T>,
    {
        let (m, k, n) = (self.m, self.k, self.n);
        let mut y = Vec::with_capacity(self.batch * m * n);
        for bt in 0..self.batch {
            for i in 0..m {
                for j in 0..n {
                    let row = (bt * m + i) * k;
                    y.push((0..k).fold(zero, |acc, t| acc + a[row + t] * b[(bt * k + t) * n + j]));
                }
            }
        }
        y
    }
}
