// An outside project: writes one frame through the installed headers and reads it back.
#include <cstdio>
#include <string_view>

#include <ringlab/ringlab.hpp>

int main() {
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
