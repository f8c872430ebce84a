//! The integer evaluation of a quantised model: the oracle the circuit's witness reproduces.

use super::{rescale, QOp, QuantModel};
use crate::error::Result;

impl QuantModel {
    /// Integer evaluation of every node (the witness oracle). Fails, naming the node, when a
    /// range-checked value leaves the calibrated range.
    pub fn eval(&self, inputs: &[Vec<i128>]) -> Result<Vec<Vec<i128>>> {
        let s = self.scale_bits;
        let mut vals: Vec<Vec<i128>> = Vec::with_capacity(self.nodes.len());
        for (id, node) in self.nodes.iter().enumerate() {
            let arg = |i: usize| &vals[node.inputs[i]];
            let v = match &node.op {
                QOp::Input { index } => inputs[*index].clone(),
                QOp::Dense { k, n, weight, bias, relu } => {
                    let x = arg(0);
                    let rows = x.len() / k;
                    let mut y = Vec::with_capacity(rows * n);
                    for m in 0..rows {
                        for j in 0..*n {
                            let mut acc = bias[j];
                            for i in 0..*k {
                                acc += x[m * k + i] * weight[i * n + j] as i128;
                            }
                            let q = self.check_range(id, rescale(acc, s))?;
                            y.push(if *relu { q.max(0) } else { q });
                        }
                    }
                    y
                }
                QOp::Conv { geometry, weight, bias, relu } => {
                    let accs = geometry.accumulate(arg(0), |j| weight[j] as i128, |c| bias[c]);
                    let mut y = Vec::with_capacity(accs.len());
                    for acc in accs {
                        let q = self.check_range(id, rescale(acc, s))?;
                        y.push(if *relu { q.max(0) } else { q });
                    }
                    y
                }
                QOp::Add => arg(0).iter().zip(arg(1)).map(|(a, b)| a + b).collect(),
                QOp::AddConst { value } => {
                    arg(0).iter().enumerate().map(|(i, a)| a + value[i % value.len()] as i128).collect()
                }
                QOp::Relu => {
                    let mut y = Vec::new();
                    for &a in arg(0) {
                        y.push(self.check_range(id, a)?.max(0));
                    }
                    y
                }
                QOp::Reshape => arg(0).clone(),
                QOp::Mul => {
                    let mut y = Vec::new();
                    for (a, b) in arg(0).iter().zip(arg(1)) {
                        y.push(self.check_range(id, rescale(a * b, s))?);
                    }
                    y
                }
                QOp::Affine { terms, bias, rescale: needs_rescale, relu, .. } => {
                    let mut y = Vec::with_capacity(terms.len());
                    for (t, b) in terms.iter().zip(bias) {
                        let acc = b + t.iter().map(|&(sl, i, c)| vals[node.inputs[sl]][i] * c as i128).sum::<i128>();
                        let v = if *needs_rescale { self.check_range(id, rescale(acc, s))? } else { acc };
                        y.push(if *relu { v.max(0) } else { v });
                    }
                    y
                }
                QOp::MatMul(mm) => {
                    let mut y = Vec::with_capacity(mm.batch * mm.m * mm.n);
                    for acc in mm.product(arg(0), arg(1), 0i128) {
                        y.push(self.check_range(id, rescale(acc, s))?);
                    }
                    y
                }
                QOp::Bilinear { terms } => {
                    let mut y = Vec::with_capacity(terms.len());
                    for t in terms {
                        let acc: i128 = t.iter().map(|&(i, k)| arg(0)[i] * arg(1)[k]).sum();
                        y.push(self.check_range(id, rescale(acc, s))?);
                    }
                    y
                }
                QOp::NonNeg => {
                    arg(0).iter().map(|&x| Ok(((self.check_range(id, x)? >= 0) as i128) << s)).collect::<Result<_>>()?
                }
                QOp::Lut { shift, .. } => arg(0)
                    .iter()
                    .map(|&x| self.lookup(id, QuantModel::table_index(x, *shift)))
                    .collect::<Result<_>>()?,
                QOp::Select { .. } => arg(0).iter().map(|&x| self.lookup(id, x)).collect::<Result<_>>()?,
            };
            vals.push(v);
        }
        Ok(vals)
    }
}
