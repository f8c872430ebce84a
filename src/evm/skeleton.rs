//! The fixed text of the verifier: the contract, its constants, the assembly frame and the Yul
//! helpers, as templates with typed fields. Keeping the frame out of Rust string literals means a
//! reviewer reads the contract as Solidity, and the moduli are written in one place each.

use minijinja::{Environment, UndefinedBehavior};
use serde::Serialize;

const CONTRACT: &str = include_str!("templates/verifier.sol");
/// Yul helpers shared by every generated verifier.
const HELPERS: &str = include_str!("helpers.yul");

/// Everything the contract template needs; a missing field is a render error, not a blank.
#[derive(Serialize)]
pub struct Contract<'a> {
    pub version: &'a str,
    pub model: &'a str,
    pub k: u32,
    /// One `// - ` comment line per bound part, newline-terminated.
    pub header: String,
    pub name: &'a str,
    pub model_hash: &'a str,
    pub commitment: String,
    pub weights_mode: u8,
    pub input_visibility: u8,
    pub output_visibility: u8,
    #[serde(serialize_with = "solidity_bool")]
    pub salted: bool,
    pub num_public_inputs: usize,
    pub num_outputs: usize,
    pub scale_bits: u32,
    pub proof_length: usize,
    pub num_instances: usize,
    /// A Yul boolean expression checked before any proof word is read.
    pub commitment_check: String,
    /// Yul function definitions (helpers, then shared gate functions).
    pub functions: String,
    /// The generated verification code.
    pub body: String,
    /// The scalar modulus, hex without `0x`, bound to the local `R`.
    pub r: &'static str,
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
    env.add_template("helpers.yul", HELPERS).expect("the helpers template parses");
    env
}

pub fn render_contract(fields: &Contract) -> String {
    environment().get_template("verifier.sol").and_then(|t| t.render(fields)).expect("the contract template renders")
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
