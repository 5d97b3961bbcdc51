//! The GPU backend: every op of `Backend` as WGSL kernels recorded into one
//! compute pass per step; data sets live on the GPU as packed u8, weights,
//! gradients, Adam moments and step counts never leave it during training.

use super::context::GpuContext;
use super::kernels::{KernelId, Kernels};
use super::recorder::{Buf, GpuTensor, Recorder, read_back};
use crate::backend::{Backend, LayerActs, Shaped, SplitId, check_forward, check_loss, check_shape};
use crate::config::{Activation, AdamConfig, LabelEmbed, NetConfig, Norm, Objective};
use crate::data::Split;
use crate::error::{Error, Result};
use crate::model::{AdamMoments, LayerState, ModelState};

/// A layer's parameters, gradient and Adam moments on the GPU.
struct GpuLayer {
    weight: GpuTensor,
    bias: GpuTensor,
    grad_weight: GpuTensor,
    grad_bias: GpuTensor,
    m_weight: GpuTensor,
    v_weight: GpuTensor,
    m_bias: GpuTensor,
    v_bias: GpuTensor,
}

/// A split's images packed four to a word, in one or two buffers (a split
/// over one binding's 128 MiB is cut at image `split_at`).
struct ImageSplit {
    lo: GpuTensor,
    hi: GpuTensor,
    split_at: u32,
    len: usize,
}

pub struct GpuBackend {
    rec: Recorder,
    net: NetConfig,
    layers: Vec<GpuLayer>,
    /// Adam's step count per layer (u32)
    steps: GpuTensor,
    splits: [Option<ImageSplit>; 3],
    /// per-layer scratch for dL/dpre
    dpre: Vec<Option<GpuTensor>>,
}

fn act_id(a: Activation) -> u32 {
    match a {
        Activation::Relu => 0,
        Activation::LeakyRelu => 1,
        Activation::Gelu => 2,
        Activation::Tanh => 3,
    }
}

fn objective_id(o: Objective) -> u32 {
    match o {
        Objective::Ff => 0,
        Objective::Cff => 1,
        Objective::CffLt => 2,
        Objective::Entropy => 3,
        Objective::EntropyCollab => 4,
    }
}

fn f(x: f32) -> u32 {
    x.to_bits()
}

fn groups(n: usize, per: usize) -> u32 {
    n.div_ceil(per) as u32
}

fn words_to_f32(bytes: &[u8], n: usize) -> Vec<f32> {
    bytemuck::cast_slice::<u8, f32>(bytes)[..n].to_vec()
}

impl GpuBackend {
    /// A backend on an open device, for `net` with the weights of `state`.
    pub async fn with_context(
        ctx: GpuContext,
        net: &NetConfig,
        state: &ModelState,
    ) -> Result<Self> {
        let kernels = Kernels::new(&ctx.device).await?;
        let steps = GpuTensor::new(&ctx, net.num_layers(), 1, "adam steps")?;
        let mut backend = GpuBackend {
            rec: Recorder::new(ctx, kernels),
            net: net.clone(),
            layers: Vec::new(),
            steps,
            splits: [None, None, None],
            dpre: (0..net.num_layers()).map(|_| None).collect(),
        };
        backend.set_state(state)?;
        Ok(backend)
    }

    /// Opens a device and builds the backend (`hardware_only`: refuse software adapters).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn new(hardware_only: bool, net: &NetConfig, state: &ModelState) -> Result<Self> {
        pollster::block_on(async {
            let ctx = GpuContext::new(hardware_only).await?;
            Self::with_context(ctx, net, state).await
        })
    }

    pub fn adapter(&self) -> &wgpu::AdapterInfo {
        &self.rec.ctx.info
    }

    pub fn is_software(&self) -> bool {
        super::context::is_software(&self.rec.ctx.info)
    }

    fn flush_now(&mut self) -> Result<()> {
        self.rec.flush()
    }

    fn upload(&mut self, t: &GpuTensor, words: &[u32]) -> Result<()> {
        self.flush_now()?;
        self.rec
            .ctx
            .queue
            .write_buffer(&t.buffer, 0, bytemuck::cast_slice(words));
        Ok(())
    }

    fn tensor_with(
        &self,
        data: &[f32],
        rows: usize,
        cols: usize,
        label: &str,
    ) -> Result<GpuTensor> {
        let t = GpuTensor::new(&self.rec.ctx, rows, cols, label)?;
        if !data.is_empty() {
            self.rec
                .ctx
                .queue
                .write_buffer(&t.buffer, 0, bytemuck::cast_slice(data));
        }
        Ok(t)
    }

    /// Reads a tensor back (awaitable on the web).
    pub async fn read_async(&mut self, t: &GpuTensor) -> Result<Vec<f32>> {
        self.flush_now()?;
        let bytes = read_back(&self.rec.ctx, &t.buffer, (t.len() * 4) as u64).await?;
        Ok(words_to_f32(&bytes, t.len()))
    }

    /// Reads weights, biases and Adam state back (awaitable on the web).
    pub async fn state_async(&mut self) -> Result<ModelState> {
        self.flush_now()?;
        let steps_bytes = read_back(
            &self.rec.ctx,
            &self.steps.buffer,
            self.steps.len() as u64 * 4,
        )
        .await?;
        let steps: Vec<u32> = bytemuck::cast_slice::<u8, u32>(&steps_bytes).to_vec();
        let mut layers = Vec::new();
        for (i, l) in self.layers.iter().enumerate() {
            let read = |t: &GpuTensor| {
                let t = t.clone();
                let ctx = &self.rec.ctx;
                async move {
                    let bytes = read_back(ctx, &t.buffer, (t.len() * 4) as u64).await?;
                    Ok::<_, Error>(words_to_f32(&bytes, t.len()))
                }
            };
            let (inputs, outputs) = self.net.layer_shape(i);
            layers.push(LayerState {
                inputs,
                outputs,
                weight: read(&l.weight).await?,
                bias: read(&l.bias).await?,
                adam: AdamMoments {
                    m_weight: read(&l.m_weight).await?,
                    v_weight: read(&l.v_weight).await?,
                    m_bias: read(&l.m_bias).await?,
                    v_bias: read(&l.v_bias).await?,
                    step: steps[i],
                },
            });
        }
        Ok(ModelState { layers })
    }

    fn dispatch(
        &mut self,
        id: KernelId,
        uploads: &[&[u32]],
        params: impl FnOnce(&[u32]) -> Vec<u32>,
        buffers: &[Buf<'_>],
        groups: [u32; 3],
    ) -> Result<()> {
        self.rec.dispatch(id, uploads, params, buffers, groups)
    }

    /// Queues `c = A B` (`matmul`) or the forward epilogue (`matmul_bias_act`).
    #[allow(clippy::too_many_arguments)]
    fn matmul(
        &mut self,
        (m, k, n): (usize, usize, usize),
        a: (&GpuTensor, usize, usize),
        b: (&GpuTensor, usize, usize),
        c: &GpuTensor,
        epilogue: Option<(&GpuTensor, &GpuTensor)>,
    ) -> Result<()> {
        let act = act_id(self.net.activation);
        let params = |_: &[u32]| {
            vec![
                m as u32, n as u32, k as u32, act, a.1 as u32, a.2 as u32, b.1 as u32, b.2 as u32,
            ]
        };
        let grid = [groups(n, 64), groups(m, 64), 1];
        match epilogue {
            None => self.dispatch(
                KernelId::Matmul,
                &[],
                params,
                &[Buf::T(a.0), Buf::T(b.0), Buf::T(c)],
                grid,
            ),
            Some((bias, out)) => self.dispatch(
                KernelId::MatmulBiasAct,
                &[],
                params,
                &[
                    Buf::T(a.0),
                    Buf::T(b.0),
                    Buf::T(c),
                    Buf::T(bias),
                    Buf::T(out),
                ],
                grid,
            ),
        }
    }

    fn adam_update(
        &mut self,
        i: usize,
        adam: &AdamConfig,
        [param, grad, m, v]: [GpuTensor; 4],
    ) -> Result<()> {
        let n = param.len();
        let total = groups(n, 256);
        let gx = total.min(
            self.rec
                .ctx
                .device
                .limits()
                .max_compute_workgroups_per_dimension,
        );
        let gy = total.div_ceil(gx.max(1));
        let steps = self.steps.clone();
        self.dispatch(
            KernelId::Adam,
            &[],
            |_| {
                vec![
                    n as u32,
                    i as u32,
                    gx,
                    f(adam.lr),
                    f(adam.beta1),
                    f(adam.beta2),
                    f(adam.eps),
                ]
            },
            &[
                Buf::T(&steps),
                Buf::T(&param),
                Buf::T(&grad),
                Buf::T(&m),
                Buf::T(&v),
            ],
            [gx, gy, 1],
        )
    }
}

impl Backend for GpuBackend {
    type Tensor = GpuTensor;

    fn name(&self) -> String {
        format!("gpu: {}", self.rec.ctx.describe())
    }

    fn net(&self) -> &NetConfig {
        &self.net
    }

    fn upload_split(&mut self, id: SplitId, split: &Split) -> Result<()> {
        crate::backend::check_split(&self.net, id, split)?;
        let limit = self.rec.ctx.device.limits().max_storage_buffer_binding_size as usize;
        let per_buffer = (limit / split.pixels.max(1)).min(split.len().max(1));
        let split_at = per_buffer.min(split.len());
        if split.len() - split_at > per_buffer {
            return Err(Error::Gpu(format!(
                "the {id:?} split ({} images of {} bytes) exceeds two {limit}-byte storage \
                 bindings: use --train-limit/--test-limit",
                split.len(),
                split.pixels
            )));
        }
        let pack = |images: &[u8], label: &str| -> Result<GpuTensor> {
            let mut bytes = images.to_vec();
            bytes.resize(bytes.len().next_multiple_of(4).max(4), 0);
            let words: &[u32] = bytemuck::cast_slice(&bytes);
            let t = GpuTensor::new(&self.rec.ctx, words.len(), 1, label)?;
            self.rec.ctx.queue.write_buffer(&t.buffer, 0, &bytes);
            Ok(t)
        };
        let cut = split_at * split.pixels;
        let lo = pack(&split.images[..cut], "images")?;
        let hi = if cut < split.images.len() {
            pack(&split.images[cut..], "images (second half)")?
        } else {
            lo.clone()
        };
        self.splits[id as usize] = Some(ImageSplit {
            lo,
            hi,
            split_at: split_at as u32,
            len: split.len(),
        });
        self.rec.ctx.check()
    }

    fn set_state(&mut self, state: &ModelState) -> Result<()> {
        state.check_fits(&self.net)?;
        self.flush_now()?;
        let mut layers = Vec::new();
        for l in &state.layers {
            let (inputs, outputs) = (l.inputs, l.outputs);
            let w = |d: &[f32], name: &str| self.tensor_with(d, outputs, inputs, name);
            let b = |d: &[f32], name: &str| self.tensor_with(d, outputs, 1, name);
            layers.push(GpuLayer {
                weight: w(&l.weight, "weight")?,
                bias: b(&l.bias, "bias")?,
                grad_weight: w(&[], "weight gradient")?,
                grad_bias: b(&[], "bias gradient")?,
                m_weight: w(&l.adam.m_weight, "adam m weight")?,
                v_weight: w(&l.adam.v_weight, "adam v weight")?,
                m_bias: b(&l.adam.m_bias, "adam m bias")?,
                v_bias: b(&l.adam.v_bias, "adam v bias")?,
            });
        }
        self.layers = layers;
        let steps: Vec<u32> = state.layers.iter().map(|l| l.adam.step).collect();
        let t = self.steps.clone();
        self.upload(&t, &steps)?;
        self.rec.ctx.check()
    }

    fn state(&mut self) -> Result<ModelState> {
        #[cfg(not(target_arch = "wasm32"))]
        return pollster::block_on(self.state_async());
        #[cfg(target_arch = "wasm32")]
        Err(Error::Gpu(
            "on the web, read the state with state_async".into(),
        ))
    }

    fn tensor(&mut self, rows: usize, cols: usize) -> Result<GpuTensor> {
        GpuTensor::new(&self.rec.ctx, rows, cols, "tensor")
    }

    fn read(&mut self, t: &GpuTensor) -> Result<Vec<f32>> {
        #[cfg(not(target_arch = "wasm32"))]
        return pollster::block_on(self.read_async(t));
        #[cfg(target_arch = "wasm32")]
        {
            let _ = t;
            Err(Error::Gpu(
                "on the web, read tensors with read_async".into(),
            ))
        }
    }

    fn write(&mut self, t: &mut GpuTensor, data: &[f32]) -> Result<()> {
        if data.len() != t.len() {
            return Err(Error::Config(format!(
                "write: {} values into a [{}, {}] tensor",
                data.len(),
                t.rows,
                t.cols
            )));
        }
        self.upload(t, bytemuck::cast_slice(data))
    }

    fn embed(
        &mut self,
        id: SplitId,
        indices: &[u32],
        labels: &[u32],
        out: &mut GpuTensor,
    ) -> Result<()> {
        let dim = self.net.input_dim();
        check_shape("embed", out, indices.len(), dim)?;
        let split = self.splits[id as usize]
            .as_ref()
            .ok_or_else(|| Error::Config(format!("the {id:?} split was never uploaded")))?;
        if let Some(&bad) = indices.iter().find(|&&i| i as usize >= split.len) {
            return Err(Error::Config(format!(
                "embed: index {bad} is past the {id:?} split's {} images",
                split.len
            )));
        }
        let (lo, hi, split_at) = (split.lo.clone(), split.hi.clone(), split.split_at);
        let net = &self.net;
        let (pixels, classes) = (net.pixels as u32, net.classes as u32);
        let mode = match net.label_embed {
            LabelEmbed::Concat => 0,
            LabelEmbed::Overlay => 1,
        };
        let rows = indices.len();
        self.dispatch(
            KernelId::Embed,
            &[indices, labels],
            |at| {
                vec![
                    rows as u32,
                    pixels,
                    classes,
                    dim as u32,
                    mode,
                    split_at,
                    at[0],
                    at[1],
                ]
            },
            &[Buf::Arena, Buf::T(&lo), Buf::T(&hi), Buf::T(out)],
            [groups(dim, 64), rows as u32, 1],
        )
    }

    fn forward(
        &mut self,
        i: usize,
        rows: usize,
        input: &GpuTensor,
        acts: &mut LayerActs<GpuTensor>,
        goodness: &mut GpuTensor,
        col: usize,
    ) -> Result<()> {
        check_forward(&self.net, i, rows, input, acts, goodness, col)?;
        let (inputs, outputs) = self.net.layer_shape(i);
        let norm = match self.net.norm {
            Norm::Rms => 0,
            Norm::L2 => 1,
        };
        self.dispatch(
            KernelId::Normalize,
            &[],
            |_| vec![rows as u32, inputs as u32, norm],
            &[Buf::T(input), Buf::T(&acts.input)],
            [rows as u32, 1, 1],
        )?;
        let (weight, bias) = (self.layers[i].weight.clone(), self.layers[i].bias.clone());
        // pre = xn W^T + b: A = xn [rows, inputs], B(k, n) = W[n, k]
        self.matmul(
            (rows, inputs, outputs),
            (&acts.input, inputs, 1),
            (&weight, 1, inputs),
            &acts.pre,
            Some((&bias, &acts.out)),
        )?;
        let stride = goodness.cols;
        self.dispatch(
            KernelId::Goodness,
            &[],
            |_| vec![rows as u32, outputs as u32, stride as u32, col as u32],
            &[Buf::T(&acts.out), Buf::T(goodness)],
            [rows as u32, 1, 1],
        )
    }

    fn loss_grad(
        &mut self,
        objective: Objective,
        theta: f32,
        i: usize,
        rows: usize,
        n_pos: usize,
        goodness: &GpuTensor,
        dgoodness: &mut GpuTensor,
        stats: &mut GpuTensor,
    ) -> Result<()> {
        let layers = self.net.num_layers();
        check_loss(
            &self.net, objective, rows, n_pos, goodness, dgoodness, stats,
        )?;
        self.dispatch(
            KernelId::LossGrad,
            &[],
            |_| {
                vec![
                    objective_id(objective),
                    i as u32,
                    rows as u32,
                    n_pos as u32,
                    layers as u32,
                    f(theta),
                ]
            },
            &[Buf::T(goodness), Buf::T(dgoodness), Buf::T(stats)],
            [1, 1, 1],
        )
    }

    fn weight_grad(
        &mut self,
        i: usize,
        rows: usize,
        acts: &LayerActs<GpuTensor>,
        dgoodness: &GpuTensor,
    ) -> Result<()> {
        let (inputs, outputs) = self.net.layer_shape(i);
        check_shape("weight_grad dgoodness", dgoodness, rows, 1)?;
        let dpre = match &self.dpre[i] {
            Some(t) if t.rows >= rows => t.clone(),
            _ => {
                let t = GpuTensor::new(&self.rec.ctx, rows, outputs, "dpre")?;
                self.dpre[i] = Some(t.clone());
                t
            }
        };
        let act = act_id(self.net.activation);
        let params = |_: &[u32]| vec![rows as u32, outputs as u32, act];
        self.dispatch(
            KernelId::Dpre,
            &[],
            params,
            &[
                Buf::T(dgoodness),
                Buf::T(&acts.pre),
                Buf::T(&acts.out),
                Buf::T(&dpre),
            ],
            [groups(outputs, 64), rows as u32, 1],
        )?;
        let (gw, gb) = (
            self.layers[i].grad_weight.clone(),
            self.layers[i].grad_bias.clone(),
        );
        self.dispatch(
            KernelId::BiasGrad,
            &[],
            params,
            &[Buf::T(&dpre), Buf::T(&gb)],
            [groups(outputs, 64), 1, 1],
        )?;
        // gw = dpre^T xn: A(o, r) = dpre[r, o], B(r, k) = xn[r, k]
        self.matmul(
            (outputs, rows, inputs),
            (&dpre, 1, outputs),
            (&acts.input, inputs, 1),
            &gw,
            None,
        )
    }

    fn adam_step(&mut self, i: usize, adam: &AdamConfig) -> Result<()> {
        let steps = self.steps.clone();
        self.dispatch(
            KernelId::AdamTick,
            &[],
            |_| vec![0, i as u32],
            &[Buf::T(&steps)],
            [1, 1, 1],
        )?;
        let l = &self.layers[i];
        let weight = [&l.weight, &l.grad_weight, &l.m_weight, &l.v_weight].map(Clone::clone);
        let bias = [&l.bias, &l.grad_bias, &l.m_bias, &l.v_bias].map(Clone::clone);
        self.adam_update(i, adam, weight)?;
        self.adam_update(i, adam, bias)
    }

    fn gradient(&mut self, i: usize) -> Result<(Vec<f32>, Vec<f32>)> {
        let (gw, gb) = (
            self.layers[i].grad_weight.clone(),
            self.layers[i].grad_bias.clone(),
        );
        Ok((self.read(&gw)?, self.read(&gb)?))
    }

    fn flush(&mut self) -> Result<()> {
        self.flush_now()
    }

    fn eval_accumulate(
        &mut self,
        table: &GpuTensor,
        rows: usize,
        labels: &[u32],
        sets: &[u32],
        acc: &mut GpuTensor,
    ) -> Result<()> {
        let (classes, layers) = (self.net.classes, self.net.num_layers());
        check_shape("eval table", table, rows, classes * layers)?;
        let flat = crate::eval::EvalSums::flat_len(sets.len(), layers);
        check_shape("eval accumulator", acc, 1, flat)?;
        self.dispatch(
            KernelId::EvalSums,
            &[&labels[..rows], sets],
            |at| {
                vec![
                    rows as u32,
                    classes as u32,
                    layers as u32,
                    sets.len() as u32,
                    at[0],
                    at[1],
                ]
            },
            &[Buf::Arena, Buf::T(table), Buf::T(acc)],
            [1, 1, 1],
        )
    }
}

impl Shaped for GpuTensor {
    fn shape(&self) -> (usize, usize) {
        (self.rows, self.cols)
    }
}
