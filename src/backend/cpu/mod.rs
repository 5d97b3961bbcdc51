//! The CPU backend: the reference every GPU kernel is tested against, and a
//! fast fallback (multithreaded GEMM from `matrixmultiply`). Generic over
//! the element type so gradient checks can run the same code in f64.

pub mod ops;
pub mod scalar;

use self::ops::LayerDims;
use self::scalar::Scalar;
use super::{
    Backend, LayerActs, STAT_COLS, Shaped, SplitId, check_forward, check_loss, check_shape,
};
use crate::config::{AdamConfig, NetConfig, Objective};
use crate::data::Split;
use crate::error::{Error, Result};
use crate::model::{AdamMoments, LayerState, ModelState};
use crate::objective;

/// A row-major `[rows, cols]` array in host memory.
#[derive(Debug, Clone)]
pub struct CpuTensor<T> {
    pub rows: usize,
    pub cols: usize,
    pub data: Vec<T>,
}

/// One layer's parameters, gradient and Adam state in element type `T`.
#[derive(Debug, Clone)]
pub struct CpuLayer<T> {
    pub inputs: usize,
    pub outputs: usize,
    pub weight: Vec<T>,
    pub bias: Vec<T>,
    pub grad_weight: Vec<T>,
    pub grad_bias: Vec<T>,
    pub m_weight: Vec<T>,
    pub v_weight: Vec<T>,
    pub m_bias: Vec<T>,
    pub v_bias: Vec<T>,
    pub step: u32,
}

pub struct CpuBackend<T: Scalar = f32> {
    net: NetConfig,
    pub layers: Vec<CpuLayer<T>>,
    splits: [Option<Split>; 3],
}

fn to_t<T: Scalar>(v: &[f32]) -> Vec<T> {
    v.iter().map(|&x| T::of(x as f64)).collect()
}

fn to_f32<T: Scalar>(v: &[T]) -> Vec<f32> {
    v.iter().map(|&x| x.f32()).collect()
}

impl<T: Scalar> CpuBackend<T> {
    /// A backend for `net` with the weights of `state`.
    pub fn new(net: &NetConfig, state: &ModelState) -> Result<Self> {
        let mut backend = CpuBackend {
            net: net.clone(),
            layers: Vec::new(),
            splits: [None, None, None],
        };
        backend.set_state(state)?;
        Ok(backend)
    }

    fn split(&self, id: SplitId) -> Result<&Split> {
        self.splits[id as usize]
            .as_ref()
            .ok_or_else(|| Error::Config(format!("the {id:?} split was never uploaded")))
    }

    fn dims(&self, i: usize, rows: usize) -> LayerDims {
        let (inputs, outputs) = self.net.layer_shape(i);
        LayerDims {
            rows,
            inputs,
            outputs,
        }
    }
}

impl<T> Shaped for CpuTensor<T> {
    fn shape(&self) -> (usize, usize) {
        (self.rows, self.cols)
    }
}

impl<T: Scalar> Backend for CpuBackend<T> {
    type Tensor = CpuTensor<T>;

    fn name(&self) -> String {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        format!("cpu ({threads} threads, {})", std::any::type_name::<T>())
    }

    fn net(&self) -> &NetConfig {
        &self.net
    }

    fn upload_split(&mut self, id: SplitId, split: &Split) -> Result<()> {
        super::check_split(&self.net, id, split)?;
        self.splits[id as usize] = Some(split.clone());
        Ok(())
    }

    fn set_state(&mut self, state: &ModelState) -> Result<()> {
        state.check_fits(&self.net)?;
        self.layers = Vec::with_capacity(state.layers.len());
        for l in &state.layers {
            self.layers.push(CpuLayer {
                inputs: l.inputs,
                outputs: l.outputs,
                weight: to_t(&l.weight),
                bias: to_t(&l.bias),
                grad_weight: vec![T::zero(); l.weight.len()],
                grad_bias: vec![T::zero(); l.bias.len()],
                m_weight: to_t(&l.adam.m_weight),
                v_weight: to_t(&l.adam.v_weight),
                m_bias: to_t(&l.adam.m_bias),
                v_bias: to_t(&l.adam.v_bias),
                step: l.adam.step,
            });
        }
        Ok(())
    }

    fn state(&mut self) -> Result<ModelState> {
        Ok(ModelState {
            layers: self
                .layers
                .iter()
                .map(|l| LayerState {
                    inputs: l.inputs,
                    outputs: l.outputs,
                    weight: to_f32(&l.weight),
                    bias: to_f32(&l.bias),
                    adam: AdamMoments {
                        m_weight: to_f32(&l.m_weight),
                        v_weight: to_f32(&l.v_weight),
                        m_bias: to_f32(&l.m_bias),
                        v_bias: to_f32(&l.v_bias),
                        step: l.step,
                    },
                })
                .collect(),
        })
    }

    fn tensor(&mut self, rows: usize, cols: usize) -> Result<CpuTensor<T>> {
        Ok(CpuTensor {
            rows,
            cols,
            data: vec![T::zero(); rows * cols],
        })
    }

    fn read(&mut self, t: &CpuTensor<T>) -> Result<Vec<f32>> {
        Ok(to_f32(&t.data))
    }

    fn write(&mut self, t: &mut CpuTensor<T>, data: &[f32]) -> Result<()> {
        if data.len() != t.data.len() {
            return Err(Error::Config(format!(
                "write: {} values into a [{}, {}] tensor",
                data.len(),
                t.rows,
                t.cols
            )));
        }
        t.data = to_t(data);
        Ok(())
    }

    fn embed(
        &mut self,
        id: SplitId,
        indices: &[u32],
        labels: &[u32],
        out: &mut CpuTensor<T>,
    ) -> Result<()> {
        check_shape("embed", out, indices.len(), self.net.input_dim())?;
        let split = self.split(id)?;
        if let Some(&bad) = indices.iter().find(|&&i| i as usize >= split.len()) {
            return Err(Error::Config(format!(
                "embed: index {bad} is past the {id:?} split's {} images",
                split.len()
            )));
        }
        ops::embed(
            split,
            self.net.label_embed,
            self.net.classes,
            indices,
            labels,
            &mut out.data,
        );
        Ok(())
    }

    fn forward(
        &mut self,
        i: usize,
        rows: usize,
        input: &CpuTensor<T>,
        acts: &mut LayerActs<CpuTensor<T>>,
        goodness: &mut CpuTensor<T>,
        col: usize,
    ) -> Result<()> {
        check_forward(&self.net, i, rows, input, acts, goodness, col)?;
        let d = self.dims(i, rows);
        ops::normalize(
            self.net.norm,
            &input.data,
            rows,
            d.inputs,
            &mut acts.input.data,
        );
        let layer = &self.layers[i];
        ops::affine_act_goodness(
            self.net.activation,
            d,
            &acts.input.data,
            &layer.weight,
            &layer.bias,
            &mut acts.pre.data,
            &mut acts.out.data,
            &mut goodness.data,
            goodness.cols,
            col,
        );
        Ok(())
    }

    fn loss_grad(
        &mut self,
        objective: Objective,
        theta: f32,
        i: usize,
        rows: usize,
        n_pos: usize,
        goodness: &CpuTensor<T>,
        dgoodness: &mut CpuTensor<T>,
        stats: &mut CpuTensor<T>,
    ) -> Result<()> {
        let layers = self.net.num_layers();
        check_loss(
            &self.net, objective, rows, n_pos, goodness, dgoodness, stats,
        )?;
        let g = &goodness.data[..rows * layers];
        let loss = objective::loss_and_grad(
            objective,
            T::of(theta as f64),
            i,
            g,
            layers,
            n_pos,
            &mut dgoodness.data[..rows],
        );
        let sum =
            |range: std::ops::Range<usize>| range.fold(T::zero(), |a, r| a + g[r * layers + i]);
        let row = &mut stats.data[i * STAT_COLS..(i + 1) * STAT_COLS];
        let add = [
            loss * T::of(rows as f64),
            sum(0..n_pos),
            sum(n_pos..rows),
            T::of(n_pos as f64),
            T::of((rows - n_pos) as f64),
        ];
        for (s, a) in row.iter_mut().zip(add) {
            *s = *s + a;
        }
        Ok(())
    }

    fn weight_grad(
        &mut self,
        i: usize,
        rows: usize,
        acts: &LayerActs<CpuTensor<T>>,
        dgoodness: &CpuTensor<T>,
    ) -> Result<()> {
        let d = self.dims(i, rows);
        check_shape("weight_grad dgoodness", dgoodness, rows, 1)?;
        let act = self.net.activation;
        let layer = &mut self.layers[i];
        ops::weight_grad(
            act,
            d,
            &acts.input.data,
            &acts.pre.data,
            &acts.out.data,
            &dgoodness.data,
            &mut layer.grad_weight,
            &mut layer.grad_bias,
        );
        Ok(())
    }

    fn adam_step(&mut self, i: usize, adam: &AdamConfig) -> Result<()> {
        let l = &mut self.layers[i];
        l.step += 1;
        ops::adam(
            adam,
            l.step,
            &mut l.weight,
            &l.grad_weight,
            &mut l.m_weight,
            &mut l.v_weight,
        );
        ops::adam(
            adam,
            l.step,
            &mut l.bias,
            &l.grad_bias,
            &mut l.m_bias,
            &mut l.v_bias,
        );
        Ok(())
    }

    fn gradient(&mut self, i: usize) -> Result<(Vec<f32>, Vec<f32>)> {
        let l = &self.layers[i];
        Ok((to_f32(&l.grad_weight), to_f32(&l.grad_bias)))
    }

    fn flush(&mut self) -> Result<()> {
        Ok(())
    }
}
