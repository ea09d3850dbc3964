//! What a transformer's dimensions imply: parameters, FLOPs per token at a sequence length, and LoRA adapters.
//!
//! Convention (Kaplan et al. 2020, "Scaling laws for neural language models", table 1): a forward pass costs
//! 2 FLOPs per multiply-add of every weight a token runs through, plus 2 × layers × sequence × attention width
//! for the attention scores and their weighted sum (no causal-mask discount, no recomputation). The input
//! embedding is a lookup, not a product, so an untied model's embedding matrix is not counted; a tied one
//! counts once, as the output projection. Training = forward + backward ≈ 3 × forward (full training), and
//! for LoRA (Hu et al. 2021) the frozen weights get no weight gradients: forward + activation gradients
//! ≈ 2 × forward, plus 6 FLOPs per adapter parameter per token.

use crate::catalog::{Mlp, Transformer};

/// Longest default sequence: most current models pre-train at 8,192 tokens or less, and a longer context is
/// reached by a short extension phase, not the bulk of training.
pub const MAX_DEFAULT_SEQ: u32 = 8192;

/// Forward FLOPs per token of a transformer with `compute_params` weights per token, `layers` layers of
/// attention width `d_attn`, at `seq` tokens (Kaplan et al. 2020).
pub fn forward_flops_per_token(compute_params: f64, layers: u32, d_attn: u32, seq: u32) -> f64 {
    2.0 * compute_params + 2.0 * f64::from(layers) * f64::from(seq) * f64::from(d_attn)
}

impl Transformer {
    /// Attention width: heads × head width.
    pub fn d_attn(&self) -> u32 {
        self.heads * self.head_dim
    }

    /// Parameters from the dimensions, (total, active per token): attention (q and o: d × heads × head_dim,
    /// k and v: d × kv_heads × head_dim), feed-forward (2 or 3 matrices of d × ffn, per expert, plus the
    /// router), embeddings (one matrix if tied, else two). Norms and biases are left out (< 0.1 %); so is
    /// anything the shape does not say (DeepSeek's latent attention and shared experts).
    pub fn params_from_dims(&self) -> (f64, f64) {
        let d = f64::from(self.d_model);
        let hd = f64::from(self.head_dim);
        let attn = 2.0 * d * f64::from(self.heads) * hd + 2.0 * d * f64::from(self.kv_heads) * hd;
        let matrices = match self.mlp {
            Mlp::Plain => 2.0,
            Mlp::Gated => 3.0,
        };
        let expert = matrices * d * f64::from(self.ffn);
        let (total_e, active_e, router) = match self.experts {
            Some(e) => (f64::from(e.total), f64::from(e.active), d * f64::from(e.total)),
            None => (1.0, 1.0, 0.0),
        };
        let layers = f64::from(self.layers);
        let embed = f64::from(self.vocab) * d * if self.tied_embeddings { 1.0 } else { 2.0 };
        let total = layers * (attn + expert * total_e + router) + embed;
        let active = layers * (attn + expert * active_e + router) + embed;
        (total, active)
    }

    /// Weights a token is multiplied by: the active parameters less an untied input embedding.
    pub fn compute_params(&self) -> f64 {
        let embed = if self.tied_embeddings { 0.0 } else { f64::from(self.vocab) * f64::from(self.d_model) };
        self.active_params_m * 1e6 - embed
    }

    /// The sequence length a scenario gets when it names none: the model's context, at most
    /// [`MAX_DEFAULT_SEQ`].
    pub fn default_seq(&self) -> u32 {
        self.context.min(MAX_DEFAULT_SEQ)
    }

    /// Forward FLOPs per token at `seq` tokens.
    pub fn forward_flops(&self, seq: u32) -> f64 {
        forward_flops_per_token(self.compute_params(), self.layers, self.d_attn(), seq)
    }

    /// LoRA adapter parameters at `rank` on the four attention projections of every layer (q, k, v, o:
    /// rank × (inputs + outputs) each), the placement of Hu et al. 2021 extended to k and o as PEFT
    /// recipes commonly do.
    pub fn lora_params(&self, rank: u32) -> f64 {
        let d = f64::from(self.d_model);
        let q = f64::from(self.heads * self.head_dim);
        let kv = f64::from(self.kv_heads * self.head_dim);
        f64::from(self.layers) * f64::from(rank) * (2.0 * (d + q) + 2.0 * (d + kv))
    }
}

#[cfg(test)]
mod tests {
    use crate::catalog::Catalog;

    /// Where the catalogue gives a published parameter count, the dimensions reproduce it within 4 %, so a
    /// mistyped dimension cannot slip through (DeepSeek-V3's latent attention and shared experts are not in
    /// the shape, so its published counts stand alone).
    #[test]
    fn dimensions_reproduce_published_parameter_counts() {
        let c = Catalog::embedded().unwrap();
        let mut checked = 0;
        for a in &c.archs.architectures {
            let (Some(t), Some(p)) = (&a.transformer, a.params_m) else { continue };
            if a.id == "deepseek-v3" {
                continue;
            }
            let (total, active) = t.params_from_dims();
            assert!((total / 1e6 / p - 1.0).abs() < 0.04, "{}: dims give {:.0} M, published {p} M", a.id, total / 1e6);
            assert!(
                (active / 1e6 / t.active_params_m - 1.0).abs() < 0.04,
                "{}: active {:.0} M vs {}",
                a.id,
                active / 1e6,
                t.active_params_m
            );
            checked += 1;
        }
        assert!(checked >= 40, "only {checked} transformers checked");
    }

    /// FLOPs per token grow with the sequence (attention), a mixture of experts costs its active
    /// parameters, and LoRA adapters are a small fraction of the model.
    #[test]
    fn flops_per_token_follow_the_shape() {
        let c = Catalog::embedded().unwrap();
        let t = |id: &str| c.arch(id).unwrap().transformer.clone().unwrap();
        let llama = t("llama-3.1-8b");
        assert!(llama.forward_flops(8192) > llama.forward_flops(2048) * 1.1);
        // Untied embedding not counted: 2 × (8.03 B − 0.525 B) + attention.
        let f = llama.forward_flops(1);
        assert!((f / 1e9 - 2.0 * (8.030 - 0.525)).abs() < 0.02, "{f}");
        let mixtral = t("mixtral-8x7b");
        assert!(mixtral.forward_flops(4096) < 2.0 * 46.7e9 * 0.5);
        let lora = llama.lora_params(16);
        assert!(lora > 1e7 && lora < 0.01 * 8.03e9, "{lora}");
    }
}
