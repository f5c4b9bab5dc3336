// Checkpoints: a GPTModel's weights and an AdamW optimizer's state in safetensors files.
//
// The model file holds the book's state dict (`tok_emb.weight`, ...,
// `trf_blocks.0.att.mask`, ..., `out_head.weight`, float32) with the GPTConfig in its
// "__metadata__", so PyTorch loads it into the book's GPTModel:
//
//   from safetensors.torch import load_file
//   model.load_state_dict(load_file("model.safetensors"))
//
// The optimizer file sits beside it: `exp_avg.<name>` and `exp_avg_sq.<name>` per
// parameter, the step counts and hyper-parameters in the metadata as exact (hex) strings,
// plus whatever the training loop adds (its position, the random generator's state).
#pragma once

#include "nn/nn.h"
#include "optim/optim.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace llm {

// The "format" metadata value of each kind of file.
inline constexpr const char* kModelFormat = "llm-from-scratch-cpp gpt v1";
inline constexpr const char* kOptimizerFormat = "llm-from-scratch-cpp adamw v1";

// --- the model --------------------------------------------------------------------

// PyTorch's state dict of the book's GPTModel: the parameters in named_parameters()
// order, with each block's causal-mask buffer `trf_blocks.<i>.att.mask` (context_length,
// context_length) placed where PyTorch puts it (before `trf_blocks.<i>.att.W_query.weight`).
std::vector<NamedTensor> model_state_dict(const GPTModel& model);

// Save the state dict; the metadata gets the config (keys vocab_size, context_length,
// emb_dim, n_heads, n_layers, drop_rate, qkv_bias), "format", and `extra_metadata`.
void save_model(const std::string& path, const GPTModel& model,
                const std::map<std::string, std::string>& extra_metadata = {});

// The GPTConfig stored by save_model (reads only the header).
GPTConfig read_model_config(const std::string& path);
GPTConfig config_from_metadata(const std::map<std::string, std::string>& metadata, const std::string& path);

// Refuse, naming `path`, a config whose GPTModel has more parameters than the file's
// `data_bytes` hold float32 values (`tied` parameters, GPT-2's output head, are stored
// once for two): so a header claiming 10^11 tokens fails here, not when the model is built.
void check_config_fits_file(const GPTConfig& cfg, uint64_t data_bytes, double tied, const std::string& path);

// Copy the weights from `path` into `model`'s parameters (in place, so an optimizer
// holding them sees the new values). Every parameter must be in the file with the same
// shape and no unknown tensor may be; the mask buffers may be present or absent. When a
// check fails, the model is left untouched. The file is streamed twice through a small
// buffer (every check, then the values into the parameters), never held in memory.
void load_model(const std::string& path, GPTModel& model);

// --- the optimizer ------------------------------------------------------------------

// Save `opt`'s state. `model` names the parameters: opt.params() must be parameters of
// `model` (the same tensors, as after AdamW(model.parameters())). `metadata` keys must
// not be "format" or start with "adamw.", which the file uses itself.
void save_optimizer(const std::string& path, const AdamW& opt, const Module& model,
                    const std::map<std::string, std::string>& metadata = {});

// Restore `opt` bit for bit (running averages, step counts, lr, weight_decay, betas, eps)
// and return the caller's metadata (the keys given to save_optimizer). As load_model: a
// file that fails a check leaves `opt` untouched, and it is never held in memory.
std::map<std::string, std::string> load_optimizer(const std::string& path, AdamW& opt, const Module& model);

// --- exact numbers as metadata strings -------------------------------------------------
// Metadata values are strings; these write numbers so they read back bit for bit.
// Decoders throw llm::Error naming `what` (e.g. "'run.ckpt' metadata 'lr'").

std::string encode_float(float value);      // hex float: 0.001f -> "0x1.0624dep-10"
float decode_float(const std::string& text, const std::string& what);
std::string encode_double(double value);    // hex float: 0.1 -> "0x1.999999999999ap-4"
double decode_double(const std::string& text, const std::string& what);
std::string encode_int64(int64_t value);    // decimal
int64_t decode_int64(const std::string& text, const std::string& what);
std::string encode_u32s(const std::vector<uint32_t>& words);  // 8 hex digits per word, no separators
std::vector<uint32_t> decode_u32s(const std::string& text, const std::string& what);

}  // namespace llm
