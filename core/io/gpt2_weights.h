// OpenAI's GPT-2 weights from Hugging Face's model.safetensors (section 5.5).
//
// The book downloads OpenAI's TensorFlow checkpoint; Hugging Face's
// openai-community/gpt2 (and gpt2-medium, -large, -xl) holds the same numbers in a
// safetensors file that this project reads by hand. The names differ from the book's
// and the 2-D weights are stored as Conv1D (in_features, out_features), so loading
// maps, transposes and splits (see book-notes/ch05_gpt2.md):
//
//   wte.weight                  -> tok_emb.weight, and out_head.weight (weight tying)
//   wpe.weight                  -> pos_emb.weight
//   h.<i>.ln_1.weight / .bias   -> trf_blocks.<i>.norm1.scale / .shift   (ln_2 -> norm2)
//   h.<i>.attn.c_attn.weight    -> W_query / W_key / W_value .weight: thirds of the columns, transposed
//   h.<i>.attn.c_attn.bias      -> W_query / W_key / W_value .bias: thirds
//   h.<i>.attn.c_proj.*         -> trf_blocks.<i>.att.out_proj.*        (weight transposed)
//   h.<i>.mlp.c_fc.*            -> trf_blocks.<i>.ff.layers.0.*         (weight transposed)
//   h.<i>.mlp.c_proj.*          -> trf_blocks.<i>.ff.layers.2.*         (weight transposed)
//   ln_f.weight / .bias         -> final_norm.scale / .shift
//
// Keys may start with "transformer."; the buffers h.<i>.attn.bias / .masked_bias and a
// tied lm_head.weight are ignored. Only F32 files are read (openai-community/gpt2 is F32).
#pragma once

#include "nn/nn.h"

#include <string>

namespace llm {

// The GPTConfig of a GPT-2 checkpoint, from its header only: vocab_size and emb_dim from
// wte.weight, context_length from wpe.weight, n_layers from the h.<i> blocks, n_heads
// from the size (768: 12, 1024: 16, 1280: 20, 1600: 25) or the metadata "n_head";
// qkv_bias true, drop_rate 0.1 (the book's NEW_CONFIG).
GPTConfig gpt2_config_from_safetensors(const std::string& path);

// Copy the weights of `path` into `model` (whose config must match the file's; every
// shape is checked from the header before any value is copied). Reads one tensor at a
// time, so the file is never held in memory beside the model.
void load_gpt2_weights(const std::string& path, GPTModel& model);

// A pretrained GPT for the finetuning chapters (--model PATH): a Hugging Face GPT-2
// model.safetensors of any size, a model file written by this project, or a run folder
// holding one (its model.safetensors). The config comes from the header alone.
struct PretrainedGPT {
    std::string file;   // the safetensors file
    bool hugging_face;  // Hugging Face's layout (else the book's state dict, ours)
    GPTConfig config;
};
PretrainedGPT find_pretrained_gpt(const std::string& path);
// Its weights into `model`, whose config must be source.config (drop_rate aside).
void load_pretrained_gpt(const PretrainedGPT& source, GPTModel& model);

// Write `model` in Hugging Face's layout (the inverse mapping; out_head.weight is not
// written, the loader ties it to wte). The metadata holds "format": "pt" and "n_head".
void save_gpt2_hf(const std::string& path, const GPTModel& model);

}  // namespace llm
