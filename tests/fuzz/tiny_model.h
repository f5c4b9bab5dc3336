// The small GPT the checkpoint targets load into, and write_seeds saves as their seeds.
#pragma once

#include "nn/nn.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

// 2 blocks (so block numbers and mask names vary), every size small: a file is ~7 KB.
inline llm::GPTConfig tiny_fuzz_config(bool qkv_bias) {
    llm::GPTConfig cfg;
    cfg.vocab_size = 16;
    cfg.context_length = 4;
    cfg.emb_dim = 8;
    cfg.n_heads = 2;
    cfg.n_layers = 2;
    cfg.drop_rate = 0.0;
    cfg.qkv_bias = qkv_bias;
    return cfg;
}

// The smallest GPT there is (1 block, 1 head, every size 1 or 2): a seed of ~1 KB, so most
// mutations land in the header.
inline llm::GPTConfig smallest_fuzz_config(bool qkv_bias) {
    llm::GPTConfig cfg;
    cfg.vocab_size = 2;
    cfg.context_length = 2;
    cfg.emb_dim = 2;
    cfg.n_heads = 1;
    cfg.n_layers = 1;
    cfg.drop_rate = 0.1;
    cfg.qkv_bias = qkv_bias;
    return cfg;
}

// A file in the temp folder, one per process, for the readers that take a path; removed
// when the fuzzer exits.
struct FuzzTempFile {
    std::string path;
    explicit FuzzTempFile(const std::string& name)
        : path((std::filesystem::temp_directory_path() / ("llm_fuzz_" + std::to_string(getpid()) + "_" + name)).string()) {}
    ~FuzzTempFile() { std::remove(path.c_str()); }
    void write(const std::string& bytes) const {
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    }
};
