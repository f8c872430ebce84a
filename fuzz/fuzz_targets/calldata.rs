//! Calldata: what zkinfer encodes for the chain and decodes from it.
//! - `chain::describe_revert` on arbitrary bytes (our custom errors, `Error(string)`, `Panic(uint)`).
//! - The verifier's `verifyProof(bytes,uint256[])` and the consumer's `submit(bytes,uint256[])`
//!   (the `sol!` bindings in `zkinfer::chain`): encode → decode must give back exactly the call;
//!   decoding arbitrary bytes must never panic, and whatever decodes must re-encode to bytes that
//!   decode to the same call (the decoder accepts non-canonical offsets, so bytes may differ).
#![no_main]
use alloy::primitives::{Bytes, U256};
use alloy::sol_types::{SolCall, SolInterface};
use libfuzzer_sys::fuzz_target;
use zkinfer::chain::{VerifiedInference as V, ZkinferVerifier as Z};

/// The fuzz bytes as a call's arguments: first byte = number of instances (≤ 32), each 32 bytes
/// big-endian (short tail zero-padded), the rest is the proof.
fn args(data: &[u8]) -> (Bytes, Vec<U256>) {
    let Some((&n, rest)) = data.split_first() else { return (Bytes::new(), vec![]) };
    let n = (n as usize % 33).min(rest.len().div_ceil(32));
    let (words, proof) = rest.split_at((n * 32).min(rest.len()));
    let instances = words
        .chunks(32)
        .map(|w| {
            let mut b = [0u8; 32];
            b[..w.len()].copy_from_slice(w);
            U256::from_be_bytes(b)
        })
        .collect();
    (Bytes::copy_from_slice(proof), instances)
}

fuzz_target!(|data: &[u8]| {
    zkinfer_fuzz::check(data, || {
        let _ = zkinfer::chain::describe_revert(data);

        let (proof, instances) = args(data);
        let verify = Z::verifyProofCall { proof: proof.clone(), instances: instances.clone() };
        let back = Z::verifyProofCall::abi_decode(&verify.abi_encode()).expect("our own verifyProof calldata decodes");
        assert!(back.proof == proof && back.instances == instances, "verifyProof round trip differs");
        let submit = V::submitCall { proof, instances };
        let enc = submit.abi_encode();
        let back = V::submitCall::abi_decode(&enc).expect("our own submit calldata decodes");
        assert!(back.proof == submit.proof && back.instances == submit.instances, "submit round trip differs");
        assert_eq!(&enc[..4], &V::submitCall::SELECTOR);

        // Arbitrary bytes as calldata: Ok or Err; an Ok re-encodes to the same call.
        if let Ok(c) = Z::verifyProofCall::abi_decode(data) {
            let again = Z::verifyProofCall::abi_decode(&c.abi_encode()).expect("re-encoded verifyProof decodes");
            assert!(again.proof == c.proof && again.instances == c.instances, "verifyProof re-decode differs");
        }
        if let Ok(c) = V::submitCall::abi_decode(data) {
            let again = V::submitCall::abi_decode(&c.abi_encode()).expect("re-encoded submit decodes");
            assert!(again.proof == c.proof && again.instances == c.instances, "submit re-decode differs");
        }
        let _ = Z::ZkinferVerifierCalls::abi_decode(data);
        let _ = V::VerifiedInferenceCalls::abi_decode(data);
    });
});
