// SPDX-License-Identifier: Apache-2.0
#include "table.h"

#include <algorithm>

namespace warden::cli {

Table::Table(Row header) : header_(std::move(header)) {}

void Table::add(Row row) {
    row.resize(header_.size());
    rows_.push_back(std::move(row));
}

std::vector<size_t> Table::widths(const std::vector<size_t>& min) const {
    std::vector<size_t> w(header_.size());
    for (size_t i = 0; i < w.size(); ++i) {
        w[i] = std::max(header_[i].size(), i < min.size() ? min[i] : 0);
        for (const Row& r : rows_) w[i] = std::max(w[i], r[i].size());
    }
    return w;
}

std::string Table::render() const {
    std::vector<size_t> w = widths();
    std::string out = format_row(header_, w);
    for (const Row& r : rows_) out += format_row(r, w);
    return out;
}

std::string format_row(const Row& row, const std::vector<size_t>& widths) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
        if (i) line += "  ";
        line += row[i];
        if (i + 1 < row.size() && i < widths.size() && row[i].size() < widths[i]) {
            line.append(widths[i] - row[i].size(), ' ');
        }
    }
    return line + "\n";
}

}  // namespace warden::cli
