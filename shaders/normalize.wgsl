// Length normalisation of each row: x / (rms(x) + eps) (norm 0) or
// x / (||x|| + eps) (norm 1). One workgroup per row (reduce.wgsl's sum).

struct Params {
    rows: u32,
    cols: u32,
    norm: u32,
    _pad: u32,
}

const NORM_EPS: f32 = 1e-8;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> xn: array<f32>;

@compute @workgroup_size(256)
fn normalize(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let base = wid.x * p.cols;
    var s = 0.0;
    for (var c = lid; c < p.cols; c += 256u) {
        let v = x[base + c];
        s += v * v;
    }
    let sum_sq = workgroup_sum(s, lid);
    let size = select(sqrt(sum_sq), sqrt(sum_sq / f32(p.cols)), p.norm == 0u);
    let inv = 1.0 / (size + NORM_EPS);
    for (var c = lid; c < p.cols; c += 256u) {
        xn[base + c] = x[base + c] * inv;
    }
}
