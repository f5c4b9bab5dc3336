// Checkpoints: safetensors written and read by hand (core/io/safetensors.h), model and
// AdamW checkpoints (core/io/checkpoint.h): round trips bit for bit, the file layout,
// and a clear llm::Error for every kind of bad file.
#include "catch_compat.h"
#include "error_of.h"
#include "temp_dir.h"

#include "io/checkpoint.h"
#include "io/files.h"
#include "io/json.h"
#include "io/safetensors.h"
#include "nn/nn.h"
#include "ops/ops.h"
#include "optim/optim.h"
#include "random/random.h"
#include "tensor/storage.h"

#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <random>

using namespace llm;
using Catch::Matchers::Contains;

namespace {

GPTConfig tiny_config(int64_t emb_dim = 16, int64_t n_heads = 2) {
    GPTConfig cfg;
    cfg.vocab_size = 50;
    cfg.context_length = 8;
    cfg.emb_dim = emb_dim;
    cfg.n_heads = n_heads;
    cfg.n_layers = 2;
    cfg.drop_rate = 0.0;  // no dropout: a training step is then a pure function of the state
    return cfg;
}

// Same shape, same dtype, same bits (so NaN and -0.0 count too).
bool same_bits(const Tensor& a, const Tensor& b) {
    return a.shape() == b.shape() && a.dtype() == b.dtype() &&
           (a.numel() == 0 || std::memcmp(a.data(), b.data(), sizeof(float) * static_cast<size_t>(a.numel())) == 0);
}

// Bytes of a safetensors file: 8-byte little-endian length of `header`, `header`, `data`.
std::string raw_file(const std::string& header, const std::string& data) {
    std::string bytes(8, '\0');
    for (int k = 0; k < 8; k++) bytes[k] = static_cast<char>(static_cast<uint64_t>(header.size()) >> (8 * k));
    return bytes + header + data;
}

// One training step on a fixed batch: forward, loss, backward, AdamW step.
void train_step(GPTModel& model, AdamW& opt) {
    Tensor inputs = tensor_int64({{1, 2, 3, 4, 5}, {9, 8, 7, 6, 5}});
    Tensor targets = tensor_int64({{2, 3, 4, 5, 6}, {8, 7, 6, 5, 4}});
    Tensor logits = model.forward(inputs);
    Tensor loss = cross_entropy(logits.flatten(0, 1), targets.flatten());
    opt.zero_grad();
    loss.backward();
    opt.step();
}

}  // namespace

TEST_CASE("checkpoint: a GPTModel round-trips bit for bit", "[checkpoint]") {
    TempDir tmp("llm_checkpoint_test");
    manual_seed(123);
    GPTModel a(tiny_config());
    save_model(tmp.file("model.safetensors"), a, {{"note", "hello \"world\""}});
    CHECK_FALSE(std::filesystem::exists(tmp.file("model.safetensors.tmp")));

    GPTConfig cfg = read_model_config(tmp.file("model.safetensors"));
    CHECK(cfg.vocab_size == 50);
    CHECK(cfg.context_length == 8);
    CHECK(cfg.emb_dim == 16);
    CHECK(cfg.n_heads == 2);
    CHECK(cfg.n_layers == 2);
    CHECK(cfg.drop_rate == 0.0);
    CHECK_FALSE(cfg.qkv_bias);

    manual_seed(456);  // different starting weights
    GPTModel b(cfg);
    std::vector<Tensor> b_params = b.parameters();
    load_model(tmp.file("model.safetensors"), b);
    std::vector<NamedTensor> pa = a.named_parameters(), pb = b.named_parameters();
    REQUIRE(pa.size() == pb.size());
    for (size_t i = 0; i < pa.size(); i++) {
        INFO(pa[i].name);
        CHECK(same_bits(pa[i].tensor, pb[i].tensor));
        CHECK(pb[i].tensor.impl() == b_params[i].impl());  // written in place
    }

    SafetensorsFile file = load_safetensors(tmp.file("model.safetensors"));
    CHECK(file.metadata.at("format") == "llm-from-scratch-cpp gpt v1");
    CHECK(file.metadata.at("note") == "hello \"world\"");
    std::vector<NamedTensor> state = model_state_dict(a);
    REQUIRE(file.tensors.size() == state.size());
    REQUIRE(state.size() == pa.size() + 2);  // the two blocks' mask buffers
    CHECK(state[2].name == "trf_blocks.0.att.mask");
    CHECK(state[3].name == "trf_blocks.0.att.W_query.weight");
    for (size_t i = 0; i < state.size(); i++) {
        CHECK(file.tensors[i].name == state[i].name);
        CHECK(same_bits(file.tensors[i].tensor, state[i].tensor));
    }
}

TEST_CASE("checkpoint: safetensors header layout", "[checkpoint]") {
    TempDir tmp("llm_checkpoint_test");
    manual_seed(123);
    GPTModel model(tiny_config());
    save_model(tmp.file("m.safetensors"), model);
    std::string bytes = read_file(tmp.file("m.safetensors"));
    REQUIRE(bytes.size() >= 8);
    uint64_t n = 0;
    for (int k = 0; k < 8; k++) n |= static_cast<uint64_t>(static_cast<unsigned char>(bytes[k])) << (8 * k);
    REQUIRE(n + 8 <= bytes.size());
    CHECK((8 + n) % 8 == 0);  // the data starts 8-byte aligned
    std::string header = bytes.substr(8, n);
    CHECK(header.front() == '{');
    CHECK(header.find_last_not_of(' ') + 1 + 7 >= header.size());  // at most 7 spaces of padding
    JsonValue doc = parse_json(header, "header");
    REQUIRE(doc.is_object());
    CHECK(doc.as_object()[0].first == "__metadata__");
    CHECK(doc.at("__metadata__").at("emb_dim").as_string() == "16");
    CHECK(doc.at("__metadata__").at("qkv_bias").as_string() == "false");
    std::vector<NamedTensor> state = model_state_dict(model);
    REQUIRE(doc.size() == state.size() + 1);
    int64_t offset = 0;
    for (size_t i = 0; i < state.size(); i++) {
        const auto& [name, entry] = doc.as_object()[i + 1];
        CHECK(name == state[i].name);
        CHECK(entry.at("dtype").as_string() == "F32");
        REQUIRE(entry.at("shape").size() == state[i].tensor.shape().size());
        for (size_t d = 0; d < entry.at("shape").size(); d++)
            CHECK(entry.at("shape").as_array()[d].as_int() == state[i].tensor.shape()[d]);
        CHECK(entry.at("data_offsets").as_array()[0].as_int() == offset);  // contiguous, in order
        offset += 4 * state[i].tensor.numel();
        CHECK(entry.at("data_offsets").as_array()[1].as_int() == offset);
        float first = 0.0f;  // the first value, little-endian float32, where the offsets say
        std::memcpy(&first, bytes.data() + 8 + n + (offset - 4 * state[i].tensor.numel()), 4);
        CHECK(std::memcmp(&first, state[i].tensor.data(), 4) == 0);
    }
    CHECK(static_cast<uint64_t>(offset) == bytes.size() - 8 - n);
}

TEST_CASE("checkpoint: safetensors keeps odd tensors and metadata exactly", "[checkpoint]") {
    TempDir tmp("llm_checkpoint_test");
    float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
    std::vector<NamedTensor> tensors = {{"scalar", tensor(3.5f)},
                                        {"empty", zeros({0, 4})},
                                        {"special", tensor({nan, inf, -inf, -0.0f, 1e-45f})},
                                        {"ids", tensor_int64({{1, -2}, {16777216, 0}})}};
    std::map<std::string, std::string> metadata = {{"k\"ey", "v\n\\al\xc3\xa9"}, {"", ""}};
    save_safetensors(tmp.file("t.safetensors"), tensors, metadata);
    SafetensorsFile file = load_safetensors(tmp.file("t.safetensors"));
    CHECK(file.metadata == metadata);
    REQUIRE(file.tensors.size() == tensors.size());
    for (size_t i = 0; i < tensors.size(); i++) {
        CHECK(file.tensors[i].name == tensors[i].name);
        CHECK(same_bits(file.tensors[i].tensor, tensors[i].tensor));
    }
    CHECK(read_safetensors_metadata(tmp.file("t.safetensors")) == metadata);
    CHECK_THROWS_AS(save_safetensors(tmp.file("x"), {{"a", ones({1})}, {"a", ones({1})}}), Error);
    CHECK_THROWS_AS(save_safetensors(tmp.file("x"), {{"__metadata__", ones({1})}}), Error);
    CHECK_THROWS_AS(save_safetensors(tmp.file("x"), {{"b", tensor({1.0f}).to_bool()}}), Error);
}

TEST_CASE("checkpoint: exact numbers as strings", "[checkpoint]") {
    for (float f : {0.001f, 0.1f, -2.5f, 0.0f, -0.0f, 1e-45f, 3.4e38f, 4e-4f}) {
        float back = decode_float(encode_float(f), "x");
        CHECK(std::memcmp(&back, &f, 4) == 0);
    }
    CHECK(encode_float(0.001f) == "0x1.0624dep-10");
    for (double d : {0.1, -1.0 / 3.0, 5e-324, 1e308}) CHECK(decode_double(encode_double(d), "x") == d);
    CHECK(std::isinf(decode_double(encode_double(-INFINITY), "x")));
    CHECK(decode_int64(encode_int64(-9007199254740993LL), "x") == -9007199254740993LL);
    std::vector<uint32_t> words = {0, 1, 0xdeadbeef, 0xffffffff};
    CHECK(encode_u32s(words) == "0000000000000001deadbeefffffffff");
    CHECK(decode_u32s(encode_u32s(words), "x") == words);
    CHECK_THAT(error_of([] { decode_float("0.1", "'f' metadata 'lr'"); }), Contains("'f' metadata 'lr'"));
    CHECK_THROWS_AS(decode_float("0x1.999999999999ap-4", "x"), Error);  // 0.1 as a double: not a float
    CHECK_THROWS_AS(decode_double("0x", "x"), Error);
    CHECK_THROWS_AS(decode_int64("12a", "x"), Error);
    CHECK_THROWS_AS(decode_u32s("0000000", "x"), Error);
    CHECK_THROWS_AS(decode_u32s("-0000001", "x"), Error);
}

TEST_CASE("checkpoint: AdamW state round-trips and training continues identically", "[checkpoint]") {
    TempDir tmp("llm_checkpoint_test");
    manual_seed(123);
    GPTModel a(tiny_config());
    AdamW opt_a(a.parameters(), 4e-4f, 0.1f);
    train_step(a, opt_a);
    train_step(a, opt_a);
    std::vector<uint32_t> rng = {1, 2, 3};
    std::map<std::string, std::string> position = {{"epoch", "3"}, {"rng", encode_u32s(rng)}};
    save_model(tmp.file("m.safetensors"), a);
    save_optimizer(tmp.file("opt.safetensors"), opt_a, a, position);

    manual_seed(999);
    GPTModel b(read_model_config(tmp.file("m.safetensors")));
    AdamW opt_b(b.parameters());  // default hyper-parameters, restored from the file
    load_model(tmp.file("m.safetensors"), b);
    CHECK(load_optimizer(tmp.file("opt.safetensors"), opt_b, b) == position);
    CHECK(opt_b.steps == opt_a.steps);
    CHECK(opt_b.steps[0] == 2);
    CHECK(opt_b.lr == opt_a.lr);
    CHECK(opt_b.weight_decay == opt_a.weight_decay);
    for (size_t i = 0; i < opt_a.exp_avg.size(); i++) {
        CHECK(same_bits(opt_a.exp_avg[i], opt_b.exp_avg[i]));
        CHECK(same_bits(opt_a.exp_avg_sq[i], opt_b.exp_avg_sq[i]));
    }
    train_step(a, opt_a);
    train_step(b, opt_b);
    std::vector<Tensor> pa = a.parameters(), pb = b.parameters();
    for (size_t i = 0; i < pa.size(); i++) CHECK(same_bits(pa[i], pb[i]));

    CHECK_THAT(error_of([&] { load_optimizer(tmp.file("m.safetensors"), opt_b, b); }), Contains("format"));
    CHECK_THAT(error_of([&] { load_model(tmp.file("opt.safetensors"), b); }), Contains("format"));
    CHECK_THROWS_AS(save_optimizer(tmp.file("x"), opt_a, a, {{"adamw.lr", "1"}}), Error);
    CHECK_THROWS_AS(save_optimizer(tmp.file("x"), opt_a, b), Error);  // parameters of another model
}

TEST_CASE("checkpoint: a truncated file is refused at any length", "[checkpoint]") {
    TempDir tmp("llm_checkpoint_test");
    save_safetensors(tmp.file("ok"), {{"a", ones({3, 4})}, {"b", zeros({5})}}, {{"k", "v"}});
    std::string bytes = read_file(tmp.file("ok"));
    for (size_t cut : {size_t{0}, size_t{3}, size_t{7}, size_t{8}, size_t{20}, bytes.size() - 69, bytes.size() - 20,
                       bytes.size() - 1}) {
        INFO("cut at " << cut);
        write_file_atomic(tmp.file("cut"), bytes.substr(0, cut));
        std::string message = error_of([&] { load_safetensors(tmp.file("cut")); });
        CHECK_THAT(message, Contains(tmp.file("cut")));
        if (cut < 8) CHECK_THAT(message, Contains("fewer than the 8-byte"));
        if (cut >= 8 && cut < bytes.size() - 68) CHECK_THAT(message, Contains("header length"));
        if (cut > bytes.size() - 68) CHECK_THAT(message, Contains("truncated"));
    }
}

TEST_CASE("checkpoint: files that are not checkpoints at all", "[checkpoint]") {
    TempDir tmp("llm_checkpoint_test");
    auto load_error = [&](const std::string& bytes) {
        write_file_atomic(tmp.file("bad"), bytes);
        return error_of([&] { load_safetensors(tmp.file("bad")); });
    };
    CHECK_THAT(load_error("This is a text file, not a checkpoint at all.\n"), Contains("not a safetensors file"));
    std::string garbage(4096, '\0');
    std::mt19937 gen(7);
    for (char& c : garbage) c = static_cast<char>(gen());
    CHECK_THAT(load_error(garbage), Contains("not a safetensors file"));
    CHECK(load_error(raw_file("{}", "")).empty());  // an empty but valid file
    CHECK_THAT(load_error(raw_file("{}", "") + "12345678"), Contains("trailing bytes"));
    std::string huge = raw_file("{}", "");
    huge[6] = 1;  // header length 2^48 + 2
    CHECK_THAT(load_error(huge), Contains("100 MB"));
    CHECK_THAT(load_error(raw_file("{}", "").substr(0, 8) + "{"), Contains("only 1 bytes follow"));
    CHECK_THAT(load_error(raw_file("hello wo", "")), Contains("not a JSON object"));
    CHECK_THAT(load_error(raw_file("[1, 2]  ", "")), Contains("not a JSON object"));
    CHECK_THAT(load_error(raw_file("{\"a\": [1,", "")), Contains("not valid JSON"));
    CHECK_THAT(error_of([&] { load_safetensors(tmp.file("missing")); }), Contains("no such file"));
    CHECK_THAT(error_of([&] { load_safetensors(tmp.dir.string()); }), Contains("directory"));
    CHECK_THAT(error_of([&] { read_model_config(tmp.file("missing")); }), Contains("no such file"));
    CHECK_THAT(error_of([&] { read_model_config(tmp.dir.string()); }), Contains("directory"));
}

TEST_CASE("checkpoint: every malformed header is named", "[checkpoint]") {
    TempDir tmp("llm_checkpoint_test");
    auto load_error = [&](const std::string& header, size_t data_bytes) {
        write_file_atomic(tmp.file("bad"), raw_file(header, std::string(data_bytes, '\0')));
        return error_of([&] { load_safetensors(tmp.file("bad")); });
    };
    auto entry = [](const std::string& dtype, const std::string& shape, const std::string& offsets) {
        return "{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":" + offsets + "}";
    };
    CHECK(load_error("{\"a\":" + entry("F32", "[2]", "[0,8]") + "}", 8).empty());  // the well-formed base case
    CHECK_THAT(load_error("{\"a\":{\"shape\":[2],\"data_offsets\":[0,8]}}", 8), Contains("'a' has no \"dtype\""));
    CHECK_THAT(load_error("{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", 8), Contains("no \"shape\""));
    CHECK_THAT(load_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8), Contains("no \"data_offsets\""));
    CHECK_THAT(load_error("{\"a\":7}", 8), Contains("expected an object"));
    CHECK_THAT(load_error("{\"a\":" + entry("F16", "[4]", "[0,8]") + "}", 8), Contains("\"F16\""));
    CHECK_THAT(load_error("{\"a\":" + entry("F32", "[3]", "[0,8]") + "}", 8), Contains("needs 12 bytes"));
    CHECK_THAT(load_error("{\"a\":" + entry("F32", "[-2]", "[0,8]") + "}", 8), Contains("non-negative"));
    CHECK_THAT(load_error("{\"a\":" + entry("F32", "[2]", "[0,8,9]") + "}", 8), Contains("[begin, end]"));
    CHECK_THAT(load_error("{\"a\":" + entry("F32", "[0]", "[8,0]") + "}", 8), Contains("begin > end"));
    CHECK_THAT(load_error("{\"a\":" + entry("F32", "[2]", "[8,16]") + "}", 8), Contains("past the end"));
    CHECK_THAT(load_error("{\"a\":" + entry("F32", "[4294967296,4294967296]", "[0,8]") + "}", 8),
               Contains("needs 18446744073709551615 bytes"));
    CHECK_THAT(load_error("{\"a\":" + entry("F32", "[2]", "[0,8]") + ",\"b\":" + entry("F32", "[1]", "[4,8]") + "}", 12),
               Contains("overlap"));
    CHECK_THAT(load_error("{\"a\":" + entry("F32", "[1]", "[4,8]") + "}", 8), Contains("belong to no tensor"));
    CHECK_THAT(load_error("{\"a\":" + entry("F32", "[1]", "[0,4]") + "}", 8), Contains("trailing bytes"));
    CHECK_THAT(load_error("{\"a\":" + entry("F32", "[1]", "[0,4]") + ",\"a\":" + entry("F32", "[1]", "[4,8]") + "}", 8),
               Contains("'a' twice"));
    CHECK_THAT(load_error("{\"__metadata__\":{\"k\":1}}", 0), Contains("key 'k' is a JSON number, expected a string"));
    CHECK_THAT(load_error("{\"__metadata__\":[]}", 0), Contains("expected an object of strings"));
}

TEST_CASE("checkpoint: a model checkpoint for another config is refused by name", "[checkpoint]") {
    TempDir tmp("llm_checkpoint_test");
    manual_seed(1);
    GPTModel wide(tiny_config(32, 2)), many_heads(tiny_config(16, 4)), model(tiny_config());
    save_model(tmp.file("wide"), wide);
    save_model(tmp.file("heads"), many_heads);
    Tensor before = model.tok_emb.weight.clone();
    std::string message = error_of([&] { load_model(tmp.file("wide"), model); });
    CHECK_THAT(message, Contains("'tok_emb.weight' has shape [50, 32], the model expects [50, 16]"));
    CHECK_THAT(message, Contains("different config"));
    CHECK_THAT(message, Contains("emb_dim=32"));
    CHECK(same_bits(before, model.tok_emb.weight));  // untouched
    CHECK_THAT(error_of([&] { load_model(tmp.file("heads"), model); }), Contains("n_heads is 4 in the file, 2"));

    std::vector<NamedTensor> state = model_state_dict(model);
    std::vector<NamedTensor> missing(state.begin(), state.end() - 1);
    save_safetensors(tmp.file("missing"), missing);
    CHECK_THAT(error_of([&] { load_model(tmp.file("missing"), model); }), Contains("'out_head.weight' (shape [50, 16]) is missing"));
    CHECK_THAT(error_of([&] { read_model_config(tmp.file("missing")); }), Contains("no 'vocab_size'"));
    state.push_back({"extra.weight", ones({2})});
    save_safetensors(tmp.file("extra"), state);
    CHECK_THAT(error_of([&] { load_model(tmp.file("extra"), model); }), Contains("'extra.weight' is not a parameter"));
    state.pop_back();
    save_safetensors(tmp.file("plain"), model.named_parameters(), {{"format", "pt"}});  // no masks, no config: fine
    load_model(tmp.file("plain"), model);
    std::map<std::string, std::string> metadata = read_safetensors_metadata(tmp.file("wide"));
    metadata["n_layers"] = "two";
    CHECK_THAT(error_of([&] { config_from_metadata(metadata, "f"); }), Contains("'f' metadata 'n_layers' is 'two'"));
}

namespace {

// Copies of the tensors' values, to see later that a refused load changed none of them.
std::vector<std::vector<float>> values_of(const std::vector<Tensor>& tensors) {
    std::vector<std::vector<float>> values;
    for (const Tensor& t : tensors) values.push_back(t.values());
    return values;
}

// The file at `path` with `change` applied to its bytes (written atomically, as any file).
void change_file(const std::string& path, const std::function<void(std::string&)>& change) {
    std::string bytes = read_file(path);
    change(bytes);
    write_file_atomic(path, bytes);
}

}  // namespace

TEST_CASE("checkpoint: the streaming loaders read what the whole-file reader reads, piece by piece", "[checkpoint]") {
    TempDir tmp("llm_checkpoint_test");
    manual_seed(123);
    GPTConfig cfg = tiny_config();
    cfg.vocab_size = 20000;  // tok_emb and out_head: 20000 x 16 floats, 1.28 MB, more than the readers' 1 MB piece
    GPTModel a(cfg);
    AdamW opt_a(a.parameters(), 4e-4f, 0.1f);
    train_step(a, opt_a);
    std::string model_path = tmp.file("m.safetensors"), optimizer_path = tmp.file("o.safetensors");
    save_model(model_path, a);
    save_optimizer(optimizer_path, opt_a, a);

    manual_seed(7);
    GPTModel b(cfg);
    AdamW opt_b(b.parameters());
    load_model(model_path, b);
    load_optimizer(optimizer_path, opt_b, b);
    std::map<std::string, Tensor> whole;  // what load_safetensors, which holds the file in memory, reads
    for (const NamedTensor& t : load_safetensors(model_path).tensors) whole[t.name] = t.tensor;
    for (const NamedTensor& t : load_safetensors(optimizer_path).tensors) whole[t.name] = t.tensor;
    std::vector<NamedTensor> params = b.named_parameters();
    for (size_t i = 0; i < params.size(); i++) {
        INFO(params[i].name);
        CHECK(same_bits(params[i].tensor, whole.at(params[i].name)));
        CHECK(same_bits(opt_b.exp_avg[i], whole.at("exp_avg." + params[i].name)));
        CHECK(same_bits(opt_b.exp_avg_sq[i], whole.at("exp_avg_sq." + params[i].name)));
    }

    // scan_safetensors_data hands over every float32 value once, in order, a piece at a time.
    std::ifstream in = open_safetensors(model_path);
    SafetensorsHeader header = read_safetensors_header(in, model_path);
    std::map<std::string, std::vector<float>> seen;
    int tok_emb_pieces = 0;
    scan_safetensors_data(in, header, model_path,
                          [&](const SafetensorsEntry& e, int64_t first, const float* values, int64_t count) {
        std::vector<float>& so_far = seen[e.name];
        CHECK(first == static_cast<int64_t>(so_far.size()));
        so_far.insert(so_far.end(), values, values + count);
        if (e.name == "tok_emb.weight") tok_emb_pieces++;
    });
    CHECK(tok_emb_pieces == 2);
    CHECK(seen.size() == header.entries.size());
    for (const SafetensorsEntry& e : header.entries) CHECK(seen[e.name] == whole.at(e.name).values());
    // read_safetensors_values reads one tensor straight into a destination.
    std::vector<float> out_head(static_cast<size_t>(a.out_head.weight.numel()));
    read_safetensors_values(in, header, header.entries.back(), out_head.data(), model_path);
    CHECK(header.entries.back().name == "out_head.weight");
    CHECK(out_head == a.out_head.weight.values());
}

TEST_CASE("checkpoint: a refused model or optimizer file leaves every value as it was", "[checkpoint]") {
    TempDir tmp("llm_checkpoint_test");
    manual_seed(123);
    GPTModel a(tiny_config());
    AdamW opt_a(a.parameters(), 4e-4f, 0.1f);
    train_step(a, opt_a);
    manual_seed(7);
    GPTModel b(tiny_config());
    AdamW opt_b(b.parameters());
    train_step(b, opt_b);
    std::vector<std::vector<float>> params = values_of(b.parameters()), exp_avg = values_of(opt_b.exp_avg),
                                    exp_avg_sq = values_of(opt_b.exp_avg_sq);
    std::vector<int64_t> steps = opt_b.steps;
    float lr = opt_b.lr;
    auto check_untouched = [&] {
        CHECK(values_of(b.parameters()) == params);
        CHECK(values_of(opt_b.exp_avg) == exp_avg);
        CHECK(values_of(opt_b.exp_avg_sq) == exp_avg_sq);
        CHECK(opt_b.steps == steps);
        CHECK(opt_b.lr == lr);
    };
    std::string model_path = tmp.file("model.safetensors"), optimizer_path = tmp.file("optimizer.safetensors");

    SECTION("a NaN in the model's last tensor, the one read last") {
        float& last = a.out_head.weight.data()[a.out_head.weight.numel() - 1];
        last = std::nanf("");
        save_model(model_path, a);
        CHECK_THAT(error_of([&] { load_model(model_path, b); }),
                   Contains("'out_head.weight' holds nan at element 799 of 800"));
    }
    SECTION("the model's last value overwritten by a NaN: the checksum names the damage") {
        save_model(model_path, a);
        change_file(model_path, [](std::string& bytes) { bytes.replace(bytes.size() - 4, 4, "\x00\x00\xc0\x7f", 4); });
        std::string message = error_of([&] { load_model(model_path, b); });
        CHECK_THAT(message, Contains("checksum") && Contains("damaged"));
        CHECK_THAT(message, !Contains("holds nan"));
    }
    SECTION("a model file cut short by one value") {
        save_model(model_path, a);
        change_file(model_path, [](std::string& bytes) { bytes.resize(bytes.size() - 4); });
        CHECK_THAT(error_of([&] { load_model(model_path, b); }), Contains("past the end"));
    }
    SECTION("an infinity in the optimizer's last tensor") {
        opt_a.exp_avg_sq.back().data()[0] = INFINITY;
        save_optimizer(optimizer_path, opt_a, a);
        CHECK_THAT(error_of([&] { load_optimizer(optimizer_path, opt_b, b); }),
                   Contains("'exp_avg_sq.out_head.weight' holds inf at element 0"));
    }
    SECTION("one flipped bit in the middle of the optimizer's data") {
        save_optimizer(optimizer_path, opt_a, a);
        change_file(optimizer_path, [](std::string& bytes) { bytes[bytes.size() / 2 + 1] ^= 0x04; });
        CHECK_THAT(error_of([&] { load_optimizer(optimizer_path, opt_b, b); }), Contains("damaged"));
    }
    check_untouched();
}

TEST_CASE("checkpoint: loading reads straight into the model and optimizer, no tensor holds a copy", "[checkpoint]") {
    TempDir tmp("llm_checkpoint_test");
    manual_seed(123);
    GPTModel a(tiny_config());
    AdamW opt_a(a.parameters(), 4e-4f, 0.1f);
    train_step(a, opt_a);
    save_model(tmp.file("m"), a);
    save_optimizer(tmp.file("o"), opt_a, a);
    GPTModel b(tiny_config());
    AdamW opt_b(b.parameters());
    size_t live = live_storage_bytes();
    reset_peak_storage_bytes();
    load_model(tmp.file("m"), b);
    load_optimizer(tmp.file("o"), opt_b, b);
    CHECK(peak_storage_bytes() == live);  // load_safetensors would have made a tensor of every one in the file
    CHECK(live_storage_bytes() == live);
    CHECK(same_bits(b.out_head.weight, a.out_head.weight));
    CHECK(same_bits(opt_b.exp_avg_sq.back(), opt_a.exp_avg_sq.back()));
}
