//! The WGSL kernels (`shaders/`), compiled once per device, each with an
//! explicit bind group layout: binding 0 is always the kernel's parameters,
//! a window of the upload arena at a dynamic offset.

use std::collections::HashMap;

use crate::error::{Error, Result};

/// Bytes of the parameter window every kernel's binding 0 sees.
pub const PARAMS_BYTES: u64 = 256;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KernelId {
    Embed,
    Normalize,
    Matmul,
    MatmulBiasAct,
    Goodness,
    LossGrad,
    Dpre,
    BiasGrad,
    AdamTick,
    Adam,
    EvalSums,
}

/// How a binding after the parameters is used.
#[derive(Debug, Clone, Copy)]
enum Access {
    Read,
    ReadWrite,
}

const ACTIVATION: &str = include_str!("../../shaders/activation.wgsl");
const REDUCE: &str = include_str!("../../shaders/reduce.wgsl");

struct Spec {
    id: KernelId,
    source: &'static str,
    /// shared functions prepended to the source
    prelude: &'static [&'static str],
    entry: &'static str,
    /// (binding number, access) of the buffers after the parameters
    bindings: &'static [(u32, Access)],
}

use Access::{Read as R, ReadWrite as W};

const SPECS: &[Spec] = &[
    Spec {
        id: KernelId::Embed,
        source: include_str!("../../shaders/embed.wgsl"),
        prelude: &[],
        entry: "embed",
        bindings: &[(1, R), (2, R), (3, R), (4, W)],
    },
    Spec {
        id: KernelId::Normalize,
        source: include_str!("../../shaders/normalize.wgsl"),
        prelude: &[REDUCE],
        entry: "normalize",
        bindings: &[(1, R), (2, W)],
    },
    Spec {
        id: KernelId::Matmul,
        source: include_str!("../../shaders/matmul.wgsl"),
        prelude: &[ACTIVATION],
        entry: "matmul",
        bindings: &[(1, R), (2, R), (3, W)],
    },
    Spec {
        id: KernelId::MatmulBiasAct,
        source: include_str!("../../shaders/matmul.wgsl"),
        prelude: &[ACTIVATION],
        entry: "matmul_bias_act",
        bindings: &[(1, R), (2, R), (3, W), (4, R), (5, W)],
    },
    Spec {
        id: KernelId::Goodness,
        source: include_str!("../../shaders/goodness.wgsl"),
        prelude: &[REDUCE],
        entry: "goodness_rows",
        bindings: &[(1, R), (2, W)],
    },
    Spec {
        id: KernelId::LossGrad,
        source: include_str!("../../shaders/loss.wgsl"),
        prelude: &[REDUCE],
        entry: "loss_grad",
        bindings: &[(1, R), (2, W), (3, W)],
    },
    Spec {
        id: KernelId::Dpre,
        source: include_str!("../../shaders/gradient.wgsl"),
        prelude: &[ACTIVATION],
        entry: "dpre_rows",
        bindings: &[(1, R), (2, R), (3, R), (4, W)],
    },
    Spec {
        id: KernelId::BiasGrad,
        source: include_str!("../../shaders/gradient.wgsl"),
        prelude: &[ACTIVATION],
        entry: "bias_grad",
        // dpre and the bias gradient only
        bindings: &[(4, W), (5, W)],
    },
    Spec {
        id: KernelId::AdamTick,
        source: include_str!("../../shaders/adam.wgsl"),
        prelude: &[],
        entry: "tick",
        // the step counts only
        bindings: &[(1, W)],
    },
    Spec {
        id: KernelId::Adam,
        source: include_str!("../../shaders/adam.wgsl"),
        prelude: &[],
        entry: "adam",
        bindings: &[(1, W), (2, W), (3, R), (4, W), (5, W)],
    },
    Spec {
        id: KernelId::EvalSums,
        source: include_str!("../../shaders/eval.wgsl"),
        prelude: &[REDUCE],
        entry: "eval_sums",
        bindings: &[(1, R), (2, R), (3, W)],
    },
];

pub struct Kernel {
    pub pipeline: wgpu::ComputePipeline,
    pub layout: wgpu::BindGroupLayout,
    /// binding numbers of the buffers after the parameters, in call order
    pub bindings: Vec<u32>,
}

pub struct Kernels {
    map: HashMap<KernelId, Kernel>,
}

fn layout_entries(bindings: &[(u32, Access)]) -> Vec<wgpu::BindGroupLayoutEntry> {
    let buffer = |binding: u32, ty, dynamic| wgpu::BindGroupLayoutEntry {
        binding,
        visibility: wgpu::ShaderStages::COMPUTE,
        ty: wgpu::BindingType::Buffer {
            ty,
            has_dynamic_offset: dynamic,
            min_binding_size: None,
        },
        count: None,
    };
    let params = buffer(0, wgpu::BufferBindingType::Uniform, true);
    std::iter::once(params)
        .chain(bindings.iter().map(|&(b, access)| {
            let read_only = matches!(access, Access::Read);
            buffer(b, wgpu::BufferBindingType::Storage { read_only }, false)
        }))
        .collect()
}

impl Kernels {
    /// Compiles every kernel; a shader that fails validation is an error naming it.
    pub async fn new(device: &wgpu::Device) -> Result<Self> {
        let scope = device.push_error_scope(wgpu::ErrorFilter::Validation);
        let mut modules: HashMap<*const u8, wgpu::ShaderModule> = HashMap::new();
        let mut map = HashMap::new();
        for spec in SPECS {
            let module = modules.entry(spec.source.as_ptr()).or_insert_with(|| {
                let code = spec
                    .prelude
                    .iter()
                    .chain([&spec.source])
                    .copied()
                    .collect::<Vec<_>>()
                    .join("\n");
                device.create_shader_module(wgpu::ShaderModuleDescriptor {
                    label: Some(spec.entry),
                    source: wgpu::ShaderSource::Wgsl(code.into()),
                })
            });
            let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
                label: Some(spec.entry),
                entries: &layout_entries(spec.bindings),
            });
            let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
                label: Some(spec.entry),
                bind_group_layouts: &[Some(&layout)],
                immediate_size: 0,
            });
            let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(spec.entry),
                layout: Some(&pipeline_layout),
                module,
                entry_point: Some(spec.entry),
                compilation_options: Default::default(),
                cache: None,
            });
            let bindings = spec.bindings.iter().map(|&(b, _)| b).collect();
            map.insert(
                spec.id,
                Kernel {
                    pipeline,
                    layout,
                    bindings,
                },
            );
        }
        if let Some(e) = scope.pop().await {
            return Err(Error::Gpu(format!("a WGSL kernel failed validation: {e}")));
        }
        Ok(Kernels { map })
    }

    pub fn get(&self, id: KernelId) -> &Kernel {
        &self.map[&id]
    }
}
