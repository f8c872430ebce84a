//! Prints tract's decluttered graph of an ONNX model: `cargo run --example inspect -- model.onnx 1,3`.
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let lens: Vec<usize> = args[2].split(',').map(|s| s.parse().unwrap()).collect();
    let m = zkinfer::onnx::load_typed(std::path::Path::new(&args[1]), &lens).unwrap();
    for n in m.nodes() {
        let facts: Vec<String> = n.inputs.iter().map(|o| { let f = m.outlet_fact(*o).unwrap(); format!("{:?}{:?}", f.shape, f.datum_type) }).collect();
        println!("{:>3} {:<30} {:<12} in={:?} {:?} -> {:?}", n.id, n.name, n.op.name(), n.inputs, facts, n.outputs[0].fact.shape);
        if n.op.name() == "EinSum" { println!("      {:?}", n.op); }
    }
}
