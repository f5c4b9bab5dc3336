// Model and optimizer checkpoints on top of io/safetensors.h (see io/checkpoint.h).
//
// Loading checks everything first and copies last, so a wrong file never leaves a
// model or an optimizer half overwritten: a first pass over the file checks the header
// and every value, a second reads the values into place (see load_model).
#include "io/checkpoint.h"

#include "io/numbers.h"
#include "io/safetensors.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <set>

namespace llm {

// --- exact numbers as strings ---------------------------------------------------------

std::string encode_double(double value) {
    if (!std::isfinite(value)) return std::isnan(value) ? "nan" : value < 0 ? "-inf" : "inf";
    char buf[64];
    auto result = std::to_chars(buf, buf + sizeof buf, std::fabs(value), std::chars_format::hex);
    return std::string(std::signbit(value) ? "-0x" : "0x") + std::string(buf, result.ptr);
}

double decode_double(const std::string& text, const std::string& what) {
    size_t i = text.compare(0, 1, "-") == 0 ? 1 : 0;
    bool special = text.compare(i, std::string::npos, "inf") == 0 || text.compare(i, std::string::npos, "nan") == 0;
    bool hex = text.compare(i, 2, "0x") == 0 && text.size() > i + 2;  // required: "0.1" is not exact in binary
    double value = 0.0;
    if (!(hex || special) || !parse_double(text, value))
        throw Error(what + " is '" + text + "', expected a hex float such as 0x1.999999999999ap-4");
    return value;
}

// A float widens to a double exactly, so its hex form is the double's.
std::string encode_float(float value) { return encode_double(static_cast<double>(value)); }

float decode_float(const std::string& text, const std::string& what) {
    double value = decode_double(text, what);
    float f = static_cast<float>(value);
    if (!std::isnan(value) && static_cast<double>(f) != value)
        throw Error(what + " is '" + text + "', which is not exactly a float32 value");
    return f;
}

std::string encode_int64(int64_t value) { return std::to_string(value); }

int64_t decode_int64(const std::string& text, const std::string& what) {
    int64_t value = 0;
    auto result = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || result.ec != std::errc() || result.ptr != text.data() + text.size())
        throw Error(what + " is '" + text + "', expected a whole number");
    return value;
}

std::string encode_u32s(const std::vector<uint32_t>& words) {
    std::string out;
    for (uint32_t w : words) {
        char buf[9];
        std::snprintf(buf, sizeof buf, "%08x", w);
        out += buf;
    }
    return out;
}

std::vector<uint32_t> decode_u32s(const std::string& text, const std::string& what) {
    if (text.size() % 8 != 0)
        throw Error(what + " has " + std::to_string(text.size()) + " characters, expected 8 hex digits per word");
    std::vector<uint32_t> words(text.size() / 8);
    for (size_t i = 0; i < words.size(); i++) {
        const char* begin = text.data() + 8 * i;
        auto result = std::from_chars(begin, begin + 8, words[i], 16);
        if (result.ec != std::errc() || result.ptr != begin + 8)
            throw Error(what + ": word " + std::to_string(i) + " ('" + text.substr(8 * i, 8) + "') is not 8 hex digits");
    }
    return words;
}

// --- the model --------------------------------------------------------------------------

namespace {

const char* kConfigKeys[] = {"vocab_size", "context_length", "emb_dim", "n_heads", "n_layers", "drop_rate", "qkv_bias"};

// The attention lab's switches that differ from the book's model, as metadata strings
// (keys pos, norm, norm_place, ffn, ffn_hidden, kv_groups, window, attention, features). The book's model has
// none, so its files stay as they were.
std::map<std::string, std::string> variant_metadata(const GPTConfig& cfg) {
    GPTVariant v = normalized(cfg.variant, cfg.emb_dim, cfg.n_heads), book;
    std::map<std::string, std::string> m;
    if (v.pos != book.pos) m["pos"] = name_of(v.pos);
    if (v.norm != book.norm) m["norm"] = name_of(v.norm);
    if (v.norm_place != book.norm_place) m["norm_place"] = name_of(v.norm_place);
    if (v.ffn != book.ffn) m["ffn"] = name_of(v.ffn);
    if (v.ffn_hidden != 0) m["ffn_hidden"] = std::to_string(v.ffn_hidden);
    if (v.kv_groups != 0) m["kv_groups"] = std::to_string(v.kv_groups);
    if (v.window != 0) m["window"] = std::to_string(v.window);
    if (v.attention != book.attention) m["attention"] = name_of(v.attention);
    if (v.attention == AttentionKind::performer) m["features"] = std::to_string(v.features);
    return m;
}

// The switches from the metadata; a missing key is the book's choice, an unknown value an
// Error naming the key and the choices.
GPTVariant variant_from_metadata(const std::map<std::string, std::string>& metadata, const std::string& path) {
    GPTVariant v;
    std::string what = "'" + path + "' metadata '";
    auto value = [&](const char* key) { auto it = metadata.find(key); return it == metadata.end() ? nullptr : &it->second; };
    if (auto* t = value("pos")) v.pos = parse_pos_encoding(*t, what + "pos'");
    if (auto* t = value("norm")) v.norm = parse_norm_kind(*t, what + "norm'");
    if (auto* t = value("norm_place")) v.norm_place = parse_norm_place(*t, what + "norm_place'");
    if (auto* t = value("ffn")) v.ffn = parse_feed_forward_kind(*t, what + "ffn'");
    if (auto* t = value("ffn_hidden")) v.ffn_hidden = decode_int64(*t, what + "ffn_hidden'");
    if (auto* t = value("kv_groups")) v.kv_groups = decode_int64(*t, what + "kv_groups'");
    if (auto* t = value("window")) v.window = decode_int64(*t, what + "window'");
    if (auto* t = value("attention")) v.attention = parse_attention_kind(*t, what + "attention'");
    if (auto* t = value("features")) v.features = decode_int64(*t, what + "features'");
    return v;
}

// The config as metadata strings (drop_rate in the shortest form that reads back exactly).
std::map<std::string, std::string> config_metadata(const GPTConfig& cfg) {
    char rate[32];
    auto result = std::to_chars(rate, rate + sizeof rate, cfg.drop_rate);
    std::map<std::string, std::string> m = {
        {"vocab_size", std::to_string(cfg.vocab_size)}, {"context_length", std::to_string(cfg.context_length)},
        {"emb_dim", std::to_string(cfg.emb_dim)},       {"n_heads", std::to_string(cfg.n_heads)},
        {"n_layers", std::to_string(cfg.n_layers)},     {"drop_rate", std::string(rate, result.ptr)},
        {"qkv_bias", cfg.qkv_bias ? "true" : "false"}};
    m.merge(variant_metadata(cfg));
    return m;
}

// "vocab_size=50, context_length=8, ...": a config for messages.
std::string describe(const GPTConfig& cfg) {
    std::string s;
    for (const auto& [key, value] : config_metadata(cfg))
        if (key != "drop_rate") s += (s.empty() ? "" : ", ") + key + "=" + value;
    return s;
}

// A file of another kind of ours (an optimizer file given as a model, ...) is refused.
void check_format(const std::map<std::string, std::string>& metadata, const std::string& expected,
                  const std::string& path, bool required) {
    auto it = metadata.find("format");
    bool ours = it != metadata.end() && it->second.rfind("llm-from-scratch-cpp", 0) == 0;
    if ((required || ours) && (it == metadata.end() || it->second != expected))
        throw Error("'" + path + "': the checkpoint's format is '" + (it == metadata.end() ? "" : it->second) +
                    "', expected '" + expected + "'");
}

// "(the checkpoint is for a different config: file emb_dim=32 ..., model emb_dim=16 ...)"
std::string different_config(const std::map<std::string, std::string>& metadata, const GPTModel& model,
                             const std::string& path) {
    std::string file = "unknown";
    try {
        file = describe(config_from_metadata(metadata, path));
    } catch (const Error&) {}  // a file without a config: say so rather than fail here
    if (file == describe(model.cfg))
        return " (the file's config is the model's, so the file itself is inconsistent: was it edited or damaged?)";
    return " (the checkpoint is for a different config: file " + file + "; model " + describe(model.cfg) + ")";
}

// Is `name` a mask buffer `trf_blocks.<i>.att.mask` of the model, and which block's?
const Tensor* mask_buffer(const std::string& name, const GPTModel& model) {
    for (size_t i = 0; i < model.trf_blocks.size(); i++)
        if (name == "trf_blocks." + std::to_string(i) + ".att.mask") return &model.trf_blocks[i]->att.mask;
    return nullptr;
}

// Is `name` a performer's random features `trf_blocks.<i>.att.features`, and which block's?
const Tensor* features_buffer(const std::string& name, const GPTModel& model) {
    for (size_t i = 0; i < model.trf_blocks.size(); i++)
        if (model.trf_blocks[i]->att.features.defined() && name == "trf_blocks." + std::to_string(i) + ".att.features")
            return &model.trf_blocks[i]->att.features;
    return nullptr;
}

// The file's tensor `found` must be float32 and shaped like `expected`.
void check_entry(const SafetensorsEntry& found, const Tensor& expected, const std::string& path,
                 const std::string& hint) {
    if (found.dtype != "F32")  // the header's checks let only F32 and I64 through
        throw Error("'" + path + "': tensor '" + found.name + "' is " + dtype_name(Dtype::int64) +
                    ", expected torch.float32");
    if (found.shape != expected.shape())
        throw Error("'" + path + "': tensor '" + found.name + "' has shape " + shape_to_string(found.shape) +
                    ", the model expects " + shape_to_string(expected.shape()) + hint);
}

// The first of a load's two passes over the data: read it all once through a small
// buffer, copying nothing, and throw unless its checksum matches and every value of the
// tensors named in `checked` is a finite number (a NaN or an infinity would only show up
// steps later as a loss of nan). The second pass reads the values into their destination.
void check_values(std::ifstream& in, const SafetensorsHeader& header, const std::set<std::string>& checked,
                  const std::string& path) {
    std::string first_bad;  // reported once the checksum has passed: a damaged file is called damaged
    scan_safetensors_data(in, header, path,
                          [&](const SafetensorsEntry& e, int64_t first, const float* values, int64_t count) {
        if (!first_bad.empty() || !checked.count(e.name)) return;
        for (int64_t i = 0; i < count; i++)
            if (!std::isfinite(values[i])) {
                first_bad = "'" + path + "': tensor '" + e.name + "' holds " + (std::isnan(values[i]) ? "nan" : "inf") +
                            " at element " + std::to_string(first + i) + " of " + std::to_string(numel_of(e.shape)) +
                            "; the file is damaged";
                return;
            }
    });
    if (!first_bad.empty()) throw Error(first_bad);
}

}  // namespace

std::vector<NamedTensor> model_state_dict(const GPTModel& model) {
    std::vector<NamedTensor> out;
    const std::string query = ".att.W_query.weight";
    for (const NamedTensor& p : model.named_parameters()) {
        if (p.name.ends_with(query)) {  // trf_blocks.<i>.att.W_query.weight: the block's mask goes first
            std::string mask_name = p.name.substr(0, p.name.size() - query.size()) + ".att.mask";
            if (const Tensor* mask = mask_buffer(mask_name, model)) out.push_back({mask_name, *mask});
            std::string features_name = p.name.substr(0, p.name.size() - query.size()) + ".att.features";
            if (const Tensor* f = features_buffer(features_name, model)) out.push_back({features_name, *f});
        }
        out.push_back(p);
    }
    return out;
}

void save_model(const std::string& path, const GPTModel& model, const std::map<std::string, std::string>& extra_metadata) {
    std::map<std::string, std::string> metadata = config_metadata(model.cfg);
    metadata["format"] = kModelFormat;
    for (const auto& [key, value] : extra_metadata)
        if (!metadata.emplace(key, value).second)
            throw Error("save_model: extra metadata key '" + key + "' is reserved for the model config");
    save_safetensors(path, model_state_dict(model), metadata);
}

GPTConfig config_from_metadata(const std::map<std::string, std::string>& metadata, const std::string& path) {
    std::map<std::string, std::string> values;
    for (const char* key : kConfigKeys) {
        auto it = metadata.find(key);
        if (it == metadata.end())
            throw Error("'" + path + "': the checkpoint's metadata has no '" + key +
                        "' (a model checkpoint stores its GPTConfig there; was it written by save_model?)");
        values[key] = it->second;
    }
    std::string what = "'" + path + "' metadata '";
    GPTConfig cfg;
    cfg.vocab_size = decode_int64(values["vocab_size"], what + "vocab_size'");
    cfg.context_length = decode_int64(values["context_length"], what + "context_length'");
    cfg.emb_dim = decode_int64(values["emb_dim"], what + "emb_dim'");
    cfg.n_heads = decode_int64(values["n_heads"], what + "n_heads'");
    cfg.n_layers = decode_int64(values["n_layers"], what + "n_layers'");
    const std::string& rate = values["drop_rate"];
    if (!parse_double(rate, cfg.drop_rate) || !std::isfinite(cfg.drop_rate))
        throw Error(what + "drop_rate' is '" + rate + "', expected a number such as 0.1");
    if (values["qkv_bias"] != "true" && values["qkv_bias"] != "false")
        throw Error(what + "qkv_bias' is '" + values["qkv_bias"] + "', expected 'true' or 'false'");
    cfg.qkv_bias = values["qkv_bias"] == "true";
    cfg.variant = variant_from_metadata(metadata, path);
    try {
        check_gpt_config(cfg);
    } catch (const Error& e) {
        throw Error("'" + path + "': the checkpoint's config cannot make a model: " + e.what());
    }
    return cfg;
}

void check_config_fits_file(const GPTConfig& cfg, uint64_t data_bytes, double tied, const std::string& path) {
    double needed = gpt_parameter_count(cfg) - tied, held = static_cast<double>(data_bytes / 4);
    if (needed > held) {
        char numbers[96];
        std::snprintf(numbers, sizeof numbers, "%.0f parameters, but the file holds %.0f values", needed, held);
        throw Error("'" + path + "': its config (" + describe(cfg) + ") describes a GPTModel of " + numbers +
                    " (is the metadata wrong, or the file cut short?)");
    }
}

GPTConfig read_model_config(const std::string& path) {
    SafetensorsHeader header = read_safetensors_header(path);
    check_format(header.metadata, kModelFormat, path, false);
    GPTConfig cfg = config_from_metadata(header.metadata, path);
    // The output head is not counted: a finetuned model (chapter 6's classifier) has a
    // smaller one than the config's V·C, and load_model checks every tensor's shape anyway.
    check_config_fits_file(cfg, header.data_size, static_cast<double>(cfg.vocab_size) * static_cast<double>(cfg.emb_dim),
                           path);
    return cfg;
}

// Two passes over the file, which stays open in between (a checkpoint replaced on the
// disk meanwhile, as AtomicFile replaces one, is a new file; this one keeps its bytes):
// the header and every value are checked first, and only then are the values read into
// the model, one tensor at a time straight into its parameter. The file is never held in
// memory, so loading needs no memory beyond the model's own.
void load_model(const std::string& path, GPTModel& model) {
    std::ifstream in = open_safetensors(path);
    SafetensorsHeader header = read_safetensors_header(in, path);
    check_format(header.metadata, kModelFormat, path, false);
    std::string hint = different_config(header.metadata, model, path);
    std::map<std::string, const SafetensorsEntry*> found;
    for (const SafetensorsEntry& e : header.entries) found[e.name] = &e;
    std::vector<NamedTensor> params = model.named_parameters();
    for (const NamedTensor& p : params) {
        if (!found.count(p.name))
            throw Error("'" + path + "': tensor '" + p.name + "' (shape " + shape_to_string(p.tensor.shape()) +
                        ") is missing" + hint);
        check_entry(*found[p.name], p.tensor, path, hint);
    }
    std::vector<NamedTensor> buffers;  // a performer's random features: required, copied like parameters
    for (const NamedTensor& b : model_state_dict(model))
        if (features_buffer(b.name, model)) buffers.push_back(b);
    for (const NamedTensor& b : buffers) {
        if (!found.count(b.name))
            throw Error("'" + path + "': tensor '" + b.name + "' (performer's random features, shape " +
                        shape_to_string(b.tensor.shape()) + ") is missing" + hint);
        check_entry(*found[b.name], b.tensor, path, hint);
    }
    for (const SafetensorsEntry& e : header.entries) {
        const Tensor* mask = mask_buffer(e.name, model);
        if (mask) check_entry(e, *mask, path, hint);
        bool is_param = std::any_of(params.begin(), params.end(), [&](const NamedTensor& p) { return p.name == e.name; });
        if (!mask && !is_param && !features_buffer(e.name, model))
            throw Error("'" + path + "': tensor '" + e.name + "' is not a parameter of this GPTModel" + hint);
    }
    auto n_heads = header.metadata.find("n_heads");  // the one config value no shape shows
    if (n_heads != header.metadata.end() && n_heads->second != std::to_string(model.cfg.n_heads))
        throw Error("'" + path + "': n_heads is " + n_heads->second + " in the file, " +
                    std::to_string(model.cfg.n_heads) + " in the model" + hint);
    GPTVariant file_variant = variant_from_metadata(header.metadata, path);  // nor do most switches
    const GPTConfig& c = model.cfg;
    if (normalized(file_variant, c.emb_dim, c.n_heads) != normalized(c.variant, c.emb_dim, c.n_heads))
        throw Error("'" + path + "': the file's model is the variant " + describe(file_variant, c.emb_dim, c.n_heads) +
                    ", this model is " + describe(c.variant, c.emb_dim, c.n_heads) + hint);
    params.insert(params.end(), buffers.begin(), buffers.end());
    std::set<std::string> copied;  // the masks are not: the model makes its own
    for (const NamedTensor& p : params) copied.insert(p.name);
    check_values(in, header, copied, path);
    // Everything checked: now overwrite the model.
    for (NamedTensor& p : params) read_safetensors_values(in, header, *found[p.name], p.tensor.data(), path);
}

// --- the optimizer ----------------------------------------------------------------------

namespace {

// The state-dict name of each of opt's parameters, found in `model` by identity.
std::vector<std::string> optimizer_param_names(const AdamW& opt, const Module& model) {
    std::vector<NamedTensor> named = model.named_parameters();
    std::vector<std::string> names;
    for (size_t i = 0; i < opt.params().size(); i++) {
        auto it = std::find_if(named.begin(), named.end(),
                               [&](const NamedTensor& p) { return p.tensor.impl() == opt.params()[i].impl(); });
        if (it == named.end())
            throw Error("optimizer checkpoint: the optimizer's parameter " + std::to_string(i) +
                        " is not a parameter of the given model");
        names.push_back(it->name);
    }
    return names;
}

// Keys the optimizer file uses itself.
bool reserved_key(const std::string& key) { return key == "format" || key.rfind("adamw.", 0) == 0; }

// The file's entry `name`, which must exist and be float32 shaped like `like`.
const SafetensorsEntry& state_entry(const std::map<std::string, const SafetensorsEntry*>& file, const std::string& name,
                                    const Tensor& like, const std::string& path) {
    auto it = file.find(name);
    if (it == file.end()) throw Error("'" + path + "': optimizer state '" + name + "' is missing");
    const SafetensorsEntry& e = *it->second;
    if (e.dtype != "F32" || e.shape != like.shape())
        throw Error("'" + path + "': optimizer state '" + name + "' has shape " + shape_to_string(e.shape) +
                    ", the parameter has " + shape_to_string(like.shape()));
    return e;
}

// metadata[key], which must exist.
const std::string& required(const std::map<std::string, std::string>& metadata, const std::string& key,
                            const std::string& path) {
    auto it = metadata.find(key);
    if (it == metadata.end()) throw Error("'" + path + "': the optimizer checkpoint's metadata has no '" + key + "'");
    return it->second;
}

}  // namespace

void save_optimizer(const std::string& path, const AdamW& opt, const Module& model,
                    const std::map<std::string, std::string>& metadata) {
    for (const auto& [key, value] : metadata)
        if (reserved_key(key)) throw Error("save_optimizer: metadata key '" + key + "' is reserved");
    std::vector<std::string> names = optimizer_param_names(opt, model);
    std::map<std::string, std::string> meta = metadata;
    meta["format"] = kOptimizerFormat;
    meta["adamw.lr"] = encode_float(opt.lr);
    meta["adamw.weight_decay"] = encode_float(opt.weight_decay);
    meta["adamw.beta1"] = encode_float(opt.beta1);
    meta["adamw.beta2"] = encode_float(opt.beta2);
    meta["adamw.eps"] = encode_float(opt.eps);
    std::vector<NamedTensor> tensors;
    for (size_t i = 0; i < names.size(); i++) {
        meta["adamw.step." + names[i]] = encode_int64(opt.steps[i]);
        tensors.push_back({"exp_avg." + names[i], opt.exp_avg[i]});
        tensors.push_back({"exp_avg_sq." + names[i], opt.exp_avg_sq[i]});
    }
    save_safetensors(path, tensors, meta);
}

// As load_model: every check first (the second pass over the file reads the moments
// straight into the optimizer's tensors), so a bad file leaves the optimizer as it was.
std::map<std::string, std::string> load_optimizer(const std::string& path, AdamW& opt, const Module& model) {
    std::ifstream in = open_safetensors(path);
    SafetensorsHeader header = read_safetensors_header(in, path);
    const std::map<std::string, std::string>& metadata = header.metadata;
    check_format(metadata, kOptimizerFormat, path, true);
    std::vector<std::string> names = optimizer_param_names(opt, model);
    std::map<std::string, const SafetensorsEntry*> state;
    for (const SafetensorsEntry& e : header.entries) state[e.name] = &e;
    if (state.size() != 2 * names.size())
        throw Error("'" + path + "': the file holds " + std::to_string(state.size()) + " state tensors, the optimizer has " +
                    std::to_string(2 * names.size()) + " (2 per parameter): is it for another model?");
    std::vector<const SafetensorsEntry*> exp_avg, exp_avg_sq;
    std::vector<int64_t> steps;
    for (size_t i = 0; i < names.size(); i++) {
        exp_avg.push_back(&state_entry(state, "exp_avg." + names[i], opt.params()[i], path));
        exp_avg_sq.push_back(&state_entry(state, "exp_avg_sq." + names[i], opt.params()[i], path));
        std::string key = "adamw.step." + names[i];
        steps.push_back(decode_int64(required(metadata, key, path), "'" + path + "' metadata '" + key + "'"));
    }
    float hyper[5];
    const char* keys[5] = {"adamw.lr", "adamw.weight_decay", "adamw.beta1", "adamw.beta2", "adamw.eps"};
    for (int k = 0; k < 5; k++)
        hyper[k] = decode_float(required(metadata, keys[k], path), "'" + path + "' metadata '" + keys[k] + "'");
    std::set<std::string> moments;  // all of the file's tensors, as the count above showed
    for (const auto& [name, e] : state) moments.insert(name);
    check_values(in, header, moments, path);
    // Everything checked: now overwrite the optimizer.
    for (size_t i = 0; i < names.size(); i++) {
        read_safetensors_values(in, header, *exp_avg[i], opt.exp_avg[i].data(), path);
        read_safetensors_values(in, header, *exp_avg_sq[i], opt.exp_avg_sq[i].data(), path);
    }
    opt.steps = steps;
    opt.lr = hyper[0], opt.weight_decay = hyper[1], opt.beta1 = hyper[2], opt.beta2 = hyper[3], opt.eps = hyper[4];
    std::map<std::string, std::string> user;
    for (const auto& [key, value] : metadata)
        if (!reserved_key(key) && key != kChecksumKey) user[key] = value;
    return user;
}

}  // namespace llm
