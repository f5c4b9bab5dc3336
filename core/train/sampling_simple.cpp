// Generating text with a GPTModel.
#include "train/sampling.h"

#include "autograd/autograd.h"
#include "ops/ops.h"

namespace llm {

Tensor generate_text_simple(const GPTModel& model, Tensor idx, int64_t max_new_tokens, int64_t context_size) {
    NoGradGuard no_grad;  // with torch.no_grad(): nothing to train here
    for (int64_t step = 0; step < max_new_tokens; step++) {
        Tensor idx_cond = slice(idx, 1, -context_size, idx.size(1));  // idx[:, -context_size:]
        Tensor logits = model.forward(idx_cond);                       // (batch, n_tokens, vocab)
        logits = select(logits, 1, -1);                                // last position: (batch, vocab)
        Tensor probas = softmax(logits, -1);
        Tensor idx_next = argmax(probas, -1, true);                    // (batch, 1)
        idx = cat({idx, idx_next}, 1);
    }
    return idx;
}

}  // namespace llm
