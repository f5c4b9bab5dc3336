// The commands of chapters/ch05_pretraining besides the book's own sections, each a
// main() of its own: read the flags, run, return the exit code (0 after --help).
#pragma once

namespace llm {

// train --data FILE --out DIR [flags] | --resume DIR: pretrain a GPT on any text.
int train_command(int argc, char** argv);
// generate --run DIR --prompt TEXT [flags]: continue a prompt with a trained run.
int generate_command(int argc, char** argv);
// compare --data FILE [--variants book,rope,...] [flags]: the attention lab's variants side by side.
int compare_command(int argc, char** argv);
// gpt2 [--model FILE] [flags]: OpenAI's GPT-2 weights (book 5.5, exercise 5.5).
int gpt2_command(int argc, char** argv);
// gpt2-random --out FILE [flags]: a GPT-2 with random weights in Hugging Face's layout.
int gpt2_random_command(int argc, char** argv);

class FlagParser;
struct TrainOptions;
// The text and model flags that train and compare share (--tokenizer, --gpt2-dir,
// --vocab-size, --context, --emb, --layers, --heads, --dropout), bound to fields of `o`.
void add_model_flags(FlagParser& flags, TrainOptions& o);

}  // namespace llm
