// GPT-2's weights from Hugging Face's safetensors layout (see io/gpt2_weights.h).
//
// One table, gpt2_mappings(), says which of the model's tensors each Hugging Face tensor
// feeds and how (as is, cut in parts, transposed). Loading checks the whole table against
// the file's header first, then reads and copies one tensor at a time; saving runs the
// same table backwards.
#include "io/gpt2_weights.h"

#include "autograd/autograd.h"
#include "io/checkpoint.h"
#include "io/safetensors.h"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>

namespace llm {

namespace {

// How one Hugging Face tensor becomes the model's tensors.
enum class Layout {
    same,             // every target gets the whole tensor (wte -> tok_emb and out_head)
    split,            // 1-D, cut into equal consecutive parts, one per target (c_attn.bias)
    transpose_split,  // 2-D (in, k·out): target j (out, in) is columns [j·out, (j+1)·out), transposed
};

struct Mapping {
    std::string hf_name;          // without "transformer."
    Shape hf_shape;               // the shape the file must have
    Layout layout;
    std::vector<Tensor> targets;  // the model's parameters (handles: they share the values)
};

// The Hugging Face shape of a tensor that feeds `targets` (all of one shape) this way.
Shape hf_shape_of(Layout layout, const std::vector<Tensor>& targets) {
    const Shape& s = targets[0].shape();
    int64_t k = static_cast<int64_t>(targets.size());
    if (layout == Layout::same) return s;
    if (layout == Layout::split) return {s[0] * k};
    return {s[1], s[0] * k};  // Conv1D: (in_features, out_features)
}

// Append one row of the table.
void add_mapping(std::vector<Mapping>& table, const std::string& name, Layout layout, std::vector<Tensor> targets) {
    Shape shape = hf_shape_of(layout, targets);
    table.push_back({name, shape, layout, std::move(targets)});
}

// A block's LayerNorm (GPT-2 has no other kind; gpt2_mappings refuses the variants first).
const LayerNorm& layer_norm_of(const Layer& norm) { return dynamic_cast<const LayerNorm&>(norm); }

// The twelve tensors of block i.
void add_block(std::vector<Mapping>& table, size_t i, const TransformerBlock& b) {
    std::string h = "h." + std::to_string(i) + ".";
    const MultiHeadAttention& att = b.att;
    const LayerNorm &ln_1 = layer_norm_of(*b.norm1), &ln_2 = layer_norm_of(*b.norm2);
    const FeedForward& mlp = dynamic_cast<const FeedForward&>(*b.ff);
    add_mapping(table, h + "ln_1.weight", Layout::same, {ln_1.scale});
    add_mapping(table, h + "ln_1.bias", Layout::same, {ln_1.shift});
    add_mapping(table, h + "attn.c_attn.weight", Layout::transpose_split, {att.W_query.weight, att.W_key.weight, att.W_value.weight});
    add_mapping(table, h + "attn.c_attn.bias", Layout::split, {att.W_query.bias, att.W_key.bias, att.W_value.bias});
    add_mapping(table, h + "attn.c_proj.weight", Layout::transpose_split, {att.out_proj.weight});
    add_mapping(table, h + "attn.c_proj.bias", Layout::same, {att.out_proj.bias});
    add_mapping(table, h + "ln_2.weight", Layout::same, {ln_2.scale});
    add_mapping(table, h + "ln_2.bias", Layout::same, {ln_2.shift});
    add_mapping(table, h + "mlp.c_fc.weight", Layout::transpose_split, {mlp.fc1.weight});
    add_mapping(table, h + "mlp.c_fc.bias", Layout::same, {mlp.fc1.bias});
    add_mapping(table, h + "mlp.c_proj.weight", Layout::transpose_split, {mlp.fc2.weight});
    add_mapping(table, h + "mlp.c_proj.bias", Layout::same, {mlp.fc2.bias});
}

// The whole table for `model`, in the order Hugging Face's GPT2Model declares its tensors.
std::vector<Mapping> gpt2_mappings(const GPTModel& model) {
    if (!model.cfg.qkv_bias)
        throw Error("GPT-2 has biases in its query/key/value projections: the model needs qkv_bias = true");
    std::string variant = describe(model.cfg.variant, model.cfg.emb_dim, model.cfg.n_heads);
    if (variant != "book")
        throw Error("GPT-2's weights are for the book's GPT (learned positions, pre-LayerNorm, GELU, multi-head "
                    "attention), not for the variant " + variant);
    std::vector<Mapping> table;
    add_mapping(table, "wte.weight", Layout::same, {model.tok_emb.weight, model.out_head.weight});
    add_mapping(table, "wpe.weight", Layout::same, {model.pos_emb.weight});
    for (size_t i = 0; i < model.trf_blocks.size(); i++) add_block(table, i, *model.trf_blocks[i]);
    add_mapping(table, "ln_f.weight", Layout::same, {layer_norm_of(*model.final_norm).scale});
    add_mapping(table, "ln_f.bias", Layout::same, {layer_norm_of(*model.final_norm).shift});
    return table;
}

// Copy between `hf` (the Hugging Face tensor's values, hf_shape) and the targets:
// into the model when `to_model`, else into `hf` (then a `same` row copies target 0 only).
void copy_values(const Mapping& m, float* hf, bool to_model) {
    for (size_t j = 0; j < m.targets.size(); j++) {
        Tensor target = m.targets[j];
        float* w = target.data();
        int64_t n = target.numel();
        if (m.layout != Layout::transpose_split) {
            float* part = hf + (m.layout == Layout::split ? static_cast<int64_t>(j) * n : 0);
            if (to_model) std::copy(part, part + n, w);
            else if (m.layout == Layout::split || j == 0) std::copy(w, w + n, part);
            continue;
        }
        int64_t out = target.size(0), in = target.size(1), cols = m.hf_shape[1];
        float* first = hf + static_cast<int64_t>(j) * out;  // column j·out of row 0
        for (int64_t o = 0; o < out; o++)
            for (int64_t r = 0; r < in; r++) {
                if (to_model) w[o * in + r] = first[r * cols + o];
                else first[r * cols + o] = w[o * in + r];
            }
    }
}

// The checked header; a half-precision file gets a hint.
SafetensorsHeader read_header(std::ifstream& in, const std::string& path) {
    try {
        return read_safetensors_header(in, path);
    } catch (const Error& e) {
        std::string what = e.what();
        if (what.find("has dtype") == std::string::npos) throw;
        throw Error(what + "; only F32 GPT-2 checkpoints are supported (openai-community/gpt2's model.safetensors is F32)");
    }
}

// Buffers of Hugging Face's attention layer and its tied output head: not weights to load.
bool ignored(const std::string& name) {
    bool attention_buffer = name.starts_with("h.") && (name.ends_with(".attn.bias") || name.ends_with(".attn.masked_bias"));
    return attention_buffer || name == "lm_head.weight";
}

// The header's tensors by name, "transformer." removed.
std::map<std::string, const SafetensorsEntry*> entries_by_name(const SafetensorsHeader& header, const std::string& path) {
    std::map<std::string, const SafetensorsEntry*> by_name;
    const std::string prefix = "transformer.";
    for (const SafetensorsEntry& e : header.entries) {
        std::string name = e.name.starts_with(prefix) ? e.name.substr(prefix.size()) : e.name;
        if (!by_name.emplace(name, &e).second)
            throw Error("'" + path + "': tensor '" + name + "' is there twice (with and without \"transformer.\")");
    }
    return by_name;
}

// "vocab_size=50257, context_length=1024, emb_dim=768, n_heads=12, n_layers=12": for messages.
std::string describe(const GPTConfig& cfg) {
    return "vocab_size=" + std::to_string(cfg.vocab_size) + ", context_length=" + std::to_string(cfg.context_length) +
           ", emb_dim=" + std::to_string(cfg.emb_dim) + ", n_heads=" + std::to_string(cfg.n_heads) +
           ", n_layers=" + std::to_string(cfg.n_layers);
}

// The file's entry for each row of the table, all checked: present, F32, the right shape,
// and no tensor the table does not know.
std::vector<const SafetensorsEntry*> match_entries(const SafetensorsHeader& header, const std::vector<Mapping>& table,
                                                   const GPTModel& model, const std::string& path) {
    std::map<std::string, const SafetensorsEntry*> by_name = entries_by_name(header, path);
    std::string model_is = " (the model has " + describe(model.cfg) + ")";
    std::vector<const SafetensorsEntry*> found;
    std::set<std::string> known;
    for (const Mapping& m : table) {
        auto it = by_name.find(m.hf_name);
        if (it == by_name.end())
            throw Error("'" + path + "': no tensor '" + m.hf_name + "'; is this GPT-2's model.safetensors?" + model_is);
        const SafetensorsEntry& e = *it->second;
        if (e.dtype != "F32")
            throw Error("'" + path + "': tensor '" + e.name + "' is " + e.dtype + "; only F32 GPT-2 checkpoints are supported");
        if (e.shape != m.hf_shape)
            throw Error("'" + path + "': tensor '" + e.name + "' has shape " + shape_to_string(e.shape) + ", expected " +
                        shape_to_string(m.hf_shape) + model_is);
        found.push_back(&e);
        known.insert(m.hf_name);
    }
    for (const auto& [name, e] : by_name)
        if (!known.count(name) && !ignored(name))
            throw Error("'" + path + "': unexpected tensor '" + e->name + "', not part of GPT-2" + model_is);
    return found;
}

// A whole number from text (a block index, a metadata value); -1 when it is not one.
int64_t whole_number(const std::string& text) {
    int64_t value = -1;
    auto result = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || result.ec != std::errc() || result.ptr != text.data() + text.size()) return -1;
    return value;
}

// The number of blocks: the h.<i> in the names must be exactly 0 .. n-1.
int64_t count_blocks(const std::map<std::string, const SafetensorsEntry*>& by_name, const std::string& path) {
    std::set<int64_t> blocks;
    for (const auto& [name, e] : by_name) {
        if (!name.starts_with("h.")) continue;
        size_t dot = name.find('.', 2);
        int64_t i = whole_number(name.substr(2, dot == std::string::npos ? std::string::npos : dot - 2));
        if (i < 0) throw Error("'" + path + "': tensor '" + e->name + "' does not name a block as h.<number>.");
        blocks.insert(i);
    }
    if (blocks.empty()) throw Error("'" + path + "': no transformer blocks (no tensor named h.0.*); is this GPT-2?");
    int64_t n = static_cast<int64_t>(blocks.size());
    if (*blocks.rbegin() != n - 1)
        throw Error("'" + path + "': the blocks are numbered up to h." + std::to_string(*blocks.rbegin()) + " but only " +
                    std::to_string(n) + " of them are there");
    return n;
}

// Heads of a model with this embedding size: the metadata "n_head", else GPT-2's sizes.
int64_t count_heads(int64_t emb_dim, const std::map<std::string, std::string>& metadata, const std::string& path) {
    auto it = metadata.find("n_head");
    int64_t heads = it != metadata.end() ? whole_number(it->second) : 0;
    if (it == metadata.end()) {
        const std::map<int64_t, int64_t> gpt2_sizes = {{768, 12}, {1024, 16}, {1280, 20}, {1600, 25}};
        auto size = gpt2_sizes.find(emb_dim);
        if (size == gpt2_sizes.end())
            throw Error("'" + path + "': embedding size " + std::to_string(emb_dim) + " is none of GPT-2's (768: 12 heads, "
                        "1024: 16, 1280: 20, 1600: 25) and the metadata has no \"n_head\" to say how many heads");
        heads = size->second;
    }
    if (heads <= 0 || emb_dim % heads != 0)
        throw Error("'" + path + "': metadata \"n_head\" is '" + (it == metadata.end() ? "" : it->second) +
                    "', expected a number of heads dividing " + std::to_string(emb_dim));
    return heads;
}

// The entry `name` (a 2-D weight), or an Error saying this is no GPT-2 checkpoint.
const SafetensorsEntry& matrix(const std::map<std::string, const SafetensorsEntry*>& by_name, const std::string& name,
                               const std::string& path) {
    auto it = by_name.find(name);
    if (it == by_name.end()) throw Error("'" + path + "': no tensor '" + name + "'; is this GPT-2's model.safetensors?");
    if (it->second->shape.size() != 2)
        throw Error("'" + path + "': tensor '" + it->second->name + "' has shape " + shape_to_string(it->second->shape) +
                    ", expected 2 dimensions");
    return *it->second;
}

}  // namespace

GPTConfig gpt2_config_from_safetensors(const std::string& path) {
    std::ifstream in = open_safetensors(path);
    SafetensorsHeader header = read_header(in, path);
    std::map<std::string, const SafetensorsEntry*> by_name = entries_by_name(header, path);
    const SafetensorsEntry& wte = matrix(by_name, "wte.weight", path);
    const SafetensorsEntry& wpe = matrix(by_name, "wpe.weight", path);
    if (wpe.shape[1] != wte.shape[1])
        throw Error("'" + path + "': wte.weight " + shape_to_string(wte.shape) + " and wpe.weight " +
                    shape_to_string(wpe.shape) + " disagree on the embedding size");
    GPTConfig cfg;
    cfg.vocab_size = wte.shape[0];
    cfg.emb_dim = wte.shape[1];
    cfg.context_length = wpe.shape[0];
    cfg.n_layers = count_blocks(by_name, path);
    cfg.n_heads = count_heads(cfg.emb_dim, header.metadata, path);
    cfg.drop_rate = 0.1;  // the book's NEW_CONFIG keeps GPT_CONFIG_124M's rate
    cfg.qkv_bias = true;
    double tied = static_cast<double>(cfg.vocab_size) * static_cast<double>(cfg.emb_dim);  // wte is also out_head
    check_config_fits_file(cfg, header.data_size, tied, path);  // before anyone builds the model
    return cfg;
}

void load_gpt2_weights(const std::string& path, GPTModel& model) {
    std::ifstream in = open_safetensors(path);
    SafetensorsHeader header = read_header(in, path);
    std::vector<Mapping> table = gpt2_mappings(model);
    std::vector<const SafetensorsEntry*> entries = match_entries(header, table, model, path);
    check_safetensors_checksum(in, header, path);  // a damaged file of ours is refused before anything is copied
    NoGradGuard no_grad;
    for (size_t i = 0; i < table.size(); i++) {  // one tensor in memory at a time
        Tensor hf = read_safetensors_tensor(in, header, *entries[i], path);
        copy_values(table[i], hf.data(), true);
    }
}

PretrainedGPT find_pretrained_gpt(const std::string& path) {
    std::error_code ec;
    std::string file = std::filesystem::is_directory(path, ec) ? path + "/model.safetensors" : path;
    std::map<std::string, std::string> metadata = read_safetensors_metadata(file);
    auto format = metadata.find("format");
    if (format != metadata.end() && format->second == kModelFormat) return {file, false, read_model_config(file)};
    return {file, true, gpt2_config_from_safetensors(file)};
}

void load_pretrained_gpt(const PretrainedGPT& source, GPTModel& model) {
    if (source.hugging_face) load_gpt2_weights(source.file, model);
    else load_model(source.file, model);
}

void save_gpt2_hf(const std::string& path, const GPTModel& model) {
    if (model.out_head.weight.values() != model.tok_emb.weight.values())
        throw Error("save_gpt2_hf: out_head.weight differs from tok_emb.weight, but GPT-2's layout stores one matrix "
                    "(wte) for both; this model cannot be written without losing its output head");
    std::vector<NamedTensor> tensors;
    for (const Mapping& m : gpt2_mappings(model)) {
        Tensor hf = zeros(m.hf_shape);
        copy_values(m, hf.data(), false);
        tensors.push_back({m.hf_name, hf});
    }
    save_safetensors(path, tensors, {{"format", "pt"}, {"n_head", std::to_string(model.cfg.n_heads)}});
}

}  // namespace llm
