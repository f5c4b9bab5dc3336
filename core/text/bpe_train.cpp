// Training a byte-level BPE vocabulary on a text.
//
// The idea (Sennrich et al. 2016, and GPT-2): start with the 256 byte tokens; count
// every pair of adjacent tokens in the text; the most frequent pair becomes a new token;
// repeat until the vocabulary is big enough. Pairs never cross word boundaries: the text
// is pre-tokenised with GPT-2's pattern first, so " the" can become one token but
// "e t" (end of one word, start of the next) never does.
//
// Speed: the text has far fewer distinct words than words, so we work on the distinct
// words with their frequencies. A pair's count is the sum of the frequencies of the
// words it occurs in. After a merge only the words that contain the merged pair change,
// and we update the counts of just their pairs. The most frequent pair is kept on a
// heap (priority queue); when a count changes we push the new count and ignore the old,
// now stale, entry when it reaches the top.
//
// Ties: among pairs with the same count, the one with the smaller left id wins, then the
// smaller right id. Byte ids are in GPT-2's order, so this is fully deterministic.
//
// A safety net: if the best pair ever spelled the bytes of an existing token (as "a"+"bc"
// and "ab"+"c" both spell "abc"), its occurrences are replaced by that token and no new
// id is made, so every token's bytes stay unique, as encoder.json needs. (Applying each
// merge everywhere seems to rule this out; we have not seen it happen.)
#include "text/bpe.h"

#include "base/error.h"

#include <limits>
#include <map>
#include <queue>

namespace llm {

namespace {

struct Word {
    std::vector<int32_t> ids;  // current tokens of the word
    int64_t count;             // how often the word occurs in the text
};

uint64_t pair_key(int32_t left, int32_t right) {
    return (static_cast<uint64_t>(left) << 32) | static_cast<uint32_t>(right);
}
int32_t key_left(uint64_t key) { return static_cast<int32_t>(key >> 32); }
int32_t key_right(uint64_t key) { return static_cast<int32_t>(key & 0xFFFFFFFFu); }

struct HeapEntry {
    int64_t count;
    uint64_t pair;
};
// The priority queue's "less than": a lower count, or on a tie a larger pair, ranks lower.
bool ranks_lower(const HeapEntry& a, const HeapEntry& b) {
    if (a.count != b.count) return a.count < b.count;
    return a.pair > b.pair;
}
using PairHeap = std::priority_queue<HeapEntry, std::vector<HeapEntry>, decltype(&ranks_lower)>;

// The state of training: distinct words, pair counts, and where each pair occurs.
struct Trainer {
    std::vector<Word> words;
    std::unordered_map<uint64_t, int64_t> pair_count;
    std::unordered_map<uint64_t, std::vector<int32_t>> pair_words;  // may hold stale entries
    PairHeap heap{ranks_lower};
    std::vector<int64_t> visited;  // visited[w] = last merge that looked at word w

    void count_all_pairs();
    void apply_merge(uint64_t pair, int32_t new_id, int64_t merge_no);
    void merge_in_word(int32_t w, int32_t left, int32_t right, int32_t new_id,
                       std::unordered_map<uint64_t, int64_t>& delta);
};

// Distinct pre-tokenised words with their counts, each as a list of byte ids. The
// special token is cut out first and never trained on.
std::vector<Word> count_words(const std::string& text, const std::string& special) {
    int32_t id_of_byte[256];
    for (int id = 0; id < 256; id++) id_of_byte[gpt2_byte_of_id(id)] = id;
    std::map<std::string, int64_t> counts;  // sorted, so training does not depend on hashing
    size_t pos = 0;
    while (pos <= text.size()) {
        size_t hit = text.find(special, pos);
        size_t end = hit == std::string::npos ? text.size() : hit;
        for (const std::string& w : gpt2_pretokenize(text.substr(pos, end - pos))) counts[w]++;
        if (hit == std::string::npos) break;
        pos = hit + special.size();
    }
    std::vector<Word> words;
    for (const auto& [bytes, count] : counts) {
        Word word{{}, count};
        for (unsigned char b : bytes) word.ids.push_back(id_of_byte[b]);
        words.push_back(std::move(word));
    }
    return words;
}

void Trainer::count_all_pairs() {
    for (size_t w = 0; w < words.size(); w++) {
        const std::vector<int32_t>& ids = words[w].ids;
        for (size_t i = 0; i + 1 < ids.size(); i++) {
            uint64_t key = pair_key(ids[i], ids[i + 1]);
            pair_count[key] += words[w].count;
            pair_words[key].push_back(static_cast<int32_t>(w));
        }
    }
    for (const auto& [key, count] : pair_count) heap.push({count, key});
    visited.assign(words.size(), -1);
}

// Replace each (left, right) in word w by new_id, left to right, and record how the
// counts of the word's pairs change: all old pairs out, all new pairs in.
void Trainer::merge_in_word(int32_t w, int32_t left, int32_t right, int32_t new_id,
                            std::unordered_map<uint64_t, int64_t>& delta) {
    Word& word = words[w];
    const std::vector<int32_t>& old_ids = word.ids;
    std::vector<int32_t> new_ids;
    for (size_t i = 0; i < old_ids.size(); i++) {
        if (i + 1 < old_ids.size() && old_ids[i] == left && old_ids[i + 1] == right) {
            new_ids.push_back(new_id);
            i++;
        } else {
            new_ids.push_back(old_ids[i]);
        }
    }
    if (new_ids.size() == old_ids.size()) return;  // a stale entry: the pair is gone
    for (size_t i = 0; i + 1 < old_ids.size(); i++)
        delta[pair_key(old_ids[i], old_ids[i + 1])] -= word.count;
    for (size_t i = 0; i + 1 < new_ids.size(); i++) {
        uint64_t key = pair_key(new_ids[i], new_ids[i + 1]);
        delta[key] += word.count;
        if (new_ids[i] == new_id || new_ids[i + 1] == new_id) pair_words[key].push_back(w);
    }
    word.ids = std::move(new_ids);
}

void Trainer::apply_merge(uint64_t pair, int32_t new_id, int64_t merge_no) {
    std::unordered_map<uint64_t, int64_t> delta;
    std::vector<int32_t> where = std::move(pair_words[pair]);
    pair_words.erase(pair);
    for (int32_t w : where) {
        if (visited[w] == merge_no) continue;  // a word is listed once per occurrence
        visited[w] = merge_no;
        merge_in_word(w, key_left(pair), key_right(pair), new_id, delta);
    }
    for (const auto& [key, change] : delta) {
        if (change == 0) continue;
        int64_t& count = pair_count[key];
        count += change;
        if (count > 0) heap.push({count, key});
        else pair_count.erase(key);
    }
}

}  // namespace

BpeTokenizer BpeTokenizer::train(const std::string& text, int64_t vocab_size) {
    if (vocab_size < 257)
        throw Error("BpeTokenizer::train: vocab_size must be at least 257 (256 bytes + <|endoftext|>), got " +
                    std::to_string(vocab_size));
    if (vocab_size > std::numeric_limits<int32_t>::max())
        throw Error("BpeTokenizer::train: vocab_size " + std::to_string(vocab_size) + " is too large");
    const std::string special = "<|endoftext|>";
    BpeTokenizer t;
    for (int id = 0; id < 256; id++) t.tokens_.push_back(std::string(1, static_cast<char>(gpt2_byte_of_id(id))));
    std::unordered_map<std::string, int32_t> id_of_bytes;
    for (int id = 0; id < 256; id++) id_of_bytes[t.tokens_[id]] = id;

    Trainer trainer;
    trainer.words = count_words(text, special);
    trainer.count_all_pairs();
    int64_t merge_no = 0;
    while (static_cast<int64_t>(t.tokens_.size()) < vocab_size - 1 && !trainer.heap.empty()) {
        HeapEntry top = trainer.heap.top();
        trainer.heap.pop();
        auto current = trainer.pair_count.find(top.pair);
        if (current == trainer.pair_count.end() || current->second != top.count) continue;  // stale
        int32_t left = key_left(top.pair), right = key_right(top.pair);
        std::string bytes = t.tokens_[left] + t.tokens_[right];
        auto existing = id_of_bytes.find(bytes);
        int32_t new_id = existing != id_of_bytes.end() ? existing->second
                                                       : static_cast<int32_t>(t.tokens_.size());
        if (existing == id_of_bytes.end()) {  // a new token
            t.tokens_.push_back(bytes);
            id_of_bytes[bytes] = new_id;
            t.merges_.push_back({left, right, new_id});
        }
        trainer.pair_count.erase(top.pair);
        trainer.apply_merge(top.pair, new_id, merge_no++);
    }
    t.eot_id_ = static_cast<int64_t>(t.tokens_.size());
    t.tokens_.push_back(special);
    t.build_ranks("BpeTokenizer::train");
    return t;
}

}  // namespace llm
