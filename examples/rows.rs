//! Where a compiled model's rows go: the nodes that take the most, with their op and output size.
//! `cargo run --release --example rows -- build/ [N]`
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let compiled = zkinfer::compile::Compiled::load(std::path::Path::new(&args[1])).unwrap();
    let top: usize = args.get(2).and_then(|n| n.parse().ok()).unwrap_or(20);
    let layout = &compiled.layout;
    let mut nodes: Vec<(usize, usize)> = layout.node_rows.iter().copied().enumerate().collect();
    nodes.sort_by_key(|&(_, r)| std::cmp::Reverse(r));
    let mut cs = halo2_proofs::plonk::ConstraintSystem::<halo2_proofs::halo2curves::bn256::Fr>::default();
    let _ = <zkinfer::circuit::ModelCircuit as halo2_proofs::plonk::Circuit<_>>::configure_with_params(
        &mut cs,
        zkinfer::circuit::ModelCircuit::params_of(layout),
    );
    println!(
        "{} rows, {} product checks, degree {}, {} advice, {} fixed, {} lookups",
        layout.rows,
        layout.products.len(),
        cs.degree(),
        cs.num_advice_columns(),
        cs.num_fixed_columns(),
        cs.lookups().len()
    );
    for (id, rows) in nodes.into_iter().take(top) {
        let node = &compiled.model.nodes[id];
        let op = format!("{:?}", node.op);
        let op = op.split([' ', '{', '(']).next().unwrap_or("");
        println!(
            "{rows:>9} {:>6.1}%  {op:<10} {:>8} outputs  {}",
            100.0 * rows as f64 / layout.rows as f64,
            layout.node_wires[id].len(),
            node.name
        );
    }
}
