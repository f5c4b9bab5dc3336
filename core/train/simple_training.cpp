// The book's train_model_simple and its helpers (5.1-5.2); see simple_training.h.
#include "train/simple_training.h"

#include "train/loss.h"
#include "train/sampling.h"

#include <algorithm>
#include <iostream>

namespace llm {

Tensor text_to_token_ids(const std::string& text, const BpeTokenizer& tokenizer) {
    std::vector<int64_t> ids = tokenizer.encode(text);
    return tensor_int64(ids, {1, static_cast<int64_t>(ids.size())});  // add the batch dimension
}

std::string token_ids_to_text(const Tensor& ids, const BpeTokenizer& tokenizer) {
    std::vector<int64_t> list;
    for (float v : ids.values()) list.push_back(static_cast<int64_t>(v));  // remove the batch dimension
    return tokenizer.decode(list);
}

void generate_and_print_sample(GPTModel& model, const BpeTokenizer& tokenizer, const std::string& start_context) {
    model.eval();
    int64_t context_size = model.cfg.context_length;  // the book: model.pos_emb.weight.shape[0]
    Tensor token_ids = generate_text_simple(model, text_to_token_ids(start_context, tokenizer), 50, context_size);
    std::string decoded_text = token_ids_to_text(token_ids, tokenizer);
    std::replace(decoded_text.begin(), decoded_text.end(), '\n', ' ');  // compact print format
    std::cout << decoded_text << "\n";
    model.train();
}

TrainingHistory train_model_simple(GPTModel& model, const DataLoader& train_loader, const DataLoader& val_loader,
                                   AdamW& optimizer, int64_t num_epochs, int64_t eval_freq, int64_t eval_iter,
                                   const std::string& start_context, const BpeTokenizer& tokenizer,
                                   int64_t max_steps) {
    if (eval_freq < 1) throw Error("train_model_simple: eval_freq must be at least 1, got " + std::to_string(eval_freq));
    TrainingHistory history;
    int64_t tokens_seen = 0, global_step = -1;
    for (int64_t epoch = 0; epoch < num_epochs; epoch++) {
        model.train();
        Batch batch;
        for (DataLoaderIter it = train_loader.iter(); it.next(batch);) {
            optimizer.zero_grad();  // reset the gradients of the previous batch
            Tensor loss = calc_loss_batch(batch.input, batch.target, model);
            loss.backward();
            optimizer.step();
            tokens_seen += batch.input.numel();
            global_step++;
            history.steps = global_step + 1;
            if (global_step % eval_freq == 0) {
                Losses losses = evaluate_model(model, train_loader, val_loader, eval_iter);
                history.train_losses.push_back(losses.train_loss);
                history.val_losses.push_back(losses.val_loss);
                history.track_tokens_seen.push_back(static_cast<double>(tokens_seen));
                std::cout << loss_line(epoch, global_step, losses) << std::endl;
            }
            if (max_steps >= 0 && global_step + 1 >= max_steps) {
                std::cout << "(stopped after " << max_steps << " steps, as asked)\n";
                generate_and_print_sample(model, tokenizer, start_context);
                return history;
            }
        }
        generate_and_print_sample(model, tokenizer, start_context);
    }
    return history;
}

}  // namespace llm
