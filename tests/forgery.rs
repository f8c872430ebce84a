//! The forgeries an outside review made, replayed with real KZG proofs against the Rust verifier
//! (`pipeline::verify`) and the generated Solidity verifier on Anvil. Each test first proves an
//! honest witness through the same forging path (so the machinery is shown to produce proofs both
//! verifiers accept), then the forged one, which both must reject.
//!
//! The forger writes what a cheating prover controls: every advice cell, assigned by the layout or
//! not (`ModelCircuit::tamper`), and every wire after a moved one recomputed from it
//! (`Layout::witness_forced`).

mod common;

use alloy::primitives::U256;
use halo2_proofs::halo2curves::bn256::Fr;
use halo2_proofs::halo2curves::ff::Field;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use zkinfer::chain::{self, Client};
use zkinfer::circuit::layout::{Col, WireDef, WireId};
use zkinfer::circuit::privacy::{Privacy, Visibility, WeightsMode};
use zkinfer::circuit::{dot, poseidon, to_field, ModelCircuit};
use zkinfer::compile::{CompileOptions, Compiled};
use zkinfer::graph::{Graph, Node, Op};
use zkinfer::pipeline;
use zkinfer::prove::{self, ProofFile};

struct Target {
    dir: PathBuf,
    compiled: Compiled,
    verifier: alloy::primitives::Address,
}

async fn target(client: &Client, name: &str, graph: &Graph, calibration: &[Vec<f32>], opts: &CompileOptions) -> Target {
    let dir = common::scratch(&format!("forgery-{name}"));
    let mut compiled = Compiled::new(name, graph, &[calibration.to_vec()], opts).unwrap();
    compiled.save(&dir).unwrap();
    pipeline::setup(&dir, None).unwrap();
    let sol = pipeline::solidity(&dir, &dir.join("sol"), "ZkinferVerifier").unwrap();
    let verifier = client.deploy_verifier(sol.verifier_code().unwrap()).await.unwrap().verifier;
    Target { dir, compiled, verifier }
}

/// A real proof of whatever the circuit assigns, over these public values.
fn prove_raw(dir: &Path, circuit: ModelCircuit, public: &[Fr]) -> Vec<u8> {
    let (_, params, keys) = pipeline::load(dir).unwrap();
    prove::prove_circuit(&params, &keys, circuit, public).unwrap()
}

/// (Rust verifier accepts, generated verifier accepts).
async fn verdicts(client: &Client, t: &Target, proof: &[u8], public: &[Fr]) -> (bool, bool) {
    let file = ProofFile {
        proof: format!("0x{}", hex::encode(proof)),
        instances: public.iter().map(zkinfer::field::to_hex).collect(),
        outputs: vec![],
        model_hash: t.compiled.settings.model_hash.clone(),
        format: zkinfer::artifact::FORMAT,
        build: t.compiled.settings.build_hash(),
        k: t.compiled.settings.k,
        prove_seconds: 0.0,
        transcript: Default::default(),
        opening: Default::default(),
    };
    let rust = pipeline::verify(&t.dir, &file).is_ok();
    let words: Vec<U256> = chain::instances_u256(&file.instances).unwrap();
    let evm = client.verify_call(t.verifier, proof, &words).await.map(|(ok, _)| ok).unwrap_or(false);
    (rust, evm)
}

/// Proves the honest witness through the forging path (must verify), then the forgery (must not).
async fn attempt(
    client: &Client,
    t: &Target,
    inputs: &[Vec<f32>],
    forge: impl Fn(&Compiled, &[i128]) -> (Vec<i128>, Vec<(Col, usize, Fr)>),
) {
    let salts = vec![Fr::ZERO; t.compiled.layout.commitments.len()];
    let (honest, witness) = t.compiled.circuit_with_witness(inputs, &salts).unwrap();
    let public = t.compiled.public_values(&witness, &salts);
    let proof = prove_raw(&t.dir, honest.clone(), &public);
    assert_eq!(verdicts(client, t, &proof, &public).await, (true, true), "the honest proof must verify");

    let (forged, tamper) = forge(&t.compiled, &witness);
    let mut public_forged = t.compiled.public_values(&forged, &salts);
    // A tampered cell that the instance column reads is what the forger publishes.
    for (row, p) in t.compiled.layout.public.iter().enumerate() {
        if let zkinfer::circuit::privacy::Public::Wire(w) = p {
            if let Some(&(_, _, v)) = tamper.iter().find(|(c, r, _)| home(&t.compiled, *w) == Some((*c, *r))) {
                public_forged[row] = v;
            }
        }
    }
    assert_ne!(public_forged, public, "the forgery must claim something else");
    let circuit = ModelCircuit { witness: Some(Arc::new(forged)), tamper, ..honest };
    let proof = prove_raw(&t.dir, circuit, &public_forged);
    assert_eq!(verdicts(client, t, &proof, &public_forged).await, (false, false), "a forged proof was accepted");
}

fn home(c: &Compiled, wire: WireId) -> Option<(Col, usize)> {
    c.layout.advice.iter().find(|(_, _, w)| *w == wire).map(|&(col, row, _)| (col, row))
}

fn cells_of(c: &Compiled, wire: WireId, v: Fr) -> Vec<(Col, usize, Fr)> {
    c.layout.advice.iter().filter(|(_, _, w)| *w == wire).map(|&(col, row, _)| (col, row, v)).collect()
}

fn mlp(k: usize, n: usize, weight: Vec<f32>) -> Graph {
    Graph {
        nodes: vec![
            Node { name: "x".into(), op: Op::Input { index: 0 }, inputs: vec![], shape: vec![1, k] },
            Node {
                name: "fc".into(),
                op: Op::Dense { k, n, weight, bias: vec![0.25; n] },
                inputs: vec![0],
                shape: vec![1, n],
            },
        ],
        inputs: vec![0],
        outputs: vec![1],
    }
}

/// Finding 1: a dot row with fewer pairs than slots. The forger writes x·y into the first unused
/// slot, moving the accumulator of output 0 by +3.0, and recomputes the rescale after it; the
/// weights (and so the model's commitment) are unchanged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dot_gate_unused_slot() {
    let anvil = chain::spawn_anvil().expect("anvil (run `make deps`)");
    let client = Client::connect(&anvil.endpoint()).await.unwrap();
    let hashed = Privacy { weights: WeightsMode::Hashed, ..Default::default() };
    let opts = CompileOptions { lanes: Some(4), scale_bits: Some(8), privacy: hashed, ..Default::default() };
    // 4 inputs + the bias pair = 5 pairs: rows of 2, 2 and 1, so the last row has a free slot.
    let graph = mlp(4, 2, (0..8).map(|i| i as f32 / 8.0 - 0.5).collect());
    let x = vec![0.5, -0.25, 0.75, 1.0];
    let t = target(&client, "dot", &graph, std::slice::from_ref(&x), &opts).await;
    attempt(&client, &t, std::slice::from_ref(&x), |c, w| {
        let layout = &c.layout;
        let out = layout.node_wires[1][0];
        let WireDef::Quotient { acc } = layout.wires[out] else { panic!("fc output is a rescale") };
        let WireDef::Dot { pairs, .. } = &layout.wires[acc] else { panic!("hashed weights use the dot gadget") };
        let slot = pairs.len();
        assert!(slot < dot::pairs_per_row(layout.lanes), "the last row must have an unused slot");
        let (_, row) = home(c, acc).unwrap();
        let s = layout.scale_bits;
        let inputs = c.model.quantize_inputs(&[vec![0.5, -0.25, 0.75, 1.0]]).unwrap();
        let forged = layout.witness_forced(&c.model, &inputs, &[(acc, w[acc] + (3 << (2 * s)))]).unwrap();
        let tamper =
            vec![(Col::Advice(2 * slot), row, to_field(3 << s)), (Col::Advice(2 * slot + 1), row, to_field(1 << s))];
        (forged, tamper)
    })
    .await;
}

/// Finding 3: an input that is no fixed-point number. x = ½ (mod r) through y = 2.0·x gives an
/// output one step wide, which no representable x can; public and private inputs alike.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn input_outside_fixed_point() {
    let anvil = chain::spawn_anvil().expect("anvil (run `make deps`)");
    let client = Client::connect(&anvil.endpoint()).await.unwrap();
    for input in [Visibility::Public, Visibility::Private] {
        let privacy = Privacy { input, ..Default::default() };
        let opts = CompileOptions { lanes: Some(4), scale_bits: Some(8), privacy, ..Default::default() };
        let graph = Graph {
            nodes: vec![
                Node { name: "x".into(), op: Op::Input { index: 0 }, inputs: vec![], shape: vec![1, 1] },
                Node {
                    name: "y".into(),
                    op: Op::Dense { k: 1, n: 1, weight: vec![2.0], bias: vec![0.0] },
                    inputs: vec![0],
                    shape: vec![1, 1],
                },
            ],
            inputs: vec![0],
            outputs: vec![1],
        };
        let t = target(&client, &format!("input-{input:?}"), &graph, &[vec![0.5]], &opts).await;
        attempt(&client, &t, &[vec![0.0]], |c, _| {
            let layout = &c.layout;
            let x = layout.node_wires[0][0];
            let y = layout.node_wires[1][0];
            let WireDef::Quotient { acc } = layout.wires[y] else { panic!("y is a rescale") };
            let half = Fr::from(2).invert().unwrap();
            let inputs = vec![vec![0i128]];
            // acc = 2·2^s·x = 2^s at x = ½: one step after the rescale.
            let forged = layout.witness_forced(&c.model, &inputs, &[(acc, 1 << layout.scale_bits)]).unwrap();
            assert_eq!(forged[y], 1);
            (forged, cells_of(c, x, half))
        })
        .await;
    }
}

/// Finding 6: the zero that pads an odd number of messages. The forger absorbs 7 instead, so the
/// published output commitment is not `commit(outputs)`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commitment_padding() {
    let anvil = chain::spawn_anvil().expect("anvil (run `make deps`)");
    let client = Client::connect(&anvil.endpoint()).await.unwrap();
    let privacy = Privacy { output: Visibility::Hashed, ..Default::default() };
    let opts = CompileOptions { lanes: Some(4), scale_bits: Some(8), privacy, ..Default::default() };
    let graph = mlp(2, 3, vec![0.5, -0.25, 1.0, 0.75, 0.125, -1.0]);
    let x = vec![0.5, -0.75];
    let t = target(&client, "pad", &graph, std::slice::from_ref(&x), &opts).await;
    let n = t.compiled.layout.commitments[0].messages();
    assert_eq!(n % 2, 1, "an odd message count has a pad");
    let outputs: Vec<Fr> = {
        let salts = vec![Fr::ZERO];
        let (_, w) = t.compiled.circuit_with_witness(std::slice::from_ref(&x), &salts).unwrap();
        t.compiled.layout.messages(0, &w, &salts)
    };
    let mut padded = outputs.clone();
    padded.push(Fr::from(7));
    let forged_commitment = poseidon::sponge(Fr::from(n as u64), &padded);
    assert_ne!(forged_commitment, poseidon::commit(&outputs));
    let row = (n / 2) * poseidon::ROWS_PER_PERMUTATION;
    // The sponge re-solves from a tampered message cell (as a prover choosing it would).
    let salts = vec![Fr::ZERO];
    let (honest, witness) = t.compiled.circuit_with_witness(std::slice::from_ref(&x), &salts).unwrap();
    let public = t.compiled.public_values(&witness, &salts);
    assert_eq!(verdicts(&client, &t, &prove_raw(&t.dir, honest.clone(), &public), &public).await, (true, true));
    let mut forged_public = public.clone();
    *forged_public.last_mut().unwrap() = forged_commitment;
    let circuit = ModelCircuit { tamper: vec![(Col::Hash(4), row, Fr::from(7))], ..honest };
    let proof = prove_raw(&t.dir, circuit, &forged_public);
    assert_eq!(verdicts(&client, &t, &proof, &forged_public).await, (false, false), "a padded commitment was accepted");
}

/// Found by an attacker helper after the first fixes: a private weight is the prover's to choose,
/// and unbounded it is any field element. With w = 1/3 (mod r), y = w·x over x = (3.0, 0.0)
/// differs by one step between the two rows, which no integer weight can give (3w is always a
/// multiple of 3). Every cell of the weight is written, the packing gadget's copy included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_weight_outside_fixed_point() {
    let anvil = chain::spawn_anvil().expect("anvil (run `make deps`)");
    let client = Client::connect(&anvil.endpoint()).await.unwrap();
    let privacy = Privacy { weights: WeightsMode::Private, ..Default::default() };
    let opts = CompileOptions { lanes: Some(4), scale_bits: Some(8), privacy, ..Default::default() };
    let graph = Graph {
        nodes: vec![
            Node { name: "x".into(), op: Op::Input { index: 0 }, inputs: vec![], shape: vec![2, 1] },
            Node {
                name: "y".into(),
                op: Op::Dense { k: 1, n: 1, weight: vec![1.0], bias: vec![0.0] },
                inputs: vec![0],
                shape: vec![2, 1],
            },
        ],
        inputs: vec![0],
        outputs: vec![1],
    };
    let x = vec![3.0, 0.0];
    let t = target(&client, "private-weight", &graph, std::slice::from_ref(&x), &opts).await;
    attempt(&client, &t, std::slice::from_ref(&x), |c, _| {
        let layout = &c.layout;
        let accs: Vec<WireId> = layout.node_wires[1]
            .iter()
            .map(|&y| match layout.wires[y] {
                WireDef::Quotient { acc } => acc,
                _ => panic!("y is a rescale"),
            })
            .collect();
        let WireDef::Dot { pairs, .. } = &layout.wires[accs[0]] else { panic!("private weights use the dot gadget") };
        let (w, b) = (pairs[0].1, pairs[1].0);
        let inputs = c.model.quantize_inputs(std::slice::from_ref(&x)).unwrap();
        let forced = layout.witness_forced(&c.model, &inputs, &[(w, 0), (b, 0), (accs[0], 256), (accs[1], 0)]).unwrap();
        let third = Fr::from(3).invert().unwrap();
        let mut tamper = cells_of(c, w, third);
        let i = layout.weights.iter().position(|&p| p == w).unwrap();
        tamper.push((Col::Pack(0), 1 + zkinfer::circuit::pack::LIMBS as usize * i, third));
        (forced, tamper)
    })
    .await;
}
