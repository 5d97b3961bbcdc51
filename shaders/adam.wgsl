// Adam with bias correction. The step count of each layer lives on the GPU:
// `tick` advances it once per update, `adam` reads it for the correction.

struct Params {
    n: u32,
    layer: u32,
    groups_x: u32, // workgroups along x, for updates larger than one dispatch row
    lr: f32,
    beta1: f32,
    beta2: f32,
    eps: f32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> steps: array<u32>;
@group(0) @binding(2) var<storage, read_write> param: array<f32>;
@group(0) @binding(3) var<storage, read> grad: array<f32>;
@group(0) @binding(4) var<storage, read_write> m: array<f32>;
@group(0) @binding(5) var<storage, read_write> v: array<f32>;

@compute @workgroup_size(1)
fn tick() {
    steps[p.layer] += 1u;
}

@compute @workgroup_size(256)
fn adam(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let i = (wid.y * p.groups_x + wid.x) * 256u + lid;
    if i >= p.n {
        return;
    }
    let t = f32(steps[p.layer]);
    let g = grad[i];
    let mi = p.beta1 * m[i] + (1.0 - p.beta1) * g;
    let vi = p.beta2 * v[i] + (1.0 - p.beta2) * g * g;
    m[i] = mi;
    v[i] = vi;
    let m_hat = mi / (1.0 - pow(p.beta1, t));
    let v_hat = vi / (1.0 - pow(p.beta2, t));
    param[i] -= p.lr * m_hat / (sqrt(v_hat) + p.eps);
}
