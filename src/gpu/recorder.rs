//! Records kernel dispatches for one submit: their parameters and host data
//! (batch indices, labels) go into an upload arena written once per submit,
//! bind groups are created on first use and cached, and `flush` encodes
//! every pending dispatch into one compute pass and submits it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use super::context::GpuContext;
use super::kernels::{KernelId, Kernels, PARAMS_BYTES};
use crate::error::{Error, Result};

/// Dynamic offsets and storage offsets must be multiples of this (WebGPU's limit).
const ALIGN: usize = 256;
/// Bind groups kept before the cache is emptied (tests make many tensors).
const MAX_CACHED_BIND_GROUPS: usize = 4096;

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

fn next_id() -> u64 {
    NEXT_ID.fetch_add(1, Ordering::Relaxed)
}

/// A 2-D f32 (or packed u8/u32) array in a GPU storage buffer.
#[derive(Debug, Clone)]
pub struct GpuTensor {
    pub(crate) id: u64,
    pub(crate) buffer: wgpu::Buffer,
    pub rows: usize,
    pub cols: usize,
}

impl GpuTensor {
    /// A zero-filled buffer of `rows * cols` 4-byte words.
    pub fn new(ctx: &GpuContext, rows: usize, cols: usize, label: &str) -> Result<Self> {
        let bytes = (rows * cols * 4).max(4) as u64;
        let limit = ctx.device.limits().max_storage_buffer_binding_size;
        if bytes > limit {
            return Err(Error::Gpu(format!(
                "{label}: a [{rows}, {cols}] tensor needs {bytes} bytes, over WebGPU's \
                 {limit}-byte storage binding limit"
            )));
        }
        let buffer = ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            size: bytes,
            usage: wgpu::BufferUsages::STORAGE
                | wgpu::BufferUsages::COPY_SRC
                | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        Ok(GpuTensor {
            id: next_id(),
            buffer,
            rows,
            cols,
        })
    }

    pub fn len(&self) -> usize {
        self.rows * self.cols
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A kernel's buffer argument: a tensor, or the upload arena itself.
pub enum Buf<'a> {
    T(&'a GpuTensor),
    Arena,
}

struct Dispatch {
    kernel: KernelId,
    bind_group: wgpu::BindGroup,
    offset: u32,
    groups: [u32; 3],
}

pub struct Recorder {
    pub ctx: GpuContext,
    pub kernels: Kernels,
    arena: Vec<u8>,
    arena_buffer: wgpu::Buffer,
    arena_id: u64,
    pending: Vec<Dispatch>,
    bind_groups: HashMap<(KernelId, Vec<u64>), wgpu::BindGroup>,
}

fn arena_buffer(ctx: &GpuContext, bytes: usize) -> wgpu::Buffer {
    ctx.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("upload arena"),
        size: bytes as u64,
        usage: wgpu::BufferUsages::UNIFORM
            | wgpu::BufferUsages::STORAGE
            | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    })
}

impl Recorder {
    pub fn new(ctx: GpuContext, kernels: Kernels) -> Self {
        let bytes = 1 << 20;
        Recorder {
            arena: Vec::with_capacity(bytes),
            arena_buffer: arena_buffer(&ctx, bytes),
            ctx,
            kernels,
            arena_id: next_id(),
            pending: Vec::new(),
            bind_groups: HashMap::new(),
        }
    }

    fn capacity(&self) -> usize {
        self.arena_buffer.size() as usize
    }

    /// Appends words at an aligned offset; returns their word offset.
    fn push(&mut self, words: &[u32]) -> u32 {
        let start = self.arena.len().next_multiple_of(ALIGN);
        self.arena.resize(start, 0);
        self.arena.extend_from_slice(bytemuck::cast_slice(words));
        (start / 4) as u32
    }

    /// Makes room for `bytes` more (aligned) bytes: submits what is pending
    /// if the arena is full, and grows it if one op needs more than it holds.
    fn reserve(&mut self, bytes: usize) -> Result<()> {
        if self.arena.len().next_multiple_of(ALIGN) + bytes <= self.capacity() {
            return Ok(());
        }
        self.flush()?;
        if bytes > self.capacity() {
            let size = bytes.next_power_of_two().max(2 * self.capacity());
            self.arena_buffer = arena_buffer(&self.ctx, size);
            self.arena_id = next_id();
            self.bind_groups.clear();
        }
        Ok(())
    }

    /// Queues kernel `id`. `uploads` are copied into the arena; `params`
    /// receives their word offsets and returns the kernel's parameter words.
    pub fn dispatch(
        &mut self,
        id: KernelId,
        uploads: &[&[u32]],
        params: impl FnOnce(&[u32]) -> Vec<u32>,
        buffers: &[Buf<'_>],
        groups: [u32; 3],
    ) -> Result<()> {
        let max = self
            .ctx
            .device
            .limits()
            .max_compute_workgroups_per_dimension;
        if groups.iter().any(|&g| g > max) {
            return Err(Error::Gpu(format!(
                "{id:?}: {groups:?} workgroups exceed the limit of {max} per dimension"
            )));
        }
        if groups.contains(&0) {
            return Ok(());
        }
        let bytes: usize = uploads
            .iter()
            .map(|u| (u.len() * 4).next_multiple_of(ALIGN))
            .sum::<usize>()
            + 2 * ALIGN;
        self.reserve(bytes)?;
        let offsets: Vec<u32> = uploads.iter().map(|u| self.push(u)).collect();
        let mut words = params(&offsets);
        assert!(
            words.len() * 4 <= PARAMS_BYTES as usize,
            "params fit the window"
        );
        words.resize(PARAMS_BYTES as usize / 4, 0);
        let offset = self.push(&words) * 4;
        let bind_group = self.bind_group(id, buffers);
        self.pending.push(Dispatch {
            kernel: id,
            bind_group,
            offset,
            groups,
        });
        Ok(())
    }

    fn bind_group(&mut self, id: KernelId, buffers: &[Buf<'_>]) -> wgpu::BindGroup {
        let ids: Vec<u64> = std::iter::once(self.arena_id)
            .chain(buffers.iter().map(|b| match b {
                Buf::T(t) => t.id,
                Buf::Arena => self.arena_id,
            }))
            .collect();
        if self.bind_groups.len() > MAX_CACHED_BIND_GROUPS {
            self.bind_groups.clear();
        }
        let (arena, ctx, kernels) = (&self.arena_buffer, &self.ctx, &self.kernels);
        self.bind_groups
            .entry((id, ids))
            .or_insert_with(|| {
                let kernel = kernels.get(id);
                assert_eq!(kernel.bindings.len(), buffers.len(), "{id:?} buffer count");
                let params = wgpu::BindGroupEntry {
                    binding: 0,
                    resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                        buffer: arena,
                        offset: 0,
                        size: wgpu::BufferSize::new(PARAMS_BYTES),
                    }),
                };
                let entries: Vec<wgpu::BindGroupEntry> = std::iter::once(params)
                    .chain(kernel.bindings.iter().zip(buffers).map(|(&binding, b)| {
                        let buffer = match b {
                            Buf::T(t) => &t.buffer,
                            Buf::Arena => arena,
                        };
                        wgpu::BindGroupEntry {
                            binding,
                            resource: buffer.as_entire_binding(),
                        }
                    }))
                    .collect();
                ctx.device.create_bind_group(&wgpu::BindGroupDescriptor {
                    label: None,
                    layout: &kernel.layout,
                    entries: &entries,
                })
            })
            .clone()
    }

    /// Uploads the arena and submits every pending dispatch in one compute pass.
    pub fn flush(&mut self) -> Result<()> {
        let (ctx, kernels) = (&self.ctx, &self.kernels);
        if self.pending.is_empty() {
            self.arena.clear();
            return ctx.check();
        }
        ctx.queue.write_buffer(&self.arena_buffer, 0, &self.arena);
        let mut encoder = ctx
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("step"),
            });
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("ffgpu"),
                timestamp_writes: None,
            });
            for d in &self.pending {
                pass.set_pipeline(&kernels.get(d.kernel).pipeline);
                pass.set_bind_group(0, &d.bind_group, &[d.offset]);
                pass.dispatch_workgroups(d.groups[0], d.groups[1], d.groups[2]);
            }
        }
        ctx.queue.submit([encoder.finish()]);
        self.pending.clear();
        self.arena.clear();
        ctx.check()
    }
}

/// Copies `bytes` of `buffer` back to the host, waiting for the GPU. On
/// the web this must be awaited from the event loop (no blocking there).
pub async fn read_back(ctx: &GpuContext, buffer: &wgpu::Buffer, bytes: u64) -> Result<Vec<u8>> {
    let bytes = bytes.max(4).next_multiple_of(4);
    let staging = ctx.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("readback"),
        size: bytes,
        usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    let mut encoder = ctx
        .device
        .create_command_encoder(&wgpu::CommandEncoderDescriptor {
            label: Some("readback"),
        });
    encoder.copy_buffer_to_buffer(buffer, 0, &staging, 0, bytes);
    ctx.queue.submit([encoder.finish()]);
    let (tx, rx) = futures_channel::oneshot::channel();
    staging.slice(..).map_async(wgpu::MapMode::Read, move |r| {
        let _ = tx.send(r);
    });
    #[cfg(not(target_arch = "wasm32"))]
    ctx.device
        .poll(wgpu::PollType::wait_indefinitely())
        .map_err(|e| Error::Gpu(format!("waiting for the GPU: {e}")))?;
    let mapped = rx
        .await
        .map_err(|_| Error::Gpu("the readback was cancelled (device lost?)".into()))?;
    ctx.check()?;
    mapped.map_err(|e| Error::Gpu(format!("cannot map a readback buffer: {e}")))?;
    let data = staging
        .slice(..)
        .get_mapped_range()
        .map_err(|e| Error::Gpu(format!("cannot read a mapped buffer: {e}")))?
        .to_vec();
    staging.unmap();
    Ok(data)
}
