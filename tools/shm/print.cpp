#include "print.hpp"

#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "ringlab/shm/segment.hpp"

namespace ringlab::tools::shm {

namespace rs = ringlab::shm;

std::string escape_bytes(std::span<const std::byte> bytes) {
  std::string text;
  for (const std::byte b : bytes) {
    const auto c = static_cast<unsigned char>(b);
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      text.push_back(static_cast<char>(c));
    } else {
      absl::StrAppendFormat(&text, "\\x%02x", c);
    }
  }
  return text;
}

std::string storage_label(const rs::LayoutHeader& h) {
  std::string label = rs::describe_variant(h.variant);
  if (h.variant == static_cast<std::uint8_t>(rs::StorageVariant::kDisruptor)) {
    absl::StrAppend(&label, "/", rs::describe_mode(h.overflow_mode), "/",
                    rs::describe_marker_layout(h.marker_layout));
  }
  return label;
}

namespace {

const char* alive_word(bool alive) { return alive ? "alive" : "dead"; }

void print_processes(std::ostream& out, const SegmentReport& r) {
  if (r.has_writer_table) {
    out << absl::StrFormat("writers       %d registered, %d alive (writer table)\n",
                           r.writers.size(), r.writers_alive());
    for (const ProcessEntry& e : r.writers) {
      out << absl::StrFormat("  entry %-3d   pid %-8d %s\n", e.number, e.pid, alive_word(e.alive));
    }
  } else if (r.has_lease) {
    if (r.lease_holder) {
      out << absl::StrFormat("writer lease  pid %d %s\n", r.lease_holder->pid,
                             alive_word(r.lease_holder->alive));
    } else {
      out << "writer lease  free (no writer process)\n";
    }
  } else {
    out << "writers       not recorded (rwlock keeps no writer table)\n";
  }
  if (!r.has_gates) return;
  out << absl::StrFormat("gates         %d registered\n", r.gates.size());
  for (const GateEntry& g : r.gates) {
    out << absl::StrFormat("  gate %-3d    at %-8d pid %-8d %s%s\n", g.owner.number, g.value,
                           g.owner.pid, alive_word(g.owner.alive),
                           g.releasing ? " (being released)" : "");
  }
}

void print_slot(std::ostream& out, const SlotEntry& s) {
  std::string line = absl::StrFormat("  counter %-8d slot %-6d %s", s.counter, s.index, s.state);
  if (s.held) absl::StrAppend(&line, " ", *s.held);
  if (s.owner) absl::StrAppend(&line, " by entry ", *s.owner);
  if (s.length) absl::StrAppend(&line, "  length ", *s.length);
  if (s.readers != 0) absl::StrAppend(&line, "  read-locked by ", s.readers, " readers");
  if (s.locked_by) {
    absl::StrAppend(&line, "  locked by pid ", s.locked_by->pid, " (", alive_word(s.locked_by->alive),
                    ")");
  }
  out << line << "\n";
}

}  // namespace

void print_show(std::ostream& out, const SegmentReport& r) {
  const rs::LayoutHeader& h = r.header;
  const std::string name = absl::CHexEscape(r.file_name);
  out << absl::StrFormat("segment       %s\n", name);
  out << absl::StrFormat("object        %s/%s, %d bytes, mode %04o, uid %d\n", rs::kShmDirectory,
                         name, r.object.size, r.object.mode, r.object.uid);
  out << absl::StrFormat("layout        version %d, state ready\n", h.version);
  out << absl::StrFormat("storage       %s\n", storage_label(h));
  out << absl::StrFormat("writer mode   %s\n", rs::describe_writer_mode(h.writer_mode));
  out << absl::StrFormat("kind          %d\n", h.kind);
  out << absl::StrFormat("capacity      %d slots\n", h.capacity);
  out << absl::StrFormat("payload       %d bytes\n", h.payload_capacity);
  out << absl::StrFormat("slot stride   %d bytes\n", h.slot_stride);
  out << absl::StrFormat("region        offset %d, %d bytes\n", h.region_offset, h.region_bytes);
  out << absl::StrFormat("first counter %d\n", h.first_counter);
  out << absl::StrFormat("creator       pid %d %s, uid %d\n", h.creator_pid,
                         alive_word(r.creator_alive), h.creator_uid);
  if (r.head_corrupt) {
    out << absl::StrFormat("head          %d (beyond any counter: corrupt; slots not read)\n", r.head);
  } else if (r.head <= h.first_counter) {
    out << absl::StrFormat("head          %d (no counter claimed yet)\n", r.head);
  } else {
    const std::uint64_t first = std::max(h.first_counter, r.head - std::min(r.head, h.capacity));
    out << absl::StrFormat("head          %d (counters %d..%d may still be in the ring)\n", r.head,
                           first, r.head - 1);
  }
  print_processes(out, r);
  if (r.payload_hidden) {
    out << "slot states   read without taking the slots' locks: a snapshot that a writer may be "
           "changing\n";
  }
  out << absl::StrFormat("slots         last %d counters\n", r.slots.size());
  for (const SlotEntry& s : r.slots) print_slot(out, s);
}

void print_tail(std::ostream& out, const SegmentReport& r) {
  if (r.payload_hidden) {
    out << "payload not shown: rwlock slots are read under their lock, which ringlab_shm never "
           "takes\n";
    for (const SlotEntry& s : r.slots) print_slot(out, s);
    return;
  }
  for (const FrameEntry& f : r.frames) {
    if (f.state != "ready") {
      out << absl::StrFormat("counter %-8d %s\n", f.counter, f.state);
      continue;
    }
    const std::string more =
        f.length > f.payload.size() ? absl::StrCat(" (", f.length - f.payload.size(), " more bytes)") : "";
    out << absl::StrFormat("counter %-8d length %-6d id %s ver %d \"%s\"%s\n", f.counter,
                           f.length, f.id, f.ver, escape_bytes(f.payload), more);
  }
}

std::vector<std::string> list_columns() {
  return {"NAME", "STORAGE", "LAYOUT", "CAPACITY", "PAYLOAD", "WRITERS", "HEAD", "REGISTERED/ALIVE"};
}

std::vector<std::string> list_row(const SegmentReport& r) {
  const rs::LayoutHeader& h = r.header;
  std::string registered = "-";
  if (r.has_writer_table) {
    registered = absl::StrCat(r.writers.size(), "/", r.writers_alive());
  } else if (r.has_lease) {
    registered = r.lease_holder ? absl::StrCat("1/", r.lease_holder->alive ? 1 : 0) : "0/0";
  }
  return {r.file_name,
          storage_label(h),
          absl::StrCat("v", h.version),
          absl::StrCat(h.capacity),
          absl::StrCat(h.payload_capacity),
          rs::describe_writer_mode(h.writer_mode),
          r.head_corrupt ? absl::StrCat(r.head, "(corrupt)") : absl::StrCat(r.head),
          registered};
}

void print_table(std::ostream& out, const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()), 0);
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      const bool last = i + 1 == row.size();
      absl::StrAppend(&line, row[i], last ? "" : std::string(widths[i] - row[i].size() + 2, ' '));
    }
    out << line << "\n";
  }
}

}  // namespace ringlab::tools::shm
