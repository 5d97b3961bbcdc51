// The local gradient through g = sum out^2: `dpre` = dg * 2 out * act'(pre)
// per element, and `bias_grad` = the column sums of dpre. The weight
// gradient is then the product dpre^T xn (matmul.wgsl).

struct Params {
    rows: u32,
    cols: u32,
    act: u32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dgoodness: array<f32>;
@group(0) @binding(2) var<storage, read> pre: array<f32>;
@group(0) @binding(3) var<storage, read> activity: array<f32>;
@group(0) @binding(4) var<storage, read_write> dpre: array<f32>;
@group(0) @binding(5) var<storage, read_write> grad_bias: array<f32>;

@compute @workgroup_size(64)
fn dpre_rows(@builtin(global_invocation_id) gid: vec3<u32>) {
    let col = gid.x;
    let row = gid.y;
    if col >= p.cols || row >= p.rows {
        return;
    }
    let i = row * p.cols + col;
    dpre[i] = dgoodness[row] * 2.0 * activity[i] * activate_derivative(p.act, pre[i]);
}

@compute @workgroup_size(64)
fn bias_grad(@builtin(global_invocation_id) gid: vec3<u32>) {
    let col = gid.x;
    if col >= p.cols {
        return;
    }
    var s = 0.0;
    for (var r = 0u; r < p.rows; r++) {
        s += dpre[r * p.cols + col];
    }
    grad_bias[col] = s;
}
