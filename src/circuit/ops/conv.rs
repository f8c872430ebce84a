//! Convolutions (`graph::conv::Conv`), one group at a time: the group's whole product as one
//! randomised check (`freivalds`) when that takes fewer rows than a chained sum per output
//! (the usual case: a conv's multiplies outnumber its inputs and outputs by the kernel and
//! channel counts), then a requant block per output.

use super::super::builder::{Builder, WireId};
use super::super::freivalds::{self, Product, Weights};
use super::super::{dot, linear, requant};
use super::Node;
use crate::graph::conv::Conv;

pub(super) fn layout(
    b: &mut Builder,
    n: &Node,
    geometry: &Conv,
    weight: &[i64],
    bias: &[i128],
    relu: bool,
) -> Vec<WireId> {
    let x = n.inputs[0];
    let (c_n, k_n, p_n) = (geometry.c(), geometry.k(), geometry.p());
    // With private weights each parameter is one wire, wherever it recurs.
    let wires = n.private.then(|| {
        let w: Vec<WireId> = weight.iter().map(|&v| b.weight(v as i128)).collect();
        let bw: Vec<WireId> = bias.iter().map(|&v| b.weight(v)).collect();
        (w, bw)
    });
    let mut out: Vec<Option<WireId>> = vec![None; geometry.c_out * p_n];
    for g in 0..geometry.groups {
        let sources = geometry.patches(g);
        let per_row = if n.private { b.lanes / 2 } else { b.lanes };
        let terms_at = |p: usize| sources.iter().filter(|s| s[p].is_some()).count() + n.private as usize;
        let direct: usize = c_n * (0..p_n).map(|p| terms_at(p).max(1).div_ceil(per_row)).sum::<usize>();
        let accs: Vec<WireId> = if freivalds::rows(c_n, k_n + 1, p_n, b.lanes, !n.private) < direct {
            checked(b, g, geometry, x, &sources, weight, bias, wires.as_ref())
        } else {
            (0..c_n * p_n)
                .map(|j| {
                    let (c, p) = (j / p_n, j % p_n);
                    let ch = g * c_n + c;
                    let taps = sources.iter().enumerate().filter_map(|(i, s)| s[p].map(|src| (ch * k_n + i, x[src])));
                    match &wires {
                        Some((w, bw)) => {
                            let one = linear::constant(b, 1);
                            let mut pairs: Vec<(WireId, WireId)> = taps.map(|(wi, xw)| (xw, w[wi])).collect();
                            pairs.push((bw[ch], one));
                            dot::layout(b, &pairs)
                        }
                        None => {
                            let terms: Vec<(WireId, i128)> = taps.map(|(wi, xw)| (xw, weight[wi] as i128)).collect();
                            linear::layout(b, &terms, bias[ch])
                        }
                    }
                })
                .collect()
        };
        for (j, acc) in accs.into_iter().enumerate() {
            out[geometry.target(g, j / p_n, j % p_n)] = Some(requant::layout(b, Some(acc), None, relu, n.id));
        }
    }
    out.into_iter().map(|w| w.expect("every output is some group's")).collect()
}

/// Group g's product as one check: W its weight rows with the bias as a last column, X its
/// patches (padding the zero wire) with a row of ones. Returns the accumulators, `c·P + p`.
#[allow(clippy::too_many_arguments)]
fn checked(
    b: &mut Builder,
    g: usize,
    geometry: &Conv,
    x: &[WireId],
    sources: &[Vec<Option<usize>>],
    weight: &[i64],
    bias: &[i128],
    wires: Option<&(Vec<WireId>, Vec<WireId>)>,
) -> Vec<WireId> {
    let (c_n, k_n, p_n) = (geometry.c(), geometry.k(), geometry.p());
    let zero = linear::constant(b, 0);
    let one = linear::constant(b, 1);
    let mut gathered: Vec<WireId> =
        sources.iter().flat_map(|s| s.iter().map(|src| src.map_or(zero, |i| x[i]))).collect();
    gathered.extend(std::iter::repeat_n(one, p_n));
    let rows = g * c_n..(g + 1) * c_n;
    let weights = match wires {
        Some((w, bw)) => Weights::Wires(
            rows.flat_map(|ch| w[ch * k_n..(ch + 1) * k_n].iter().copied().chain([bw[ch]]).collect::<Vec<_>>())
                .collect(),
        ),
        None => Weights::Fixed(
            rows.flat_map(|ch| {
                weight[ch * k_n..(ch + 1) * k_n].iter().map(|&v| v as i128).chain([bias[ch]]).collect::<Vec<_>>()
            })
            .collect(),
        ),
    };
    freivalds::layout(b, Product { c: c_n, k: k_n + 1, p: p_n, weights, x: gathered })
}
