// Appendix D: adding bells and whistles to the training loop — learning-rate warm-up,
// cosine decay and gradient clipping.
//
//   build/release/appendix_d_training_loop [--verdict FILE] [--gpt2-dir DIR]
//
// D.1 and D.2 need only the number of batches per epoch (9 in the book); D.3's gradients
// need the-verdict and GPT-2's vocabulary (default: data/).
#include "../common.h"
#include "../gpt2_files.h"
#include "schedules.h"

#include "io/files.h"
#include "optim/optim.h"
#include "random/random.h"
#include "text/dataset.h"
#include "train/loss.h"

#include <cmath>
#include <cstdio>

using namespace llm;
using chapter::heading;

// One pass over the loader per epoch, as the book's loops make (each pass draws from the
// generator); `batch` ends as the last batch of the last pass.
static void run_passes(const DataLoader* loader, int64_t n_epochs, Batch& batch) {
    if (!loader) return;
    for (int64_t epoch = 0; epoch < n_epochs; epoch++)
        for (DataLoaderIter it = loader->iter(); it.next(batch);) {
        }
}

static void print_lrs(const std::vector<double>& lrs) {
    for (size_t step = 0; step < lrs.size(); step += 9)
        std::printf("step %3zu: lr %.6f\n", step, lrs[step]);
    std::printf("step %3zu: lr %.6f\n", lrs.size() - 1, lrs.back());
}

// D.3: the global L2 norm of all gradients, and the largest gradient before and after clipping.
static float find_highest_gradient(const GPTModel& model) {
    float max_grad = -INFINITY;
    for (const Tensor& p : model.parameters())
        if (p.grad().defined())
            for (float g : p.grad().values()) max_grad = std::max(max_grad, g);
    return max_grad;
}

static void gradient_clipping(const Batch* leftover) {
    heading("D.3 Gradient clipping");
    Tensor G = tensor({{1.0f, 2.0f}, {2.0f, 4.0f}});
    G.requires_grad_();
    Tensor loss = sum(G * G) * 0.5f;  // makes G.grad equal to G
    loss.backward();
    float norm = clip_grad_norm({G}, 1.0f);
    std::cout << "||G||_2 = " << tensor(norm) << "; after clip_grad_norm(max_norm=1): " << G.grad() << "\n";
    if (!leftover) return;
    manual_seed(123);
    GPTConfig cfg = gpt_config_124m();
    cfg.context_length = 256;
    GPTModel model(cfg);
    calc_loss_batch(leftover->input, leftover->target, model).backward();
    std::cout << tensor(find_highest_gradient(model)) << "\n";
    clip_grad_norm(model.parameters(), 1.0f);
    std::cout << tensor(find_highest_gradient(model)) << "\n";
}

static int run(int argc, char** argv) {
    chapter::BookFileFlags files;
    FlagParser flags(chapter::program_name(argv), "Book appendix D: learning-rate warm-up, cosine decay, "
                                                  "gradient clipping.");
    files.add_to(flags);
    if (!chapter::parse_flags(flags, argc, argv)) return 0;
    std::optional<std::string> verdict = chapter::find_verdict(files.verdict);
    chapter::Gpt2Vocabulary vocab(files.gpt2_dir);
    std::optional<TrainValLoaders> loaders;  // the book's: 90/10 by characters, 256 tokens, batch 2
    if (verdict && vocab.loaded()) {
        manual_seed(123);  // before the loaders, as in the notebook
        loaders.emplace(read_file(*verdict), vocab.tokenizer(), 256, 2);
    }
    const DataLoader* train_loader = loaders ? &loaders->train_loader : nullptr;
    int64_t n_epochs = 15, batches = train_loader ? train_loader->size() : 9;  // 9 batches in the book
    double initial_lr = 0.0001, peak_lr = 0.01;
    int64_t total_steps = batches * n_epochs;
    int64_t warmup_steps = static_cast<int64_t>(0.2 * static_cast<double>(total_steps));

    heading("D.1 Learning rate warmup");
    std::cout << warmup_steps << "\n";
    Batch batch;
    run_passes(train_loader, n_epochs, batch);  // the book's loop iterates the loader while it sets lr
    print_lrs(appendix_d::warmup(total_steps, warmup_steps, initial_lr, peak_lr));

    heading("D.2 Cosine decay");
    run_passes(train_loader, n_epochs, batch);
    print_lrs(appendix_d::cosine(total_steps, warmup_steps, initial_lr, peak_lr, 0.1 * initial_lr));

    gradient_clipping(train_loader ? &batch : nullptr);  // the batch left over from D.2's loop
    return 0;
}

int main(int argc, char** argv) { return chapter::run_reporting_errors(run, argc, argv); }
