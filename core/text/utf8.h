// Bytes to text as Python decodes them with errors="replace" (what tiktoken's decode
// does): a model can emit tokens that split a character, and the book's strings never
// hold such bytes.
#pragma once

#include <string>

namespace llm {

// `bytes` with every ill-formed UTF-8 sequence replaced by U+FFFD, one per maximal
// subpart (a lead byte and the continuation bytes that still fit it), as Python's
// bytes.decode("utf-8", errors="replace"). Valid UTF-8 comes back unchanged.
std::string utf8_replace_errors(const std::string& bytes);

}  // namespace llm
