//! `compile::read_input`: the EZKL-style input file (`{"input_data": [[...], ...]}`) a user
//! hands to `compile` and `prove`. Any bytes must give Ok or Err, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let dir = zkinfer_fuzz::scratch("input_json");
    let path = zkinfer_fuzz::write(&dir, "input.json", data);
    zkinfer_fuzz::check(data, || {
        if let Ok(inputs) = zkinfer::compile::read_input(&path) {
            // What `prove` does next with a parsed file: count and walk the values.
            let _n: usize = inputs.iter().map(Vec::len).sum();
        }
    });
});
