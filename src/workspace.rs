//! The tensors one pass over a batch needs, allocated once per run.

use crate::backend::{Backend, LayerActs};
use crate::error::Result;

pub struct Workspace<B: Backend> {
    /// rows every tensor has room for
    pub rows: usize,
    /// the embedded input `[rows, input_dim]`
    pub embed: B::Tensor,
    pub acts: Vec<LayerActs<B::Tensor>>,
    /// `[rows, goodness_cols]`
    pub goodness: B::Tensor,
}

impl<B: Backend> Workspace<B> {
    pub fn new(backend: &mut B, rows: usize, goodness_cols: usize) -> Result<Self> {
        let net = backend.net().clone();
        let embed = backend.tensor(rows, net.input_dim())?;
        let mut acts = Vec::with_capacity(net.num_layers());
        for i in 0..net.num_layers() {
            let (inputs, outputs) = net.layer_shape(i);
            acts.push(LayerActs {
                input: backend.tensor(rows, inputs)?,
                pre: backend.tensor(rows, outputs)?,
                out: backend.tensor(rows, outputs)?,
            });
        }
        let goodness = backend.tensor(rows, goodness_cols)?;
        Ok(Workspace {
            rows,
            embed,
            acts,
            goodness,
        })
    }

    /// Runs layers `0..=last` on `rows` embedded rows; layer `i` writes its
    /// goodness into column `col(i)`.
    pub fn forward(
        &mut self,
        backend: &mut B,
        rows: usize,
        last: usize,
        col: impl Fn(usize) -> usize,
    ) -> Result<()> {
        for i in 0..=last {
            let (done, rest) = self.acts.split_at_mut(i);
            let input = if i == 0 {
                &self.embed
            } else {
                &done[i - 1].out
            };
            backend.forward(i, rows, input, &mut rest[0], &mut self.goodness, col(i))?;
        }
        Ok(())
    }
}
