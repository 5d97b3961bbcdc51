// Batch assembly: gathers images (packed u8, four pixels a word) by index,
// scales them to [0, 1] and adds the label as a one-hot vector, appended
// (mode 0, concat) or over the first `classes` pixels (mode 1, overlay).
// Indices and labels come from the per-submit upload arena. A split larger
// than one storage binding is held in two buffers: images below `split_at`
// in `images_lo`, the rest in `images_hi`.

struct Params {
    rows: u32,
    pixels: u32,
    classes: u32,
    dim: u32,
    mode: u32,
    split_at: u32,
    indices_at: u32, // word offset of the indices in `arena`
    labels_at: u32,  // word offset of the labels in `arena`
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> arena: array<u32>;
@group(0) @binding(2) var<storage, read> images_lo: array<u32>;
@group(0) @binding(3) var<storage, read> images_hi: array<u32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

fn pixel(image: u32, k: u32) -> f32 {
    var word: u32;
    var byte: u32;
    if image < p.split_at {
        byte = image * p.pixels + k;
        word = images_lo[byte / 4u];
    } else {
        byte = (image - p.split_at) * p.pixels + k;
        word = images_hi[byte / 4u];
    }
    // multiply by the rounded 1/255, exactly as the CPU reference does
    return f32((word >> ((byte % 4u) * 8u)) & 0xffu) * (1.0 / 255.0);
}

@compute @workgroup_size(64)
fn embed(@builtin(global_invocation_id) gid: vec3<u32>) {
    let col = gid.x;
    let row = gid.y;
    if row >= p.rows || col >= p.dim {
        return;
    }
    let image = arena[p.indices_at + row];
    let label = arena[p.labels_at + row];
    var v: f32;
    if p.mode == 0u {
        if col < p.pixels {
            v = pixel(image, col);
        } else {
            v = select(0.0, 1.0, col - p.pixels == label);
        }
    } else {
        if col < p.classes {
            v = select(0.0, 1.0, col == label);
        } else {
            v = pixel(image, col);
        }
    }
    out[row * p.dim + col] = v;
}
