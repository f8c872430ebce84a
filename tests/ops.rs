//! Op coverage through the affine probe and the piecewise-linear lowering: corpus models whose
//! ops are affine in their variable inputs (Conv, ConvTranspose, Pad, Slice, pooling by
//! averaging, batch norm, Trilu…) or piecewise linear (Clip, LeakyRelu, Abs, HardSigmoid) must
//! pass end to end, and smooth non-linear ops must stay unsupported rather than be misread.

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
        "1l_conv", "1l_conv_transpose", "1l_pad", "1l_slice", "1l_average", "1l_batch_norm", "1l_downsample", "tril",
        "1l_div", "4l_relu_conv_fc", "ltsf", "1l_mean",
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

#[test]
fn non_affine_ops_are_not_probed_as_affine() {
    if common::corpus().is_none() {
        return;
    }
    // Sigmoid and Tanh are smooth non-linear; the eltwise Div multiplies two activations.
    for name in ["1l_sigmoid", "1l_eltwise_div", "1l_tanh"] {
        let o = check(name);
        assert!(o.status.starts_with("unsupported"), "{name}: {}", o.status);
    }
}
