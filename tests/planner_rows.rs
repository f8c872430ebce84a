//! The planner's k holds every row keygen touches: for models of several shapes (wide inputs
//! with one output, as a linear SVM; deeper MLPs), every lane width and every privacy mode,
//! compile → setup must succeed (halo2's keygen panics with `NotEnoughRowsAvailable` when the
//! planner counts fewer rows than synthesis uses: regions after the model's, instance rows, the
//! row after each lookup table).

mod common;

use zkinfer::circuit::privacy::{Privacy, Visibility, WeightsMode};
use zkinfer::compile::{write_json, Target};
use zkinfer::onnx::write;
use zkinfer::pipeline::{self, CompileOptions};

fn modes() -> Vec<(&'static str, Privacy)> {
    let p = Privacy::default();
    vec![
        ("fixed", p),
        ("hashed weights", Privacy { weights: WeightsMode::Hashed, ..p }),
        ("private weights", Privacy { weights: WeightsMode::Private, ..p }),
        ("hashed io", Privacy { input: Visibility::Hashed, output: Visibility::Hashed, salted: true, ..p }),
    ]
}

#[test]
fn every_planner_choice_sets_up() {
    let dir = common::scratch("planner-rows");
    let mut tried = 0;
    let shapes = [(vec![96, 1], "Relu"), (vec![7, 1], "Relu"), (vec![16, 16, 3], "Sigmoid"), (vec![5, 9, 2], "Tanh")];
    for (i, (sizes, activation)) in shapes.iter().enumerate() {
        let model = dir.join(format!("m{i}.onnx"));
        write::save(&write::mlp_model_with(sizes, i as u64 + 5, activation), &model).unwrap();
        let input = dir.join(format!("in{i}.json"));
        write_json(&input, &write::random_input(sizes[0], 3)).unwrap();
        // (lanes, one-row requant pinned on): the planner's own choice, then pinned widths.
        for (lanes, wide) in [(None, None), (Some(2), None), (Some(5), None), (Some(16), None), (Some(4), Some(true))] {
            for (name, privacy) in modes() {
                let build = dir.join(format!("b{i}-{lanes:?}-{wide:?}-{name}"));
                let target = if i % 2 == 0 { Target::Accuracy } else { Target::Resources };
                let opts = CompileOptions { lanes, privacy, target, wide, ..Default::default() };
                let c = pipeline::compile(&model, &input, &build, &opts).unwrap();
                let setup = pipeline::setup(&build, None);
                let k = c.settings.k;
                assert_eq!(c.settings.wide, wide == Some(true), "{sizes:?} lanes {lanes:?} {name}: wide");
                assert!(setup.is_ok(), "{sizes:?} lanes {lanes:?} {name} {target:?} (k {k}): {:?}", setup.err());
                tried += 1;
            }
        }
    }
    assert_eq!(tried, 80);
}
