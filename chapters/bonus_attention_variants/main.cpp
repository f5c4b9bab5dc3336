// Bonus: the attention lab. What the position schemes beyond the book's GPT-2 do to the
// attention weights of chapter 3's six tokens, and what grouped-query and sliding-window
// attention save in the KV cache of GPT-2's sizes.
//
//   build/release/bonus_attention_variants [--out DIR]   (SVG heat maps; default runs/bonus_attention_variants)
//
// Each section is one function, called in order from run(); later parts of the lab add
// sections after these.
#include "../common.h"
#include "autograd/autograd.h"
#include "io/plot.h"
#include "nn/nn.h"
#include "random/random.h"
#include "train/compare.h"

#include <cmath>
#include <cstdio>
#include <functional>

using namespace llm;
using chapter::heading;
using chapter::print;

namespace {

const float kNegInf = -INFINITY;

// Chapter 3's queries and keys: SelfAttention_v2(d_in=3, d_out=2) with seed 789 (section 3.5.1).
struct QueriesKeys {
    Tensor queries, keys;  // (T, 2)
};

QueriesKeys your_journey_queries_keys(const Tensor& inputs) {
    manual_seed(789);
    SelfAttentionV2 sa_v2(3, 2);
    return {sa_v2.W_query.forward(inputs).detach(), sa_v2.W_key.forward(inputs).detach()};
}

// softmax(mask(scores) / √d_k + bias) over each row: the causal mask, and with a window also
// the keys `window` or more tokens back. scores: (T, T); bias: (T, T) or undefined
Tensor attention_weights(const Tensor& scores, int64_t d_k, int64_t window = 0, const Tensor& bias = Tensor()) {
    int64_t T = scores.size(0);
    Tensor mask = triu(ones({T, T}), 1);
    if (window > 0) mask = mask + tril(ones({T, T}), -window);
    Tensor scaled = masked_fill(scores, mask.to_bool(), kNegInf) / static_cast<float>(std::sqrt(d_k));
    return softmax(bias.defined() ? scaled + bias : scaled, -1);
}

void picture(const std::string& dir, const std::string& file, const Tensor& matrix, const std::string& title) {
    const std::vector<std::string>& words = chapter::your_journey_words();
    write_heatmap_svg(dir + "/" + file, matrix, words, words, title);
    std::cout << "(heat map written to " << dir << "/" << file << ")\n";
}

// --- 1. No positions at all --------------------------------------------------------------

void no_positions(const Tensor& inputs, const std::string& dir) {
    heading("1. The causal mask alone (NoPE): chapter 3's weights");
    QueriesKeys qk = your_journey_queries_keys(inputs);
    Tensor weights = attention_weights(matmul(qk.queries, qk.keys.T()), 2);
    print(weights);
    std::cout << "Nothing here says where a token is: only the mask, which lets token i see tokens\n"
                 "0..i, tells the positions apart (--pos none). Swapping two earlier tokens changes nothing.\n";
    picture(dir, "bonus_nope_weights.svg", weights, "causal mask alone (NoPE)");
}

// --- 2. Positions added to the inputs: learned and sinusoidal ------------------------------

void sinusoidal_positions_section(const Tensor& inputs, const std::string& dir) {
    heading("2. Sinusoidal positions (Vaswani et al. 2017) added to the inputs");
    Tensor pe = sinusoidal_positions(6, 3);
    std::cout << "PE(p, 2i) = sin(p / 10000^(2i/3)), PE(p, 2i+1) = cos(p / 10000^(2i/3)):\n";
    print(pe);
    QueriesKeys qk = your_journey_queries_keys(inputs + pe);
    Tensor weights = attention_weights(matmul(qk.queries, qk.keys.T()), 2);
    print(weights);
    std::cout << "The book's GPT learns such a table instead (pos_emb, --pos learned); both are added to\n"
                 "the token embeddings before the first block, so every later layer sees them mixed in.\n";
    picture(dir, "bonus_sinusoidal_weights.svg", weights, "sinusoidal positions added to the inputs");
}

// --- 3. RoPE: rotate queries and keys ---------------------------------------------------------

// The score of query q at position i and key k at position j, both rotated: (T, T).
Tensor rope_scores_at_every_pair(const Tensor& q, const Tensor& k, const RopeTables& t) {
    int64_t T = t.cos.size(0);
    Tensor scores = zeros({T, T});
    for (int64_t i = 0; i < T; i++)
        for (int64_t j = 0; j < T; j++) {
            Tensor qi = rope(q.view({1, 1, 2}), t.cos, t.sin, i), kj = rope(k.view({1, 1, 2}), t.cos, t.sin, j);
            scores.data()[i * T + j] = (qi * kj).sum().item();
        }
    return scores;
}

void rope_section(const Tensor& inputs, const std::string& dir) {
    heading("3. RoPE (Su et al. 2021): queries and keys rotated by their positions");
    QueriesKeys qk = your_journey_queries_keys(inputs);
    RopeTables t = rope_tables(6, 2);  // head size 2: one pair, angle p · θ_0 with θ_0 = 1 radian
    Tensor queries = rope(qk.queries.view({1, 6, 2}), t.cos, t.sin).view({6, 2});
    Tensor keys = rope(qk.keys.view({1, 6, 2}), t.cos, t.sin).view({6, 2});
    std::cout << "Rotated queries (token p turned by p radians):\n";
    print(queries);
    Tensor weights = attention_weights(matmul(queries, keys.T()), 2);
    print(weights);
    picture(dir, "bonus_rope_weights.svg", weights, "RoPE: queries and keys rotated");
    std::cout << "\nThe query of 'journey' and the key of 'step' placed at every pair of positions (i, j),\n"
                 "before any mask:\n";
    Tensor pairs = rope_scores_at_every_pair(qk.queries[1], qk.keys[5], t);
    print(pairs);
    std::cout << "Each diagonal is one number: a rotated dot product depends on i - j only, not on\n"
                 "where the pair sits. That is why RoPE has no table to outgrow (--pos rope).\n";
    picture(dir, "bonus_rope_relative_scores.svg", pairs, "RoPE: the score depends only on i - j");
}

// --- 4. ALiBi: a penalty for distance -----------------------------------------------------------

void alibi_section(const Tensor& inputs, const std::string& dir) {
    heading("4. ALiBi (Press et al. 2022): -m_h · (i - j) added to the scores");
    std::vector<float> slopes = alibi_slopes(4);
    std::cout << "Slopes m_h of a 4-head model, 2^(-8h/4): ";
    for (float m : slopes) std::cout << m << " ";
    std::cout << "\n";
    QueriesKeys qk = your_journey_queries_keys(inputs);
    Tensor scores = matmul(qk.queries, qk.keys.T());
    for (size_t h : {size_t(0), size_t(3)}) {
        Tensor bias = alibi_bias_matrix({slopes[h]}, 6, 6, 0, 0).view({6, 6});
        Tensor weights = attention_weights(scores, 2, 0, bias);
        std::cout << "Head " << h + 1 << " (m = " << slopes[h] << "):\n";
        print(weights);
        if (h == 0) {
            std::cout << "Its bias (above the diagonal the mask wins, shown as 0):\n";
            Tensor shown = masked_fill(bias, triu(ones({6, 6}), 1).to_bool(), 0.0f) + 0.0f;  // + 0: no -0 on the diagonal
            print(shown);
            picture(dir, "bonus_alibi_bias.svg", shown, "ALiBi bias of head 1, -0.25 · (i - j)");
        }
        picture(dir, "bonus_alibi_head" + std::to_string(h + 1) + "_weights.svg", weights,
                "ALiBi head " + std::to_string(h + 1) + " weights");
    }
    std::cout << "The steep head looks mostly at recent tokens, the flat one at all of them, with no\n"
                 "parameters at all (--pos alibi).\n";
}

// --- 5. A sliding window: a band -------------------------------------------------------------------

void window_section(const Tensor& inputs, const std::string& dir) {
    heading("5. Sliding-window attention: token i sees i - W < j <= i");
    QueriesKeys qk = your_journey_queries_keys(inputs);
    Tensor weights = attention_weights(matmul(qk.queries, qk.keys.T()), 2, 3);
    print(weights);
    std::cout << "With W = 3 each row keeps three weights; the KV cache needs only the last W tokens'\n"
                 "keys and values (--window 3). Stacked layers still pass information further back.\n";
    picture(dir, "bonus_window_weights.svg", weights, "sliding window W = 3");
}

// --- 6. What the KV cache costs -----------------------------------------------------------------------

struct Gpt2Size {
    const char* name;
    int64_t emb_dim, n_layers, n_heads;
};

// The largest divisor of H at most H/4: four query heads (or so) per key/value head.
int64_t gqa_heads(int64_t n_heads) {
    for (int64_t g = n_heads / 4; g > 1; g--)
        if (n_heads % g == 0) return g;
    return 1;
}

std::string megabytes(double bytes) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f MB", bytes / 1e6);
    return text;
}

void kv_cache_sizes() {
    heading("6. KV-cache sizes of GPT-2 with multi-head, grouped-query and sliding-window attention");
    std::cout << "bytes = batch × tokens × hs × layers × 2 (K and V) × bytes per value × KV heads\n"
                 "(the book's ch04/04_gqa memory estimator), batch 1, 2-byte values (bf16, the estimator's\n"
                 "default; this program's float32 doubles every figure); window W = 1024 caps the tokens.\n\n";
    const Gpt2Size sizes[] = {{"124M", 768, 12, 12}, {"355M", 1024, 24, 16}, {"774M", 1280, 36, 20}, {"1.5B", 1600, 48, 25}};
    std::printf("%-6s %6s %5s %11s %15s %10s %12s %12s\n", "model", "tokens", "heads", "MHA", "GQA (KV heads)",
                "MQA", "MHA + W1024", "GQA + W1024");
    for (const Gpt2Size& s : sizes) {
        for (int64_t tokens : {1024, 4096, 8192, 16384, 32768}) {
            GPTConfig cfg = gpt_config_124m();
            cfg.emb_dim = s.emb_dim, cfg.n_layers = s.n_layers, cfg.n_heads = s.n_heads;
            double mha = static_cast<double>(kv_cache_bytes_per_token(cfg)) / 2.0;  // float32 -> 2 bytes
            int64_t g = gqa_heads(s.n_heads);
            double per_kv_head = mha / static_cast<double>(s.n_heads), window_tokens = std::min<double>(tokens, 1024);
            char gqa[32];
            std::snprintf(gqa, sizeof gqa, "%s (%lld)", megabytes(per_kv_head * g * tokens).c_str(),
                          static_cast<long long>(g));
            std::printf("%-6s %6lld %5lld %11s %15s %10s %12s %12s\n", s.name, static_cast<long long>(tokens),
                        static_cast<long long>(s.n_heads), megabytes(mha * tokens).c_str(), gqa,
                        megabytes(per_kv_head * tokens).c_str(), megabytes(mha * window_tokens).c_str(),
                        megabytes(per_kv_head * g * window_tokens).c_str());
        }
    }
    std::cout << "GQA's key/value heads are in brackets (the largest divisor of H up to H/4). The cache\n"
                 "grows with the tokens for MHA, GQA and MQA; with a window it stops at W.\n";
    GPTConfig llama = gpt_config_124m();  // the book's example: emb 4096, 32 heads, 32 layers, bf16
    llama.emb_dim = 4096, llama.n_heads = 32, llama.n_layers = 32;
    double llama_mha = static_cast<double>(kv_cache_bytes_per_token(llama)) / 2.0 * 32768;
    std::printf("\nThe book's example (emb 4096, 32 heads, 32 layers, 32,768 tokens, bf16): MHA %.2f GB,\n"
                "GQA with 8 key/value heads %.2f GB.\n", llama_mha / 1e9, llama_mha / 4 / 1e9);
}

// --- 7. Attention is kernel smoothing ----------------------------------------------------

// Nadaraya–Watson: ŷ(x0) = Σ_i K(x0, x_i) y_i / Σ_i K(x0, x_i), a weighted mean of the
// y_i whose weights, K normalised to sum 1, are attention weights.
double nadaraya_watson(double x0, const std::vector<double>& x, const std::vector<double>& y,
                       const std::function<double(double, double)>& K) {
    double num = 0.0, den = 0.0;
    for (size_t i = 0; i < x.size(); i++) num += K(x0, x[i]) * y[i], den += K(x0, x[i]);
    return num / den;
}

// Row-normalised causal weights of a kernel matrix: k (T, T) -> k_ij / Σ_{j'≤i} k_ij', 0 for j > i.
Tensor normalised_causal(const Tensor& k) {
    Tensor kept = k * tril(ones({k.size(0), k.size(0)}));
    return kept / sum(kept, -1, true);
}

void kernel_smoothing_section(const Tensor& inputs, const std::string& dir) {
    heading("7. Attention is kernel smoothing (Nadaraya-Watson)");
    manual_seed(123);
    std::vector<float> noise(16);
    normal_(noise.data(), 16, 0.0, 0.3);  // torch.randn(16) * 0.3
    std::vector<double> x, y;
    for (int i = 0; i < 16; i++) x.push_back(0.4 * i), y.push_back(std::sin(0.4 * i) + noise[i]);
    double h = 0.5;
    auto gaussian = [h](double a, double b) { return std::exp(-(a - b) * (a - b) / (2 * h * h)); };
    auto exponential = [h](double a, double b) { return std::exp(-std::fabs(a - b) / h); };
    std::printf("16 points x_i = 0.4 i, y_i = sin(x_i) + noise; bandwidth h = %.1f\n", h);
    std::printf("at x0 = 2.5: Gaussian %.4f, exponential %.4f, sin(x0) %.4f\n", nadaraya_watson(2.5, x, y, gaussian),
                nadaraya_watson(2.5, x, y, exponential), std::sin(2.5));
    LinePlot plot;
    LineSeries truth, gauss, expo;
    truth.name = "sin(x)", gauss.name = "Gaussian kernel", expo.name = "exponential kernel", expo.dashed = true;
    for (int i = 0; i <= 120; i++) {
        double x0 = 0.05 * i;
        plot.x.push_back(x0);
        truth.values.push_back(std::sin(x0));
        gauss.values.push_back(nadaraya_watson(x0, x, y, gaussian));
        expo.values.push_back(nadaraya_watson(x0, x, y, exponential));
    }
    LineSeries points{"data (x_i, y_i)", y, true, x};
    plot.series = {truth, gauss, expo, points};
    plot.x_label = "x0", plot.y_label = "estimate", plot.title = "Nadaraya-Watson kernel smoothing";
    write_line_plot_svg(dir + "/bonus_kernel_smoothing.svg", plot);
    std::cout << "(line plot written to " << dir << "/bonus_kernel_smoothing.svg)\n";

    std::cout << "\nChapter 3's causal weights as the estimator with K(q, k) = exp(q·k / sqrt(d_k)):\n";
    QueriesKeys qk = your_journey_queries_keys(inputs);
    Tensor kernel = exp(matmul(qk.queries, qk.keys.T()) / static_cast<float>(std::sqrt(2.0)));
    Tensor smoothed = normalised_causal(kernel);
    print(smoothed);
    Tensor softmax_weights = attention_weights(matmul(qk.queries, qk.keys.T()), 2);
    std::printf("largest difference from section 3.5.1's softmax weights: %.2e\n",
                max(abs(smoothed - softmax_weights)).item());

    std::cout << "\nPerformer (FAVOR+): exp(q·k/sqrt(d_k)) ~ phi(q)·phi(k) with m random features\n";
    // favor_features scales q and k by d_k^(-1/4) itself, so φ(q)·φ(k) estimates exp(q·k/√d_k).
    for (int64_t m : {8, 64, 512}) {
        double weight_error = 0.0, kernel_error = 0.0;  // means over 20 draws of W
        for (int draw = 0; draw < 20; draw++) {
            manual_seed(123 + static_cast<uint64_t>(draw));
            Tensor W = orthogonal_gaussian_features(m, 2);
            Tensor approx = matmul(favor_features(qk.queries, W, 1), favor_features(qk.keys, W, 1).T());  // (T, T)
            Tensor weights = normalised_causal(approx);
            weight_error += max(abs(weights - softmax_weights)).item() / 20.0;
            kernel_error += max(abs((approx - kernel) * tril(ones({6, 6})))).item() / 20.0;
            if (m == 64 && draw == 0) {
                std::cout << "m = 64, the first draw (seed 123):\n";
                print(weights);
            }
        }
        std::printf("m = %3lld: largest weight error %.4f, largest kernel error %.4f (means of 20 draws)\n",
                    static_cast<long long>(m), weight_error, kernel_error);
    }
    std::cout << "A Monte Carlo estimate: its spread shrinks like 1/sqrt(m), so the error falls as m grows, though\n"
                 "one draw may be lucky or not. Linear attention's elu(x)+1 is another phi, not an estimate of exp at all\n"
                 "(book-notes/attention_variants.md).\n";
}

int run(int argc, char** argv) {
    std::string dir = "runs/bonus_attention_variants";
    FlagParser flags(chapter::program_name(argv),
                     "Bonus: positions (sinusoidal, RoPE, ALiBi, none), sliding windows and the KV cache.");
    flags.add_string("--out", &dir, "folder for the SVG heat maps  [runs/bonus_attention_variants]");
    if (!chapter::parse_flags(flags, argc, argv)) return 0;
    std::filesystem::create_directories(dir);
    NoGradGuard no_grad;
    Tensor inputs = chapter::your_journey_inputs();
    no_positions(inputs, dir);
    sinusoidal_positions_section(inputs, dir);
    rope_section(inputs, dir);
    alibi_section(inputs, dir);
    window_section(inputs, dir);
    kv_cache_sizes();
    kernel_smoothing_section(inputs, dir);
    return 0;
}

}  // namespace

int main(int argc, char** argv) { return chapter::run_reporting_errors(run, argc, argv); }
