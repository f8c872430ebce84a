//! The walk that maps a typed tract model onto the IR, node by node. It is one function of the
//! model and of an outlet → IR-node map filled in advance with whatever the model's sources are
//! bound to, so the top-level model (sources bound to the circuit's inputs) and every step of
//! an unrolled Scan body (sources bound to the previous step's state and to slices of the
//! sequence) are lowered by exactly the same rules.

use super::pointwise::{self, Cluster};
use super::steps::{Src, Step};
use super::{conv, einsum, gather, logic, map_op, piecewise, reduce, rnn, scan, shape_of};
use crate::error::Result;
use crate::graph::{Node, Op};
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;
use tract_onnx::prelude::*;
use tract_onnx::tract_core::ops::scan::Scan;
use tract_onnx::tract_core::ops::source::TypedSource;

/// The IR under construction: one node list for the whole model, bodies included, and every
/// unsupported op met anywhere, so all of them are refused at once.
pub(super) struct Builder<'p> {
    pub path: &'p Path,
    pub nodes: Vec<Node>,
    pub unsupported: Vec<String>,
}

impl Builder<'_> {
    pub fn refuse(&mut self, op: &str, name: &str) {
        let name = format!("{op} (node `{name}`)");
        if !self.unsupported.contains(&name) {
            self.unsupported.push(name);
        }
    }

    pub fn push(&mut self, name: String, op: Op, inputs: Vec<usize>, shape: Vec<usize>) -> usize {
        self.nodes.push(Node { name, op, inputs, shape });
        self.nodes.len() - 1
    }
}

/// Lowers every node of `model` not already in `map` (its bound sources), in evaluation order,
/// naming IR nodes `prefix` + the tract name. Constants are not lowered: their consumers read
/// them. Returns whether every node was lowered; the ones that were not are in
/// `b.unsupported` (only the cause, not what depends on it).
pub(super) fn lower_model(
    b: &mut Builder,
    model: &Arc<TypedModel>,
    map: &mut HashMap<OutletId, usize>,
    prefix: &str,
) -> Result<bool> {
    let order = model.eval_order().map_err(|e| super::malformed(b.path, e))?;
    let position: HashMap<usize, usize> = order.iter().enumerate().map(|(i, &n)| (n, i)).collect();
    let mut clusters: HashMap<OutletId, Cluster> = HashMap::new();
    let mut failed: HashSet<usize> = HashSet::new();
    for id in order {
        let node = model.node(id);
        let out = OutletId::new(id, 0);
        if map.contains_key(&out) {
            continue; // a bound source
        }
        if model.outlet_fact(out).map(|f| f.konst.is_some()).unwrap_or(false) {
            continue; // constants are read by their consumers
        }
        if node.op_is::<TypedSource>() {
            return Err(super::malformed(b.path, format!("source `{}` is bound to nothing", node.name)));
        }
        if node.inputs.iter().any(|o| failed.contains(&o.node)) {
            failed.insert(id); // downstream of an unsupported op: report only the cause
            continue;
        }
        let ok = match node.op_as::<Scan>() {
            Some(op) => scan::unroll(b, model, node, op, map, prefix)?,
            None => {
                let cx = Context { model, position: &position, prefix };
                lower_node(b, &cx, node, map, &mut clusters)
            }
        };
        if !ok {
            failed.insert(id);
        }
    }
    Ok(failed.is_empty())
}

struct Context<'a> {
    model: &'a Arc<TypedModel>,
    position: &'a HashMap<usize, usize>,
    prefix: &'a str,
}

/// One node through the chain of lowerers; its steps become IR nodes and its outlets enter
/// `map`. Returns false (and records the op as unsupported) when no lowerer takes it.
fn lower_node(
    b: &mut Builder,
    cx: &Context,
    node: &TypedNode,
    map: &mut HashMap<OutletId, usize>,
    clusters: &mut HashMap<OutletId, Cluster>,
) -> bool {
    let (typed, id) = (cx.model, node.id);
    let out = OutletId::new(id, 0);
    let shape = shape_of(typed, out);
    let mut var_inputs: Vec<OutletId> = vec![];
    for o in node.inputs.iter().filter(|o| map.contains_key(o)) {
        if !var_inputs.contains(o) {
            var_inputs.push(*o);
        }
    }
    let consts: Vec<OutletId> = node.inputs.iter().copied().filter(|o| !map.contains_key(o)).collect();
    // A layer norm reads the tensor it centres, not tract's rounded centring (reduce::centred_norm).
    let centred = reduce::centred_source(typed, node).filter(|x| map.contains_key(x));
    if let Some(x) = centred {
        var_inputs = vec![x];
    }
    // A pointwise op over one root joins that root's cluster: it keeps its exact gadget while
    // the cluster has needed none, and otherwise the whole cluster becomes one table.
    let mut cluster = pointwise::is_pointwise(typed, node, &var_inputs, &consts)
        .then(|| pointwise::join(clusters, id, &var_inputs, cx.position))
        .flatten();
    let exact = match &cluster {
        Some(c) if c.tabled => None,
        _ if centred.is_some() => reduce::centred_norm(typed, node, var_inputs[0]),
        _ => {
            let at = At { model: typed, node, vars: &var_inputs, consts: &consts, shape: &shape };
            LOWERERS.iter().find_map(|(_, lower)| lower(&at))
        }
    };
    // Recurrent epilogues have further outputs (an LSTM's cell state): steps computing them.
    let mut extra_outputs: Vec<usize> = vec![];
    let exact = exact.or_else(|| {
        let (steps, extra) = rnn::lower(typed, node, &var_inputs)?;
        extra_outputs = extra;
        Some(steps)
    });
    let lowered = exact.or_else(|| {
        let c = cluster.as_mut()?;
        c.tabled = true;
        let f = pointwise::scalar_fn(typed.clone(), c);
        Some(vec![Step { op: Op::Map { f }, inputs: vec![Src::Node(map[&c.root])] }])
    });
    if let Some(c) = cluster.filter(|_| lowered.is_some()) {
        clusters.insert(out, c);
    }
    let Some(steps) = lowered else {
        b.refuse(&node.op.name(), &format!("{}{}", cx.prefix, node.name));
        return false;
    };
    let first = b.nodes.len();
    let last = steps.len() - 1;
    for (i, step) in steps.into_iter().enumerate() {
        let ins = step
            .inputs
            .iter()
            .map(|s| match s {
                Src::Var(v) => map[&var_inputs[*v]],
                Src::Step(j) => first + j,
                Src::Node(n) => *n,
            })
            .collect();
        let name =
            if i == last { format!("{}{}", cx.prefix, node.name) } else { format!("{}{}.{i}", cx.prefix, node.name) };
        b.push(name, step.op, ins, shape.clone());
    }
    map.insert(out, b.nodes.len() - 1);
    for (k, step) in extra_outputs.iter().enumerate() {
        map.insert(OutletId::new(id, k + 1), first + step);
    }
    true
}

/// What a lowerer sees of one node: the model, the node, its variable inputs (bound to IR
/// nodes), its constant inputs, and its output shape.
struct At<'a> {
    model: &'a TypedModel,
    node: &'a TypedNode,
    vars: &'a [OutletId],
    consts: &'a [OutletId],
    shape: &'a [usize],
}

type Lowerer = fn(&At) -> Option<Vec<Step>>;

/// The lowerers, tried in order; the first that takes a node lowers it (as tract's
/// `register_all_ops` maps op names, except that here several lowerers may claim one op name
/// and decide by the node's operands). A new lowering is one function and one line here. The
/// order is the preference where two could take a node: one exact IR op, then relus for
/// piecewise-linear ops, comparisons and logic, broadcasting binaries, reductions, gathers,
/// einsums. Recurrences and pointwise tables are tried after all of them (`lower_node`).
const LOWERERS: &[(&str, Lowerer)] = &[
    ("convolution", |a| conv::lower(a.model, a.node, a.vars, a.shape)),
    ("einsum", |a| einsum::lower(a.model, a.node, a.vars)),
    ("single op", |a| {
        let op = map_op(a.model, a.node, a.vars, a.consts, a.shape)?;
        Some(vec![Step { op, inputs: (0..a.vars.len()).map(Src::Var).collect() }])
    }),
    ("piecewise linear", |a| piecewise(a.model, a.node, a.vars, a.consts, a.shape.iter().product())),
    ("logic", |a| logic::lower(a.model, a.node, a.vars, a.shape)),
    ("broadcast binary", |a| logic::broadcast_binary(a.model, a.node, a.vars, a.shape)),
    ("reduction", |a| reduce::lower(a.model, a.node, a.vars)),
    ("gather", |a| gather::lower(a.model, a.node, a.vars)),
];

#[cfg(test)]
mod tests {
    use super::{At, LOWERERS};
    use crate::onnx::write::{attr_int, dims, GraphBuilder};
    use tract_onnx::prelude::*;

    /// Which lowerer of the registry takes the first node named `op` (tract's op name), and
    /// whether zkinfer's float reading of the whole model equals tract's on a seeded input.
    fn claimed(name: &str, model: tract_onnx::pb::ModelProto, lens: &[usize], op: &str) -> &'static str {
        let dir = std::env::temp_dir().join(format!("zkinfer-lowerers-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("m.onnx");
        crate::onnx::write::save(&model, &path).unwrap();
        let typed = crate::onnx::load_typed(&path, lens).unwrap();
        let node = typed.nodes().iter().find(|n| n.op.name() == op).unwrap_or_else(|| panic!("{name}: no {op} node"));
        let is_const = |o: &OutletId| typed.outlet_fact(*o).unwrap().konst.is_some();
        let vars: Vec<OutletId> = node.inputs.iter().copied().filter(|o| !is_const(o)).collect();
        let consts: Vec<OutletId> = node.inputs.iter().copied().filter(is_const).collect();
        let shape = super::shape_of(&typed, OutletId::new(node.id, 0));
        let at = At { model: &typed, node, vars: &vars, consts: &consts, shape: &shape };
        let taker = LOWERERS.iter().find(|(_, lower)| lower(&at).is_some()).map(|(n, _)| *n);
        let (graph, typed) = crate::onnx::import(&path, lens).unwrap();
        let x: Vec<Vec<f32>> = lens
            .iter()
            .enumerate()
            .map(|(i, &n)| (0..n).map(|j| ((j * 7 + i * 3) % 11) as f32 / 4.0 - 1.2).collect())
            .collect();
        let want = crate::onnx::tract_run(&typed, &x).unwrap();
        for (got, want) in graph.eval_f32(&x).iter().zip(&want) {
            for (g, w) in got.iter().zip(want) {
                assert!((g - w).abs() <= 1e-4 * w.abs().max(1.0), "{name}: {got:?} where tract computes {want:?}");
            }
        }
        taker.unwrap_or_else(|| panic!("{name}: no lowerer takes {op}"))
    }

    fn binary(op: &str, a: &[usize], b: &[usize], out: &[usize]) -> tract_onnx::pb::ModelProto {
        let mut g = GraphBuilder::new(13);
        let (x, y) = (g.input(&dims(a)), g.input(&dims(b)));
        let z = g.op(op, &[&x, &y], vec![]);
        g.output(&z, &dims(out));
        g.build()
    }

    /// Every lowerer is reached, each by a node that no earlier one claims: a new lowering joins
    /// the registry with a case here.
    #[test]
    fn each_lowerer_takes_its_node_and_reads_it_as_tract_does() {
        let mut g = GraphBuilder::new(13);
        let x = g.input(&dims(&[1, 2, 5, 5]));
        let w = g.constant(&[3, 2, 3, 3], (0..54).map(|i| (i % 7) as f32 / 4.0 - 0.7).collect());
        let y = g.op("Conv", &[&x, &w], vec![]);
        g.output(&y, &dims(&[1, 3, 3, 3]));
        assert_eq!(claimed("conv", g.build(), &[50], "Conv"), "convolution");

        assert_eq!(claimed("add", binary("Add", &[1, 4], &[1, 4], &[1, 4]), &[4, 4], "Add"), "single op");

        let mut g = GraphBuilder::new(13);
        let x = g.input(&dims(&[1, 4]));
        let six = g.constant(&[1], vec![0.6]);
        let y = g.op("Min", &[&x, &six], vec![]);
        g.output(&y, &dims(&[1, 4]));
        assert_eq!(claimed("min", g.build(), &[4], "Min"), "piecewise linear");

        let mut g = GraphBuilder::new(13);
        let (x, c) = (g.input(&dims(&[1, 4])), g.input(&dims(&[1, 4])));
        let zero = g.constant(&[1], vec![0.0]);
        let positive = g.op("Greater", &[&c, &zero], vec![]);
        let y = g.op("Where", &[&positive, &x, &zero], vec![]);
        g.output(&y, &dims(&[1, 4]));
        assert_eq!(claimed("where", g.build(), &[4, 4], "Iff"), "logic");

        assert_eq!(claimed("outer", binary("Mul", &[1, 4], &[3, 1], &[3, 4]), &[4, 3], "Mul"), "broadcast binary");

        let mut g = GraphBuilder::new(13);
        let x = g.input(&dims(&[1, 4]));
        let y = g.op("Softmax", &[&x], vec![attr_int("axis", -1)]);
        g.output(&y, &dims(&[1, 4]));
        assert_eq!(claimed("softmax", g.build(), &[4], "Softmax"), "reduction");

        let mut g = GraphBuilder::new(13);
        let x = g.input(&dims(&[2]));
        let data = g.constant(&[5], vec![0.5, -1.0, 2.0, 0.25, 3.0]);
        // Non-negative indices: a negative one (ONNX counts it from the end) has no key in the
        // Select table, so the circuit refuses it rather than proving a wrong row.
        let magnitude = g.op("Abs", &[&x], vec![]);
        let idx = g.op("Cast", &[&magnitude], vec![attr_int("to", 7)]);
        let y = g.op("Gather", &[&data, &idx], vec![attr_int("axis", 0)]);
        g.output(&y, &dims(&[2]));
        assert_eq!(claimed("gather", g.build(), &[2], "Gather"), "gather");

        assert_eq!(claimed("matmul", binary("MatMul", &[2, 3], &[3, 2], &[2, 2]), &[6, 6], "EinSum"), "einsum");
    }
}
