// Tiled matrix product C[m, n] = sum_k A(m, k) B(k, n) with operands given
// by strides, so transposed views cost nothing: A(m, k) = a[m*rsa + k*csa],
// B(k, n) = b[k*rsb + n*csb]. A workgroup of 16x16 threads computes a 64x64
// tile, each thread a 4x4 block, staging 64x16 slices of A and B in
// workgroup memory. Sizes need not be multiples of the tile.
//
// `matmul` stores C; `matmul_bias_act` is the forward pass of a layer:
// pre = C + bias (per column), out = act(pre).

struct Params {
    m: u32,
    n: u32,
    k: u32,
    act: u32,
    rsa: u32,
    csa: u32,
    rsb: u32,
    csb: u32,
}

const TILE: u32 = 64u;
const TK: u32 = 16u;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;
@group(0) @binding(5) var<storage, read_write> out: array<f32>;

var<workgroup> a_tile: array<f32, 1024>; // [TK][TILE]
var<workgroup> b_tile: array<f32, 1024>; // [TK][TILE]
var<private> acc: array<array<f32, 4>, 4>;

fn load_a(m: u32, k: u32) -> f32 {
    if m < p.m && k < p.k {
        return a[m * p.rsa + k * p.csa];
    }
    return 0.0;
}

fn load_b(k: u32, n: u32) -> f32 {
    if k < p.k && n < p.n {
        return b[k * p.rsb + n * p.csb];
    }
    return 0.0;
}

// Accumulates this thread's 4x4 block of the workgroup's tile into `acc`.
fn accumulate(wid: vec3<u32>, lid: vec3<u32>) {
    let m0 = wid.y * TILE;
    let n0 = wid.x * TILE;
    let flat = lid.y * 16u + lid.x;
    for (var k0 = 0u; k0 < p.k; k0 += TK) {
        for (var i = 0u; i < 4u; i++) {
            let e = flat + i * 256u;
            // neighbouring threads read neighbouring addresses in either layout
            var mm: u32;
            var ka: u32;
            if p.csa == 1u {
                ka = e % TK;
                mm = e / TK;
            } else {
                mm = e % TILE;
                ka = e / TILE;
            }
            a_tile[ka * TILE + mm] = load_a(m0 + mm, k0 + ka);
            var nn: u32;
            var kb: u32;
            if p.csb == 1u {
                nn = e % TILE;
                kb = e / TILE;
            } else {
                kb = e % TK;
                nn = e / TK;
            }
            b_tile[kb * TILE + nn] = load_b(k0 + kb, n0 + nn);
        }
        workgroupBarrier();
        for (var kk = 0u; kk < TK; kk++) {
            var av: array<f32, 4>;
            var bv: array<f32, 4>;
            for (var i = 0u; i < 4u; i++) {
                av[i] = a_tile[kk * TILE + lid.y + 16u * i];
                bv[i] = b_tile[kk * TILE + lid.x + 16u * i];
            }
            for (var i = 0u; i < 4u; i++) {
                for (var j = 0u; j < 4u; j++) {
                    acc[i][j] = fma(av[i], bv[j], acc[i][j]);
                }
            }
        }
        workgroupBarrier();
    }
}

@compute @workgroup_size(16, 16)
fn matmul(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    accumulate(wid, lid);
    for (var i = 0u; i < 4u; i++) {
        let row = wid.y * TILE + lid.y + 16u * i;
        for (var j = 0u; j < 4u; j++) {
            let col = wid.x * TILE + lid.x + 16u * j;
            if row < p.m && col < p.n {
                c[row * p.n + col] = acc[i][j];
            }
        }
    }
}

@compute @workgroup_size(16, 16)
fn matmul_bias_act(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    accumulate(wid, lid);
    for (var i = 0u; i < 4u; i++) {
        let row = wid.y * TILE + lid.y + 16u * i;
        for (var j = 0u; j < 4u; j++) {
            let col = wid.x * TILE + lid.x + 16u * j;
            if row < p.m && col < p.n {
                let z = acc[i][j] + bias[col];
                c[row * p.n + col] = z;
                out[row * p.n + col] = activate(p.act, z);
            }
        }
    }
}
