// CSV and TSV files read as pandas' read_csv reads them and written as DataFrame.to_csv
// writes them, so the book's chapter 6 (which keeps its data in pandas frames and
// train.csv, validation.csv, test.csv) can be followed with the same rows and bytes.
//
// Reading follows pandas' C parser with its defaults (quotechar '"', doublequote=True,
// skip_blank_lines=True, no escape or comment character):
//   - a '"' that opens a field starts a quoted field: separators and line ends inside it
//     are data, "" is one literal quote, and the next lone '"' closes it; whatever follows
//     the closing quote up to the separator is appended as it is ("ab"c -> abc);
//   - a '"' anywhere else in a field is an ordinary character;
//   - records end at \n, \r or \r\n; lines holding only spaces (and tabs, unless the tab
//     is the separator) are skipped; a UTF-8 byte-order mark at the start is dropped;
//   - a file that ends inside a quoted field is an error (pandas: "EOF inside string").
// Values stay strings: pandas would turn numeric columns into numbers and "", "NA",
// "null", ... into NaN; callers convert the columns they need (see spam_data.h). A row
// with fewer fields than columns is padded with "" (pandas: NaN); one with more is an error.
//
// Writing follows to_csv(path, index=None): a header line of the column names, then one
// line per row, fields joined by the separator, each line ended by "\n", and a field put
// in quotes (inner quotes doubled) only when it holds the separator, '"', '\n' or '\r'
// (Python's csv.QUOTE_MINIMAL; Python before 3.11.9 did not quote a lone '\r').
//
//   CsvTable df = read_csv("SMSSpamCollection.tsv", {.sep = '\t', .header = false, .names = {"Label", "Text"}});
//   to_csv(df, "train.csv");
//   CsvTable back = read_csv("train.csv");
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace llm {

// A data frame of strings: named columns, rows of fields and pandas' row labels.
struct CsvTable {
    std::vector<std::string> columns;
    std::vector<std::vector<std::string>> rows;  // rows[r][c]; every row has columns.size() fields
    std::vector<int64_t> index;                  // the row labels: 0, 1, ... as read; kept by take()

    int64_t num_rows() const { return static_cast<int64_t>(rows.size()); }  // len(df)
    int64_t column(const std::string& name) const;  // the column's position; throws naming the columns
    const std::string& at(int64_t row, const std::string& name) const;  // df[name].iloc[row]

    CsvTable take(const std::vector<int64_t>& positions) const;  // df.iloc[positions], labels kept
    CsvTable slice(int64_t begin, int64_t end) const;            // df[begin:end], labels kept
    CsvTable rows_where(const std::string& name, const std::string& value) const;  // df[df[name] == value]
    void reset_index();                                          // df.reset_index(drop=True)
};

// pd.concat([a, b]): the rows of a, then those of b, labels kept; the columns must match.
CsvTable concat(const CsvTable& a, const CsvTable& b);

struct CsvReadOptions {
    char sep = ',';
    bool header = true;              // header=0: the first record names the columns; false: header=None
    std::vector<std::string> names = {};  // names=[...]: the column names (with header, they replace its names)
};

// pd.read_csv(path, sep=..., header=..., names=...). Throws llm::Error naming the file
// and line when the file cannot be read or does not parse.
CsvTable read_csv(const std::string& path, const CsvReadOptions& options = {});
// The same on text already in memory; `source_name` is only used in messages.
CsvTable parse_csv(const std::string& text, const CsvReadOptions& options, const std::string& source_name);

// df.to_csv(path, index=None), written atomically.
void to_csv(const CsvTable& table, const std::string& path, char sep = ',');
// The bytes to_csv writes.
std::string format_csv(const CsvTable& table, char sep = ',');

}  // namespace llm
