//! Debugging aid for importing a model: prints tract's decluttered graph, and with an input file
//! compares every IR node with the tract node of the same name on that input.
//! `cargo run --example inspect -- model.onnx 1,3 [input.json]`
use tract_onnx::prelude::*;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let path = std::path::Path::new(&args[1]);
    let lens: Vec<usize> = args[2].split(',').filter(|s| !s.is_empty()).map(|s| s.parse().unwrap()).collect();
    let m = zkinfer::onnx::load_typed(path, &lens).unwrap();
    print_model(&m, "");
    let Some(input) = args.get(3) else { return };
    compare(path, &lens, input);
}

/// Prints every node, and the body of each Scan (a multi-step recurrence) indented under it.
fn print_model(m: &TypedModel, indent: &str) {
    use tract_onnx::tract_core::ops::scan::Scan;
    for n in m.nodes() {
        let facts: Vec<String> = n
            .inputs
            .iter()
            .map(|o| {
                let f = m.outlet_fact(*o).unwrap();
                format!("{:?}{:?}", f.shape, f.datum_type)
            })
            .collect();
        println!(
            "{indent}{:>3} {:<30} {:<12} in={:?} {:?} -> {:?}",
            n.id,
            n.name,
            n.op.name(),
            n.inputs,
            facts,
            n.outputs[0].fact.shape
        );
        if let (Some(k), true) =
            (n.outputs[0].fact.konst.as_ref(), n.outputs[0].fact.shape.iter().product::<TDim>() == 1.into())
        {
            println!("{indent}      = {:?}", k);
        }
        if n.op.name() == "EinSum" {
            println!("{indent}      {:?}", n.op);
        }
        if let Some(scan) = n.op_as::<Scan>() {
            println!("{indent}      inputs {:?}", scan.input_mapping);
            println!("{indent}      outputs {:?} skip {}", scan.output_mapping, scan.skip);
            print_model(&scan.body, &format!("{indent}      | "));
        }
    }
}

fn compare(path: &std::path::Path, lens: &[usize], input: &str) {
    let x = zkinfer::compile::read_input(std::path::Path::new(input)).unwrap();
    let (g, typed) = zkinfer::onnx::import(path, lens).unwrap();
    let ours = g.eval_all_f32(&x);
    let mut t = (*typed).clone();
    let outlets: Vec<OutletId> =
        t.nodes().iter().filter(|n| n.outputs.len() == 1).map(|n| OutletId::new(n.id, 0)).collect();
    t.select_output_outlets(&outlets).unwrap();
    let theirs = zkinfer::onnx::tract_run(&t, &x).unwrap();
    let watch: Vec<String> = std::env::var("INSPECT_NODES")
        .unwrap_or_default()
        .split(',')
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();
    for (id, node) in g.nodes.iter().enumerate() {
        if watch.iter().any(|w| node.name.contains(w.as_str())) {
            println!(
                "NODE {id} {:<30} {} inputs {:?} = {:?}",
                node.name,
                node.op_name(),
                node.inputs,
                &ours[id][..ours[id].len().min(8)]
            );
        }
        if let Some(k) = outlets.iter().position(|o| t.node(o.node).name == node.name) {
            let (a, b) = (&ours[id], &theirs[k]);
            let diff = a.iter().zip(b).map(|(p, q)| (p - q).abs()).fold(0f32, f32::max);
            if a.len() != b.len() || diff > 1e-4 {
                println!(
                    "DIFFERS {:<30} {:?} ours {:?} tract {:?}",
                    node.name,
                    node.op_name(),
                    &a[..a.len().min(6)],
                    &b[..b.len().min(6)]
                );
            }
        }
    }
}
