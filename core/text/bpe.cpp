// Byte-level BPE: reading and writing GPT-2's two files, encoding and decoding.
// (The pre-tokeniser is in text/bpe_pretokenize.cpp, training in text/bpe_train.cpp.)
#include "text/bpe.h"

#include "base/error.h"
#include "io/files.h"
#include "io/json.h"

#include <limits>
#include <queue>

namespace llm {

namespace {

const char* const kEndOfText = "<|endoftext|>";
constexpr int32_t kNoRank = std::numeric_limits<int32_t>::max();
constexpr size_t kLongWord = 256;  // bytes; longer words use byte_pair_merge_long

// A candidate merge for byte_pair_merge_long: the part starting at byte `left` with the
// part after it would make token `rank`; valid while the left part's version is unchanged.
struct PairCandidate {
    int32_t rank;
    size_t left;
    uint32_t version;
};
// Priority-queue order: the lowest rank on top, and on a tie the leftmost pair.
bool merges_later(const PairCandidate& a, const PairCandidate& b) {
    if (a.rank != b.rank) return a.rank > b.rank;
    return a.left > b.left;
}

// encoder.json: {"!": 0, "\"": 1, ..., "Ġthe": 262, ..., "<|endoftext|>": 50256}.
// Returns the tokens' bytes indexed by id; the ids must be exactly 0..n-1.
std::vector<std::string> read_encoder_json(const std::string& text, const std::string& path) {
    JsonValue doc = parse_json(text, path);
    if (!doc.is_object())
        throw Error("'" + path + "': expected a JSON object of token -> id (GPT-2's encoder.json), "
                    "found a " + doc.kind_name());
    const size_t n = doc.size();
    std::vector<std::string> tokens(n);
    std::vector<bool> seen(n, false);
    for (const auto& [key, value] : doc.as_object()) {
        if (!value.is_integer() || value.as_int() < 0 || value.as_int() >= static_cast<int64_t>(n))
            throw Error("'" + path + "': the id of token " + json_quote(key) +
                        " must be an integer in 0.." + std::to_string(n - 1));
        int64_t id = value.as_int();
        if (seen[id])
            throw Error("'" + path + "': id " + std::to_string(id) + " is given to two tokens");
        std::optional<std::string> bytes = gpt2_unicode_to_bytes(key);
        if (!bytes || bytes->empty())
            throw Error("'" + path + "': token " + json_quote(key) +
                        " is not written in GPT-2's byte alphabet (bytes_to_unicode)");
        tokens[id] = *bytes;
        seen[id] = true;
    }
    return tokens;
}

// Split a vocab.bpe line "Ġ t" into its two halves; false unless exactly one space.
bool split_merge_line(const std::string& line, std::string& left, std::string& right) {
    size_t space = line.find(' ');
    if (space == std::string::npos || space == 0 || space + 1 == line.size() ||
        line.find(' ', space + 1) != std::string::npos)
        return false;
    left = line.substr(0, space);
    right = line.substr(space + 1);
    return true;
}

}  // namespace

// --- loading ---------------------------------------------------------------------

void BpeTokenizer::build_ranks(const std::string& source_name) {
    rank_of_.clear();
    rank_of_.reserve(tokens_.size());
    for (size_t id = 0; id < tokens_.size(); id++) {
        if (static_cast<int64_t>(id) == eot_id_) continue;  // never produced by merging
        if (!rank_of_.emplace(tokens_[id], static_cast<int32_t>(id)).second)
            throw Error("'" + source_name + "': token " + json_quote(gpt2_bytes_to_unicode(tokens_[id])) +
                        " appears twice");
    }
    for (int b = 0; b < 256; b++)
        if (!rank_of_.count(std::string(1, static_cast<char>(b))))
            throw Error("'" + source_name + "': no token for the byte " + std::to_string(b) +
                        "; a byte-level BPE vocabulary needs all 256 single bytes");
}

BpeTokenizer BpeTokenizer::load(const std::string& encoder_json_path,
                                const std::string& vocab_bpe_path) {
    std::string encoder_json = read_file(encoder_json_path);  // first, so a missing one is named first
    return parse(encoder_json, read_file(vocab_bpe_path), encoder_json_path, vocab_bpe_path);
}

BpeTokenizer BpeTokenizer::parse(const std::string& encoder_json, const std::string& vocab_bpe,
                                 const std::string& encoder_json_path, const std::string& vocab_bpe_path) {
    BpeTokenizer t;
    t.tokens_ = read_encoder_json(encoder_json, encoder_json_path);
    for (size_t id = 0; id < t.tokens_.size(); id++)
        if (t.tokens_[id] == kEndOfText) t.eot_id_ = static_cast<int64_t>(id);
    if (t.eot_id_ < 0)
        throw Error("'" + encoder_json_path + "': expected the special token \"<|endoftext|>\"");
    t.build_ranks(encoder_json_path);

    // vocab.bpe: "#version: 0.2", then one merge per line, "left right", in the order
    // they were learned. Encoding only needs the token ids (they are the merge ranks);
    // the merges are checked against them and kept for save().
    size_t pos = 0;
    int64_t line_no = 0;
    while (pos < vocab_bpe.size()) {
        size_t eol = vocab_bpe.find('\n', pos);
        if (eol == std::string::npos) eol = vocab_bpe.size();
        std::string line = vocab_bpe.substr(pos, eol - pos);
        pos = eol + 1;
        line_no++;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty() || (line_no == 1 && line.rfind("#version", 0) == 0)) continue;
        std::string where = "'" + vocab_bpe_path + "' line " + std::to_string(line_no) + ": ";
        std::string left, right;
        if (!split_merge_line(line, left, right))
            throw Error(where + "expected a merge \"left right\" (two tokens and one space), found \"" +
                        line + "\"");
        std::optional<std::string> lb = gpt2_unicode_to_bytes(left), rb = gpt2_unicode_to_bytes(right);
        int32_t l = lb ? t.rank_of(*lb) : -1, r = rb ? t.rank_of(*rb) : -1;
        int32_t result = lb && rb ? t.rank_of(*lb + *rb) : -1;
        if (l < 0 || r < 0 || result < 0)
            throw Error(where + "the merge \"" + line + "\" uses or makes a token that is not in '" +
                        encoder_json_path + "'");
        t.merges_.push_back({l, r, result});
    }
    return t;
}

BpeTokenizer BpeTokenizer::load_gpt2(const std::string& encoder_json_path,
                                     const std::string& vocab_bpe_path) {
    BpeTokenizer t = load(encoder_json_path, vocab_bpe_path);
    if (t.vocab_size() != 50257 || t.eot_id() != 50256 || t.merges_.size() != 50000)
        throw Error("'" + encoder_json_path + "' and '" + vocab_bpe_path +
                    "': expected GPT-2's 50,257 tokens (<|endoftext|> = 50256) and 50,000 merges, found " +
                    std::to_string(t.vocab_size()) + " tokens and " + std::to_string(t.merges_.size()) +
                    " merges");
    return t;
}

// --- saving ----------------------------------------------------------------------

void BpeTokenizer::save(const std::string& encoder_json_path,
                        const std::string& vocab_bpe_path) const {
    std::string json = "{";
    for (size_t id = 0; id < tokens_.size(); id++) {
        if (id > 0) json += ", ";
        json += json_quote(gpt2_bytes_to_unicode(tokens_[id])) + ": " + std::to_string(id);
    }
    json += "}";
    std::string bpe = "#version: 0.2\n";
    for (const Merge& m : merges_)
        bpe += gpt2_bytes_to_unicode(tokens_[m.left]) + " " + gpt2_bytes_to_unicode(tokens_[m.right]) + "\n";
    write_file_atomic(encoder_json_path, json);
    write_file_atomic(vocab_bpe_path, bpe);
}

// --- encoding --------------------------------------------------------------------

int32_t BpeTokenizer::rank_of(std::string_view bytes) const {
    auto it = rank_of_.find(bytes);
    return it == rank_of_.end() ? -1 : it->second;
}

std::vector<int64_t> BpeTokenizer::encode(const std::string& text) const {
    const std::string& special = tokens_[eot_id_];
    std::vector<int64_t> ids;
    std::unordered_map<std::string, std::vector<int32_t>> cache;  // word -> ids, for this call
    size_t pos = 0;
    while (true) {
        size_t hit = text.find(special, pos);
        size_t end = hit == std::string::npos ? text.size() : hit;
        encode_ordinary(text, pos, end, ids, cache);
        if (hit == std::string::npos) break;
        ids.push_back(eot_id_);
        pos = hit + special.size();
    }
    return ids;
}

// Encode text[begin, end), which holds no special token: pre-tokenise, then BPE each word.
void BpeTokenizer::encode_ordinary(const std::string& text, size_t begin, size_t end,
                                   std::vector<int64_t>& ids,
                                   std::unordered_map<std::string, std::vector<int32_t>>& cache) const {
    if (begin == end) return;
    std::vector<int32_t> word_ids;
    for (const std::string& word : gpt2_pretokenize(text.substr(begin, end - begin))) {
        auto cached = cache.find(word);
        if (cached == cache.end()) {
            word_ids.clear();
            if (int32_t whole = rank_of(word); whole >= 0) word_ids.push_back(whole);  // common words
            else byte_pair_merge(word, word_ids);
            cached = cache.emplace(word, word_ids).first;
        }
        ids.insert(ids.end(), cached->second.begin(), cached->second.end());
    }
}

// BPE on one word, as tiktoken does it. The word is a list of parts (one byte each at
// first). rank[i] is the id of the token that parts i and i+1 would make together, or
// kNoRank. Repeatedly merge the pair with the lowest rank (leftmost on a tie); after a
// merge only the ranks of the merged part and of its left neighbour change.
// Each merge scans all pairs, so this takes time ~ length^2: fine for words, too slow
// for a piece of 100,000 bytes (a long run of digits or punctuation), which goes to
// byte_pair_merge_long instead.
void BpeTokenizer::byte_pair_merge(std::string_view word, std::vector<int32_t>& ids) const {
    if (word.size() > kLongWord) {
        byte_pair_merge_long(word, ids);
        return;
    }
    std::vector<size_t> start;  // start[i] = first byte of part i; start.back() = word.size()
    for (size_t i = 0; i <= word.size(); i++) start.push_back(i);
    auto pair_rank = [&](size_t i) {  // rank of parts i and i+1 merged
        if (i + 2 >= start.size()) return kNoRank;
        int32_t r = rank_of(word.substr(start[i], start[i + 2] - start[i]));
        return r < 0 ? kNoRank : r;
    };
    std::vector<int32_t> rank(start.size());
    for (size_t i = 0; i < start.size(); i++) rank[i] = pair_rank(i);
    while (true) {
        size_t best = 0;
        for (size_t i = 1; i < rank.size(); i++)
            if (rank[i] < rank[best]) best = i;
        if (rank[best] == kNoRank) break;
        start.erase(start.begin() + static_cast<std::ptrdiff_t>(best) + 1);  // parts best, best+1 -> one
        rank.erase(rank.begin() + static_cast<std::ptrdiff_t>(best) + 1);
        rank[best] = pair_rank(best);
        if (best > 0) rank[best - 1] = pair_rank(best - 1);
    }
    for (size_t i = 0; i + 1 < start.size(); i++)
        ids.push_back(rank_of(word.substr(start[i], start[i + 1] - start[i])));
}

// The same merges in the same order as byte_pair_merge, in time ~ length * log(length).
// A part is named by the offset of its first byte, which stays the same when it absorbs
// its right neighbour. next[p] is where the following part starts (word.size() for the
// last part). The candidate pairs wait in a heap; a pair whose left part has changed
// since it was pushed (version differs) or has been absorbed is stale and skipped.
void BpeTokenizer::byte_pair_merge_long(std::string_view word, std::vector<int32_t>& ids) const {
    const size_t n = word.size();
    std::vector<size_t> next(n), prev(n);
    std::vector<uint32_t> version(n, 0);
    std::vector<bool> alive(n, true);
    for (size_t p = 0; p < n; p++) {
        next[p] = p + 1;
        prev[p] = p - 1;  // wraps around to SIZE_MAX for the first part: "none"
    }
    std::priority_queue<PairCandidate, std::vector<PairCandidate>, decltype(&merges_later)> heap(merges_later);
    auto push_pair = [&](size_t p) {  // the pair (p, next[p]), if it makes a token
        if (next[p] >= n) return;
        int32_t r = rank_of(word.substr(p, next[next[p]] - p));
        if (r >= 0) heap.push({r, p, version[p]});
    };
    for (size_t p = 0; p < n; p++) push_pair(p);
    while (!heap.empty()) {
        PairCandidate best = heap.top();
        heap.pop();
        size_t p = best.left;
        if (!alive[p] || version[p] != best.version) continue;  // stale
        size_t q = next[p];  // p absorbs q
        alive[q] = false;
        next[p] = next[q];
        if (next[q] < n) prev[next[q]] = p;
        version[p]++;
        push_pair(p);
        if (prev[p] < n) {
            version[prev[p]]++;  // its pair now ends further right
            push_pair(prev[p]);
        }
    }
    for (size_t p = 0; p < n; p = next[p]) ids.push_back(rank_of(word.substr(p, next[p] - p)));
}

// --- decoding --------------------------------------------------------------------

namespace {

void check_token_id(int64_t id, int64_t vocab_size) {
    if (id < 0 || id >= vocab_size)
        throw Error("BpeTokenizer: token id " + std::to_string(id) + " is out of range (the vocabulary has " +
                    std::to_string(vocab_size) + " tokens, ids 0.." + std::to_string(vocab_size - 1) + ")");
}

}  // namespace

std::string BpeTokenizer::token_bytes(int64_t id) const {
    check_token_id(id, vocab_size());
    return tokens_[id];
}

std::string BpeTokenizer::decode(const std::vector<int64_t>& ids) const {
    std::string text;
    for (int64_t id : ids) {
        check_token_id(id, vocab_size());
        text += tokens_[id];
    }
    return text;
}

}  // namespace llm
