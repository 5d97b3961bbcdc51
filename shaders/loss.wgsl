// dL/dg of layer `layer` for every sample of a batch (positives first), and
// the layer's loss and goodness sums added to its row of `stats`. One
// workgroup; the math is `crate::objective` (see its doc for the entropy
// reading: functional entropy within each image's positive/negative pair).
// Objectives: 0 ff, 1 cff, 2 cff-lt, 3 entropy, 4 entropy-collab.

struct Params {
    objective: u32,
    layer: u32,
    rows: u32,
    n_pos: u32,
    layers: u32,
    theta: f32,
    _pad0: u32,
    _pad1: u32,
}

const ENTROPY_FLOOR: f32 = 1e-12;
const STAT_COLS: u32 = 5u;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> goodness: array<f32>;
@group(0) @binding(2) var<storage, read_write> dgoodness: array<f32>;
@group(0) @binding(3) var<storage, read_write> stats: array<f32>;

fn softplus(x: f32) -> f32 {
    return max(x, 0.0) + log(1.0 + exp(-abs(x)));
}

fn sigmoid(x: f32) -> f32 {
    if x >= 0.0 {
        return 1.0 / (1.0 + exp(-x));
    }
    let e = exp(x);
    return e / (1.0 + e);
}

// g_i plus gamma, the other layers' goodness the objective adds.
fn value(r: u32) -> f32 {
    let row = r * p.layers;
    var gamma = 0.0;
    if p.objective == 1u || p.objective == 4u {
        for (var t = 0u; t < p.layers; t++) {
            if t != p.layer {
                gamma += goodness[row + t];
            }
        }
    } else if p.objective == 2u {
        for (var t = 0u; t < p.layer; t++) {
            gamma += goodness[row + t];
        }
    }
    return goodness[row + p.layer] + gamma;
}

@compute @workgroup_size(256)
fn loss_grad(@builtin(local_invocation_index) lid: u32) {
    let n = f32(p.rows);
    var loss_part = 0.0;
    var pos_part = 0.0;
    var neg_part = 0.0;
    for (var r = lid; r < p.rows; r += 256u) {
        let g = goodness[r * p.layers + p.layer];
        if r < p.n_pos {
            pos_part += g;
        } else {
            neg_part += g;
        }
    }
    var loss_sum: f32;
    if p.objective <= 2u {
        for (var r = lid; r < p.rows; r += 256u) {
            let u = value(r) - p.theta;
            if r < p.n_pos {
                loss_part += softplus(-u);
                dgoodness[r] = -sigmoid(-u) / n;
            } else {
                loss_part += softplus(u);
                dgoodness[r] = sigmoid(u) / n;
            }
        }
        loss_sum = workgroup_sum(loss_part, lid);
    } else {
        // pairs: positive r and negative r + n_pos show the same image
        let pairs = f32(p.n_pos);
        for (var r = lid; r < p.n_pos; r += 256u) {
            let vp = max(value(r), ENTROPY_FLOOR);
            let vn = max(value(r + p.n_pos), ENTROPY_FLOOR);
            let m = (vp + vn) / 2.0;
            let qp = vp / m;
            let qn = vn / m;
            loss_part += qp * log(qp) - qn * log(qn);
            let slope = log(qp) + log(qn) + 2.0;
            dgoodness[r] = -(qn / (2.0 * m)) * slope / pairs;
            dgoodness[r + p.n_pos] = (qp / (2.0 * m)) * slope / pairs;
        }
        // the batch loss is -J = -(1/P) sum_pairs [...]; stats hold loss * rows
        loss_sum = -workgroup_sum(loss_part, lid) / pairs * n;
    }
    let pos_sum = workgroup_sum(pos_part, lid);
    let neg_sum = workgroup_sum(neg_part, lid);
    if lid == 0u {
        let at = p.layer * STAT_COLS;
        stats[at] += loss_sum;
        stats[at + 1u] += pos_sum;
        stats[at + 2u] += neg_sum;
        stats[at + 3u] += f32(p.n_pos);
        stats[at + 4u] += f32(p.rows - p.n_pos);
    }
}
