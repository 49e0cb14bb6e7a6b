#include "table.h"

#include <jc/core/assert.h>

#include <algorithm>

namespace jc::tools {

Table::Table(std::vector<Column> columns) : columns_(std::move(columns)) {}

Table& Table::row(std::vector<std::string> cells) {
    JC_ASSERT(cells.size() == columns_.size(), "tools.table.row_width");
    rows_.push_back(std::move(cells));
    return *this;
}

Table& Table::rule() {
    rows_.emplace_back();
    return *this;
}

void Table::print(std::ostream& out, const std::string& indent) const {
    std::vector<std::size_t> width(columns_.size());
    for (std::size_t c = 0; c < columns_.size(); ++c) {
        width[c] = columns_[c].title.size();
        for (const auto& r : rows_) {
            if (!r.empty()) {
                width[c] = std::max(width[c], r[c].size());
            }
        }
    }
    auto line = [&](const std::vector<std::string>& cells) {
        std::string s = indent;
        for (std::size_t c = 0; c < cells.size(); ++c) {
            const std::size_t pad = width[c] - cells[c].size();
            if (columns_[c].align == Align::kRight) {
                s.append(pad, ' ').append(cells[c]);
            } else {
                s.append(cells[c]).append(c + 1 < cells.size() ? pad : 0, ' ');
            }
            if (c + 1 < cells.size()) {
                s += "  ";
            }
        }
        out << s << "\n";
    };
    std::vector<std::string> titles;
    for (const auto& c : columns_) {
        titles.push_back(c.title);
    }
    line(titles);
    std::size_t total = 0;
    for (std::size_t c = 0; c < width.size(); ++c) {
        total += width[c] + (c + 1 < width.size() ? 2 : 0);
    }
    const std::string rule_line = indent + std::string(total, '-');
    out << rule_line << "\n";
    for (const auto& r : rows_) {
        if (r.empty()) {
            out << rule_line << "\n";
        } else {
            line(r);
        }
    }
}

}  // namespace jc::tools
