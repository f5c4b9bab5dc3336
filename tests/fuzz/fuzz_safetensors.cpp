// Fuzz target: the safetensors reader (io/safetensors.h) on a whole file in memory.
//
// Feeds: any bytes, as a file (safetensors_file_of in fuzz_common.h: the whole file, or the
// header's JSON and the data with the length put in front), to parse_safetensors (what
// load_safetensors does after reading the file; checkpoints, optimizer files and GPT-2's
// weights all go through it).
// Checks: no crash, no sanitizer report, no huge allocation, only llm::Error for bad input;
// and for a file that loads: every tensor holds as many values as its shape says, and
// format_safetensors of what was read, read again, gives the same metadata and the same
// tensors (names in order, dtypes, shapes, values bit for bit).
#include "fuzz_common.h"

#include "base/error.h"
#include "io/safetensors.h"

#include <cstring>

namespace {

bool same_tensors(const llm::SafetensorsFile& a, const llm::SafetensorsFile& b) {
    if (a.metadata != b.metadata || a.tensors.size() != b.tensors.size()) return false;
    for (size_t i = 0; i < a.tensors.size(); i++) {
        const llm::Tensor& x = a.tensors[i].tensor;
        const llm::Tensor& y = b.tensors[i].tensor;
        if (a.tensors[i].name != b.tensors[i].name || x.dtype() != y.dtype() || x.shape() != y.shape()) return false;
        if (x.numel() > 0 && std::memcmp(x.data(), y.data(), sizeof(float) * static_cast<size_t>(x.numel())) != 0)
            return false;
    }
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    llm::SafetensorsFile file;
    try {
        file = llm::parse_safetensors(safetensors_file_of(bytes_of(data, size)), "fuzz.safetensors");
    } catch (const llm::Error&) {
        return 0;  // refused with a message
    }
    for (const llm::NamedTensor& t : file.tensors)
        check(static_cast<int64_t>(t.tensor.values().size()) == t.tensor.numel(), "a tensor holds numel values");
    llm::SafetensorsFile again;
    try {
        again = llm::parse_safetensors(llm::format_safetensors(file.tensors, file.metadata, "again.safetensors"),
                                       "again.safetensors");
    } catch (const llm::Error& e) {
        std::fprintf(stderr, "%s\n", e.what());
        check(false, "what the reader accepts, the writer writes and the reader reads again");
    }
    check(same_tensors(file, again), "read -> format -> read gives the same tensors and metadata");
    return 0;
}
