//! The transcript phase: the plan's reads and squeezes as Yul. Every read goes through the
//! helpers that range-check scalars and curve-check points, so no later phase sees a value the
//! Rust verifier would have refused.

use super::plan::{Plan, Step};
use super::yul::{fr_hex, Emitter};

/// Emits the plan's steps in order: reads with their range and curve checks, and squeezes.
/// `key`: where the key contract's words were copied (the digest is its first word), or `None`
/// when the digest is a constant of the code.
pub fn emit(e: &mut Emitter, plan: &Plan, key: Option<usize>) {
    for step in &plan.steps {
        match *step {
            Step::Absorb { mem, value } => match key {
                None => e.line(format!("mstore({mem:#x}, {})", fr_hex(&value))),
                Some(k) => e.line(format!("mstore({mem:#x}, mload({:#x}))", k + 32 * super::key::REPR)),
            },
            Step::Instances { mem, count } => {
                e.line(format!("ok := and(ok, read_scalars(instances.offset, {mem:#x}, {count}))"))
            }
            Step::Points { cd, mem, count } => {
                e.line(format!("ok := and(ok, read_points(add(proof.offset, {cd:#x}), {mem:#x}, {count}))"))
            }
            Step::Scalars { cd, mem, count } => {
                e.line(format!("ok := and(ok, read_scalars(add(proof.offset, {cd:#x}), {mem:#x}, {count}))"))
            }
            Step::Squeeze { start, len, dst, pad } => {
                if pad {
                    e.line(format!("mstore8({dst:#x}, 1)"));
                }
                e.line(format!("squeeze({start:#x}, {len:#x}, {dst:#x})"));
            }
        }
    }
    // A malformed point or scalar ends verification here: later precompile calls on it would
    // burn all forwarded gas instead of returning false.
    e.line("if iszero(ok) { mstore(0x00, 0) return(0x00, 0x20) }");
}

#[cfg(test)]
mod tests {
    use super::super::plan::Plan;
    use super::super::test_circuit;
    use super::super::verifier::VerifierSpec;
    use super::super::yul::Emitter;

    /// Parses `read_*(add(proof.offset, CD), MEM, COUNT)` calls out of the emitted code.
    fn reads(code: &str, helper: &str) -> Vec<(usize, usize)> {
        let hex = |s: &str| usize::from_str_radix(s.trim().trim_start_matches("0x"), 16).unwrap();
        code.lines()
            .filter_map(|l| l.split(&format!("{helper}(add(proof.offset, ")).nth(1))
            .map(|rest| {
                let mut parts = rest.split(", ");
                let cd = hex(parts.next().unwrap().trim_end_matches(')'));
                let count = parts.nth(1).unwrap().trim_end_matches(')').parse().unwrap();
                (cd, count)
            })
            .collect()
    }

    #[test]
    fn every_proof_word_is_read_exactly_once() {
        let (params, vk) = test_circuit::keys();
        let plan = Plan::of(&VerifierSpec::inline(&vk, &params, 3));
        let mut e = Emitter::new(plan.memory_end);
        super::emit(&mut e, &plan, None);
        let mut words = vec![0u32; plan.proof_len / 32];
        for (cd, count) in reads(&e.code, "read_points") {
            (0..2 * count).for_each(|i| words[cd / 32 + i] += 1);
        }
        for (cd, count) in reads(&e.code, "read_scalars") {
            (0..count).for_each(|i| words[cd / 32 + i] += 1);
        }
        assert!(words.iter().all(|&w| w == 1), "proof words read other than once: {words:?}");
        assert_eq!(e.next, plan.memory_end, "the transcript phase allocates nothing beyond the plan");
        assert!(e.code.contains("read_scalars(instances.offset, 0xa0, 3)"));
        assert!(e.code.ends_with("if iszero(ok) { mstore(0x00, 0) return(0x00, 0x20) }\n"));
    }
}
