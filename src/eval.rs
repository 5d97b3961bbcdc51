//! Evaluation: every label is tried on every image, every layer's goodness
//! recorded, and the label with the highest goodness summed over a set of
//! layers is the prediction (Section 3.1's vote). Reports the error of every
//! layer set (Figure 2) and the functional entropy with its decomposition
//! (Eq. 9 and 12, Figure 4).

use serde::Serialize;

use crate::backend::{Backend, SplitId};
use crate::error::Result;
use crate::workspace::Workspace;

/// Sums over goodness values `h` of one layer: enough for Eq. 9 and 12.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct GoodnessSums {
    pub count: f64,
    pub sum: f64,
    /// sum of h ln h (0 ln 0 = 0)
    pub sum_h_log_h: f64,
}

impl GoodnessSums {
    pub fn add(&mut self, h: f64) {
        self.count += 1.0;
        self.sum += h;
        if h > 0.0 {
            self.sum_h_log_h += h * h.ln();
        }
    }

    pub fn merge(&mut self, o: &GoodnessSums) {
        self.count += o.count;
        self.sum += o.sum;
        self.sum_h_log_h += o.sum_h_log_h;
    }
}

/// What an evaluation chunk contributes: error counts per layer set and
/// goodness sums per layer for positive (true label) and negative pairs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EvalSums {
    pub samples: u64,
    pub errors: Vec<u64>,
    pub positive: Vec<GoodnessSums>,
    pub negative: Vec<GoodnessSums>,
}

impl EvalSums {
    pub fn zeros(sets: usize, layers: usize) -> Self {
        EvalSums {
            samples: 0,
            errors: vec![0; sets],
            positive: vec![GoodnessSums::default(); layers],
            negative: vec![GoodnessSums::default(); layers],
        }
    }

    pub fn merge(&mut self, o: &EvalSums) {
        self.samples += o.samples;
        self.errors
            .iter_mut()
            .zip(&o.errors)
            .for_each(|(a, b)| *a += b);
        for (a, b) in self.positive.iter_mut().zip(&o.positive) {
            a.merge(b);
        }
        for (a, b) in self.negative.iter_mut().zip(&o.negative) {
            a.merge(b);
        }
    }

    /// Length of the flat layout: errors per set, then (count, sum, sum h ln h)
    /// per layer for positives, then the same for negatives.
    pub fn flat_len(sets: usize, layers: usize) -> usize {
        sets + 6 * layers
    }

    pub fn to_flat(&self) -> Vec<f32> {
        let triple = |g: &GoodnessSums| [g.count as f32, g.sum as f32, g.sum_h_log_h as f32];
        self.errors
            .iter()
            .map(|&e| e as f32)
            .chain(self.positive.iter().flat_map(triple))
            .chain(self.negative.iter().flat_map(triple))
            .collect()
    }

    pub fn from_flat(flat: &[f32], sets: usize, layers: usize) -> Self {
        let triple = |at: usize| GoodnessSums {
            count: flat[at] as f64,
            sum: flat[at + 1] as f64,
            sum_h_log_h: flat[at + 2] as f64,
        };
        let positive: Vec<GoodnessSums> = (0..layers).map(|i| triple(sets + 3 * i)).collect();
        let negative = (0..layers)
            .map(|i| triple(sets + 3 * layers + 3 * i))
            .collect();
        EvalSums {
            samples: positive.first().map_or(0, |g| g.count.round() as u64),
            errors: flat[..sets].iter().map(|&e| e.round() as u64).collect(),
            positive,
            negative,
        }
    }

    /// The reference reduction of a goodness table `[rows, classes * layers]`.
    pub fn from_table(
        table: &[f32],
        rows: usize,
        classes: usize,
        layers: usize,
        labels: &[u32],
        sets: &[u32],
    ) -> Self {
        let mut s = EvalSums::zeros(sets.len(), layers);
        let width = classes * layers;
        for (r, &label) in labels.iter().enumerate().take(rows) {
            let row = &table[r * width..(r + 1) * width];
            let at = |c: usize, i: usize| row[c * layers + i];
            for (k, &set) in sets.iter().enumerate() {
                let score = |c: usize| {
                    (0..layers)
                        .filter(|i| set >> i & 1 == 1)
                        .map(|i| at(c, i))
                        .sum::<f32>()
                };
                // first maximum wins, as in the GPU kernel
                let mut best = 0;
                let mut best_score = score(0);
                for c in 1..classes {
                    let sc = score(c);
                    if sc > best_score {
                        best = c;
                        best_score = sc;
                    }
                }
                if best != label as usize {
                    s.errors[k] += 1;
                }
            }
            for c in 0..classes {
                for i in 0..layers {
                    let h = at(c, i) as f64;
                    if c == label as usize {
                        s.positive[i].add(h);
                    } else {
                        s.negative[i].add(h);
                    }
                }
            }
            s.samples += 1;
        }
        s
    }
}

/// Functional entropy of goodness over z = (x, y, layer), layer uniform
/// (Eq. 9), split as Eq. 12: across layers + mean within a layer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Entropy {
    pub total: f64,
    pub across_layers: f64,
    pub within_layers: f64,
}

fn x_log_x(x: f64) -> f64 {
    if x > 0.0 { x * x.ln() } else { 0.0 }
}

impl Entropy {
    pub fn of(per_layer: &[GoodnessSums]) -> Self {
        let k = per_layer.len() as f64;
        let means: Vec<f64> = per_layer.iter().map(|s| s.sum / s.count.max(1.0)).collect();
        let mean_h_log_h: Vec<f64> = per_layer
            .iter()
            .map(|s| s.sum_h_log_h / s.count.max(1.0))
            .collect();
        let grand_mean = means.iter().sum::<f64>() / k;
        let across = means.iter().map(|&m| x_log_x(m)).sum::<f64>() / k - x_log_x(grand_mean);
        let within = means
            .iter()
            .zip(&mean_h_log_h)
            .map(|(&m, &a)| a - x_log_x(m))
            .sum::<f64>()
            / k;
        let total = mean_h_log_h.iter().sum::<f64>() / k - x_log_x(grand_mean);
        Entropy {
            total,
            across_layers: across,
            within_layers: within,
        }
    }
}

/// Layer sets to report: every non-empty subset for up to 6 layers (Figure
/// 2), else each layer alone, each prefix {1..k} and all. As bit masks; the
/// last one is always all layers.
pub fn layer_sets(layers: usize) -> Vec<u32> {
    let all = (1u32 << layers) - 1;
    let mut sets: Vec<u32> = if layers <= 6 {
        (1..=all).collect()
    } else {
        (0..layers)
            .map(|i| 1 << i)
            .chain((2..layers).map(|k| (1 << k) - 1))
            .collect()
    };
    sets.sort_by_key(|&s| (s.count_ones(), s));
    sets.retain(|&s| s != all);
    sets.push(all);
    sets
}

/// "{1,3}" for a mask (layers counted from 1, as in the paper).
pub fn set_name(mask: u32) -> String {
    let members: Vec<String> = (0..32)
        .filter(|i| mask >> i & 1 == 1)
        .map(|i| (i + 1).to_string())
        .collect();
    format!("{{{}}}", members.join(","))
}

#[derive(Debug, Clone, Serialize)]
pub struct SetError {
    pub layers: String,
    pub error: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct EntropyReport {
    pub positive: Entropy,
    pub negative: Entropy,
    pub all: Entropy,
}

/// The result of evaluating a split.
#[derive(Debug, Clone, Serialize)]
pub struct EvalReport {
    pub samples: u64,
    /// error of the prediction set (all layers unless chosen otherwise)
    pub error: f64,
    pub per_layer_error: Vec<f64>,
    pub per_set_error: Vec<SetError>,
    pub entropy: EntropyReport,
    /// mean goodness of true-label and wrong-label pairs, per layer
    pub mean_goodness_positive: Vec<f64>,
    pub mean_goodness_negative: Vec<f64>,
}

impl EvalReport {
    pub fn from_sums(s: &EvalSums, sets: &[u32], predict_set: u32) -> Self {
        let n = s.samples.max(1) as f64;
        let err = |mask: u32| {
            sets.iter()
                .position(|&m| m == mask)
                .map_or(f64::NAN, |k| s.errors[k] as f64 / n)
        };
        let layers = s.positive.len();
        let all: Vec<GoodnessSums> = s
            .positive
            .iter()
            .zip(&s.negative)
            .map(|(p, q)| {
                let mut a = *p;
                a.merge(q);
                a
            })
            .collect();
        let mean = |v: &[GoodnessSums]| -> Vec<f64> {
            v.iter().map(|g| g.sum / g.count.max(1.0)).collect()
        };
        EvalReport {
            samples: s.samples,
            error: err(predict_set),
            per_layer_error: (0..layers).map(|i| err(1 << i)).collect(),
            per_set_error: sets
                .iter()
                .map(|&m| SetError {
                    layers: set_name(m),
                    error: err(m),
                })
                .collect(),
            entropy: EntropyReport {
                positive: Entropy::of(&s.positive),
                negative: Entropy::of(&s.negative),
                all: Entropy::of(&all),
            },
            mean_goodness_positive: mean(&s.positive),
            mean_goodness_negative: mean(&s.negative),
        }
    }
}

/// Goodness of every layer for every label on `indices` of a split, into
/// `ws.goodness` (`[rows, classes * layers]`, column `c * layers + i`).
pub fn goodness_table<B: Backend>(
    backend: &mut B,
    ws: &mut Workspace<B>,
    id: SplitId,
    indices: &[u32],
) -> Result<()> {
    let (classes, layers) = (backend.net().classes, backend.net().num_layers());
    for c in 0..classes {
        let labels = vec![c as u32; indices.len()];
        backend.embed(id, indices, &labels, &mut ws.embed)?;
        ws.forward(backend, indices.len(), layers - 1, |i| c * layers + i)?;
    }
    Ok(())
}

/// Records the evaluation of a split (true labels `labels`, in chunks of
/// the workspace's rows) into `acc` (`[1, EvalSums::flat_len]`, zeroed by
/// the caller) without reading anything back: the browser reads `acc`
/// asynchronously, native code through `evaluate`.
pub fn record_evaluation<B: Backend>(
    backend: &mut B,
    ws: &mut Workspace<B>,
    id: SplitId,
    labels: &[u8],
    sets: &[u32],
    acc: &mut B::Tensor,
) -> Result<()> {
    let indices: Vec<u32> = (0..labels.len() as u32).collect();
    for chunk in indices.chunks(ws.rows) {
        goodness_table(backend, ws, id, chunk)?;
        let chunk_labels: Vec<u32> = chunk.iter().map(|&i| labels[i as usize] as u32).collect();
        backend.eval_accumulate(&ws.goodness, chunk.len(), &chunk_labels, sets, acc)?;
    }
    Ok(())
}

/// Evaluates a split whose true labels are `labels` (its first `labels.len()` samples).
pub fn evaluate<B: Backend>(
    backend: &mut B,
    ws: &mut Workspace<B>,
    id: SplitId,
    labels: &[u8],
    sets: &[u32],
) -> Result<EvalSums> {
    let layers = backend.net().num_layers();
    let mut acc = backend.tensor(1, EvalSums::flat_len(sets.len(), layers))?;
    record_evaluation(backend, ws, id, labels, sets, &mut acc)?;
    let flat = backend.read(&acc)?;
    Ok(EvalSums::from_flat(&flat, sets.len(), layers))
}
