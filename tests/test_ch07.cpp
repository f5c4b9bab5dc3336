// Chapter 7 beyond its data (the data layer is in test_ch07_data.cpp): the masked loss
// inside calc_loss_batch, train_model_simple on a tiny model, the book's response
// extraction, Python's json.dump for instruction-data-with-response.json and Python's
// "replace" decoding of the model's bytes.
#include "catch_compat.h"
#include "common.h"
#include "data_files.h"
#include "train_helpers.h"

#include "autograd/autograd.h"
#include "io/files.h"
#include "io/json_write.h"
#include "ops/ops.h"
#include "random/random.h"
#include "text/instruction_data.h"
#include "text/utf8.h"
#include "train/loss.h"
#include "train/simple_training.h"

#include <cmath>

using namespace llm;
using Catch::Matchers::Contains;

namespace {

GPTConfig tiny_config(int64_t vocab_size) {
    GPTConfig cfg;
    cfg.vocab_size = vocab_size, cfg.context_length = 64, cfg.emb_dim = 16, cfg.n_heads = 2, cfg.n_layers = 1;
    cfg.drop_rate = 0.0, cfg.qkv_bias = true;
    return cfg;
}

std::vector<InstructionEntry> toy_entries() {
    return {{"Name a color.", "", "Red."},          {"Add the numbers.", "2 and 3", "5."},
            {"Say hello.", "", "Hello."},           {"Name an animal.", "", "A cat."},
            {"Reverse the word.", "abc", "cba."},   {"Name a fruit.", "", "An apple."}};
}

}  // namespace

TEST_CASE("7.3 calc_loss_batch ignores the -100 targets of custom_collate_fn", "[ch07]") {
    manual_seed(123);
    GPTModel model(tiny_config(12));
    Tensor input = tensor_int64({{1, 2, 3, 4}, {5, 6, 11, 11}});
    Tensor target = tensor_int64({{2, 3, 4, 11}, {6, 11, -100, -100}});
    NoGradGuard no_grad;
    Tensor logits = model.forward(input);  // (2, 4, 12)
    // The mean of -log softmax(logits)[target] over the six positions that are not -100.
    double total = 0;
    int counted = 0;
    for (int64_t b = 0; b < 2; b++)
        for (int64_t t = 0; t < 4; t++) {
            auto id = static_cast<int64_t>(target.at({b, t}));
            if (id == -100) continue;
            double max = -1e30, sum = 0;
            for (int64_t v = 0; v < 12; v++) max = std::max(max, static_cast<double>(logits.at({b, t, v})));
            for (int64_t v = 0; v < 12; v++) sum += std::exp(static_cast<double>(logits.at({b, t, v})) - max);
            total += -(static_cast<double>(logits.at({b, t, id})) - max - std::log(sum));
            counted++;
        }
    REQUIRE(counted == 6);
    CHECK(calc_loss_batch(input, target, model).item() == Approx(total / counted).epsilon(1e-5));
    // Changing what a masked position predicts leaves the loss alone (0 is a valid id).
    Tensor unmasked = tensor_int64({{2, 3, 4, 11}, {6, 11, 0, 0}});
    CHECK(calc_loss_batch(input, unmasked, model).item() != calc_loss_batch(input, target, model).item());
}

TEST_CASE("7.6 train_model_simple on a tiny model: the book's lines, deterministic, loss goes down", "[ch07]") {
    std::string text;
    for (const InstructionEntry& e : toy_entries()) text += format_input(e) + format_response(e) + "\n";
    BpeTokenizer tokenizer = BpeTokenizer::train(text, 300);
    int64_t eos = tokenizer.vocab_size() - 1;  // "<|endoftext|>" is the last id
    InstructionDataset dataset(toy_entries(), tokenizer, {.pad_token_id = eos, .allowed_max_length = 64});
    auto run = [&](std::string& printed) {
        manual_seed(123);
        GPTModel model(tiny_config(tokenizer.vocab_size()));
        DataLoader train_loader(dataset, 2, true, true), val_loader(dataset, 2, false, false);
        AdamW optimizer(model.parameters(), 0.01f, 0.1f);
        CaptureOutput capture;
        TrainingHistory h = train_model_simple(model, train_loader, val_loader, optimizer, 3, 2, 2,
                                               format_input(toy_entries()[0]), tokenizer);
        printed = capture.text();
        return h;
    };
    std::string out_1, out_2;
    TrainingHistory h1 = run(out_1), h2 = run(out_2);
    CHECK(h1.steps == 9);  // 3 epochs of 3 batches
    REQUIRE(h1.train_losses.size() == 5);  // steps 0, 2, 4, 6, 8
    CHECK(h1.track_tokens_seen.front() > 0);  // tokens_seen += input_batch.numel() before the first evaluation
    CHECK(std::is_sorted(h1.track_tokens_seen.begin(), h1.track_tokens_seen.end()));
    for (double loss : h1.train_losses) CHECK(std::isfinite(loss));
    CHECK(h1.train_losses.back() < h1.train_losses.front() - 1.0);
    CHECK(h1.val_losses.back() < h1.val_losses.front());
    CHECK(h1.train_losses == h2.train_losses);
    CHECK(h1.val_losses == h2.val_losses);
    CHECK(out_1 == out_2);
    CHECK_THAT(out_1, Contains("Ep 1 (Step 000000): Train loss "));
    CHECK_THAT(out_1, Contains("Ep 3 (Step 000008): Train loss "));
}

TEST_CASE("7.5 extract_response: the book's slice, replace and strip", "[ch07]") {
    // generated_text[len(input_text):].replace("### Response:", "").strip()
    CHECK(extract_response("Prompt\n\n### Response:\nThe meal is cooked.\n", "Prompt") == "The meal is cooked.");
    CHECK(extract_response("Q\u00e9 ### Response: A ### Response: B \u3000", "Q\u00e9") == "A  B");
    CHECK(extract_response("Prompt", "Prompt").empty());
    // str.replace does not look again at what a removal joined together
    CHECK(extract_response("P### Resp### Response:onse:", "P") == "### Response:");
    CHECK(extract_response(" \t\x1f" "x\xc2\xa0", "") == "x");  // \x1f and U+00A0 are white space to str.strip
}

TEST_CASE("utf8_replace_errors is Python's errors='replace'", "[ch07]") {
    CHECK(utf8_replace_errors("caf\xc3\xa9 \xf0\x9f\x98\x80") == "caf\xc3\xa9 \xf0\x9f\x98\x80");
    // b"a\xe2\x82b".decode("utf-8", "replace") == "a\ufffdb": one U+FFFD for the cut-off sequence
    CHECK(utf8_replace_errors("a\xe2\x82" "b") == "a\xef\xbf\xbd" "b");
    // b"\xc0\xaf\xed\xa0\x80".decode(..., "replace") gives five U+FFFD (bad leads, a surrogate)
    std::string five;
    for (int i = 0; i < 5; i++) five += "\xef\xbf\xbd";
    CHECK(utf8_replace_errors("\xc0\xaf\xed\xa0\x80") == five);
    CHECK(utf8_replace_errors("\xf0\x9f\x98") == "\xef\xbf\xbd");
}

TEST_CASE("format_json writes what Python's json.dumps writes", "[ch07]") {
    // json.dumps({"a": [1, 2.5], "b": {}, "c": [], "d": None, "e": True}, indent=4)
    JsonValue doc = JsonValue::make_object(
        {{"a", JsonValue::make_array({JsonValue::make_integer(1), JsonValue::make_number(2.5)})},
         {"b", JsonValue::make_object({})},
         {"c", JsonValue::make_array({})},
         {"d", JsonValue()},
         {"e", JsonValue::make_bool(true)}});
    CHECK(format_json(doc, 4) ==
          "{\n    \"a\": [\n        1,\n        2.5\n    ],\n    \"b\": {},\n    \"c\": [],\n    \"d\": null,\n"
          "    \"e\": true\n}");
    CHECK(format_json(doc, 0) == "{\"a\": [1, 2.5], \"b\": {}, \"c\": [], \"d\": null, \"e\": true}");
    // json.dumps("caf\u00e9 \u03c0 \U0001F600 \"q\"\n\x7f")
    CHECK(json_quote_ascii("caf\xc3\xa9 \xcf\x80 \xf0\x9f\x98\x80 \"q\"\n\x7f") ==
          "\"caf\\u00e9 \\u03c0 \\ud83d\\ude00 \\\"q\\\"\\n\\u007f\"");
}

TEST_CASE("7.7 instruction-data-with-response.json: the book's format, read back", "[ch07]") {
    std::vector<InstructionEntry> data = toy_entries();
    data[0].model_response = "Blue \u00b0 \"sky\"";
    data[1].model_response = "";
    std::string text = format_instruction_data_json({data[0], data[1]});
    CHECK(text.starts_with(
          "[\n    {\n        \"instruction\": \"Name a color.\",\n        \"input\": \"\",\n        \"output\": "
          "\"Red.\",\n        \"model_response\": "));
    CHECK_THAT(text, Contains("\"model_response\": \"Blue \\u00b0 \\\"sky\\\"\""));
    std::vector<InstructionEntry> back = parse_instruction_data(text, "written.json");
    REQUIRE(back.size() == 2);
    CHECK(back[0].instruction == data[0].instruction);
    CHECK(back[0].model_response == data[0].model_response);
    CHECK(back[1].input == "2 and 3");
    CHECK(back[1].model_response == std::optional<std::string>(""));
    CHECK_FALSE(parse_instruction_data(format_instruction_data_json({toy_entries()[2]}), "x").at(0).model_response);
}

TEST_CASE("7.2 the book's instruction-data.json is what json.dump(indent=4) writes", "[ch07]") {
    // The book's file was written by json.dump(data, file, indent=4): writing what we read
    // gives the same bytes, \u00f9-style escapes included.
    std::string path = find_data_file("instruction-data.json");
    if (path.empty()) return skip_test(missing_data_message("instruction-data.json"));
    std::string original = read_file(path);
    CHECK(format_instruction_data_json(load_instruction_data(path)) == original);
}

TEST_CASE("7.2 print(data[50]): python_repr quotes and escapes as Python's repr", "[ch07]") {
    // repr() of the strings in the book's data[50] and data[999] (7.2, cells 12 and 14)
    CHECK(chapter::python_repr("Ocassion") == "'Ocassion'");
    CHECK(chapter::python_repr("The correct spelling is 'Occasion.'") == "\"The correct spelling is 'Occasion.'\"");
    CHECK(chapter::python_repr("") == "''");
    // repr('a\'b"c\r\x01\\\n') == 'a\'b"c\r\x01\\\n' (both quotes: single, the ' escaped)
    CHECK(chapter::python_repr("a'b\"c\r\x01\\\n") == "'a\\'b\"c\\r\\x01\\\\\\n'");
}
