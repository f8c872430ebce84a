//! Conv and ConvTranspose read off tract's node: kernel, strides, dilations, paddings, groups and
//! the output extent come from the op and its facts, the weights and bias from its constant
//! inputs. Nothing is probed, so a convolution costs its geometry, not a dense matrix of its
//! input by its output (a 3×64×64 image through 32 channels is a 12,288 × 131,072 map).

use super::steps::{Src, Step};
use crate::graph::conv::Conv;
use crate::graph::Op;
use tract_onnx::prelude::*;
use tract_onnx::tract_core::ops::cnn::{Conv as TractConv, Deconv, KernelFormat};
use tract_onnx::tract_core::ops::nn::DataFormat;

/// The node as one `Op::Conv`, when it is a float Conv or ConvTranspose of one variable input
/// with constant weights (and bias), in a layout this reads (channels first, OIHW weights).
pub(super) fn lower(model: &TypedModel, node: &TypedNode, vars: &[OutletId], shape: &[usize]) -> Option<Vec<Step>> {
    if vars.len() != 1 || node.inputs.first() != Some(&vars[0]) {
        return None;
    }
    let (spec, groups, adjustments) = if let Some(op) = node.op_as::<TractConv>() {
        (op.q_params.is_none() && op.kernel_fmt == KernelFormat::OIHW).then_some((&op.pool_spec, op.group, None))?
    } else {
        let op = node.op_as::<Deconv>()?;
        (op.kernel_format == KernelFormat::OIHW).then_some((&op.pool_spec, op.group, Some(op.adjustments.clone())))?
    };
    let batched = match spec.data_format {
        DataFormat::NCHW => true,
        DataFormat::CHW => false,
        _ => return None,
    };
    let x = super::shape_of(model, vars[0]);
    let (lead, rank) = (1 + batched as usize, x.len().checked_sub(1 + batched as usize)?);
    if rank == 0 || shape.len() != x.len() {
        return None;
    }
    let input = x[lead..].to_vec();
    let (strides, dilations) = (spec.strides().to_vec(), spec.dilations().to_vec());
    let pads: Vec<usize> = match &adjustments {
        Some(adj) => spec.padding.compute_for_deconv(&input, &spec.kernel_shape, &dilations, &strides, adj).ok()?,
        None => spec.computed_padding(&input).into_iter().collect(),
    }
    .iter()
    .map(|d| d.pad_before)
    .collect();
    let geometry = Conv {
        batch: if batched { x[0] } else { 1 },
        groups,
        c_in: x[lead - 1],
        c_out: shape[lead - 1],
        input,
        output: shape[lead..].to_vec(),
        kernel: spec.kernel_shape.to_vec(),
        strides,
        dilations,
        pads,
        transpose: adjustments.is_some(),
    };
    let weight = super::const_of(model, *node.inputs.get(1)?)?;
    let bias = match node.inputs.get(2) {
        Some(&b) => super::const_of(model, b)?,
        None => vec![0.0],
    };
    let bias = match bias.len() {
        1 => vec![bias[0]; geometry.c_out],
        n if n == geometry.c_out => bias,
        _ => return None,
    };
    if !geometry.valid() || weight.len() != geometry.weights() || (batched && shape[0] != geometry.batch) {
        return None;
    }
    Some(vec![Step { op: Op::Conv { geometry, weight, bias }, inputs: vec![Src::Var(0)] }])
}

#[cfg(test)]
mod tests {
    use crate::graph::Op;
    use crate::onnx::write::{attr_int, attr_ints, dims, GraphBuilder};
    use tract_onnx::pb::AttributeProto;

    struct Case {
        name: &'static str,
        op: &'static str,
        x: Vec<usize>,
        w: Vec<usize>,
        bias: bool,
        attrs: Vec<AttributeProto>,
        out: Vec<usize>,
    }

    fn attr_str(name: &str, s: &str) -> AttributeProto {
        AttributeProto { name: name.into(), r#type: 3, s: s.as_bytes().to_vec(), ..Default::default() }
    }

    /// Each geometry is read off the node (no probe) and evaluates as tract does on random
    /// inputs: strides, dilations, asymmetric and automatic pads, groups, batches, 1-D, and
    /// transposed convolutions with output padding.
    #[test]
    fn convolutions_are_read_structurally_and_match_tract() {
        let cases = vec![
            Case {
                name: "strided dilated padded",
                op: "Conv",
                x: vec![1, 3, 9, 8],
                w: vec![4, 3, 3, 3],
                bias: true,
                attrs: vec![
                    attr_ints("strides", &[2, 1]),
                    attr_ints("pads", &[1, 0, 1, 2]),
                    attr_ints("dilations", &[1, 2]),
                ],
                out: vec![1, 4, 5, 6],
            },
            Case {
                name: "grouped batch",
                op: "Conv",
                x: vec![2, 4, 6, 6],
                w: vec![6, 2, 3, 3],
                bias: true,
                attrs: vec![attr_int("group", 2), attr_ints("pads", &[1, 1, 1, 1])],
                out: vec![2, 6, 6, 6],
            },
            Case {
                name: "same upper, no bias",
                op: "Conv",
                x: vec![1, 2, 7, 7],
                w: vec![3, 2, 3, 3],
                bias: false,
                attrs: vec![attr_str("auto_pad", "SAME_UPPER"), attr_ints("strides", &[2, 2])],
                out: vec![1, 3, 4, 4],
            },
            Case {
                name: "1-d",
                op: "Conv",
                x: vec![1, 2, 10],
                w: vec![3, 2, 4],
                bias: true,
                attrs: vec![attr_ints("strides", &[3])],
                out: vec![1, 3, 3],
            },
            Case {
                name: "transposed",
                op: "ConvTranspose",
                x: vec![1, 4, 3, 3],
                w: vec![4, 2, 5, 5],
                bias: true,
                attrs: vec![attr_ints("strides", &[2, 2]), attr_ints("pads", &[1, 1, 2, 2])],
                out: vec![1, 2, 6, 6],
            },
            Case {
                name: "transposed grouped, output padding",
                op: "ConvTranspose",
                x: vec![1, 4, 3, 3],
                w: vec![4, 1, 3, 3],
                bias: true,
                attrs: vec![
                    attr_int("group", 2),
                    attr_ints("strides", &[2, 2]),
                    attr_ints("pads", &[1, 1, 1, 1]),
                    attr_ints("output_padding", &[1, 1]),
                ],
                out: vec![1, 2, 6, 6],
            },
        ];
        let dir = std::env::temp_dir().join(format!("zkinfer-conv-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for (n, case) in cases.into_iter().enumerate() {
            let value =
                |len: usize, seed: usize| (0..len).map(move |i| ((i * 37 + seed * 11) % 23) as f32 / 11.0 - 1.0);
            let mut g = GraphBuilder::new(13);
            let x = g.input(&dims(&case.x));
            let w = g.constant(&case.w, value(case.w.iter().product(), n).collect());
            let c_out = case.out[1];
            let b = if case.bias { g.constant(&[c_out], value(c_out, n + 7).collect()) } else { String::new() };
            let inputs: Vec<&str> = if case.bias { vec![&x, &w, &b] } else { vec![&x, &w] };
            let y = g.op(case.op, &inputs, case.attrs);
            g.output(&y, &dims(&case.out));
            let path = dir.join(format!("{n}.onnx"));
            crate::onnx::write::save(&g.build(), &path).unwrap();
            let len: usize = case.x.iter().product();
            let (graph, typed) = crate::onnx::import(&path, &[len]).unwrap();
            assert!(graph.nodes.iter().any(|n| matches!(n.op, Op::Conv { .. })), "{}: not read as a Conv", case.name);
            for seed in 0..3 {
                let input: Vec<f32> = value(len, 100 + seed).map(|v| v * (1 + seed) as f32).collect();
                let want = crate::onnx::tract_run(&typed, std::slice::from_ref(&input)).unwrap();
                let got = graph.eval_f32(&[input]);
                assert_eq!(got[0].len(), case.out.iter().product::<usize>(), "{}", case.name);
                for (a, b) in got[0].iter().zip(&want[0]) {
                    assert!((a - b).abs() < 1e-4 * b.abs().max(1.0), "{}: {a} where tract computes {b}", case.name);
                }
            }
        }
    }
}
