// SPDX-License-Identifier: Apache-2.0
// Aligned plain-text columns: upper-case headers, two spaces between columns, no
// trailing blanks, so that `awk '{print $1}'` works on any of them.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace warden::cli {

using Row = std::vector<std::string>;

class Table {
public:
    explicit Table(Row header);

    void add(Row row);
    // Each column as wide as its widest cell (header included), or `min` if wider.
    std::vector<size_t> widths(const std::vector<size_t>& min = {}) const;
    std::string render() const;

private:
    Row header_;
    std::vector<Row> rows_;
};

// One row padded to `widths`; a cell wider than its column pushes the rest right
// rather than being cut.
std::string format_row(const Row& row, const std::vector<size_t>& widths);

}  // namespace warden::cli
