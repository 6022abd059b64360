// Writes the seed corpus of ringlab_fuzz_attach into a directory: a valid,
// ready segment of each seed spec, and broken ones derived from the first;
// and, given a second directory, ringlab_fuzz_region's (region_seeds.hpp).
// Run once, after a layout change:
//   ringlab_fuzz_corpus_gen harness/fuzz/corpus harness/fuzz/corpus_region
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "ringlab/shm/layout.hpp"
#include "region_seeds.hpp"
#include "seed_specs.hpp"

namespace {

using namespace ringlab::shm;

std::vector<std::byte> valid_segment(const SegmentSpec& spec) {
  std::vector<std::byte> bytes(total_bytes(spec));
  LayoutHeader header = make_header(spec, 4321, 1000);
  header.state = static_cast<std::uint32_t>(SegmentState::kReady);
  std::memcpy(bytes.data(), &header, sizeof header);
  return bytes;
}

// The valid segment with one header field changed.
std::vector<std::byte> with_header(std::vector<std::byte> bytes,
                                   const std::function<void(LayoutHeader&)>& change) {
  LayoutHeader header;
  std::memcpy(&header, bytes.data(), sizeof header);
  change(header);
  std::memcpy(bytes.data(), &header, sizeof header);
  return bytes;
}

void write_file(const std::filesystem::path& path, const std::vector<std::byte>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && (std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h")) {
    std::printf("usage: %s ATTACH_CORPUS_DIRECTORY [REGION_CORPUS_DIRECTORY]\n"
                "writes the seed corpora of ringlab_fuzz_attach (and ringlab_fuzz_region)\n",
                argv[0]);
    return 0;
  }
  if (argc != 2 && argc != 3) {
    std::fprintf(stderr, "usage: %s ATTACH_CORPUS_DIRECTORY [REGION_CORPUS_DIRECTORY]\n", argv[0]);
    return 2;
  }
  if (argc == 3) {
    const std::filesystem::path region_dir(argv[2]);
    std::filesystem::create_directories(region_dir);
    using ringlab::shm::hostile::FastSharedSync;
    using ringlab::shm::hostile::FastSync;
    for (const auto& [name, input] :
         fuzz::region_seeds(ringlab::shm::hostile::VariantsOver<FastSync, FastSharedSync>{})) {
      write_file(region_dir / name, {reinterpret_cast<const std::byte*>(input.data()),
                                     reinterpret_cast<const std::byte*>(input.data()) + input.size()});
    }
  }
  const std::filesystem::path dir(argv[1]);
  std::filesystem::create_directories(dir);
  for (const SegmentSpec& spec : fuzz::seed_specs()) {
    write_file(dir / ("valid-" + describe_variant(static_cast<std::uint8_t>(spec.variant)) + "-" +
                      describe_mode(static_cast<std::uint8_t>(spec.overflow)) + "-" +
                      describe_writer_mode(static_cast<std::uint8_t>(spec.writer_mode)) + "-" +
                      describe_marker_layout(static_cast<std::uint8_t>(spec.marker_layout)) +
                      "-k" + std::to_string(spec.kind)),
               valid_segment(spec));
  }
  const std::vector<std::byte> base = valid_segment(fuzz::fixed_spec());
  write_file(dir / "broken-short-header", {base.begin(), base.begin() + 40});
  write_file(dir / "broken-truncated-region", {base.begin(), base.end() - 64});
  write_file(dir / "broken-magic", with_header(base, [](LayoutHeader& h) { h.magic[0] = 'X'; }));
  write_file(dir / "broken-version", with_header(base, [](LayoutHeader& h) { ++h.version; }));
  write_file(dir / "broken-capacity", with_header(base, [](LayoutHeader& h) { h.capacity = 3; }));
  write_file(dir / "broken-region-offset",
             with_header(base, [](LayoutHeader& h) { h.region_offset = 96; }));
  write_file(dir / "broken-region-bytes-huge",
             with_header(base, [](LayoutHeader& h) { h.region_bytes = std::uint64_t{1} << 63; }));
  write_file(dir / "broken-total-bytes",
             with_header(base, [](LayoutHeader& h) { h.total_bytes += 64; }));
  write_file(dir / "broken-writer-mode",
             with_header(base, [](LayoutHeader& h) { h.writer_mode = 0; }));
  write_file(dir / "broken-marker-layout",
             with_header(base, [](LayoutHeader& h) { h.marker_layout = 3; }));
  write_file(dir / "broken-reserved",
             with_header(base, [](LayoutHeader& h) { h.reserved[1] = 1; }));
  return 0;
}
