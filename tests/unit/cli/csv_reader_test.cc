#include "cli/csv/csv_reader.h"

#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace orgpulse::csv {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

struct Parsed {
  int64_t line;
  std::vector<std::string> fields;
  std::string error;
};

std::vector<Parsed> ParseAll(const std::string& text,
                             CsvReader::Options options = {}) {
  std::istringstream in(text);
  CsvReader reader(in, options);
  std::vector<Parsed> out;
  CsvRecord record;
  while (reader.Next(record)) {
    out.push_back({record.line, record.fields, record.error});
  }
  EXPECT_TRUE(reader.status().ok()) << reader.status();
  EXPECT_EQ(reader.bytes_consumed(), static_cast<int64_t>(text.size()));
  return out;
}

std::vector<std::vector<std::string>> Fields(const std::string& text) {
  std::vector<std::vector<std::string>> out;
  for (const Parsed& p : ParseAll(text)) {
    EXPECT_THAT(p.error, IsEmpty()) << "line " << p.line;
    out.push_back(p.fields);
  }
  return out;
}

TEST(CsvReaderTest, PlainFieldsAndLineEndings) {
  EXPECT_THAT(
      Fields("a,b,c\n1,2,3\n"),
      ElementsAre(ElementsAre("a", "b", "c"), ElementsAre("1", "2", "3")));
  EXPECT_THAT(Fields("a,b\r\n1,2\r\n"),
              ElementsAre(ElementsAre("a", "b"), ElementsAre("1", "2")));
  EXPECT_THAT(Fields("a,b\r1,2"),
              ElementsAre(ElementsAre("a", "b"), ElementsAre("1", "2")));
  EXPECT_THAT(Fields("no,newline,at,end"),
              ElementsAre(ElementsAre("no", "newline", "at", "end")));
}

TEST(CsvReaderTest, EmptyFieldsAreKept) {
  EXPECT_THAT(Fields(",a,,\n"), ElementsAre(ElementsAre("", "a", "", "")));
  EXPECT_THAT(Fields("\"\",x\n"), ElementsAre(ElementsAre("", "x")));
}

TEST(CsvReaderTest, QuotedFieldsHoldDelimitersQuotesAndLineBreaks) {
  EXPECT_THAT(Fields("\"a,b\",\"say \"\"hi\"\"\",\"\"\"\"\n"),
              ElementsAre(ElementsAre("a,b", "say \"hi\"", "\"")));
  EXPECT_THAT(
      Fields("key,text\nK-1,\"line one\nline two\r\nline three\"\nK-2,x\n"),
      ElementsAre(ElementsAre("key", "text"),
                  ElementsAre("K-1", "line one\nline two\r\nline three"),
                  ElementsAre("K-2", "x")));
}

TEST(CsvReaderTest, LinesAreWhereRecordsStart) {
  const std::vector<Parsed> records =
      ParseAll("h\n\"multi\nline\nfield\"\nnext\r\n\r\nafter blank\n");
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records[0].line, 1);
  EXPECT_EQ(records[1].line, 2);
  EXPECT_EQ(records[2].line, 5);
  EXPECT_EQ(records[3].line, 7);  // the blank line 6 is skipped
  EXPECT_THAT(records[3].fields, ElementsAre("after blank"));
}

TEST(CsvReaderTest, ByteOrderMarkIsSkipped) {
  EXPECT_THAT(Fields("\xEF\xBB\xBF"
                     "Issue key,Status\n"),
              ElementsAre(ElementsAre("Issue key", "Status")));
}

TEST(CsvReaderTest, MalformedRecordsAreReportedAndReadingGoesOn) {
  const std::vector<Parsed> records =
      ParseAll("a,b\nx\"y,z\n\"ok\"junk,1\ngood,2\n");
  ASSERT_EQ(records.size(), 4u);
  EXPECT_THAT(records[1].error, HasSubstr("a quote inside an unquoted field"));
  EXPECT_EQ(records[1].line, 2);
  EXPECT_THAT(records[2].error, HasSubstr("text after the closing quote"));
  EXPECT_EQ(records[2].line, 3);
  EXPECT_THAT(records[3].error, IsEmpty());
  EXPECT_THAT(records[3].fields, ElementsAre("good", "2"));
  EXPECT_EQ(records[3].line, 4);
}

TEST(CsvReaderTest, UnclosedQuoteIsReportedAtItsLine) {
  const std::vector<Parsed> records = ParseAll("a\n\"open\nnever closed\n");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1].line, 2);
  EXPECT_THAT(records[1].error,
              HasSubstr("a quoted field opened on line 2 is not closed"));
}

TEST(CsvReaderTest, OversizedRecordStopsTheReader) {
  std::istringstream in("a\n\"" + std::string(5000, 'x'));
  CsvReader reader(in, {.delimiter = ',', .max_record_bytes = 1000});
  CsvRecord record;
  ASSERT_TRUE(reader.Next(record));
  EXPECT_FALSE(reader.Next(record));
  EXPECT_THAT(std::string(reader.status().message()),
              HasSubstr("starting on line 2 is longer than 1000 bytes"));
}

TEST(CsvReaderTest, RecordsLongerThanTheBufferAndOtherDelimiters) {
  const std::string big(200'000, 'q');
  EXPECT_THAT(Fields("\"" + big + "\"," + big + "\n"),
              ElementsAre(ElementsAre(big, big)));
  std::vector<Parsed> semicolons =
      ParseAll("a;\"b;c\"\n", {.delimiter = ';', .max_record_bytes = 1 << 20});
  ASSERT_EQ(semicolons.size(), 1u);
  EXPECT_THAT(semicolons[0].fields, ElementsAre("a", "b;c"));
}

TEST(CsvReaderTest, FewerFieldsAfterMoreDoNotLeakOldValues) {
  EXPECT_THAT(Fields("a,b,c\nd\n"),
              ElementsAre(ElementsAre("a", "b", "c"), ElementsAre("d")));
}

TEST(CsvHeaderTest, FindsColumnsIgnoringCaseAndBlanks) {
  CsvHeader header({"Issue key", " Status ", "Sprint", "Sprint"});
  EXPECT_EQ(header.Find("issue KEY"), 0u);
  EXPECT_EQ(header.Find("status"), 1u);
  EXPECT_EQ(header.Find("Sprint"), 2u);
  EXPECT_EQ(header.Find("Due date"), std::nullopt);
  const std::vector<std::string> row = {"K-1"};
  EXPECT_EQ(FieldAt(row, header.Find("Issue key")), "K-1");
  EXPECT_EQ(FieldAt(row, header.Find("Status")), "");
  EXPECT_EQ(FieldAt(row, std::nullopt), "");
}

}  // namespace
}  // namespace orgpulse::csv
