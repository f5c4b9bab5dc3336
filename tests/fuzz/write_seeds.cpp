// The seeds `make fuzz` starts each target from:
//   write_seeds OUT_DIR STORY_TEXT SHARED_DATA_DIR
// writes OUT_DIR/<target>/<name> for every target: files the project writes itself (a model
// checkpoint, an optimizer file, a GPT-2-layout file, a tokenizer trained on STORY_TEXT, a
// table), and small pieces of the real data files that exist in SHARED_DATA_DIR (GPT-2's
// first 1,000 merges, 20-line pieces of SMSSpamCollection.tsv, 3-entry pieces of
// instruction-data.json). Fuzzing is fastest on small inputs; run.sh also runs every target
// once on the whole real files.
#include "fuzz_common.h"
#include "tiny_model.h"

#include "io/checkpoint.h"
#include "io/csv.h"
#include "io/files.h"
#include "io/gpt2_weights.h"
#include "io/json.h"
#include "io/safetensors.h"
#include "optim/optim.h"
#include "text/bpe.h"
#include "text/instruction_data.h"

#include <filesystem>
#include <iostream>

using namespace llm;

namespace {

std::string seed_path(const std::string& dir, const std::string& target, const std::string& name) {
    std::filesystem::create_directories(dir + "/" + target);
    return dir + "/" + target + "/" + name;
}

// Lines [first, first + count) of `text`, each with its '\n'.
std::string lines_of(const std::string& text, size_t first, size_t count) {
    std::string out;
    size_t line = 0;
    for (size_t pos = 0; pos < text.size() && line < first + count; line++) {
        size_t end = text.find('\n', pos);
        end = end == std::string::npos ? text.size() : end + 1;
        if (line >= first) out.append(text, pos, end - pos);
        pos = end;
    }
    return out;
}

// Beside the file, the same in the '{' form of fuzz_common.h (header, NUL, data).
void write_split_form(const std::string& path) {
    write_file_atomic(path + ".split", split_form_of(read_file(path)));
}

// A model file, an optimizer file (metadata of hex floats) and a file of every kind of
// tensor: 0-d, empty, int64.
void write_safetensors_seeds(const std::string& dir) {
    GPTModel model(tiny_fuzz_config(false));
    AdamW opt(model.parameters(), 0.0004f, 0.1f);
    for (const char* target : {"safetensors", "checkpoint"}) {
        save_model(seed_path(dir, target, "model.safetensors"), model);
        save_optimizer(seed_path(dir, target, "optimizer.safetensors"), opt, model, {{"epoch", "1"}});
        write_split_form(seed_path(dir, target, "model.safetensors"));
        write_split_form(seed_path(dir, target, "optimizer.safetensors"));
    }
    std::vector<NamedTensor> kinds = {{"scalar", tensor(2.5f)},
                                      {"empty", zeros({0, 3})},
                                      {"ids", tensor_int64({40, 367, 2885}, {1, 3})},
                                      {"w", tensor({{1.5f, -2.0f, 0.1f}, {-0.0f, 1e-30f, 3e38f}})}};
    save_safetensors(seed_path(dir, "safetensors", "kinds.safetensors"), kinds, {{"format", "pt"}});
    write_split_form(seed_path(dir, "safetensors", "kinds.safetensors"));
    GPTModel smallest(smallest_fuzz_config(false));
    save_model(seed_path(dir, "checkpoint", "smallest.safetensors"), smallest);
    write_split_form(seed_path(dir, "checkpoint", "smallest.safetensors"));
    // Only the config (all read_model_config reads): a 200-byte file, so most mutations hit a value.
    std::string config_only = seed_path(dir, "checkpoint", "config_only.safetensors");
    save_safetensors(config_only, {}, read_safetensors_metadata(seed_path(dir, "checkpoint", "smallest.safetensors")));
    write_split_form(config_only);
    for (const GPTConfig& cfg : {tiny_fuzz_config(true), smallest_fuzz_config(true)}) {
        GPTModel gpt2(cfg);
        gpt2.out_head.weight.values() = gpt2.tok_emb.weight.values();  // GPT-2 ties them
        std::string path = seed_path(dir, "gpt2_weights", "gpt2_" + std::to_string(cfg.emb_dim) + ".safetensors");
        save_gpt2_hf(path, gpt2);
        write_split_form(path);
    }
}

// encoder.json, a NUL byte, vocab.bpe: a tokenizer of 300 tokens trained on the story text;
// and the story's first paragraphs as text to encode.
void write_bpe_seed(const std::string& dir, const std::string& story_path) {
    std::string story = read_file(story_path);
    write_file_atomic(seed_path(dir, "bpe_encode", "story"), lines_of(story, 0, 6));
    write_file_atomic(seed_path(dir, "csv", "story"), lines_of(story, 0, 6));
    BpeTokenizer t = BpeTokenizer::train(story.substr(0, 20000), 300);
    std::string enc = seed_path(dir, "bpe_load", "encoder.json"), bpe = seed_path(dir, "bpe_load", "vocab.bpe");
    t.save(enc, bpe);
    write_file_atomic(seed_path(dir, "bpe_load", "small_tokenizer"), read_file(enc) + std::string(1, '\0') + read_file(bpe));
    std::filesystem::remove(enc);
    std::filesystem::remove(bpe);
}

// GPT-2's tokenizer cut to its first `merges` merges: ids 0..255 (the bytes), 256.. (the
// merges' results, in GPT-2 the token 256 + k is made by merge k) and <|endoftext|>.
void write_gpt2_head_seed(const std::string& dir, const std::string& gpt2_dir, size_t merges) {
    BpeTokenizer gpt2 = BpeTokenizer::load_gpt2(gpt2_dir + "/encoder.json", gpt2_dir + "/vocab.bpe");
    std::string json = "{";
    int64_t n = 256 + static_cast<int64_t>(merges);
    for (int64_t id = 0; id < n; id++)
        json += json_quote(gpt2_bytes_to_unicode(gpt2.token_bytes(id))) + ": " + std::to_string(id) + ", ";
    json += "\"<|endoftext|>\": " + std::to_string(n) + "}";
    std::string bpe = "#version: 0.2\n";
    for (size_t k = 0; k < merges; k++) {
        const BpeTokenizer::Merge& m = gpt2.merges()[k];
        bpe += gpt2_bytes_to_unicode(gpt2.token_bytes(m.left)) + " " + gpt2_bytes_to_unicode(gpt2.token_bytes(m.right)) + "\n";
    }
    write_file_atomic(seed_path(dir, "bpe_load", "gpt2_first_merges"), json + std::string(1, '\0') + bpe);
    write_file_atomic(seed_path(dir, "json", "gpt2_first_tokens.json"), json);
}

// Pieces of the real files: the tab-separated SMS collection (its first lines and the
// three-line quoted row at line 5,082) and the instruction data, 3 entries a piece.
void write_real_pieces(const std::string& dir, const std::string& shared) {
    std::string sms = shared + "/sms_spam_collection/SMSSpamCollection.tsv";
    if (std::filesystem::exists(sms)) {
        std::string text = read_file(sms);
        for (size_t first : {0, 20, 40, 1000, 5075})
            write_file_atomic(seed_path(dir, "csv", "sms_" + std::to_string(first)), lines_of(text, first, 20));
    }
    std::string instructions = shared + "/instruction-data.json";
    if (std::filesystem::exists(instructions)) {
        std::vector<InstructionEntry> data = load_instruction_data(instructions);
        for (size_t first = 0; first + 3 <= data.size() && first < 30; first += 3) {
            std::string json = "[";
            for (size_t i = first; i < first + 3; i++)
                json += std::string(i > first ? ",\n" : "") + "  {\"instruction\": " + json_quote(data[i].instruction) +
                        ", \"input\": " + json_quote(data[i].input) + ", \"output\": " + json_quote(data[i].output) + "}";
            json += "\n]\n";
            write_file_atomic(seed_path(dir, "instruction_data", "entries_" + std::to_string(first)), json);
            write_file_atomic(seed_path(dir, "json", "entries_" + std::to_string(first)), json);
            write_file_atomic(seed_path(dir, "bpe_encode", "prompt_" + std::to_string(first)),
                              format_input(data[first]) + format_response(data[first]));
        }
    }
    if (std::filesystem::exists(shared + "/gpt2/vocab.bpe")) write_gpt2_head_seed(dir, shared + "/gpt2", 1000);
}

// A table with every quoting case: separators, quotes, line ends, empty fields.
void write_csv_seeds(const std::string& dir) {
    CsvTable table{{"Label", "Text"},
                   {{"ham", "Ok lar... Joking wif u oni..."},
                    {"spam", "Free entry, \"WIN\" now\ttoday"},
                    {"ham", "two\nlines\r\nand \"\""},
                    {"", ""}},
                   {0, 1, 2, 3}};
    to_csv(table, seed_path(dir, "csv", "train.csv"));
    to_csv(table, seed_path(dir, "csv", "table.tsv"), '\t');
}

void write_json_seeds(const std::string& dir) {
    write_file_atomic(seed_path(dir, "json", "kinds.json"),
                      "{\"a\": [1, -0, 2.5e-3, -1E+400, 12345678901234567890, true, false, null],\n"
                      " \"s\": \"tab\\t quote\\\" \\u00e9 \\ud83d\\ude00 \\/\", \"o\": {\"\": {}}, \"e\": []}\n");
    write_file_atomic(seed_path(dir, "instruction_data", "two.json"),
                      "[{\"instruction\": \"Rewrite the sentence.\", \"input\": \"The cat sat.\", \"output\": \"It sat.\"},\n"
                      " {\"instruction\": \"Name a color.\", \"input\": \"\", \"output\": \"Blue\"}]\n");
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 4) {
        std::cerr << "usage: write_seeds OUT_DIR STORY_TEXT SHARED_DATA_DIR\n";
        return 2;
    }
    try {
        write_safetensors_seeds(argv[1]);
        write_bpe_seed(argv[1], argv[2]);
        write_csv_seeds(argv[1]);
        write_json_seeds(argv[1]);
        write_real_pieces(argv[1], argv[3]);
    } catch (const Error& e) {
        std::cerr << "write_seeds: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
