//! Op coverage, one family per test: corpus models whose ops are affine in their variable inputs
//! (Conv, ConvTranspose, Pad, Slice, pooling by averaging, batch norm, Trilu…), piecewise linear
//! (Clip, LeakyRelu, Abs, HardSigmoid), pointwise non-linear (by lookup table), comparisons and
//! boolean logic, non-affine reductions and computed gathers must pass end to end; and smooth
//! non-linear ops must never be misread as affine.

mod common;

use zkinfer::conformance;

fn assert_all_pass(names: &[&str]) {
    if common::corpus().is_none() {
        return;
    }
    for name in names {
        let o = check(name);
        assert!(o.passed, "{name}: {} (max rel err {:?})", o.status, o.max_rel_error);
    }
}

fn check(name: &str) -> conformance::Outcome {
    let corpus = common::corpus().expect("checked by caller");
    conformance::run_one(&corpus.join(name), &common::scratch(&format!("ops-{name}")))
}

#[test]
fn affine_ops_pass_end_to_end() {
    assert_all_pass(&[
        "1l_conv",
        "1l_conv_transpose",
        "1l_pad",
        "1l_slice",
        "1l_average",
        "1l_batch_norm",
        "1l_downsample",
        "tril",
        "1l_div",
        "4l_relu_conv_fc",
        "ltsf",
        "1l_mean",
    ]);
}

/// Piecewise-linear ops lowered to relus: Clip (Max/Min with constants), LeakyRelu, Abs
/// (ReduceL1), HardSigmoid, and running maxima for MaxPool, ReduceMax, ReduceMin.
#[test]
fn piecewise_linear_ops_pass_end_to_end() {
    assert_all_pass(&["clip", "1l_leakyrelu", "reducel1", "hard_sigmoid", "1l_max_pool", "max", "min"]);
}

/// Products of two activations (here LeNet-5's square activations) through the product gadget.
#[test]
fn products_pass_end_to_end() {
    assert_all_pass(&["lenet_5"]);
}

/// Pointwise functions and chains of them (GELU, ELU, softplus, rounding, x mod c) as one table.
#[test]
fn pointwise_functions_pass_end_to_end() {
    assert_all_pass(&[
        "1l_sigmoid",
        "1l_tanh",
        "1l_erf",
        "1l_gelu_noappx",
        "1l_elu",
        "exp",
        "log",
        "1l_sqrt",
        "rsqrt",
        "softplus",
        "rounding_ops",
        "remainder",
        "trig",
        "1l_where",
    ]);
}

/// Comparisons and boolean ops between activations, argmax, softmax, normalisations.
#[test]
fn logic_and_reductions_pass_end_to_end() {
    assert_all_pass(&["less", "boolean", "hard_max", "1l_softmax", "1l_var", "layernorm", "prelu_gmm"]);
}

/// Gathers with computed indices: tree ensembles exported as tensor programs.
#[test]
fn tree_ensembles_pass_end_to_end() {
    assert_all_pass(&["decision_tree", "random_forest", "lightgbm", "hummingbird_decision_tree"]);
}

/// Sorting (TopK), scatters and gathers of computed data, recurrent cells, matmuls of two
/// activations.
#[test]
fn indexing_recurrence_and_bilinear_pass_end_to_end() {
    assert_all_pass(&[
        "1l_topk",
        "scatter_nd",
        "scatter_elements",
        "gather_elements",
        "gru",
        "lstm",
        "rnn",
        "large_op_graph",
    ]);
}

#[test]
fn non_affine_ops_are_not_probed_as_affine() {
    let Some(corpus) = common::corpus() else { return };
    // Sigmoid and Tanh are smooth non-linear: the importer must table them, never read them
    // off as an affine map.
    for name in ["1l_sigmoid", "1l_tanh"] {
        let m = corpus.join(name);
        let x = zkinfer::compile::read_input(&m.join("input.json")).unwrap();
        let (g, _) =
            zkinfer::onnx::import(&m.join("network.onnx"), &x.iter().map(|v| v.len()).collect::<Vec<_>>()).unwrap();
        assert!(g.nodes.iter().any(|n| matches!(n.op, zkinfer::graph::Op::Map { .. })), "{name}: no table");
        assert!(!g.nodes.iter().any(|n| matches!(n.op, zkinfer::graph::Op::Affine { .. })), "{name}: read as affine");
    }
}
