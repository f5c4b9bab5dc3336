// read_csv and to_csv as pandas does them (io/csv.h). Each expected table is what
// pandas 1.5.3's read_csv (C parser, Debian 12) returned for the same text, and each
// expected text what its to_csv(index=None) wrote; the spam files are in test_ch06_data.cpp.
#include "catch_compat.h"
#include "temp_dir.h"

#include "base/error.h"
#include "io/csv.h"

#include <string>
#include <vector>

using namespace llm;
using Rows = std::vector<std::vector<std::string>>;

TEST_CASE("read_csv: quoted fields, doubled quotes, quotes that open nothing", "[csv]") {
    CsvTable t = parse_csv("a,b\n\"x, y\",2\n\"he said \"\"hi\"\"\",3\n\"ab\"c,4\nq\"uo\"te,5\n  \"q\",6\n", {}, "t");
    CHECK(t.columns == std::vector<std::string>{"a", "b"});
    CHECK(t.rows == Rows{{"x, y", "2"}, {"he said \"hi\"", "3"}, {"abc", "4"}, {"q\"uo\"te", "5"}, {"  \"q\"", "6"}});
    CHECK(t.index == std::vector<int64_t>{0, 1, 2, 3, 4});
}

TEST_CASE("read_csv: a quoted field runs across lines; blank lines and line ends", "[csv]") {
    CsvTable t = parse_csv("a\tb\n\"multi\nline\tcell\"\t1\n\n   \n x\t2\r\ny\t3\rz\t4", {.sep = '\t'}, "t");
    CHECK(t.rows == Rows{{"multi\nline\tcell", "1"}, {" x", "2"}, {"y", "3"}, {"z", "4"}});
    CsvTable empty = parse_csv("a,b\n\"\",1\n,2\n1,\n", {}, "t");
    CHECK(empty.rows == Rows{{"", "1"}, {"", "2"}, {"1", ""}});
}

TEST_CASE("read_csv: header=None, names, a byte-order mark, short rows", "[csv]") {
    CsvTable numbered = parse_csv("1,2\n3,4\n", {.header = false}, "t");
    CHECK(numbered.columns == std::vector<std::string>{"0", "1"});
    CHECK(numbered.rows == Rows{{"1", "2"}, {"3", "4"}});
    CsvTable named = parse_csv("ham\tOk lar...\nspam\tFree entry\n", {.sep = '\t', .header = false, .names = {"Label", "Text"}}, "t");
    CHECK(named.columns == std::vector<std::string>{"Label", "Text"});
    CHECK(named.at(1, "Text") == "Free entry");
    CsvTable bom = parse_csv("\xEF\xBB\xBF" "a,b\n1\n2,3\n", {}, "t");
    CHECK(bom.columns == std::vector<std::string>{"a", "b"});
    CHECK(bom.rows == Rows{{"1", ""}, {"2", "3"}});  // pandas: NaN for the missing field
}

TEST_CASE("read_csv: errors name the file and the line", "[csv]") {
    // pandas: "EOF inside string starting at row 1" and "Expected 2 fields in line 3, saw 3"
    CHECK_THROWS_WITH(parse_csv("a,b\n\"open,1\n", {}, "bad.csv"),
                      Catch::Matchers::Contains("bad.csv") && Catch::Matchers::Contains("quoted field that starts on line 2"));
    CHECK_THROWS_WITH(parse_csv("a,b\n1,2\n4,5,6\n", {}, "bad.csv"),
                      Catch::Matchers::Contains("'bad.csv' line 3: expected 2 fields, saw 3"));
    CHECK_THROWS_WITH(parse_csv("", {}, "empty.csv"), Catch::Matchers::Contains("no columns to parse"));
    CHECK_THROWS_WITH(read_csv("no/such/file.csv"), Catch::Matchers::Contains("no/such/file.csv"));
    CsvTable t = parse_csv("a\n1\n", {}, "t");
    CHECK_THROWS_WITH(t.column("Text"), Catch::Matchers::Contains("no column 'Text'") && Catch::Matchers::Contains("'a'"));
}

TEST_CASE("to_csv(index=None): header, QUOTE_MINIMAL, \\n line ends", "[csv]") {
    CsvTable t{{"Label", "Text"}, {{"0", "plain"}, {"1", "with, comma"}, {"0", "with \"quote\""}, {"1", "two\nlines\rcr"}}, {}};
    CHECK(format_csv(t) == "Label,Text\n0,plain\n1,\"with, comma\"\n0,\"with \"\"quote\"\"\"\n1,\"two\nlines\rcr\"\n");
    CsvTable lone{{"x"}, {{""}, {"a"}}, {}};
    CHECK(format_csv(lone) == "x\n\"\"\na\n");  // csv.writer quotes a record that is one empty field
    CsvTable tabs{{"a", "b"}, {{"x\ty", " s "}}, {}};
    CHECK(format_csv(tabs) == "a,b\nx\ty, s \n");
    CHECK(format_csv(tabs, '\t') == "a\tb\n\"x\ty\"\t s \n");
}

TEST_CASE("to_csv then read_csv gives the table back", "[csv]") {
    CsvTable t{{"Label", "Text"},
               {{"0", "plain"}, {"1", "with, comma"}, {"0", "\"quoted\" start"}, {"1", "two\nlines"}, {"0", ""},
                {"1", "tab\there"}, {"0", "crlf\r\ninside"}},
               {0, 1, 2, 3, 4, 5, 6}};
    TempDir dir;
    to_csv(t, dir.file("t.csv"));
    CsvTable back = read_csv(dir.file("t.csv"));
    CHECK(back.columns == t.columns);
    CHECK(back.rows == t.rows);
    CHECK(back.index == t.index);
}

TEST_CASE("CsvTable: iloc, slices, filters, concat, reset_index", "[csv]") {
    CsvTable t = parse_csv("k,v\na,1\nb,2\na,3\nc,4\n", {}, "t");
    CsvTable a = t.rows_where("k", "a");
    CHECK(a.index == std::vector<int64_t>{0, 2});
    CsvTable picked = t.take({3, 0});
    CHECK(picked.rows == Rows{{"c", "4"}, {"a", "1"}});
    CHECK(picked.index == std::vector<int64_t>{3, 0});
    CHECK(t.slice(1, 3).index == std::vector<int64_t>{1, 2});
    CHECK(t.slice(3, 10).num_rows() == 1);  // clipped as Python slices are
    CsvTable both = concat(picked, a);
    CHECK(both.index == std::vector<int64_t>{3, 0, 0, 2});
    both.reset_index();
    CHECK(both.index == std::vector<int64_t>{0, 1, 2, 3});
    CHECK_THROWS_AS(t.take({4}), Error);
    CHECK_THROWS_AS(concat(t, CsvTable{{"other"}, {}, {}}), Error);
}
