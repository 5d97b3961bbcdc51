// Evaluation reduction over a goodness table `[rows, classes * layers]`
// (column c * layers + i): for every layer set (a bit mask), the number of
// rows whose highest-scoring label (first maximum) is wrong; for every
// layer, count, sum h and sum h ln h over true-label (positive) and
// wrong-label (negative) pairs. Added into `acc`:
// [errors per set][layers x (count, sum, h ln h) positive][same, negative].
// One workgroup; only `acc` ever comes back to the host.

struct Params {
    rows: u32,
    classes: u32,
    layers: u32,
    sets: u32,
    labels_at: u32, // word offset of the labels in `arena`
    sets_at: u32,   // word offset of the set masks in `arena`
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> arena: array<u32>;
@group(0) @binding(2) var<storage, read> table: array<f32>;
@group(0) @binding(3) var<storage, read_write> acc: array<f32>;

fn score(r: u32, c: u32, mask: u32) -> f32 {
    var s = 0.0;
    for (var i = 0u; i < p.layers; i++) {
        if ((mask >> i) & 1u) == 1u {
            s += table[(r * p.classes + c) * p.layers + i];
        }
    }
    return s;
}

fn h_log_h(h: f32) -> f32 {
    return select(0.0, h * log(h), h > 0.0);
}

@compute @workgroup_size(256)
fn eval_sums(@builtin(local_invocation_index) lid: u32) {
    for (var k = 0u; k < p.sets; k++) {
        let mask = arena[p.sets_at + k];
        var wrong = 0.0;
        for (var r = lid; r < p.rows; r += 256u) {
            var best = 0u;
            var best_score = score(r, 0u, mask);
            for (var c = 1u; c < p.classes; c++) {
                let s = score(r, c, mask);
                if s > best_score {
                    best = c;
                    best_score = s;
                }
            }
            if best != arena[p.labels_at + r] {
                wrong += 1.0;
            }
        }
        let total = workgroup_sum(wrong, lid);
        if lid == 0u {
            acc[k] += total;
        }
    }
    let negative_at = p.sets + 3u * p.layers;
    for (var i = 0u; i < p.layers; i++) {
        var pos = vec3<f32>(0.0);
        var neg = vec3<f32>(0.0);
        for (var r = lid; r < p.rows; r += 256u) {
            let label = arena[p.labels_at + r];
            for (var c = 0u; c < p.classes; c++) {
                let h = table[(r * p.classes + c) * p.layers + i];
                let term = vec3<f32>(1.0, h, h_log_h(h));
                if c == label {
                    pos += term;
                } else {
                    neg += term;
                }
            }
        }
        let pos_count = workgroup_sum(pos.x, lid);
        let pos_sum = workgroup_sum(pos.y, lid);
        let pos_hlogh = workgroup_sum(pos.z, lid);
        let neg_count = workgroup_sum(neg.x, lid);
        let neg_sum = workgroup_sum(neg.y, lid);
        let neg_hlogh = workgroup_sum(neg.z, lid);
        if lid == 0u {
            let pa = p.sets + 3u * i;
            acc[pa] += pos_count;
            acc[pa + 1u] += pos_sum;
            acc[pa + 2u] += pos_hlogh;
            let na = negative_at + 3u * i;
            acc[na] += neg_count;
            acc[na + 1u] += neg_sum;
            acc[na + 2u] += neg_hlogh;
        }
    }
}
