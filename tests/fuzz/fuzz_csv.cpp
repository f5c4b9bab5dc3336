// Fuzz target: the CSV/TSV reader and writer (io/csv.h) of chapter 6.
//
// Feeds: any bytes to parse_csv twice, as chapter 6 reads its files:
//   - SMSSpamCollection.tsv: sep '\t', header=None, names Label and Text;
//   - train.csv: sep ',', a header line.
// Checks: no crash, no sanitizer report, only llm::Error for bad input; every row has one
// field per column and one index label; and a round trip: format_csv of the table (both
// separators) parsed with a header line gives the same columns and rows, except where
// pandas loses data too (see round_trips).
#include "fuzz_common.h"

#include "base/error.h"
#include "io/csv.h"

namespace {

// Whether the table survives format_csv -> parse_csv. pandas' own to_csv -> read_csv loses
// these too: a table without columns writes an empty header line ("no columns to parse");
// a single-column row of only spaces (and tabs, when they are not the separator) is
// written as a blank line, which read_csv skips; a first column name starting with a
// byte-order mark loses it.
bool round_trips(const llm::CsvTable& table, char sep) {
    if (table.columns.empty()) return false;
    if (table.columns[0].rfind("\xEF\xBB\xBF", 0) == 0) return false;
    if (table.columns.size() > 1) return true;
    auto blank = [&](const std::string& field) {
        return !field.empty() && field.find_first_not_of(sep == '\t' ? " " : " \t") == std::string::npos;
    };
    if (blank(table.columns[0])) return false;
    for (const std::vector<std::string>& row : table.rows)
        if (blank(row[0])) return false;
    return true;
}

void check_table(const llm::CsvTable& table) {
    check(table.index.size() == table.rows.size(), "one index label per row");
    for (const std::vector<std::string>& row : table.rows)
        check(row.size() == table.columns.size(), "every row has one field per column");
}

void check_round_trip(const llm::CsvTable& table, char sep) {
    if (!round_trips(table, sep)) return;
    llm::CsvTable back;
    try {
        back = llm::parse_csv(llm::format_csv(table, sep), {.sep = sep}, "written back");
    } catch (const llm::Error& e) {
        std::fprintf(stderr, "%s\n", e.what());
        check(false, "a table format_csv wrote parses again");
    }
    check(back.columns == table.columns, "format -> parse gives the same columns");
    check(back.rows == table.rows, "format -> parse gives the same rows");
}

void read_as(const std::string& text, const llm::CsvReadOptions& options) {
    llm::CsvTable table;
    try {
        table = llm::parse_csv(text, options, "fuzz input");
    } catch (const llm::Error&) {
        return;  // refused with a message
    }
    check_table(table);
    check_round_trip(table, ',');
    check_round_trip(table, '\t');
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string text = bytes_of(data, size);
    read_as(text, {.sep = '\t', .header = false, .names = {"Label", "Text"}});
    read_as(text, {.sep = ',', .header = true});
    return 0;
}
