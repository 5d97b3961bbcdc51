// A sum over the 256 invocations of a workgroup, shared by the kernels that
// reduce rows or batches. Call it from uniform control flow.

var<workgroup> partial: array<f32, 256>;

fn workgroup_sum(x: f32, lid: u32) -> f32 {
    partial[lid] = x;
    workgroupBarrier();
    for (var half = 128u; half > 0u; half >>= 1u) {
        if lid < half {
            partial[lid] += partial[lid + half];
        }
        workgroupBarrier();
    }
    let total = partial[0];
    workgroupBarrier();
    return total;
}
