//! The proof file `zkinfer prove` writes and `verify`/`submit` read back: `ProofFile::read`,
//! then its hex proof (`proof_bytes`), its public values as field elements (`instance_fields`,
//! which must refuse values ≥ r) and as calldata words (`chain::instances_u256`). The same
//! bytes, split at newlines, are also fed to the two hex readers directly, so the fuzzer does
//! not have to build valid JSON to reach them.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let dir = zkinfer_fuzz::scratch("proof_json");
    let path = zkinfer_fuzz::write(&dir, "proof.json", data);
    zkinfer_fuzz::check(data, || {
        if let Ok(p) = zkinfer::prove::ProofFile::read(&path) {
            let _ = p.proof_bytes();
            let _ = p.instance_fields();
            let _ = zkinfer::chain::instances_u256(&p.instances);
        }
        let words: Vec<String> = String::from_utf8_lossy(data).lines().map(str::to_owned).collect();
        let _ = zkinfer::chain::instances_u256(&words);
        let proof = zkinfer::prove::ProofFile {
            proof: words.first().cloned().unwrap_or_default(),
            instances: words,
            outputs: vec![],
            model_hash: String::new(),
            k: 0,
            prove_seconds: 0.0,
            opening: Default::default(),
        };
        let _ = proof.proof_bytes();
        let _ = proof.instance_fields();
    });
});
