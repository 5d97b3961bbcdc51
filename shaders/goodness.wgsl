// Goodness: each row's sum of squared activities, written to column `col`
// of a `[rows, stride]` table. One workgroup per row (reduce.wgsl's sum).

struct Params {
    rows: u32,
    cols: u32,
    stride: u32,
    col: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> activity: array<f32>;
@group(0) @binding(2) var<storage, read_write> goodness: array<f32>;

@compute @workgroup_size(256)
fn goodness_rows(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let base = wid.x * p.cols;
    var s = 0.0;
    for (var c = lid; c < p.cols; c += 256u) {
        let h = activity[base + c];
        s += h * h;
    }
    let total = workgroup_sum(s, lid);
    if lid == 0u {
        goodness[wid.x * p.stride + p.col] = total;
    }
}
