// Writing JSON the way Python's json module does, so a file this project writes is the
// byte-for-byte twin of the book's (chapter 7 writes instruction-data-with-response.json
// with json.dump(test_data, file, indent=4)).
//
//   std::string text = format_json(doc, 4);   // json.dumps(doc, indent=4)
//   write_file_atomic(path, text);
#pragma once

#include "io/json.h"

#include <string>

namespace llm {

// `utf8` as Python's json writes a string with ensure_ascii=True (the default): " \ \n
// \r \t \b \f escaped, every other character outside ' '..'~' (DEL and all non-ASCII too) as
// \uXXXX with lowercase hex (a surrogate pair above U+FFFF). Bytes that are not valid
// UTF-8 become \ufffd, as Python's "replace" decoding would have made them.
std::string json_quote_ascii(const std::string& utf8);

// json.dumps(value, indent=indent): with indent > 0 every array item and object member on
// its own line, indented by `indent` spaces a level, "key": value, no trailing newline;
// empty arrays and objects stay "[]" and "{}". With indent 0 the compact default form
// ", " and ": " of json.dumps(value). Numbers: integers as written, others as Python's
// float repr (NaN, Infinity, -Infinity for the special values, as Python writes them).
std::string format_json(const JsonValue& value, int indent = 4);

}  // namespace llm
