//! The under-constraint audit: for every gate of the `ConstraintSystem`, on every kind of row
//! where it is switched on, every advice cell it reads — assigned or not — is given an
//! adversarial value, the empty cells beside it are filled, and the cells the gate defines are
//! re-solved so the gate holds again, as a cheating prover would. A re-solved cell pulls its
//! copies along; gates that read it by rotation (the next row of a chain, of a sponge) are
//! re-solved in turn. Gates that read a moved value through a copy are *consumers*: a prover
//! would recompute them from the new value, so they are not held against the attack.
//!
//! A finding is an attack that every remaining constraint accepts while a value that something
//! else reads (a copy or a public value) has moved: the gate did not pin what it defines.
//!
//! Rows are grouped by what the gate sees there (which fixed cells are zero, one or other; which
//! read cells are empty, defined here, or copies): rows of one kind behave alike, so a few of
//! each kind are attacked and the rest counted. Small circuits have every row attacked.

use super::check::{Context, Overlay};
use super::record::{CellRef, Recorded};
use halo2_proofs::halo2curves::bn256::Fr;
use halo2_proofs::halo2curves::ff::Field;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use std::collections::{BTreeMap, HashSet, VecDeque};

/// How hard `audit` tries: rows attacked per kind, effort per attack, and the seed of its choices.
#[derive(Clone, Debug)]
pub struct Options {
    /// Rows attacked per kind of row (every row when a kind has no more).
    pub per_kind: usize,
    /// Gate instances re-solved for one attack before it is given up as rejected.
    pub max_steps: usize,
    /// Seed of the ChaCha8 generator choosing adversarial values: equal seeds give equal reports.
    pub seed: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options { per_kind: 3, max_steps: 4096, seed: 7 }
    }
}

/// An attack every constraint accepts that moved a value something else reads: the gate does not
/// pin what it defines.
#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    /// The attacked gate, by its constraint-system name (`requant`, `poseidon`, …).
    pub gate: String,
    /// Row of the attacked gate instance.
    pub row: usize,
    /// The attacked cell (advice column, row).
    pub cell: (usize, usize),
    /// Whether the attacked cell was never assigned (a cell the prover fills freely).
    pub empty: bool,
    /// Re-solved cells whose value escapes through a copy or the instance column.
    pub moved: Vec<(usize, usize)>,
    /// Whether a moved value reaches the instance column: the forgery changes a public value.
    pub public: bool,
}

/// What `audit` tried and what it found; a circuit passes with no `findings`.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Report {
    /// Gates in the constraint system.
    pub gates: usize,
    /// Gates switched on (reading some advice cell) on at least one usable row.
    pub gates_used: usize,
    /// Gate instances (gate, row) switched on.
    pub instances: usize,
    /// Kinds of those instances: rows where a gate sees alike fixed values and cells.
    pub kinds: usize,
    /// Instances attacked, up to `Options::per_kind` of each kind.
    pub attacked: usize,
    /// Distinct advice cells attacked.
    pub cells: usize,
    /// Of those, cells never assigned.
    pub empty_cells: usize,
    /// Attacks tried: two values per attacked cell, each once per cell the instance may re-solve first.
    pub attempts: usize,
    /// Attacks some constraint caught, or given up after `Options::max_steps`.
    pub rejected: usize,
    /// Accepted attacks that moved nothing anything else reads.
    pub inert: usize,
    /// Every accepted attack that moved a value read elsewhere, in the order found.
    pub findings: Vec<Finding>,
}

enum Outcome {
    Rejected,
    Inert,
    Moved(Vec<(usize, usize)>, bool),
}

/// Runs the audit. `free` lists the cells the prover chooses by design (inputs, private weights,
/// salts): they are not attacked and never re-solved, since choosing them is the statement's
/// "there exists".
pub fn audit(rec: &Recorded, free: &HashSet<(usize, usize)>, opts: &Options) -> Result<Report, String> {
    let ctx = Context::new(rec);
    ctx.full_check(&Overlay::default()).map_err(|e| format!("the honest assignment fails: {e}"))?;
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    let mut report = Report { gates: ctx.gates.len(), ..Default::default() };
    let mut used = HashSet::new();
    let mut cells = HashSet::new();
    for g in 0..ctx.gates.len() {
        let mut kinds: BTreeMap<Vec<u8>, Vec<usize>> = BTreeMap::new();
        for row in 0..rec.usable {
            kinds.entry(kind(&ctx, g, row, free)).or_default().push(row);
        }
        for rows in kinds.values() {
            let reads = reads(&ctx, g, rows[0], &mut rng);
            if reads.is_empty() {
                continue;
            }
            used.insert(g);
            report.kinds += 1;
            report.instances += rows.len();
            for row in pick(rows, opts.per_kind) {
                report.attacked += 1;
                let targets = targets(&ctx, row, &reads, free);
                for cell in reads_at(&ctx, row, &reads) {
                    if free.contains(&cell) {
                        continue;
                    }
                    let empty = !rec.assigned(cell.0, cell.1);
                    if cells.insert(cell) && empty {
                        report.empty_cells += 1;
                    }
                    let honest = rec.advice[cell.0][cell.1];
                    let delta = Fr::from(rng.gen_range(1..=256u64)) * if rng.gen() { Fr::ONE } else { -Fr::ONE };
                    for value in [honest + delta, Fr::random(&mut rng)] {
                        for start in 0..targets.len().max(1) {
                            report.attempts += 1;
                            match attack(&ctx, g, row, cell, value, &reads, &targets, start, free, opts, &mut rng) {
                                Outcome::Rejected => report.rejected += 1,
                                Outcome::Inert => report.inert += 1,
                                Outcome::Moved(moved, public) => report.findings.push(Finding {
                                    gate: ctx.gates[g].name.clone(),
                                    row,
                                    cell,
                                    empty,
                                    moved,
                                    public,
                                }),
                            }
                        }
                    }
                }
            }
        }
    }
    report.gates_used = used.len();
    report.cells = cells.len();
    Ok(report)
}

/// What gate `g` sees at `row`: each fixed cell it reads as zero, one or other; each advice
/// cell as empty, free by design, defined here, or a copy of a value defined elsewhere.
fn kind(ctx: &Context, g: usize, row: usize, free: &HashSet<(usize, usize)>) -> Vec<u8> {
    let rec = ctx.rec;
    let at = |rot: i32| (row as i64 + rot as i64).rem_euclid(rec.n as i64) as usize;
    let info = &ctx.gates[g];
    let mut k = Vec::with_capacity(info.fixed.len() + info.advice.len());
    for &(col, rot) in &info.fixed {
        let v = rec.fixed[col][at(rot)];
        k.push(if v == Fr::zero() {
            0
        } else if v == Fr::one() {
            1
        } else {
            2
        });
    }
    for &(col, rot) in &info.advice {
        let cell = (col, at(rot));
        k.push(if !rec.assigned(cell.0, cell.1) {
            3
        } else if free.contains(&cell) {
            4
        } else if is_source(ctx, cell) {
            5
        } else {
            6
        });
    }
    k
}

/// Up to `n` rows spread over `rows` (first, last, and evenly between).
fn pick(rows: &[usize], n: usize) -> Vec<usize> {
    if rows.len() <= n {
        return rows.to_vec();
    }
    (0..n).map(|i| rows[i * (rows.len() - 1) / (n - 1).max(1)]).collect()
}

/// The advice queries `(column, rotation)` gate `g` depends on at `row`: those whose change moves
/// some polynomial at a random point. None if the gate is off there.
fn reads(ctx: &Context, g: usize, row: usize, rng: &mut ChaCha8Rng) -> Vec<(usize, i32)> {
    let info = &ctx.gates[g];
    let polys = ctx.rec.cs.gates()[g].polynomials();
    let mut o = Overlay::default();
    let cells = reads_at(ctx, row, &info.advice);
    for &c in &cells {
        o.advice.insert(c, Fr::random(&mut *rng));
    }
    let base: Vec<Fr> = polys.iter().map(|p| ctx.eval(p, row, &o)).collect();
    let mut out = vec![];
    for (&q, &c) in info.advice.iter().zip(&cells) {
        let old = o.advice[&c];
        o.advice.insert(c, Fr::random(&mut *rng));
        if polys.iter().zip(&base).any(|(p, b)| ctx.eval(p, row, &o) != *b) {
            out.push(q);
        }
        o.advice.insert(c, old);
    }
    out
}

fn reads_at(ctx: &Context, row: usize, queries: &[(usize, i32)]) -> Vec<(usize, usize)> {
    let n = ctx.rec.n as i64;
    queries.iter().map(|&(col, rot)| (col, (row as i64 + rot as i64).rem_euclid(n) as usize)).collect()
}

/// A cell that holds a value first: assigned, and either copied nowhere or the first-assigned
/// member of its copy class (zkinfer assigns a value where it is defined, then copies it).
fn is_source(ctx: &Context, (col, row): (usize, usize)) -> bool {
    if !ctx.rec.assigned(col, row) {
        return false;
    }
    match ctx.class_of.get(&CellRef::Advice(col, row)) {
        None => true,
        Some(&c) => ctx.source[c] == Some((col, row)),
    }
}

/// Cells a gate instance may re-solve: values defined at this instance, not free by design.
fn targets(ctx: &Context, row: usize, reads: &[(usize, i32)], free: &HashSet<(usize, usize)>) -> Vec<(usize, usize)> {
    reads_at(ctx, row, reads).into_iter().filter(|c| !free.contains(c) && is_source(ctx, *c)).collect()
}

/// Sets a re-solved cell and every copy of it (the value moves as a whole).
fn move_class(ctx: &Context, o: &mut Overlay, cell: (usize, usize), v: Fr) {
    match ctx.class_of.get(&CellRef::Advice(cell.0, cell.1)) {
        None => {
            o.advice.insert(cell, v);
        }
        Some(&c) => {
            for m in &ctx.classes[c] {
                match *m {
                    CellRef::Advice(col, row) => {
                        o.advice.insert((col, row), v);
                    }
                    CellRef::Instance(col, row) => {
                        o.instance.insert((col, row), v);
                    }
                    CellRef::Fixed(..) => {}
                }
            }
        }
    }
}

/// Solves polynomial `p` of instance (g, row) for `d`, when it is linear in `d`.
fn solve(ctx: &Context, g: usize, row: usize, p: usize, d: (usize, usize), o: &mut Overlay) -> Option<Fr> {
    let poly = &ctx.rec.cs.gates()[g].polynomials()[p];
    let old = o.advice.get(&d).copied();
    o.advice.insert(d, Fr::zero());
    let p0 = ctx.eval(poly, row, o);
    o.advice.insert(d, Fr::one());
    let p1 = ctx.eval(poly, row, o);
    let slope = p1 - p0;
    let v = Option::<Fr>::from(slope.invert()).map(|inv| -p0 * inv);
    if let Some(v) = v {
        o.advice.insert(d, v);
        if ctx.eval(poly, row, o) == Fr::zero() {
            return Some(v);
        }
    }
    match old {
        Some(x) => o.advice.insert(d, x),
        None => o.advice.remove(&d),
    };
    None
}

#[allow(clippy::too_many_arguments)]
fn attack(
    ctx: &Context,
    g: usize,
    row: usize,
    cell: (usize, usize),
    value: Fr,
    reads: &[(usize, i32)],
    first_targets: &[(usize, usize)],
    start: usize,
    free: &HashSet<(usize, usize)>,
    opts: &Options,
    rng: &mut ChaCha8Rng,
) -> Outcome {
    let rec = ctx.rec;
    let mut o = Overlay::default();
    o.advice.insert(cell, value);
    let mut changed = vec![cell];
    for e in reads_at(ctx, row, reads) {
        if e != cell && !rec.assigned(e.0, e.1) {
            o.advice.insert(e, Fr::from(rng.gen_range(1..=256u64)));
            changed.push(e);
        }
    }
    let mut solved: Vec<(usize, usize)> = vec![];
    let mut queue: VecDeque<(usize, usize)> = VecDeque::from([(g, row)]);
    let mut steps = 0;
    while let Some((g2, r2)) = queue.pop_front() {
        steps += 1;
        if steps > opts.max_steps {
            return Outcome::Rejected;
        }
        let before = solved.len();
        let polys = ctx.rec.cs.gates()[g2].polynomials().len();
        let mut rounds = 0;
        while let Some(p) = ctx.violated(g2, r2, &o) {
            // A cell this instance already solved may be solved again (a later polynomial moved
            // what it depends on); cells solved by other instances stay put.
            rounds += 1;
            if rounds > 4 * polys {
                return Outcome::Rejected;
            }
            // The attacked instance tries each of its targets first in turn; an instance reached
            // by propagation solves the cells furthest ahead first (a chain's or a sponge's next
            // row), since a cell at its own row was defined by the row before it.
            let mut candidates = if (g2, r2) == (g, row) {
                first_targets.to_vec()
            } else {
                let mut t = targets(ctx, r2, &ctx.gates[g2].advice, free);
                t.sort_by_key(|c| std::cmp::Reverse(c.1 as i64 - r2 as i64));
                t
            };
            if (g2, r2) == (g, row) && !candidates.is_empty() {
                let len = candidates.len();
                candidates.rotate_left(start % len);
            }
            let here = &solved[before..];
            let pick = candidates
                .into_iter()
                .filter(|d| !changed.contains(d) && (here.contains(d) || !solved.contains(d)))
                .find_map(|d| {
                    let v = solve(ctx, g2, r2, p, d, &mut o)?;
                    Some((d, v))
                });
            match pick {
                Some((d, v)) => {
                    move_class(ctx, &mut o, d, v);
                    if !solved[before..].contains(&d) {
                        solved.push(d);
                    }
                }
                None => return Outcome::Rejected,
            }
        }
        for &d in &solved[before..] {
            for reader in ctx.readers(d.0, d.1) {
                if reader != (g2, r2) && !queue.contains(&reader) {
                    queue.push_back(reader);
                }
            }
        }
    }
    // Everything the attacked, filled and re-solved cells touch must hold. Gates that read a
    // moved value only through a copy are not visited: they are consumers, recomputed by the prover.
    let mut touched: Vec<(usize, usize)> = changed;
    touched.extend(&solved);
    if ctx.check_cells(&touched, &o).is_err() {
        return Outcome::Rejected;
    }
    let escaped: Vec<(usize, usize)> = solved
        .iter()
        .copied()
        .filter(|&d| o.advice[&d] != rec.advice[d.0][d.1])
        .filter(|d| ctx.class_of.get(&CellRef::Advice(d.0, d.1)).is_some_and(|&c| ctx.classes[c].len() > 1))
        .collect();
    if escaped.is_empty() {
        return Outcome::Inert;
    }
    let public = escaped.iter().any(|d| {
        let c = ctx.class_of[&CellRef::Advice(d.0, d.1)];
        ctx.classes[c].iter().any(|m| matches!(m, CellRef::Instance(..)))
    });
    Outcome::Moved(escaped, public)
}
