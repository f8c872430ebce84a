//! ONNX import: tract parses, infers shapes, folds constants and declutters; this module maps the
//! typed graph onto the project's IR and refuses, naming every unsupported op at once, what it
//! cannot map.

mod conv;
mod einsum;
mod gather;
mod load;
mod logic;
mod lower;
pub mod pointwise;
pub mod probe;
mod reduce;
mod reference;
mod rnn;
mod scan;
mod steps;
pub mod write;

use crate::error::{Error, Result};
use crate::graph::{Graph, Node, Op};
use load::malformed;
pub use load::{input_names, load_typed};
pub use reference::{tract_run, Reference};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use steps::{Src, Step};
use tract_onnx::prelude::*;

fn const_of(model: &TypedModel, outlet: OutletId) -> Option<Vec<f32>> {
    let fact = model.outlet_fact(outlet).ok()?;
    let t = fact.konst.as_ref()?;
    let t = t.cast_to::<f32>().ok()?;
    Some(t.to_plain_array_view::<f32>().ok()?.iter().copied().collect())
}

fn shape_of(model: &TypedModel, outlet: OutletId) -> Vec<usize> {
    model.outlet_fact(outlet).ok().and_then(|f| f.shape.as_concrete().map(|s| s.to_vec())).unwrap_or_default()
}

/// Imports an ONNX model into the IR.
pub fn import(path: &Path, input_lens: &[usize]) -> Result<(Graph, Arc<TypedModel>)> {
    // tract evaluates nodes while it folds constants and while zkinfer probes ops, and panics on
    // some inputs a valid-looking file can hold (a Gather index past its axis): the model's fault.
    crate::error::without_panic_output(|| import_inner(path, input_lens))
        .unwrap_or_else(|panic| Err(panicked(path, "evaluate the model's nodes", panic)))
}

/// The model inputs whose type is an integer or a boolean, by position.
pub fn integer_inputs(typed: &TypedModel) -> Vec<usize> {
    let Ok(outlets) = typed.input_outlets() else { return vec![] };
    (0..outlets.len())
        .filter(|&i| typed.input_fact(i).is_ok_and(|f| f.datum_type.is_integer() || f.datum_type == DatumType::Bool))
        .collect()
}

/// An [`Error::Import`] for a panic caught inside tract.
fn panicked(path: &Path, stage: &str, panic: Box<dyn std::any::Any + Send>) -> Error {
    let what = crate::error::panic_message(&*panic);
    Error::Import {
        path: path.into(),
        stage: stage.into(),
        node: None,
        reason: format!("tract stopped: {}", crate::error::clip(&what.unwrap_or_default())),
    }
}

fn import_inner(path: &Path, input_lens: &[usize]) -> Result<(Graph, Arc<TypedModel>)> {
    let typed = Arc::new(load_typed(path, input_lens)?);
    let inputs = typed.input_outlets().map_err(|e| malformed(path, e))?.to_vec();
    let mut b = lower::Builder { path, nodes: vec![], unsupported: vec![] };
    let mut map: HashMap<OutletId, usize> = HashMap::new();
    for (index, o) in inputs.iter().enumerate() {
        let id = b.push(typed.node(o.node).name.clone(), Op::Input { index }, vec![], shape_of(&typed, *o));
        map.insert(*o, id);
    }
    lower::lower_model(&mut b, &typed, &mut map, "")?;
    if !b.unsupported.is_empty() {
        return Err(Error::Unsupported { path: path.into(), ops: b.unsupported });
    }
    let mut nodes = b.nodes;
    let outputs = typed
        .output_outlets()
        .map_err(|e| malformed(path, e))?
        .iter()
        .map(|o| match map.get(o) {
            Some(&id) => Ok(id),
            // A constant output (a model of no inputs, or a folded branch) is proven as constants.
            None => {
                let value = const_of(&typed, *o).ok_or_else(|| Error::Unsupported {
                    path: path.into(),
                    ops: vec![format!("non-numeric constant output `{}`", typed.node(o.node).name)],
                })?;
                let shape = shape_of(&typed, *o);
                nodes.push(Node {
                    name: typed.node(o.node).name.clone(),
                    op: Op::Affine { terms: vec![vec![]; value.len()], bias: value },
                    inputs: vec![],
                    shape,
                });
                Ok(nodes.len() - 1)
            }
        })
        .collect::<Result<Vec<_>>>()?;
    let graph = Graph { nodes, inputs: (0..inputs.len()).collect(), outputs };
    Ok((prune(graph), typed))
}

/// Drops nodes no output depends on (the inner steps of a cluster that became one table),
/// keeping every model input.
fn prune(g: Graph) -> Graph {
    let mut live = vec![false; g.nodes.len()];
    for &o in g.outputs.iter().chain(&g.inputs) {
        live[o] = true;
    }
    for id in (0..g.nodes.len()).rev() {
        if live[id] {
            for &i in &g.nodes[id].inputs {
                live[i] = true;
            }
        }
    }
    let mut new_id = vec![usize::MAX; g.nodes.len()];
    let mut nodes = vec![];
    for (id, mut n) in g.nodes.into_iter().enumerate() {
        if live[id] {
            n.inputs = n.inputs.iter().map(|&i| new_id[i]).collect();
            new_id[id] = nodes.len();
            nodes.push(n);
        }
    }
    Graph {
        nodes,
        inputs: g.inputs.iter().map(|&i| new_id[i]).collect(),
        outputs: g.outputs.iter().map(|&o| new_id[o]).collect(),
    }
}

fn map_op(model: &TypedModel, node: &TypedNode, vars: &[OutletId], consts: &[OutletId], shape: &[usize]) -> Option<Op> {
    let name = node.op.name();
    let name = name.as_ref();
    match (name, vars.len(), consts.len()) {
        // Two activations of the output's size, elementwise; broadcasting ones go to the probe.
        ("Add", 2, 0) if same_size(model, vars, shape) => Some(Op::Add),
        ("Mul", 2, 0) if same_size(model, vars, shape) => Some(Op::Mul),
        // A constant of one value, or of the output's full length, adds elementwise; any other
        // broadcast (per channel, per row) is left to the probe, which knows tract's rules.
        ("Add", 1, 1) => {
            let value = const_of(model, consts[0])?;
            let n: usize = shape.iter().product();
            if value.len() == 1 || value.len() == n {
                Some(Op::AddConst { value })
            } else {
                logic::scaled(model, node, vars, shape).or_else(|| probe_affine(model, node, vars))
            }
        }
        // Per-element scaling or shifting by a broadcast constant (batch norm, PRelu slopes…):
        // affine elementwise, read without probing (which would cost n² for large tensors).
        ("Mul" | "Sub" | "Div", 1, 1) => {
            logic::scaled(model, node, vars, shape).or_else(|| probe_affine(model, node, vars))
        }
        ("Not", 1, 0) if model.outlet_fact(vars[0]).ok()?.datum_type == bool::datum_type() => {
            let n: usize = shape.iter().product();
            Some(Op::Affine { terms: elementwise(n, -1.0, 0), bias: vec![1.0; n] })
        }
        // A clamp is never probed: it is the identity near zero and not beyond its bound (a
        // Min(x, 6) read as affine on small inputs proves x where the model says 6). Max(x, 0) is
        // the relu gadget; every other bound is `piecewise`.
        ("Max", 1, 1) => {
            let c = const_of(model, consts[0])?;
            c.iter().all(|&v| v == 0.0).then_some(Op::Relu)
        }
        ("Min", 1, 1) => None,
        // Layout-preserving axis changes are free; a Move (transpose) reorders data and is probed.
        (_, 1, 0) if node.op_as::<tract_onnx::tract_core::ops::change_axes::AxisOp>().is_some() => {
            use tract_onnx::tract_core::ops::change_axes::AxisOp;
            match node.op_as::<AxisOp>()? {
                AxisOp::Move(..) => probe_affine(model, node, vars),
                _ => Some(Op::Reshape),
            }
        }
        ("Cast" | "Identity", 1, 0)
            if value_preserving(
                model.outlet_fact(vars[0]).ok()?.datum_type,
                model.outlet_fact(OutletId::new(node.id, 0)).ok()?.datum_type,
            ) =>
        {
            Some(Op::Reshape)
        }
        _ => probe_affine(model, node, vars),
    }
}

fn elementwise(n: usize, coeff: f32, slot: usize) -> Vec<Vec<(usize, usize, f32)>> {
    (0..n).map(|j| vec![(slot, j, coeff)]).collect()
}

/// Piecewise-linear ops as relus: max(x, c) = c + relu(x − c); min(x, c) = c − relu(c − x);
/// an op with slopes p (x ≥ 0) and n (x < 0), such as |x| or a leaky relu, is
/// n·x + (p − n)·relu(x); max and min over windows (MaxPool, ReduceMax/Min) are running maxima.
/// Every kink is the relu gadget, whose range and sign checks are proven.
fn piecewise(
    model: &TypedModel,
    node: &TypedNode,
    vars: &[OutletId],
    consts: &[OutletId],
    n: usize,
) -> Option<Vec<Step>> {
    use Src::{Step as S, Var};
    let name = node.op.name();
    match (name.as_ref(), vars.len(), consts.len()) {
        ("Max" | "Min", 1, 1) => {
            // One bound, or one per element broadcast to the output (a per-channel clamp).
            let out = shape_of(model, OutletId::new(node.id, 0));
            let at = node.inputs.iter().position(|o| *o == consts[0])?;
            let steps::Operand::Const(bound) = steps::Operand::of(model, node, at, vars, Some(&out))? else {
                return None;
            };
            if shape_of(model, vars[0]) != out || bound.len() != n || bound.iter().any(|b| !b.is_finite()) {
                return None;
            }
            let sign = if name.as_ref() == "Max" { 1.0 } else { -1.0 };
            // u = sign·(x − c); r = relu(u); y = c + sign·r
            Some(vec![
                Step {
                    op: Op::Affine { terms: elementwise(n, sign, 0), bias: bound.iter().map(|b| -sign * b).collect() },
                    inputs: vec![Var(0)],
                },
                Step { op: Op::Relu, inputs: vec![S(0)] },
                Step { op: Op::Affine { terms: elementwise(n, sign, 0), bias: bound }, inputs: vec![S(1)] },
            ])
        }
        ("Square", 1, 0) => Some(vec![Step { op: Op::Mul, inputs: vec![Var(0), Var(0)] }]),
        (_, 1, 0) => {
            if let Some((p, neg)) = probe::zero_kink_slopes(model, node, vars[0]) {
                let terms = (0..n).map(|j| vec![(0, j, neg), (1, j, p - neg)]).collect();
                return Some(vec![
                    Step { op: Op::Relu, inputs: vec![Var(0)] },
                    Step { op: Op::Affine { terms, bias: vec![0.0; n] }, inputs: vec![Var(0), S(0)] },
                ]);
            }
            let (windows, is_min) = probe::extremum_windows(model, node, vars[0])?;
            let mut chain = steps::Chain::default();
            chain.running_extremum(Src::Var(0), &windows, is_min);
            Some(chain.steps)
        }
        _ => None,
    }
}

/// Casts that keep every value (booleans are 0/1 already; integers widen or become floats; floats
/// stay floats) are free; float → integer truncates and int → bool tests for zero, so those are
/// pointwise functions instead.
fn value_preserving(from: DatumType, to: DatumType) -> bool {
    let int = |d: DatumType| d.is_integer() || d == DatumType::TDim;
    from == to
        || from == bool::datum_type()
        || (from == DatumType::TDim && (int(to) || to.is_float()))
        || (from.is_integer()
            && (to.is_float()
                || (to.is_integer() && to.size_of() >= from.size_of() && to.is_signed() == from.is_signed())))
        || (from.is_float() && to.is_float())
}

fn same_size(model: &TypedModel, vars: &[OutletId], shape: &[usize]) -> bool {
    let n: usize = shape.iter().product();
    vars.iter().all(|&v| shape_of(model, v).iter().product::<usize>() == n)
}

/// An affine op; where its coefficients are the node's own parameters (a convolution's kernel
/// and bias), it keeps which parameter each one is, so private-weight modes commit each once.
fn probe_affine(model: &TypedModel, node: &TypedNode, vars: &[OutletId]) -> Option<Op> {
    let map = probe::probe(model, node, vars)?;
    Some(match probe::param_map(model, node, vars, &map) {
        Some(p) => Op::Shared { terms: p.terms, bias: p.bias, params: p.params },
        None => Op::Affine { terms: map.terms, bias: map.bias },
    })
}
