//! One build as the three verifiers see it: zkinfer's Rust verifier (`prove::verify`), the
//! generated contract on Anvil, and snark-verifier's native verifier (an independent reading of
//! the halo2 protocol). The tamper suite asks all three about every case, so that a verifier
//! that accepts more than the others shows up even where the case itself is rejected.

use alloy::primitives::{Address, U256};
use halo2_proofs::halo2curves::bn256::{Bn256, Fr, G1Affine};
use halo2_proofs::poly::commitment::ParamsProver;
use snark_verifier::loader::native::NativeLoader;
use snark_verifier::pcs::kzg::{Bdfg21, KzgAs, KzgDecidingKey};
use snark_verifier::system::halo2::transcript::evm::EvmTranscript;
use snark_verifier::system::halo2::{compile, Config};
use snark_verifier::verifier::plonk::{PlonkProtocol, PlonkVerifier};
use snark_verifier::verifier::SnarkVerifier;
use std::path::{Path, PathBuf};
use zkinfer::chain::{self, Client};
use zkinfer::compile::read_input;
use zkinfer::evm::proof_shape::ProofShape;
use zkinfer::pipeline::{self, Placement};
use zkinfer::prove::{self, Keys, ProofFile, Srs};

type Shplonk = PlonkVerifier<KzgAs<Bn256, Bdfg21>>;

/// Gas given to every contract call: over ten times an honest verification of these circuits,
/// so a rejection that runs out of it is a gas bomb, not a tight limit.
pub const GAS_GIVEN: u64 = 10_000_000;
/// Anvil's block gas limit: the most a call can be given, to tell starvation from a real revert.
const GAS_MAX: u64 = 30_000_000;

/// The BN254 scalar modulus r.
pub fn modulus() -> U256 {
    U256::from_str_radix(zkinfer::field::MODULUS_HEX, 16).unwrap()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Accept,
    /// `false`.
    Reject,
    /// A revert that more gas does not change.
    Revert,
    /// A revert that more gas turns into an answer: the rejection ran out of gas.
    OutOfGas,
}

pub struct Subject {
    pub name: String,
    pub dir: PathBuf,
    pub params: Srs,
    pub keys: Keys,
    pub shape: ProofShape,
    pub honest: ProofFile,
    pub proof: Vec<u8>,
    pub instances: Vec<U256>,
    pub verifier: Address,
    protocol: PlonkProtocol<G1Affine>,
    dk: KzgDecidingKey<Bn256>,
}

impl Subject {
    /// A set-up build and an honest proof of it; deploys its generated verifier, laid out as
    /// `placement` says (its key, and its identities, in contracts of their own or not).
    pub async fn new(client: &Client, name: &str, dir: &Path, honest: ProofFile, placement: Placement) -> Subject {
        let (_, params, keys) = pipeline::load(dir).unwrap();
        let sol = pipeline::solidity_with(dir, &dir.join("sol"), "ZkinferVerifier", placement).unwrap();
        assert_eq!(sol.verifier.key_contract.is_some(), placement >= Placement::Contract, "{name}: key placement");
        assert_eq!(sol.verifier.identities_contract.is_some(), placement == Placement::Split, "{name}: identities");
        for (contract, size) in sol.runtime_sizes() {
            assert!(size <= zkinfer::evm::EIP170_LIMIT, "{name}: {contract} over EIP-170");
        }
        let verifier = client.deploy_verifier(sol.verifier_code().unwrap()).await.unwrap().verifier;
        let protocol = compile(&params, keys.vk(), Config::kzg().with_num_instance(vec![keys.statement.num_public]));
        let dk = (params.get_g()[0], params.g2(), params.s_g2()).into();
        let shape = ProofShape::of(keys.vk());
        let proof = honest.proof_bytes().unwrap();
        let instances = chain::instances_u256(&honest.instances).unwrap();
        Subject {
            name: name.into(),
            dir: dir.into(),
            params,
            keys,
            shape,
            honest,
            proof,
            instances,
            verifier,
            protocol,
            dk,
        }
    }

    pub fn rust(&self, proof: &[u8], instances: &[U256]) -> bool {
        let Some(fields) = fields(instances) else { return false };
        prove::verify(&self.params, &self.keys, proof, &fields).is_ok()
    }

    /// snark-verifier knows only the key, so the weights commitment (which the key leaves open)
    /// is checked here as the other two check it; the count of public values is its protocol's
    /// own check, and the proof must be read to its last byte, its own reading of the length.
    pub fn snark(&self, proof: &[u8], instances: &[U256]) -> bool {
        let Some(fields) = fields(instances) else { return false };
        if self.keys.statement.commitment.is_some_and(|c| fields.last() != Some(&c)) {
            return false;
        }
        let instances = vec![fields];
        let mut rest = proof;
        let read = {
            let mut transcript = EvmTranscript::<G1Affine, NativeLoader, _, _>::new(&mut rest);
            Shplonk::read_proof(&self.dk, &self.protocol, &instances, &mut transcript)
        };
        let Ok(read) = read else { return false };
        rest.is_empty() && Shplonk::verify(&self.dk, &self.protocol, &instances, &read).is_ok()
    }

    pub async fn contract(&self, client: &Client, proof: &[u8], instances: &[U256]) -> Verdict {
        let v = chain::ZkinferVerifier::new(self.verifier, &client.provider);
        let call = |gas| v.verifyProof(proof.to_vec().into(), instances.to_vec()).gas(gas);
        match call(GAS_GIVEN).call().await {
            Ok(true) => Verdict::Accept,
            Ok(false) => Verdict::Reject,
            Err(_) => match call(GAS_MAX).call().await {
                Ok(_) => Verdict::OutOfGas,
                Err(_) => Verdict::Revert,
            },
        }
    }
}

/// Public values as field elements, or `None` where one is ≥ r (not a field element: every
/// verifier refuses it).
pub fn fields(instances: &[U256]) -> Option<Vec<Fr>> {
    instances.iter().map(|v| zkinfer::field::from_hex(&format!("{v:#066x}")).ok()).collect()
}

/// A real proof of `dir`'s model on `input` whose instance column holds the layout's public
/// values and then `extra`: rows the layout leaves without a copy constraint, which is what an
/// attacker controls (issue 11, finding 2).
pub fn prove_with_extra(dir: &Path, input: &Path, extra: &[Fr]) -> (Vec<u8>, Vec<Fr>) {
    let (compiled, params, keys) = pipeline::load(dir).unwrap();
    let salts = compiled.fresh_salts();
    let (circuit, witness) = compiled.circuit_with_witness(&read_input(input).unwrap(), &salts).unwrap();
    let mut instances = compiled.public_values(&witness, &salts);
    instances.extend_from_slice(extra);
    (prove::prove_circuit(&params, &keys, circuit, &instances).unwrap(), instances)
}

pub fn to_u256(fields: &[Fr]) -> Vec<U256> {
    chain::instances_u256(&fields.iter().map(zkinfer::field::to_hex).collect::<Vec<_>>()).unwrap()
}
