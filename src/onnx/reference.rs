//! tract's own float inference: the reference zkinfer's reading of a model, and the integer
//! model the circuit proves, are both checked against. Planned once, run on many inputs.

use crate::error::{Error, Result};
use tract_onnx::prelude::*;

/// tract's float inference, planned once for many inputs.
pub struct Reference {
    plan: std::sync::Arc<TypedSimplePlan>,
    facts: Vec<(Vec<usize>, DatumType)>,
}

impl Reference {
    /// Plans the model for its declared input facts; fails if tract cannot make it runnable.
    pub fn new(model: &TypedModel) -> Result<Reference> {
        let facts = (0..model.inputs.len())
            .map(|i| {
                let f = model.input_fact(i).map_err(|e| Error::tract(format!("read input {i}'s type"), e))?;
                Ok((f.shape.as_concrete().map(|s| s.to_vec()).unwrap_or_default(), f.datum_type))
            })
            .collect::<Result<_>>()?;
        let plan =
            model.clone().into_runnable().map_err(|e| Error::tract("plan the model for its float reference run", e))?;
        Ok(Reference { plan, facts })
    }

    /// tract's outputs where they exist and are finite; `None` outside the model's domain (a
    /// log of a negative, an index out of bounds: tract panics on some, caught here quietly).
    pub fn finite(&self, inputs: &[Vec<f32>]) -> Option<Vec<Vec<f32>>> {
        let out = crate::error::without_panic_output(|| self.run(inputs));
        out.ok()?.ok().filter(|r| r.iter().flatten().all(|v| v.is_finite()))
    }

    /// Runs on flat inputs (cast to each input's declared type), returning every output flattened to f32.
    pub fn run(&self, inputs: &[Vec<f32>]) -> Result<Vec<Vec<f32>>> {
        let mut tvs = TVec::new();
        for (i, (x, (shape, dt))) in inputs.iter().zip(&self.facts).enumerate() {
            let shape = if shape.iter().product::<usize>() == x.len() { shape.clone() } else { vec![x.len()] };
            let t: Tensor = tract_ndarray::ArrayD::from_shape_vec(shape, x.clone())
                .map_err(|e| Error::Inputs(format!("input {i} does not fit its shape: {e}")))?
                .into();
            let t = t.cast_to_dt(*dt).map_err(|e| Error::tract(format!("cast input {i} to {dt:?}"), e))?.into_owned();
            tvs.push(t.into_tvalue());
        }
        let out = self.plan.run(tvs).map_err(|e| Error::tract("run the model (float reference)", e))?;
        out.iter()
            .map(|t| {
                let t = t.cast_to::<f32>().map_err(|e| Error::tract("read an output as f32", e))?;
                Ok(t.to_plain_array_view::<f32>()
                    .map_err(|e| Error::tract("read an output as f32", e))?
                    .iter()
                    .copied()
                    .collect())
            })
            .collect()
    }
}

/// Runs tract's float inference once (planning included).
pub fn tract_run(model: &TypedModel, inputs: &[Vec<f32>]) -> Result<Vec<Vec<f32>>> {
    let reference = Reference::new(model)?;
    // tract panics on some inputs outside an op's domain (an index past its axis).
    crate::error::without_panic_output(|| reference.run(inputs)).unwrap_or_else(|panic| {
        let what = crate::error::panic_message(&*panic).unwrap_or_default();
        Err(Error::Inputs(format!(
            "the model cannot be evaluated on it (tract stopped: {}): give inputs inside the model's domain",
            crate::error::clip(&what)
        )))
    })
}
