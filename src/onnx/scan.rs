//! Multi-step recurrences. tract keeps an LSTM, GRU or RNN over more than one time step as a
//! Scan whose body (one step) is a model of its own. A circuit has no loops, so the body is
//! lowered once per step by the same walk as the rest of the model, each copy bound to the
//! previous copy's state outputs and to its slice of the sequence, and the copies' outputs are
//! gathered back into the Scan's outputs. Slices and stacks are coefficient-1 gathers: wiring,
//! no rows.

use super::lower::{lower_model, Builder};
use super::shape_of;
use crate::error::Result;
use crate::graph::Op;
use std::collections::HashMap;
use std::sync::Arc;
use tract_onnx::prelude::tract_data::internal::DimLike;
use tract_onnx::prelude::*;
use tract_onnx::tract_core::ops::konst::Const;
use tract_onnx::tract_core::ops::scan::{InputMapping, Scan, ScanInfo};

/// What a body outlet is bound to: an IR node, or a constant (a zero initial state, a weight
/// fed in as a Full input), which the body is specialised with rather than proven.
#[derive(Clone)]
enum Value {
    Node(usize),
    Const(Arc<Tensor>),
}

/// The Scan's sizes, checked before anything is lowered so a refused Scan leaves no nodes.
struct Plan {
    iters: usize,
    /// Per body output: its shape, and for a scanned output the outer shape it is stacked into.
    outputs: Vec<(Vec<usize>, Option<Vec<usize>>)>,
}

impl Plan {
    /// Refuses what one run of tract's Scan would not fill exactly: warm-up iterations
    /// (`skip`), an empty sequence or one that is not a whole number of chunks (tract pads the
    /// last chunk with uninitialised values), state outputs not pairing with state inputs, and a
    /// stacked output some position of which no step writes.
    fn of(model: &TypedModel, node: &TypedNode, op: &Scan) -> Option<Plan> {
        let states_in = op.input_mapping.iter().filter(|m| m.is_state()).count();
        let states_out = op.output_mapping.iter().filter(|m| m.state).count();
        if op.skip != 0 || op.input_mapping.len() != node.inputs.len() || states_in != states_out {
            return None;
        }
        let mut iters = None;
        for (slot, m) in op.input_mapping.iter().enumerate() {
            if let InputMapping::Scan(info) = m {
                let len = *shape_of(model, node.inputs[slot]).get(info.axis)?;
                let c = info.chunk.unsigned_abs();
                if c == 0 || len % c != 0 || *iters.get_or_insert(len / c) != len / c {
                    return None;
                }
            }
        }
        let iters = iters.filter(|&n| n > 0)?;
        let body_outputs = op.body.output_outlets().ok()?;
        let mut outputs = vec![];
        for (m, o) in op.output_mapping.iter().zip(body_outputs) {
            let shape = op.body.outlet_fact(*o).ok()?.shape.as_concrete()?.to_vec();
            let stacked = match m.scan {
                Some((slot, info)) => {
                    let mut outer = shape.clone();
                    outer[info.axis] = match &m.full_dim_hint {
                        Some(d) => d.to_usize().ok()?,
                        None => shape[info.axis] * iters,
                    };
                    if shape_of(model, OutletId::new(node.id, slot)) != outer {
                        return None;
                    }
                    let writers = stack_writers(outer[info.axis], shape[info.axis], iters, info.chunk < 0);
                    if writers.iter().any(Option::is_none) {
                        return None;
                    }
                    Some(outer)
                }
                None => None,
            };
            outputs.push((shape, stacked));
        }
        Some(Plan { iters, outputs })
    }
}

/// For each position along a stacked output's axis, the (step, position in the step's output)
/// written there last, as tract assigns them: step i at i·s forward, at len − 1 − i·s backward.
fn stack_writers(len: usize, s: usize, iters: usize, backward: bool) -> Vec<Option<(usize, usize)>> {
    let mut w = vec![None; len];
    for i in 0..iters {
        let offset = if backward { len.checked_sub(1 + i * s) } else { Some(i * s) };
        let Some(offset) = offset.filter(|&o| o < len) else { continue };
        for q in 0..s.min(len - offset) {
            w[offset + q] = Some((i, q));
        }
    }
    w
}

/// Lowers the Scan `node` step by step into `b`, entering its outputs into `map`. Returns
/// false when the Scan or its body has an unsupported part (recorded in `b.unsupported`).
pub(super) fn unroll(
    b: &mut Builder,
    model: &TypedModel,
    node: &TypedNode,
    op: &Scan,
    map: &mut HashMap<OutletId, usize>,
    prefix: &str,
) -> Result<bool> {
    let name = format!("{prefix}{}", node.name);
    let outer: Option<Vec<Value>> = node.inputs.iter().map(|o| value_of(model, *o, map)).collect();
    let (Some(plan), Some(outer)) = (Plan::of(model, node, op), outer) else {
        b.refuse("Scan", &name);
        return Ok(false);
    };
    let body = Arc::new(op.body.clone());
    let mut state: Vec<Value> =
        op.input_mapping.iter().zip(&outer).filter(|(m, _)| m.is_state()).map(|(_, v)| v.clone()).collect();
    let mut per_output: Vec<Vec<Value>> = vec![vec![]; op.output_mapping.len()];
    for i in 0..plan.iters {
        let mut states = state.into_iter();
        let mut bound = vec![];
        for (slot, m) in op.input_mapping.iter().enumerate() {
            bound.push(match m {
                InputMapping::State => states.next().expect("as many states as state inputs"),
                InputMapping::Full => outer[slot].clone(),
                InputMapping::Scan(info) => {
                    let shape = shape_of(model, node.inputs[slot]);
                    slice(b, &outer[slot], &shape, info, i, format!("{name}.t{i}.in{slot}"))?
                }
            });
        }
        let Some(outs) = step(b, &body, &bound, &format!("{name}.t{i}/"))? else { return Ok(false) };
        state = op.output_mapping.iter().zip(&outs).filter(|(m, _)| m.state).map(|(_, v)| v.clone()).collect();
        for (k, v) in outs.into_iter().enumerate() {
            per_output[k].push(v);
        }
    }
    for (k, m) in op.output_mapping.iter().enumerate() {
        let (shape, stacked) = &plan.outputs[k];
        if let (Some((slot, info)), Some(outer_shape)) = (m.scan, stacked) {
            let id = stack(b, &per_output[k], shape, outer_shape, &info, name.clone());
            map.insert(OutletId::new(node.id, slot), id);
        }
        if let Some(slot) = m.last_value_slot {
            let id = match per_output[k].last().expect("at least one step") {
                Value::Node(n) => *n,
                Value::Const(t) => constant(b, t, format!("{name}.last{k}")),
            };
            map.insert(OutletId::new(node.id, slot), id);
        }
    }
    Ok(true)
}

/// An outer outlet as the body sees it: lowered already, or a constant.
fn value_of(model: &TypedModel, o: OutletId, map: &HashMap<OutletId, usize>) -> Option<Value> {
    match map.get(&o) {
        Some(&n) => Some(Value::Node(n)),
        None => Some(Value::Const(model.outlet_fact(o).ok()?.konst.clone()?)),
    }
}

fn constant(b: &mut Builder, t: &Tensor, name: String) -> usize {
    let values = f32s(t);
    b.push(name, Op::Affine { terms: vec![vec![]; values.len()], bias: values }, vec![], t.shape().to_vec())
}

fn f32s(t: &Tensor) -> Vec<f32> {
    let t = t.cast_to::<f32>().expect("a numeric constant");
    t.to_plain_array_view::<f32>().expect("f32").iter().copied().collect()
}

/// Row-major strides of `shape`.
fn strides(shape: &[usize]) -> Vec<usize> {
    (0..shape.len()).map(|a| shape[a + 1..].iter().product()).collect()
}

/// Chunk `i` of `v` along the scan axis: positions [i·c, (i+1)·c) forward, and backward the
/// same block counted from the end, [len − (i+1)·c, len − i·c), in its own order (as tract's
/// slice_input fills it).
fn slice(b: &mut Builder, v: &Value, shape: &[usize], info: &ScanInfo, i: usize, name: String) -> Result<Value> {
    let (axis, c) = (info.axis, info.chunk.unsigned_abs());
    let start = if info.chunk < 0 { shape[axis] - (i + 1) * c } else { i * c };
    Ok(match v {
        Value::Const(t) => {
            Value::Const(Arc::new(t.slice(axis, start, start + c).map_err(|e| super::malformed(b.path, e))?))
        }
        Value::Node(n) => {
            let mut sub = shape.to_vec();
            sub[axis] = c;
            let (outer, inner) = (strides(shape), strides(&sub));
            let terms = (0..sub.iter().product())
                .map(|j: usize| {
                    let src: usize = (0..sub.len())
                        .map(|a| ((j / inner[a]) % sub[a] + if a == axis { start } else { 0 }) * outer[a])
                        .sum();
                    vec![(0, src, 1.0)]
                })
                .collect::<Vec<_>>();
            let bias = vec![0.0; terms.len()];
            Value::Node(b.push(name, Op::Affine { terms, bias }, vec![*n], sub))
        }
    })
}

/// The steps' values of one scanned output, placed along its axis in the order tract assigns
/// them (a backward Scan fills from the end); constant steps enter as biases.
fn stack(
    b: &mut Builder,
    vals: &[Value],
    shape: &[usize],
    outer_shape: &[usize],
    info: &ScanInfo,
    name: String,
) -> usize {
    let axis = info.axis;
    let writers = stack_writers(outer_shape[axis], shape[axis], vals.len(), info.chunk < 0);
    let (outer, inner) = (strides(outer_shape), strides(shape));
    let mut slots: Vec<usize> = vec![];
    let slot_of: Vec<Option<usize>> = vals
        .iter()
        .map(|v| match v {
            Value::Node(n) => Some(slots.iter().position(|s| s == n).unwrap_or_else(|| {
                slots.push(*n);
                slots.len() - 1
            })),
            Value::Const(_) => None,
        })
        .collect();
    let consts: Vec<Option<Vec<f32>>> =
        vals.iter().map(|v| if let Value::Const(t) = v { Some(f32s(t)) } else { None }).collect();
    let n: usize = outer_shape.iter().product();
    let (mut terms, mut bias) = (vec![vec![]; n], vec![0.0; n]);
    for j in 0..n {
        let (step, q) = writers[(j / outer[axis]) % outer_shape[axis]].expect("checked by Plan::of");
        let src: usize =
            (0..shape.len()).map(|a| if a == axis { q } else { (j / outer[a]) % outer_shape[a] } * inner[a]).sum();
        match (slot_of[step], &consts[step]) {
            (Some(slot), _) => terms[j].push((slot, src, 1.0)),
            (None, Some(c)) => bias[j] = c[src],
            (None, None) => unreachable!("a value is a node or a constant"),
        }
    }
    b.push(name, Op::Affine { terms, bias }, slots, outer_shape.to_vec())
}

/// One step: the body with `bound` as its inputs. Returns its outputs' values, or None when
/// part of the body is unsupported.
fn step(b: &mut Builder, body: &Arc<TypedModel>, bound: &[Value], prefix: &str) -> Result<Option<Vec<Value>>> {
    let (model, nodes) = if bound.iter().any(|v| matches!(v, Value::Const(_))) {
        let (m, nodes) = specialise(body, bound).map_err(|e| super::malformed(b.path, e))?;
        (Arc::new(m), nodes)
    } else {
        let nodes = bound.iter().map(|v| if let Value::Node(n) = v { *n } else { unreachable!() }).collect();
        (body.clone(), nodes)
    };
    let inputs = model.input_outlets().map_err(|e| super::malformed(b.path, e))?;
    let mut map: HashMap<OutletId, usize> = inputs.iter().copied().zip(nodes).collect();
    if !lower_model(b, &model, &mut map, prefix)? {
        return Ok(None);
    }
    let outputs = model.output_outlets().map_err(|e| super::malformed(b.path, e))?;
    let values = outputs.iter().map(|o| value_of(&model, *o, &map)).collect::<Option<Vec<_>>>();
    values
        .map(Some)
        .ok_or_else(|| super::malformed(b.path, format!("{prefix}: a body output is neither lowered nor constant")))
}

/// The body with its constant-bound inputs turned into constants and folded, so that a zero
/// initial state removes the first step's recurrent product instead of proving a
/// multiplication by zero. Returns the model and the IR nodes of its remaining inputs, in order.
fn specialise(body: &TypedModel, bound: &[Value]) -> TractResult<(TypedModel, Vec<usize>)> {
    let mut m = body.clone();
    let mut nodes = vec![];
    for (o, v) in body.input_outlets()?.iter().zip(bound) {
        match v {
            Value::Node(n) => nodes.push(*n),
            Value::Const(t) => {
                let fact = TypedFact::try_from(t.clone())?;
                let n = m.node_mut(o.node);
                n.op = Box::new(Const::new(t.clone())?);
                n.outputs[0].fact = fact;
                m.inputs.retain(|i| i != o);
            }
        }
    }
    Ok((m.into_decluttered()?, nodes))
}
