//! Pointwise clusters: chains of elementwise ops (with scalar constants) over one variable, such
//! as `x·½·(1 + erf(x/√2))`, `where(x < 0, α·(eˣ − 1), x)` or `floor(x / 3)`, are one function
//! of that variable. Rather than re-implement each ONNX op, the cluster is cut out of tract's
//! graph and run by tract on the points of a lookup table, so the table holds exactly what the
//! model computes, and the whole chain costs one lookup per element.

use crate::graph::ScalarFn;
use std::collections::HashMap;
use std::sync::Arc;
use tract_onnx::prelude::*;
use tract_onnx::tract_core::ops::binary::TypedBinOp;
use tract_onnx::tract_core::ops::cast::Cast;
use tract_onnx::tract_core::ops::element_wise::ElementWiseOp;
use tract_onnx::tract_core::ops::logic::Iff;

/// The tract nodes (in evaluation order) that compute an outlet from its root, elementwise.
#[derive(Clone, Debug)]
pub struct Cluster {
    /// The outlet the cluster's single variable is read from: the function's argument.
    pub root: OutletId,
    /// The member nodes' ids, in evaluation order: replayed to evaluate the function.
    pub nodes: Vec<usize>,
    /// Whether some member has no exact gadget, so the cluster is proven by a table.
    pub tabled: bool,
}

/// Whether `node` applies one function to each element of its variable inputs: an elementwise
/// op type, every constant a single value, every variable input of the output's shape.
pub fn is_pointwise(model: &TypedModel, node: &TypedNode, vars: &[OutletId], consts: &[OutletId]) -> bool {
    let op = &node.op;
    let kind = op.downcast_ref::<ElementWiseOp>().is_some()
        || op.downcast_ref::<TypedBinOp>().is_some()
        || op.downcast_ref::<Cast>().is_some()
        || op.downcast_ref::<Iff>().is_some();
    if !kind || node.outputs.len() != 1 || vars.is_empty() {
        return false;
    }
    let shape = |o: OutletId| model.outlet_fact(o).ok().and_then(|f| f.shape.as_concrete().map(|s| s.to_vec()));
    let out = shape(OutletId::new(node.id, 0));
    out.is_some()
        && vars.iter().all(|&v| shape(v) == out)
        && consts.iter().all(|&c| shape(c).map(|s| s.iter().product::<usize>()) == Some(1))
}

/// The cluster `node` forms with its inputs' clusters, if they share one root.
pub fn join(
    clusters: &HashMap<OutletId, Cluster>,
    node: usize,
    vars: &[OutletId],
    position: &HashMap<usize, usize>,
) -> Option<Cluster> {
    let mut root = None;
    let mut nodes: Vec<usize> = vec![];
    let mut tabled = false;
    for v in vars {
        let (r, ns, t) = match clusters.get(v) {
            Some(c) => (c.root, c.nodes.as_slice(), c.tabled),
            None => (*v, &[][..], false),
        };
        if *root.get_or_insert(r) != r {
            return None;
        }
        tabled |= t;
        nodes.extend(ns.iter().filter(|n| !nodes.contains(n)).copied().collect::<Vec<_>>());
    }
    nodes.sort_by_key(|n| position[n]);
    nodes.push(node);
    Some(Cluster { root: root?, nodes, tabled })
}

/// The cluster as a function tract evaluates on any batch of points.
pub fn scalar_fn(model: Arc<TypedModel>, cluster: &Cluster) -> ScalarFn {
    let name = cluster.nodes.iter().map(|&n| model.node(n).op.name().to_string()).collect::<Vec<_>>().join("∘");
    let (root, nodes) = (cluster.root, cluster.nodes.clone());
    ScalarFn::new(name, move |xs| run(&model, root, &nodes, xs).unwrap_or_else(|_| vec![f32::NAN; xs.len()]))
}

fn run(model: &TypedModel, root: OutletId, nodes: &[usize], xs: &[f32]) -> TractResult<Vec<f32>> {
    let dt = super::probe::runtime_dt(model.outlet_fact(root)?.datum_type);
    let mut m = TypedModel::default();
    let source = m.add_source("x", dt.fact([xs.len()]))?;
    let mut wires: HashMap<OutletId, OutletId> = HashMap::from([(root, source)]);
    for (i, &id) in nodes.iter().enumerate() {
        let node = model.node(id);
        let mut inputs = tvec![];
        for (j, o) in node.inputs.iter().enumerate() {
            let w = match wires.get(o) {
                Some(w) => *w,
                None => {
                    // A single-valued constant, as a one-element vector to broadcast over the batch.
                    let k = model.outlet_fact(*o)?.konst.clone().ok_or_else(|| anyhow::anyhow!("not constant"))?;
                    let k = super::probe::runtime_const(&k)
                        .ok_or_else(|| anyhow::anyhow!("constant type"))?
                        .into_shape(&[1])?;
                    m.add_const(format!("c{i}_{j}"), k)?
                }
            };
            inputs.push(w);
        }
        let out = m.wire_node(format!("n{i}"), node.op.clone(), &inputs)?;
        wires.insert(OutletId::new(id, 0), out[0]);
    }
    let last = wires[&OutletId::new(*nodes.last().expect("a cluster has a node"), 0)];
    m.select_output_outlets(&[last])?;
    let x = Tensor::from_shape(&[xs.len()], xs)?.cast_to_dt(dt)?.into_owned();
    let out = m.into_runnable()?.run(tvec![x.into_tvalue()])?;
    let y = out[0].cast_to::<f32>()?;
    Ok(y.to_plain_array_view::<f32>()?.iter().copied().collect())
}
