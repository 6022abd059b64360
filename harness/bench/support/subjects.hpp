// What each subject of a run is, for the tools that read bench.json: the
// binary records one entry per ring variant, peer queue and limit, and main()
// writes the list into the JSON context as "ringlab_subjects" (a JSON array
// in a string). The report takes every trait from here and names no subject
// itself.
#pragma once

#include <string>
#include <string_view>

namespace ringlab::bench {

struct Subject {
  std::string name = {};     // the <subject> part of benchmark names
  std::string family = {};   // "ring", "peer" or "limit"
  std::string writers = {};  // "single" or "multi": how many may write at once ("" for a limit)
  std::string readers = {};  // "broadcast" (each reader sees every frame), "single" or "multi"
  bool lossless = false;  // writers wait for readers rather than overwrite
  bool shareable = false;  // rings: can live in POSIX shared memory across processes
  // Rings: in shared memory, a writer process that dies mid-write is taken over (its
  // slot by another writer, or a single writer's lease by the next) rather than
  // leaving the ring blocked for good.
  bool survives_writer_crash = false;
  std::string role = {};     // rings: "targeted" or "baseline"; "peer"; "limit"
  std::string detail = {};   // one line: wait strategy, library, what a limit measures
};

// Records a subject once; later calls with the same name are ignored.
void add_subject(Subject subject);
// Every recorded subject, as a JSON array.
std::string subjects_json();

}  // namespace ringlab::bench
