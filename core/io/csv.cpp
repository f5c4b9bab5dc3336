// pandas' read_csv and to_csv for tables of strings (see csv.h for the rules).
#include "io/csv.h"

#include "base/error.h"
#include "io/files.h"

#include <algorithm>

namespace llm {

// --- the table ---------------------------------------------------------------------------

int64_t CsvTable::column(const std::string& name) const {
    auto it = std::find(columns.begin(), columns.end(), name);
    if (it != columns.end()) return it - columns.begin();
    std::string have;
    for (const std::string& c : columns) have += (have.empty() ? "'" : ", '") + c + "'";
    throw Error("no column '" + name + "' in the table (columns: " + have + ")");
}

const std::string& CsvTable::at(int64_t row, const std::string& name) const {
    if (row < 0 || row >= num_rows())
        throw Error("row " + std::to_string(row) + " is out of range for a table of " + std::to_string(num_rows()) +
                    " rows");
    return rows[static_cast<size_t>(row)][static_cast<size_t>(column(name))];
}

CsvTable CsvTable::take(const std::vector<int64_t>& positions) const {
    CsvTable out{columns, {}, {}};
    for (int64_t p : positions) {
        if (p < 0 || p >= num_rows())
            throw Error("iloc: position " + std::to_string(p) + " is out of range for a table of " +
                        std::to_string(num_rows()) + " rows");
        out.rows.push_back(rows[static_cast<size_t>(p)]);
        out.index.push_back(index[static_cast<size_t>(p)]);
    }
    return out;
}

CsvTable CsvTable::slice(int64_t begin, int64_t end) const {
    begin = std::clamp<int64_t>(begin, 0, num_rows());  // Python slices clip to the length
    end = std::clamp<int64_t>(end, begin, num_rows());
    std::vector<int64_t> positions;
    for (int64_t p = begin; p < end; p++) positions.push_back(p);
    return take(positions);
}

CsvTable CsvTable::rows_where(const std::string& name, const std::string& value) const {
    size_t c = static_cast<size_t>(column(name));
    std::vector<int64_t> positions;
    for (int64_t r = 0; r < num_rows(); r++)
        if (rows[static_cast<size_t>(r)][c] == value) positions.push_back(r);
    return take(positions);
}

void CsvTable::reset_index() {
    for (size_t r = 0; r < index.size(); r++) index[r] = static_cast<int64_t>(r);
}

CsvTable concat(const CsvTable& a, const CsvTable& b) {
    if (a.columns != b.columns) throw Error("concat: the two tables have different columns");
    CsvTable out = a;
    out.rows.insert(out.rows.end(), b.rows.begin(), b.rows.end());
    out.index.insert(out.index.end(), b.index.begin(), b.index.end());
    return out;
}

// --- reading: records as pandas' C tokenizer cuts them ----------------------------------

namespace {

class CsvRecords {
public:
    CsvRecords(const std::string& text, char sep, const std::string& source) : text_(text), sep_(sep), source_(source) {
        if (text_.compare(0, 3, "\xEF\xBB\xBF") == 0) pos_ = 3;  // UTF-8 byte-order mark
    }
    // The next record's fields and the file line it starts on; false at the end.
    bool next(std::vector<std::string>& fields, int64_t& first_line);

private:
    bool skip_blank_lines();       // false when only blank lines were left
    bool end_of_line(char c);      // c is \n or \r (then eats the \n of \r\n); counts the line
    enum class State { start_field, in_field, in_quotes, quote_in_quotes };

    const std::string& text_;
    char sep_;
    const std::string& source_;
    size_t pos_ = 0;
    int64_t line_ = 1;
};

bool CsvRecords::end_of_line(char c) {
    if (c != '\n' && c != '\r') return false;
    if (c == '\r' && pos_ < text_.size() && text_[pos_] == '\n') pos_++;
    line_++;
    return true;
}

bool CsvRecords::skip_blank_lines() {
    while (pos_ < text_.size()) {
        size_t p = pos_;
        while (p < text_.size() && (text_[p] == ' ' || (text_[p] == '\t' && sep_ != '\t'))) p++;
        if (p == text_.size()) {
            pos_ = p;
            return false;
        }
        if (text_[p] != '\n' && text_[p] != '\r') return true;  // a record starts at pos_
        pos_ = p + 1;
        end_of_line(text_[p]);
    }
    return false;
}

bool CsvRecords::next(std::vector<std::string>& fields, int64_t& first_line) {
    fields.clear();
    if (!skip_blank_lines()) return false;
    first_line = line_;
    std::string field;
    State state = State::start_field;
    while (pos_ < text_.size()) {
        char c = text_[pos_++];
        if (state == State::in_quotes) {
            if (c == '"') {
                state = State::quote_in_quotes;
            } else {
                field += c;
                if (c == '\n' || (c == '\r' && (pos_ >= text_.size() || text_[pos_] != '\n'))) line_++;
            }
        } else if (state == State::quote_in_quotes && c == '"') {  // "" inside quotes
            field += c;
            state = State::in_quotes;
        } else if (end_of_line(c)) {
            fields.push_back(std::move(field));
            return true;
        } else if (c == sep_) {
            fields.push_back(std::move(field));
            field.clear();
            state = State::start_field;
        } else if (state == State::start_field && c == '"') {
            state = State::in_quotes;
        } else {  // also after a closing quote: the rest of the field is taken as it is
            field += c;
            state = State::in_field;
        }
    }
    if (state == State::in_quotes)
        throw Error("bad CSV in '" + source_ + "': the file ends inside a quoted field that starts on line " +
                    std::to_string(first_line) + " (expected a closing '\"')");
    fields.push_back(std::move(field));
    return true;
}

}  // namespace

CsvTable parse_csv(const std::string& text, const CsvReadOptions& options, const std::string& source_name) {
    if (options.sep == '"' || options.sep == '\n' || options.sep == '\r')
        throw Error("read_csv: the separator cannot be a quote or a line end");
    CsvRecords records(text, options.sep, source_name);
    std::vector<std::string> fields;
    int64_t line = 0;
    CsvTable table;
    if (options.header) {
        if (!records.next(fields, line))
            throw Error("bad CSV in '" + source_name + "': no columns to parse (expected a header line)");
        table.columns = fields;
    }
    if (!options.names.empty()) table.columns = options.names;
    bool width_from_data = table.columns.empty();  // header=None without names: 0, 1, ...
    while (records.next(fields, line)) {
        if (width_from_data) {
            for (size_t c = 0; c < fields.size(); c++) table.columns.push_back(std::to_string(c));
            width_from_data = false;
        }
        if (fields.size() > table.columns.size())
            throw Error("bad CSV in '" + source_name + "' line " + std::to_string(line) + ": expected " +
                        std::to_string(table.columns.size()) + " fields, saw " + std::to_string(fields.size()));
        fields.resize(table.columns.size());  // missing fields: "" (pandas: NaN)
        table.index.push_back(table.num_rows());
        table.rows.push_back(fields);
    }
    return table;
}

CsvTable read_csv(const std::string& path, const CsvReadOptions& options) {
    return parse_csv(read_file(path), options, path);
}

// --- writing ----------------------------------------------------------------------------------

// One field as Python's csv.writer writes it with QUOTE_MINIMAL.
static void append_field(std::string& out, const std::string& field, char sep) {
    bool quote = field.find_first_of(std::string{sep, '"', '\n', '\r'}) != std::string::npos;
    if (!quote) {
        out += field;
        return;
    }
    out += '"';
    for (char c : field) {
        if (c == '"') out += '"';  // doubled
        out += c;
    }
    out += '"';
}

static void append_record(std::string& out, const std::vector<std::string>& fields, char sep) {
    if (fields.size() == 1 && fields[0].empty()) {  // csv.writer quotes a lone empty field
        out += "\"\"\n";
        return;
    }
    for (size_t c = 0; c < fields.size(); c++) {
        if (c > 0) out += sep;
        append_field(out, fields[c], sep);
    }
    out += '\n';
}

std::string format_csv(const CsvTable& table, char sep) {
    std::string out;
    append_record(out, table.columns, sep);
    for (const std::vector<std::string>& row : table.rows) {
        if (row.size() != table.columns.size())
            throw Error("to_csv: a row has " + std::to_string(row.size()) + " fields for " +
                        std::to_string(table.columns.size()) + " columns");
        append_record(out, row, sep);
    }
    return out;
}

void to_csv(const CsvTable& table, const std::string& path, char sep) {
    write_file_atomic(path, format_csv(table, sep));
}

}  // namespace llm
