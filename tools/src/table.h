// Plain-text tables for terminal output: a header row, a rule, and rows whose columns are padded
// to the widest cell; columns marked numeric are right-aligned so amounts line up on the point.
//
// Thread-safety: a Table is a value; print from one thread.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace jc::tools {

class Table {
public:
    enum class Align { kLeft, kRight };
    struct Column {
        std::string title;
        Align align = Align::kLeft;
    };

    explicit Table(std::vector<Column> columns);
    // REQUIRES: cells.size() == number of columns.
    Table& row(std::vector<std::string> cells);
    // A rule line before the next row (e.g. above a totals row).
    Table& rule();
    void print(std::ostream& out, const std::string& indent = "  ") const;

private:
    std::vector<Column> columns_;
    std::vector<std::vector<std::string>> rows_;  // an empty row is a rule
};

}  // namespace jc::tools
