//! The fixed text of the verifier: the contract, its constants, the assembly frame and the Yul
//! helpers, as templates with typed fields. Keeping the frame out of Rust string literals means a
//! reviewer reads the contract as Solidity, and the moduli are written in one place each.

use minijinja::{Environment, UndefinedBehavior};
use serde::Serialize;

const CONTRACT: &str = include_str!("templates/verifier.sol");
/// The aggregate's verifier (`zkinfer solidity --aggregate`).
const AGGREGATE: &str = include_str!("templates/aggregate.sol");
/// The parts both verifiers share: the key and identities contracts' addresses and constructor,
/// `verifyProof`'s frame, and the deployers of the key and identities contracts.
const SHARED: [(&str, &str); 3] = [
    ("key_frame.sol", include_str!("templates/key_frame.sol")),
    ("verify_proof.sol", include_str!("templates/verify_proof.sol")),
    ("deployers.sol", include_str!("templates/deployers.sol")),
];
/// The identities contract's source (`split`).
const IDENTITIES: &str = include_str!("templates/identities.sol");
/// Yul helpers shared by every generated verifier.
const HELPERS: &str = include_str!("helpers.yul");

/// Everything the contract template needs; a missing field is a render error, not a blank.
#[derive(Serialize)]
pub struct Contract<'a> {
    /// The zkinfer version, stamped in the header comment so a deployed verifier says what generated it.
    pub version: &'a str,
    /// The model name, for the header comment.
    pub model: &'a str,
    /// The circuit's row count exponent, for the header comment.
    pub k: u32,
    /// One `// - ` comment line per bound part, newline-terminated.
    pub header: String,
    /// The contract's Solidity name.
    pub name: &'a str,
    /// `MODEL_HASH`, 0x-hex.
    pub model_hash: &'a str,
    /// `MODEL_COMMITMENT`, 0x-hex (hashed weights), else `0x0`.
    pub commitment: String,
    /// `WEIGHTS_MODE`: 0 fixed, 1 hashed, 2 private.
    pub weights_mode: u8,
    /// `INPUT_VISIBILITY`: 0 public, 1 hashed, 2 private, 3 packed.
    pub input_visibility: u8,
    /// `OUTPUT_VISIBILITY`: 0 public, 1 hashed, 2 private, 3 packed.
    pub output_visibility: u8,
    /// `SALTED`: whether hashed inputs/outputs absorb a salt.
    #[serde(serialize_with = "solidity_bool")]
    pub salted: bool,
    /// `NUM_PUBLIC_INPUTS`: length of the inputs part of the public values, which consumers read.
    pub num_public_inputs: usize,
    /// `NUM_OUTPUTS`: length of the outputs part of the public values, after the inputs part.
    pub num_outputs: usize,
    /// `SCALE_BITS`: consumers divide public values by 2^`scale_bits` to get real numbers.
    pub scale_bits: u32,
    /// `NUM_INPUT_VALUES`: elements of the model's inputs.
    pub num_input_values: usize,
    /// `NUM_OUTPUT_VALUES`: elements of the model's outputs.
    pub num_output_values: usize,
    /// `PACK_BITS`: bits of one packed value.
    pub pack_bits: u32,
    /// `PROOF_LENGTH` in bytes; the contract rejects a proof of any other length.
    pub proof_length: usize,
    /// The exact number of public values `verifyProof` accepts.
    pub num_instances: usize,
    /// A Yul boolean expression checked before any proof word is read.
    pub commitment_check: String,
    /// Yul function definitions (helpers, then shared gate functions).
    pub functions: String,
    /// The generated verification code.
    pub body: String,
    /// The scalar modulus, hex without `0x`, bound to the local `R`.
    pub r: &'static str,
    /// The key contract, when the key is data rather than constants.
    pub key: Option<&'a KeyFields>,
    /// The identities contract, when the identities run there (`split`).
    pub identities: Option<&'a IdentitiesFields>,
}

/// The identities contract's part of the template (`split::IdentitiesCode`).
#[derive(Serialize)]
pub struct IdentitiesFields {
    /// The deployer contract's Solidity name.
    pub name: String,
    /// keccak256 of the runtime code, 0x-hex.
    pub code_hash: String,
    /// The runtime code, hex without `0x`.
    pub runtime: String,
}

/// The key contract's part of the template (`key::KeyData`).
#[derive(Serialize)]
pub struct KeyFields {
    /// The key contract's Solidity name.
    pub name: String,
    /// Where the verifier copies the words, 0x-hex.
    pub mem: String,
    /// Bytes copied: the words, without the leading STOP.
    pub bytes: usize,
    /// keccak256 of the key contract's runtime code, 0x-hex.
    pub code_hash: String,
    /// The key contract's runtime code, hex without `0x`.
    pub runtime: String,
    /// Word of `MODEL_HASH` in the key (`key::MODEL_HASH`).
    pub model_hash_word: usize,
    /// Word of `MODEL_COMMITMENT` in the key (`key::COMMITMENT`).
    pub commitment_word: usize,
}

/// minijinja prints booleans as Python does (`True`); Solidity spells them `true`.
fn solidity_bool<S: serde::Serializer>(b: &bool, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(if *b { "true" } else { "false" })
}

#[derive(Serialize)]
struct Moduli {
    r: &'static str,
    q: &'static str,
}

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    // The templates end in a newline that is part of the output.
    env.set_keep_trailing_newline(true);
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.add_template("verifier.sol", CONTRACT).expect("the contract template parses");
    env.add_template("aggregate.sol", AGGREGATE).expect("the aggregate template parses");
    for (name, source) in SHARED {
        env.add_template(name, source).expect("the shared templates parse");
    }
    env.add_template("helpers.yul", HELPERS).expect("the helpers template parses");
    env.add_template("identities.sol", IDENTITIES).expect("the identities template parses");
    env
}

/// The verifier contract's Solidity source; panics only if the template itself is broken.
pub fn render_contract(fields: &Contract) -> String {
    render("verifier.sol", fields)
}

/// One of the templates rendered; panics only if the template itself is broken.
pub fn render(template: &str, fields: &impl Serialize) -> String {
    environment().get_template(template).and_then(|t| t.render(fields)).expect("the template renders")
}

/// The helpers with the scalar (r) and base (q) moduli written in.
pub fn render_helpers() -> String {
    let moduli = Moduli { r: crate::field::MODULUS_HEX, q: crate::field::BASE_MODULUS_HEX };
    environment().get_template("helpers.yul").and_then(|t| t.render(moduli)).expect("the helpers template renders")
}

#[cfg(test)]
mod tests {
    #[test]
    fn helpers_carry_both_moduli_and_no_placeholder() {
        let h = super::render_helpers();
        assert!(h.contains(&format!("r := 0x{} }}", crate::field::MODULUS_HEX)));
        assert!(h.contains(&format!("let q := 0x{}\n", crate::field::BASE_MODULUS_HEX)));
        assert!(!h.contains("{{") && h.ends_with("}\n"));
    }
}
