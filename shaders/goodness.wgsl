// Goodness: each row's sum of squared activities, written to column `col`
// of a `[rows, stride]` table. One workgroup per row.

struct Params {
    rows: u32,
    cols: u32,
    stride: u32,
    col: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> activity: array<f32>;
@group(0) @binding(2) var<storage, read_write> goodness: array<f32>;

var<workgroup> partial: array<f32, 64>;

@compute @workgroup_size(64)
fn goodness_rows(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let base = wid.x * p.cols;
    var s = 0.0;
    for (var c = lid; c < p.cols; c += 64u) {
        let h = activity[base + c];
        s += h * h;
    }
    partial[lid] = s;
    workgroupBarrier();
    for (var half = 32u; half > 0u; half >>= 1u) {
        if lid < half {
            partial[lid] += partial[lid + half];
        }
        workgroupBarrier();
    }
    if lid == 0u {
        goodness[wid.x * p.stride + p.col] = partial[0];
    }
}
