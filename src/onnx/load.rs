//! Loading an ONNX file into tract's typed, decluttered graph, robustly: a file that is valid ONNX
//! must never be reported as malformed because tract's shape inference or one of its graph
//! rewrites failed on it. Rewrites are optional, so a failing one is skipped; shapes are retried
//! with the batch the input file implies; what still fails is reported as tract's limitation,
//! naming the node.

use crate::error::{Error, Result};
use std::collections::HashMap;
use std::path::Path;
use tract_onnx::pb::{tensor_proto::DataType, GraphProto, ModelProto, TensorProto};
use tract_onnx::prelude::tract_data::internal::DimLike;
use tract_onnx::prelude::*;
use tract_onnx::tract_core::ops::dummy::Dummy;
use tract_onnx::tract_core::optim::{Optimizer, OptimizerSession, TypedPass};
use tract_onnx::tract_hir::infer::Factoid;

/// Only for bytes that do not decode as an ONNX protobuf with a graph.
pub(crate) fn malformed(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::MalformedOnnx { path: path.into(), reason: format!("{e:#}") }
}

/// tract-linalg 0.23.9's AMX int8 matmul kernel (`avx512amx_mmm_i32_16x16`) loads its B operand
/// 64 k at a time (a 16×64-byte tile), but tract pads that operand only to a multiple of 4 along
/// k, so the last load reads up to 960 bytes past the allocation and segfaults when they fall on
/// an unmapped page (seen on `random_forest`'s tree matmuls, about one process in three). The
/// VNNI kernels compute the same integers, so the AMX ones are taken out of tract's kernel pool,
/// after any edit the user asked for in `TRACT_CPU_ISA`. It must run
/// before tract first probes the machine, which every path does through [`read_proto`].
fn avoid_amx_kernels() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        const NO_AMX: &str = "-amx-int8,-amx-bf16";
        let edits = match std::env::var("TRACT_CPU_ISA") {
            Ok(user) if !user.is_empty() => format!("{user},{NO_AMX}"),
            _ => NO_AMX.to_string(),
        };
        tract_onnx::tract_core::tract_linalg::knobs::TRACT_CPU_ISA.set(Some(edits));
    });
}

/// Decodes the protobuf: the one step whose failure means the file is not ONNX.
fn read_proto(path: &Path) -> Result<ModelProto> {
    avoid_amx_kernels();
    let bytes = crate::artifact::read(path)?;
    let mut proto = tract_onnx::onnx().proto_model_for_read(&mut &bytes[..]).map_err(|e| malformed(path, e))?;
    let Some(graph) = proto.graph.as_mut() else { return Err(malformed(path, "the protobuf holds no graph")) };
    sort_squeeze_axes(graph);
    check_transpose_perms(path, graph)?;
    Ok(proto)
}

/// tract 0.23 loops without end, allocating until the process dies, on a Transpose whose `perm`
/// is not a permutation (found by fuzzing, fuzz/regressions/onnx_bytes); ONNX requires one.
fn check_transpose_perms(path: &Path, graph: &GraphProto) -> Result<()> {
    for node in graph.node.iter().filter(|n| n.op_type == "Transpose") {
        for a in node.attribute.iter().filter(|a| a.name == "perm") {
            let mut sorted = a.ints.clone();
            sorted.sort_unstable();
            if sorted.iter().enumerate().any(|(i, &p)| p != i as i64) {
                let reason = format!("node `{}`: Transpose perm {:?} is not a permutation", node.name, a.ints);
                return Err(Error::BadInput { path: path.into(), reason });
            }
        }
    }
    Ok(())
}

/// tract 0.23's Squeeze removes its axes from the last listed to the first, as if they were
/// ascending, and panics on `axes = [3, 1]`, which ONNX allows: list them ascending (when all
/// have one sign, which orders them without knowing the rank).
fn sort_squeeze_axes(graph: &mut GraphProto) {
    let sorted = |axes: &[i64]| {
        let mut s = axes.to_vec();
        s.sort_unstable();
        (s != axes && (axes.iter().all(|&a| a >= 0) || axes.iter().all(|&a| a < 0))).then_some(s)
    };
    let consts: HashMap<String, Vec<i64>> = graph
        .initializer
        .iter()
        .filter_map(|t| Some((t.name.clone(), int64s(t)?)))
        .chain(graph.node.iter().filter(|n| n.op_type == "Constant").filter_map(|n| {
            let t = n.attribute.iter().find(|a| a.name == "value")?.t.as_ref()?;
            Some((n.output.first()?.clone(), int64s(t)?))
        }))
        .collect();
    let mut added = vec![];
    for node in graph.node.iter_mut().filter(|n| n.op_type == "Squeeze") {
        for a in node.attribute.iter_mut().filter(|a| a.name == "axes") {
            if let Some(s) = sorted(&a.ints) {
                a.ints = s;
            }
        }
        let Some(s) = node.input.get(1).and_then(|name| consts.get(name)).and_then(|axes| sorted(axes)) else {
            continue;
        };
        let name = format!("{}.ascending", node.input[1]);
        added.push(TensorProto {
            name: name.clone(),
            dims: vec![s.len() as i64],
            data_type: DataType::Int64 as i32,
            int64_data: s,
            ..Default::default()
        });
        node.input[1] = name;
    }
    graph.initializer.extend(added);
}

/// An int64 tensor's values, from either of its encodings.
fn int64s(t: &TensorProto) -> Option<Vec<i64>> {
    if t.data_type != DataType::Int64 as i32 {
        return None;
    }
    if !t.int64_data.is_empty() || t.raw_data.is_empty() {
        return Some(t.int64_data.clone());
    }
    Some(t.raw_data.chunks_exact(8).map(|c| i64::from_le_bytes(c.try_into().unwrap())).collect())
}

/// Parses into tract's inference model (or names the node tract could not build). tract 0.23
/// indexes its value map with the names the file gives, so an output or input naming a value
/// nothing produces panics inside it (found by fuzzing, fuzz/regressions/onnx_bytes).
fn parse(path: &Path, proto: &ModelProto, ignore_value_info: bool) -> Result<InferenceModel> {
    // Weights stored as external data are found relative to the model's folder, as onnxruntime
    // finds them; a missing data file is then named as such.
    let dir = path.parent().and_then(|d| d.to_str()).map(|d| if d.is_empty() { "." } else { d });
    // tract indexes its value map with names no node produces on some damaged files (found by
    // fuzzing): its panic is an import error.
    let parsed = without_panics(|| tract_onnx::onnx().with_ignore_value_info(ignore_value_info).parse(proto, dir));
    let parsed = parsed.map_err(|e| {
        let missing = external_data(proto).into_iter().find(|f| !path.with_file_name(f).exists());
        match missing {
            Some(f) => Error::BadInput {
                path: path.into(),
                reason: format!(
                    "its weights are stored in an external data file, {}, which is missing: put it beside the model \
                     (or re-export with the weights inside the .onnx)",
                    path.with_file_name(f).display()
                ),
            },
            None => tract_failed(path, proto, "build its graph from the file", e),
        }
    })?;
    if !parsed.unresolved_inputs.is_empty() {
        return Err(Error::Import {
            path: path.into(),
            stage: "resolve every input of the graph".into(),
            node: None,
            reason: format!("unresolved: {}", parsed.unresolved_inputs.join(", ")),
        });
    }
    Ok(parsed.model)
}

/// The external data files the model's initializers name.
fn external_data(proto: &ModelProto) -> Vec<String> {
    let Some(graph) = proto.graph.as_ref() else { return vec![] };
    graph
        .initializer
        .iter()
        .flat_map(|t| t.external_data.iter().filter(|e| e.key == "location").map(|e| e.value.clone()))
        .collect()
}

/// The names of the model's inputs, in order.
pub fn input_names(path: &Path) -> Result<Vec<String>> {
    let proto = read_proto(path)?;
    let model = parse(path, &proto, false)?;
    let inputs = model.input_outlets().map_err(|e| tract_failed(path, &proto, "find the inputs", e))?;
    Ok(inputs.iter().map(|o| model.node(o.node).name.clone()).collect())
}

/// Loads `path` with the input shapes the input lengths give (batch 1 where the batch is open),
/// typed and decluttered as far as tract manages.
pub fn load_typed(path: &Path, input_lens: &[usize]) -> Result<TypedModel> {
    let proto = read_proto(path)?;
    let model = parse(path, &proto, false)?;
    let declared = model.input_outlets().map_err(|e| tract_failed(path, &proto, "find the inputs", e))?.len();
    if declared != input_lens.len() {
        // The input file's fault: `pipeline` names it.
        return Err(Error::Inputs(format!(
            "{} takes {declared} inputs but the input file has {}: give one array per model input",
            path.display(),
            input_lens.len()
        )));
    }
    let mut candidates: Vec<Vec<Vec<usize>>> = vec![vec![]];
    let mut symbolic = vec![];
    for (i, &len) in input_lens.iter().enumerate() {
        let fact = model.input_fact(i).map_err(|e| tract_failed(path, &proto, "read the input facts", e))?;
        let open = fact.shape.concretize().is_none_or(|d| d.iter().any(|d| d.to_usize().is_err()));
        if open {
            symbolic.push(format!("input {i}: {:?}", fact.shape));
        }
        let shapes = concrete_shapes(fact, len);
        if shapes.is_empty() {
            return Err(Error::Inputs(format!(
                "input {i} has {len} values, which does not fit the input shape {fact:?} of {}",
                path.display()
            )));
        }
        candidates =
            candidates.iter().flat_map(|c| shapes.iter().map(move |s| [c.clone(), vec![s.clone()]].concat())).collect();
    }
    // Batch 1 first, then the batch the lengths imply; each also without the file's value_info
    // (exporters leave stale intermediate shapes there that contradict the inputs).
    let mut first_error = None;
    for model in [model, parse(path, &proto, true)?] {
        for shapes in &candidates {
            match typed(model.clone(), shapes) {
                Ok(t) => return Ok(declutter(t)),
                Err(e) => {
                    first_error.get_or_insert((shapes.clone(), e));
                }
            }
        }
    }
    let Some((shapes, e)) = first_error else {
        return Err(Error::Internal(format!("{}: no input shape to try", path.display())));
    };
    let e = tract_failed(path, &proto, &format!("infer the shapes of the model with inputs of shapes {shapes:?}"), e);
    match (symbolic.is_empty(), &e) {
        // The shapes were guessed from open dimensions: the input, not tract, is what to fix.
        (false, Error::Import { node, reason, .. }) => Err(Error::BadInput {
            path: path.into(),
            reason: format!(
                "the model's input shapes are open ({}), and the input's lengths fix them only as {shapes:?}, which \
                 the model refuses{}: {}; give inputs of the lengths the model takes, or export it with fixed \
                 input shapes",
                symbolic.join("; "),
                node.as_ref().map(|n| format!(" at node `{n}`")).unwrap_or_default(),
                reason.split(": ").last().unwrap_or(reason).trim_end_matches('.')
            ),
        }),
        _ => Err(e),
    }
}

/// Types the model with these input shapes. With every input concrete, a dimension that is
/// still an expression without symbols (`broadcast(4, 3)`) is one tract could not resolve: the
/// shapes do not fit together there.
fn typed(mut model: InferenceModel, shapes: &[Vec<usize>]) -> TractResult<TypedModel> {
    for (i, shape) in shapes.iter().enumerate() {
        let fact = model.input_fact(i)?;
        let dt = fact.datum_type.concretize().unwrap_or(f32::datum_type());
        model.set_input_fact(i, InferenceFact::dt_shape(dt, shape.clone()))?;
    }
    let typed = without_panics(move || model.into_typed())?;
    for id in typed.eval_order()? {
        let node = typed.node(id);
        for out in &node.outputs {
            if out.fact.shape.iter().any(|d| d.as_i64().is_none() && d.symbols().is_empty()) {
                anyhow::bail!("{node}: its inputs' shapes do not fit together (output shape {:?})", out.fact.shape);
            }
        }
    }
    Ok(typed)
}

/// tract asserts on some inputs it should refuse: its panic becomes an error.
fn without_panics<T>(f: impl FnOnce() -> TractResult<T>) -> TractResult<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|panic| {
        let what = crate::error::panic_message(&*panic).unwrap_or_else(|| "unknown".into());
        anyhow::bail!("tract panicked: {what}")
    })
}

/// The declared shape with symbolic dimensions resolved, as candidates to try in order: batch 1
/// (one remaining unknown takes whatever makes the element count match), then the batch the
/// length implies when the first dimension is open and the others are known.
fn concrete_shapes(fact: &InferenceFact, len: usize) -> Vec<Vec<usize>> {
    let Some(dims) = fact.shape.concretize() else { return vec![vec![1, len]] };
    let dims: Vec<Option<usize>> = dims.iter().map(|d| d.to_usize().ok()).collect();
    let mut candidates = vec![];
    let mut batch_one = dims.clone();
    if batch_one.first() == Some(&None) {
        batch_one[0] = Some(1);
    }
    let known: usize = batch_one.iter().flatten().product();
    if batch_one.iter().filter(|d| d.is_none()).count() == 1 && known > 0 && len.is_multiple_of(known) {
        batch_one.iter_mut().filter(|d| d.is_none()).for_each(|d| *d = Some(len / known));
    }
    candidates.extend(batch_one.into_iter().collect::<Option<Vec<usize>>>());
    let rest: Option<Vec<usize>> = dims.iter().skip(1).copied().collect();
    if let (Some(None), Some(rest)) = (dims.first(), rest) {
        let known: usize = rest.iter().product();
        if known > 0 && len.is_multiple_of(known) {
            candidates.push([vec![len / known], rest].concat());
        }
    }
    candidates.dedup();
    candidates.retain(|s| s.iter().product::<usize>() == len);
    candidates
}

/// tract's declutter as far as it goes. Its rewrites only simplify, so a rewrite that fails is
/// skipped for its node (tract 0.23 cannot, for one, fold an `Expand` into the Gemm after it);
/// if a whole pass still fails, it is dropped. Some rewrites succeed but leave a graph tract
/// cannot evaluate (it folds `Flatten` into a one-output Gemm as an EinSum to a scalar that its
/// evaluator rejects): then every per-op rewrite is tried on a copy first and kept only if the
/// graph still runs. The typed model itself is the last resort.
fn declutter(model: TypedModel) -> TypedModel {
    let full = declutter_with(&model, false);
    if runs(&full) {
        return full;
    }
    let checked = declutter_with(&model, true);
    if runs(&checked) || !runs(&model) {
        return checked;
    }
    model
}

fn declutter_with(model: &TypedModel, checked: bool) -> TypedModel {
    let mut optimizer = Optimizer::declutter();
    for pass in optimizer.passes.iter_mut() {
        if format!("{pass:?}") == "declutter" {
            *pass = Box::new(TolerantDeclutter { from: 0, checked });
        }
    }
    loop {
        let mut attempt = model.clone();
        let e = match without_panics(|| optimizer.optimize(&mut attempt)) {
            Ok(()) => return attempt,
            Err(e) => e,
        };
        let failing = format!("{e:#}");
        let before = optimizer.passes.len();
        optimizer.passes.retain(|p| !failing.starts_with(&format!("running pass {p:?}:")));
        if optimizer.passes.len() == before || optimizer.passes.is_empty() {
            return model.clone();
        }
    }
}

/// Whether tract evaluates the model, on zeros.
fn runs(model: &TypedModel) -> bool {
    let attempt = || -> TractResult<()> {
        let mut inputs = TVec::new();
        for i in 0..model.inputs.len() {
            let fact = model.input_fact(i)?;
            let shape = fact.shape.as_concrete().ok_or_else(|| anyhow::anyhow!("symbolic input"))?;
            inputs.push(Tensor::zero_dt(fact.datum_type, shape)?.into_tvalue());
        }
        model.clone().into_runnable()?.run(inputs)?;
        Ok(())
    };
    without_panics(attempt).is_ok()
}

/// tract's per-op declutter pass, except that a node whose rewrite errors is left as it is, and
/// when `checked`, so is one whose rewritten graph tract cannot run.
#[derive(Clone)]
struct TolerantDeclutter {
    from: usize,
    checked: bool,
}

impl std::fmt::Debug for TolerantDeclutter {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "declutter")
    }
}

impl TypedPass for TolerantDeclutter {
    fn reset(&mut self) -> TractResult<()> {
        self.from = 0;
        Ok(())
    }

    fn next(&mut self, session: &mut OptimizerSession, model: &TypedModel) -> TractResult<Option<TypedModelPatch>> {
        for node in &model.nodes()[self.from.min(model.nodes().len())..] {
            if node.op_is::<Dummy>() {
                continue;
            }
            let Ok(Some(mut patch)) = node.op.declutter_with_session(session, model, node) else { continue };
            if self.checked {
                let mut patched = model.clone();
                if patch.clone().apply(&mut patched).is_err() || !runs(&patched) {
                    continue;
                }
            }
            patch.push_context(format!("declutter {node}"));
            self.from = node.id + patch.dont_apply_twice.is_some() as usize;
            return Ok(Some(patch));
        }
        Ok(None)
    }
}

/// A valid file tract could not handle: what it was doing, the node (as named in the file) and
/// the first line of each cause.
fn tract_failed(path: &Path, proto: &ModelProto, stage: &str, e: impl Into<anyhow::Error>) -> Error {
    let e: anyhow::Error = e.into();
    let chain: Vec<String> = e.chain().map(|c| c.to_string().lines().next().unwrap_or("").to_string()).collect();
    let reason = chain.join(": ");
    let node = chain.iter().find_map(|c| node_in(c)).map(|n| onnx_node_name(proto, &n));
    let reason = if reason.chars().count() > 400 {
        format!("{}…", reason.chars().take(400).collect::<String>())
    } else {
        reason
    };
    Error::Import { path: path.into(), stage: stage.into(), node, reason }
}

/// The node name in tract's rendering of a node, `#12 "name" Op`.
fn node_in(message: &str) -> Option<String> {
    let mut rest = message;
    while let Some(at) = rest.find('#') {
        rest = &rest[at + 1..];
        let digits = rest.chars().take_while(|c| c.is_ascii_digit()).count();
        if digits > 0 && rest[digits..].starts_with(" \"") {
            let name = &rest[digits + 2..];
            return name.find('"').map(|end| name[..end].to_string());
        }
    }
    None
}

/// tract names the nodes it derives from an ONNX node `name.suffix`: the file's own name is the
/// longest such prefix that a node of the file has.
fn onnx_node_name(proto: &ModelProto, tract_name: &str) -> String {
    let names: Vec<&str> = proto
        .graph
        .iter()
        .flat_map(|g| g.node.iter())
        .flat_map(|n| std::iter::once(n.name.as_str()).chain(n.output.iter().map(|o| o.as_str())))
        .collect();
    let mut name = tract_name;
    loop {
        if names.contains(&name) {
            return name.to_string();
        }
        match name.rfind('.') {
            Some(dot) => name = &name[..dot],
            None => return tract_name.to_string(),
        }
    }
}
