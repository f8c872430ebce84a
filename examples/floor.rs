//! The MSM/FFT floor of a build's circuit: how many 2^k-point commitments and size-2^k FFTs
//! halo2-axiom's prover must do for this verifying key, and what one of each costs on this
//! machine. A profile of `zkinfer prove` (`--features profile`) is read against it: whatever the
//! prover spends above the floor is witness generation, expression evaluation and copying, the
//! part our circuit layout can still win back; the floor itself only falls with fewer columns or
//! a smaller k. docs/performance.md, "Where lenet_5's prove time goes".
//!
//! `cargo run --release --example floor -- BUILD/ [--json]`
use halo2_proofs::halo2curves::bn256::Fr;
use halo2_proofs::halo2curves::ff::Field;
use halo2_proofs::poly::commitment::{Blind, Params};
use rand::rngs::StdRng;
use rand::SeedableRng;
use std::time::Instant;

/// Median of three timings of `f`, in seconds: one machine, two cores, some noise.
fn time(mut f: impl FnMut()) -> f64 {
    let mut t: Vec<f64> = (0..3)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64()
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[1]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let Some(dir) = args.get(1) else {
        eprintln!("usage: floor BUILD/ [--json]");
        std::process::exit(2);
    };
    let (_, params, keys) = match zkinfer::pipeline::load(std::path::Path::new(dir)) {
        Ok(loaded) => loaded,
        Err(e) => {
            eprintln!("floor: {e}");
            std::process::exit(1);
        }
    };
    let vk = keys.vk();
    let cs = vk.cs();
    let domain = vk.get_domain();
    let k = domain.k();
    let parts = 1usize << (domain.extended_k() - k);
    let (advice, fixed, instance) = (cs.num_advice_columns(), cs.num_fixed_columns(), cs.num_instance_columns());
    let lookups = cs.lookups().len();
    let perm_columns = cs.permutation().get_columns().len();
    let perm_sets = perm_columns.div_ceil(cs.degree() - 2);
    // Commitments: advice; each lookup's permuted input, permuted table and product; each
    // permutation product; the vanishing argument's random polynomial and its degree − 1 quotient
    // pieces; SHPLONK's two.
    let commitments = advice + 3 * lookups + perm_sets + 1 + (cs.degree() - 1) + 2;
    // Interpolations (Lagrange → coefficients): every committed column the prover builds.
    let interpolations = advice + instance + 3 * lookups + perm_sets;
    // The quotient is evaluated part by part on the extended coset: every column (fixed and σ
    // too, and the three Lagrange selectors) moved to each part by one size-n FFT.
    let extensions = parts * (fixed + advice + instance + perm_sets + perm_columns + 3 * lookups + 3);

    let mut rng = StdRng::seed_from_u64(1);
    let mut poly = domain.empty_lagrange();
    poly.iter_mut().for_each(|v| *v = Fr::random(&mut rng));
    let t_msm = time(|| {
        std::hint::black_box(params.commit_lagrange(&poly, Blind::default()));
    });
    let t_ifft = time(|| {
        std::hint::black_box(domain.lagrange_to_coeff(poly.clone()));
    });
    let coeff = domain.lagrange_to_coeff(poly.clone());
    let t_part = time(|| {
        std::hint::black_box(domain.coeff_to_extended_part(coeff.clone(), Fr::ONE));
    });
    let mut ext = domain.empty_extended();
    ext.iter_mut().for_each(|v| *v = Fr::random(&mut rng));
    let t_quotient = time(|| {
        std::hint::black_box(domain.extended_to_coeff(ext.clone()));
    });
    let rows = [
        ("commitments (MSM of 2^k)", commitments, t_msm),
        ("interpolations (iFFT of 2^k)", interpolations, t_ifft),
        ("coset parts (FFT of 2^k)", extensions, t_part),
        ("quotient (iFFT of the extended domain)", 1, t_quotient),
    ];
    let total: f64 = rows.iter().map(|(_, n, t)| *n as f64 * t).sum();
    if args.iter().any(|a| a == "--json") {
        let items: Vec<serde_json::Value> = rows
            .iter()
            .map(|(what, n, t)| serde_json::json!({"what": what, "count": n, "each_s": t, "total_s": *n as f64 * t}))
            .collect();
        let out = serde_json::json!({"k": k, "extended_parts": parts, "advice": advice, "fixed": fixed,
            "lookups": lookups, "permutation_columns": perm_columns, "floor": items, "floor_s": total});
        println!("{out:#}");
        return;
    }
    println!("k {k}, {parts} coset parts; {advice} advice, {fixed} fixed, {instance} instance columns, {lookups} lookups, {perm_columns} permuted columns");
    println!("{:<40} {:>6} {:>10} {:>10}", "operation", "count", "each s", "total s");
    for (what, n, t) in rows {
        println!("{what:<40} {n:>6} {t:>10.4} {:>10.3}", n as f64 * t);
    }
    println!("{:<40} {:>6} {:>10} {total:>10.3}", "floor", "", "");
}
