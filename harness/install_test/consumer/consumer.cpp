// An outside project: writes one frame through the installed headers and reads
// it back, and prints the headers' version (which the install test compares
// with the project's).
#include <cstdio>
#include <string>
#include <string_view>

#include <ringlab/ringlab.hpp>

int main() {
  const ringlab::Version v = ringlab::version();
  const std::string spelled =
      std::to_string(v.major) + "." + std::to_string(v.minor) + "." + std::to_string(v.patch);
  if (spelled != ringlab::version_string()) {
    std::fprintf(stderr, "consumer: version() is %s but version_string() is %s\n",
                 spelled.c_str(), std::string(ringlab::version_string()).c_str());
    return 1;
  }
  std::printf("consumer: ringlab %s\n", RINGLAB_VERSION_STRING);

  auto ring = ringlab::SeqlockRing::create(3, ringlab::RingSpec{8, 32});
  if (!ring.ok()) return 1;
  const std::string_view text = "hello";
  auto id = (*ring)->write(ringlab::NodeId(7), 0, 1, std::as_bytes(std::span(text)));
  if (!id.ok()) return 1;
  auto frame = (*ring)->read(*id);
  if (!frame) return 1;
  std::printf("consumer: read back %s \"%.*s\"\n", frame->id.to_string().c_str(),
              static_cast<int>(frame->payload.size()),
              reinterpret_cast<const char*>(frame->payload.data()));
  return 0;
}
