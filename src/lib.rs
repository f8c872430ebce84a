//! zkinfer: compile an ONNX model into a halo2 circuit (KZG on BN254) with a generated Solidity
//! verifier, and submit proofs of its inferences on chain.
//!
//! Data flows one way, one module per stage:
//! `onnx` (tract import) → `graph` (IR) → `quant` (fixed point, integer oracle) →
//! `circuit` (layout planner and gadgets) → `prove` (SRS, keys, proofs) → `evm` (Solidity) →
//! `chain` (alloy client); `aggregate` (N proofs folded into one) sits between `prove` and
//! `evm`. `compile` ties the first four together; `fidelity` checks what it compiled against
//! tract on random inputs; `pipeline` runs them all.

#![warn(missing_docs)]

pub mod aggregate;
pub mod artifact;
pub mod chain;
pub mod circuit;
pub mod compile;
pub mod conformance;
pub mod error;
pub mod evm;
pub mod fidelity;
pub mod field;
pub mod graph;
pub mod onnx;
pub mod pipeline;
pub mod prove;
pub mod quant;

pub use error::{Error, Result};
