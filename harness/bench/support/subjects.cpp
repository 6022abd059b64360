#include "support/subjects.hpp"

#include <utility>
#include <vector>

namespace ringlab::bench {
namespace {

std::vector<Subject>& recorded() {
  static std::vector<Subject> subjects;
  return subjects;
}

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (const char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) continue;  // no control characters in traits
    out += c;
  }
  out += '"';
}

}  // namespace

void add_subject(Subject subject) {
  for (const Subject& s : recorded()) {
    if (s.name == subject.name) return;
  }
  recorded().push_back(std::move(subject));
}

std::string subjects_json() {
  std::string out = "[";
  for (const Subject& s : recorded()) {
    if (out.size() > 1) out += ",";
    out += "{\"name\":";
    append_json_string(out, s.name);
    out += ",\"family\":";
    append_json_string(out, s.family);
    out += ",\"writers\":";
    append_json_string(out, s.writers);
    out += ",\"readers\":";
    append_json_string(out, s.readers);
    out += s.lossless ? ",\"lossless\":true" : ",\"lossless\":false";
    out += s.shareable ? ",\"shareable\":true" : ",\"shareable\":false";
    out += s.survives_writer_crash ? ",\"survives_writer_crash\":true"
                                   : ",\"survives_writer_crash\":false";
    out += ",\"role\":";
    append_json_string(out, s.role);
    out += ",\"detail\":";
    append_json_string(out, s.detail);
    out += "}";
  }
  return out + "]";
}

}  // namespace ringlab::bench
