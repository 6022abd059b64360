// Text for what inspect() read: show's fields, tail's frames, list's rows.
#pragma once

#include <cstddef>
#include <ostream>
#include <span>
#include <string>
#include <vector>

#include "inspect.hpp"

namespace ringlab::tools::shm {

// Printable ASCII as is, every other byte (and '"', '\\') as \xNN.
std::string escape_bytes(std::span<const std::byte> bytes);

// "seqlock", "rwlock", "disruptor/<overflow mode>/<marker layout>" ("disruptor/gated/apart")
std::string storage_label(const ringlab::shm::LayoutHeader& h);

void print_show(std::ostream& out, const SegmentReport& r);
void print_tail(std::ostream& out, const SegmentReport& r);

// list: the column names, and one segment's row.
std::vector<std::string> list_columns();
std::vector<std::string> list_row(const SegmentReport& r);
// Rows as columns padded to the widest cell; the last column is not padded.
void print_table(std::ostream& out, const std::vector<std::vector<std::string>>& rows);

}  // namespace ringlab::tools::shm
