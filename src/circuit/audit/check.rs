//! Constraint evaluation over a recorded assignment with an overlay of changed cells: every gate
//! polynomial, every lookup and every copy, read from the `ConstraintSystem` itself (so a new
//! gadget is checked by construction). It answers what MockProver answers — a test holds the two
//! to the same verdicts — but can re-check only the rows a change touches, which is what lets the
//! audit try many thousands of attacks on models of 10^5 rows.

use super::record::{CellRef, Recorded};
use halo2_proofs::halo2curves::bn256::Fr;
use halo2_proofs::plonk::Expression;
use std::collections::{HashMap, HashSet};

/// Changed cells over a recording: advice `(column, row)` and instance `(column, row)`.
#[derive(Clone, Debug, Default)]
pub struct Overlay {
    /// Advice cells read with this value instead of the recorded one.
    pub advice: HashMap<(usize, usize), Fr>,
    /// Instance cells read with this value instead: a changed public value.
    pub instance: HashMap<(usize, usize), Fr>,
}

/// The `(column, rotation)` pairs an expression reads, advice or fixed, deduplicated.
fn queries(exprs: &[&Expression<Fr>], advice: bool) -> Vec<(usize, i32)> {
    let mut out: Vec<(usize, i32)> = exprs
        .iter()
        .flat_map(|e| {
            e.evaluate(
                &|_| vec![],
                &|_| vec![],
                &|q| if advice { vec![] } else { vec![(q.column_index(), q.rotation().0)] },
                &|q| if advice { vec![(q.column_index(), q.rotation().0)] } else { vec![] },
                &|_| vec![],
                &|_| vec![],
                &|a| a,
                &|mut a, b| {
                    a.extend(b);
                    a
                },
                &|mut a, b| {
                    a.extend(b);
                    a
                },
                &|a, _| a,
            )
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// What one gate's polynomials read, precomputed from the constraint system.
pub struct GateInfo {
    /// The gate's name as configured (`requant`, `poseidon`, …): what findings and errors report.
    pub name: String,
    /// Its advice queries `(column, rotation)`, deduplicated.
    pub advice: Vec<(usize, i32)>,
    /// Its fixed queries `(column, rotation)`: the selectors and coefficients that switch it on.
    pub fixed: Vec<(usize, i32)>,
}

/// A recording indexed for checking: which gates and lookups read each advice column, each
/// lookup's table, and the copy classes.
pub struct Context<'a> {
    /// The recording every check reads beneath its overlay.
    pub rec: &'a Recorded,
    /// One per gate of the constraint system, in its order (a gate's index is its position here).
    pub gates: Vec<GateInfo>,
    /// Advice column → the gates querying it, with the rotation.
    pub gates_on: Vec<Vec<(usize, i32)>>,
    lookups_on: Vec<Vec<(usize, i32)>>,
    /// Per lookup, the table's rows (as byte strings, since field elements do not hash).
    tables: Vec<HashSet<Vec<[u8; 32]>>>,
    /// The copy class of each cell in some copy constraint (cells in none are absent).
    pub class_of: HashMap<CellRef, usize>,
    /// Each copy class's cells: a copy constraint holds when all of them agree.
    pub classes: Vec<Vec<CellRef>>,
    /// Per class, the advice cell assigned first: where the value is defined.
    pub source: Vec<Option<(usize, usize)>>,
}

impl<'a> Context<'a> {
    /// Indexes a recording: every gate's queries, every lookup's table rows (over the usable rows),
    /// and the copy classes with each class's defining cell.
    pub fn new(rec: &'a Recorded) -> Context<'a> {
        let cs = &rec.cs;
        let gates: Vec<GateInfo> = cs
            .gates()
            .iter()
            .map(|g| {
                let polys: Vec<&Expression<Fr>> = g.polynomials().iter().collect();
                GateInfo { name: g.name().to_string(), advice: queries(&polys, true), fixed: queries(&polys, false) }
            })
            .collect();
        let mut gates_on = vec![vec![]; cs.num_advice_columns()];
        for (i, g) in gates.iter().enumerate() {
            for &(col, rot) in &g.advice {
                gates_on[col].push((i, rot));
            }
        }
        let mut lookups_on = vec![vec![]; cs.num_advice_columns()];
        let mut tables = vec![];
        for (i, l) in cs.lookups().iter().enumerate() {
            let inputs: Vec<&Expression<Fr>> = l.input_expressions().iter().collect();
            for (col, rot) in queries(&inputs, true) {
                lookups_on[col].push((i, rot));
            }
            let set = (0..rec.usable)
                .map(|row| {
                    l.table_expressions().iter().map(|e| eval(rec, e, row, &Overlay::default()).to_bytes()).collect()
                })
                .collect();
            tables.push(set);
        }
        let (class_of, classes) = classes(&rec.copies);
        let source = classes
            .iter()
            .map(|members| {
                members
                    .iter()
                    .filter_map(|m| match *m {
                        CellRef::Advice(col, row) if rec.assigned(col, row) => Some((rec.order[col][row], (col, row))),
                        _ => None,
                    })
                    .min()
                    .map(|(_, cell)| cell)
            })
            .collect();
        Context { rec, gates, gates_on, lookups_on, tables, class_of, classes, source }
    }

    /// Evaluates `e` at `row` over the recording with `o`'s cells changed; rotations wrap modulo n.
    pub fn eval(&self, e: &Expression<Fr>, row: usize, o: &Overlay) -> Fr {
        eval(self.rec, e, row, o)
    }

    /// Advice cell (col, row) with `o`'s change, if any; 0 past the recording's rows.
    pub fn advice(&self, o: &Overlay, col: usize, row: usize) -> Fr {
        o.advice
            .get(&(col, row))
            .copied()
            .unwrap_or_else(|| self.rec.advice[col].get(row).copied().unwrap_or(Fr::zero()))
    }

    /// The first polynomial of gate `g` that does not vanish at `row`.
    pub fn violated(&self, g: usize, row: usize, o: &Overlay) -> Option<usize> {
        self.rec.cs.gates()[g].polynomials().iter().position(|p| self.eval(p, row, o) != Fr::zero())
    }

    fn lookup_holds(&self, l: usize, row: usize, o: &Overlay) -> bool {
        let input: Vec<[u8; 32]> =
            self.rec.cs.lookups()[l].input_expressions().iter().map(|e| self.eval(e, row, o).to_bytes()).collect();
        self.tables[l].contains(&input)
    }

    fn cell_value(&self, c: CellRef, o: &Overlay) -> Fr {
        match c {
            CellRef::Advice(col, row) => self.advice(o, col, row),
            CellRef::Instance(col, row) => o.instance.get(&(col, row)).copied().unwrap_or(self.rec.instance[col][row]),
            CellRef::Fixed(col, row) => self.rec.fixed[col][row],
        }
    }

    fn class_holds(&self, class: usize, o: &Overlay) -> bool {
        let members = &self.classes[class];
        let first = self.cell_value(members[0], o);
        members.iter().all(|&m| self.cell_value(m, o) == first)
    }

    /// Every gate on every usable row, every lookup, every copy: what MockProver checks.
    pub fn full_check(&self, o: &Overlay) -> Result<(), String> {
        for row in 0..self.rec.usable {
            for g in 0..self.gates.len() {
                if let Some(p) = self.violated(g, row, o) {
                    return Err(format!("gate `{}` (polynomial {p}) fails at row {row}", self.gates[g].name));
                }
            }
            for l in 0..self.tables.len() {
                if !self.lookup_holds(l, row, o) {
                    return Err(format!("lookup {l} fails at row {row}"));
                }
            }
        }
        match (0..self.classes.len()).find(|&c| !self.class_holds(c, o)) {
            Some(c) => Err(format!("copy constraint of {:?} fails", self.classes[c][0])),
            None => Ok(()),
        }
    }

    /// The gate instances `(gate, row)` that read advice cell `(col, row)`.
    pub fn readers(&self, col: usize, row: usize) -> impl Iterator<Item = (usize, usize)> + '_ {
        let usable = self.rec.usable as i64;
        self.gates_on[col].iter().filter_map(move |&(g, rot)| {
            let r = row as i64 - rot as i64;
            (0..usable).contains(&r).then_some((g, r as usize))
        })
    }

    /// Checks what a change of these advice cells can break: the gates and lookups that read
    /// them, and their copy constraints.
    pub fn check_cells(&self, cells: &[(usize, usize)], o: &Overlay) -> Result<(), String> {
        let usable = self.rec.usable as i64;
        for &(col, row) in cells {
            for (g, r) in self.readers(col, row) {
                if let Some(p) = self.violated(g, r, o) {
                    return Err(format!("gate `{}` (polynomial {p}) at row {r}", self.gates[g].name));
                }
            }
            for &(l, rot) in &self.lookups_on[col] {
                let r = row as i64 - rot as i64;
                if (0..usable).contains(&r) && !self.lookup_holds(l, r as usize, o) {
                    return Err(format!("lookup {l} at row {r}"));
                }
            }
            if let Some(&c) = self.class_of.get(&CellRef::Advice(col, row)) {
                if !self.class_holds(c, o) {
                    return Err(format!("copy constraint of ({col}, {row})"));
                }
            }
        }
        Ok(())
    }
}

fn eval(rec: &Recorded, e: &Expression<Fr>, row: usize, o: &Overlay) -> Fr {
    let n = rec.n as i64;
    let at = |rot: i32| (row as i64 + rot as i64).rem_euclid(n) as usize;
    e.evaluate(
        &|c| c,
        &|_| unreachable!("zkinfer circuits use fixed columns, not selectors"),
        &|q| rec.fixed[q.column_index()][at(q.rotation().0)],
        &|q| {
            let (col, r) = (q.column_index(), at(q.rotation().0));
            o.advice.get(&(col, r)).copied().unwrap_or(rec.advice[col][r])
        },
        &|q| {
            let (col, r) = (q.column_index(), at(q.rotation().0));
            o.instance.get(&(col, r)).copied().unwrap_or(rec.instance[col][r])
        },
        &|c| rec.challenges[c.index()],
        &|a| -a,
        &|a, b| a + b,
        &|a, b| a * b,
        &|a, f| a * f,
    )
}

/// Equivalence classes of the copy constraints (union-find).
fn classes(copies: &[(CellRef, CellRef)]) -> (HashMap<CellRef, usize>, Vec<Vec<CellRef>>) {
    let mut index: HashMap<CellRef, usize> = HashMap::new();
    let mut parent: Vec<usize> = vec![];
    let mut id = |c: CellRef, parent: &mut Vec<usize>| -> usize {
        *index.entry(c).or_insert_with(|| {
            parent.push(parent.len());
            parent.len() - 1
        })
    };
    fn find(parent: &mut [usize], mut x: usize) -> usize {
        while parent[x] != x {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        x
    }
    for &(a, b) in copies {
        let (a, b) = (id(a, &mut parent), id(b, &mut parent));
        let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
        parent[ra] = rb;
    }
    let mut class_id: HashMap<usize, usize> = HashMap::new();
    let mut classes: Vec<Vec<CellRef>> = vec![];
    let mut class_of = HashMap::new();
    let mut cells: Vec<(CellRef, usize)> = index.into_iter().collect();
    cells.sort();
    for (cell, i) in cells {
        let root = find(&mut parent, i);
        let c = *class_id.entry(root).or_insert_with(|| {
            classes.push(vec![]);
            classes.len() - 1
        });
        classes[c].push(cell);
        class_of.insert(cell, c);
    }
    (class_of, classes)
}
