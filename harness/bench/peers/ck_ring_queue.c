/* ck_ring_queue: see ck_ring_queue.h.
 *
 * What is copied: ck_ring's typed interface (CK_RING_PROTOTYPE) stores the
 * frame itself in the ring's slot array, so a push memcpy's the caller's 64
 * bytes into the slot and a pop memcpy's the slot's 64 bytes out to the
 * caller, as the other peers do with their element type. The plain ck_ring
 * interface would carry only a void* per slot, leaving the payload outside
 * the ring, which would not be the same work. */
#include "peers/ck_ring_queue.h"

#include <ck_md.h>
#include <ck_ring.h>
#include <stddef.h>
#include <stdlib.h>

struct ringlab_ck_frame {
  unsigned char bytes[RINGLAB_CK_RING_FRAME_BYTES];
};

/* ck_ring_enqueue_spsc_frame64, ck_ring_dequeue_spsc_frame64 and their kin. */
CK_RING_PROTOTYPE(frame64, ringlab_ck_frame)

struct ringlab_ck_ring_queue {
  /* ck_ring pads its consumer and producer counters onto lines of their own;
   * the handle is allocated on a line boundary so that padding lines up. */
  struct ck_ring ring;
  /* Read by both sides, never written after create: it shares the ring's
   * read-only line (size, mask). */
  struct ringlab_ck_frame* slots;
};

_Static_assert(sizeof(struct ringlab_ck_frame) == RINGLAB_CK_RING_FRAME_BYTES,
               "a frame is exactly its bytes, so the slot stride is the frame size");

/* aligned_alloc wants a size that is a multiple of the alignment. */
static size_t round_up_to_line(size_t bytes) {
  return (bytes + CK_MD_CACHELINE - 1) / CK_MD_CACHELINE * CK_MD_CACHELINE;
}

ringlab_ck_ring_queue* ringlab_ck_ring_queue_create(unsigned int capacity) {
  if (capacity < 2 || (capacity & (capacity - 1)) != 0) return NULL;

  ringlab_ck_ring_queue* queue =
      aligned_alloc(CK_MD_CACHELINE, round_up_to_line(sizeof(ringlab_ck_ring_queue)));
  if (queue == NULL) return NULL;
  /* Slots on line boundaries: each 64-byte frame is one whole cache line. */
  queue->slots = aligned_alloc(
      CK_MD_CACHELINE, round_up_to_line((size_t)capacity * sizeof(struct ringlab_ck_frame)));
  if (queue->slots == NULL) {
    free(queue);
    return NULL;
  }
  ck_ring_init(&queue->ring, capacity);
  return queue;
}

void ringlab_ck_ring_queue_destroy(ringlab_ck_ring_queue* queue) {
  if (queue == NULL) return;
  free(queue->slots);
  free(queue);
}

bool ringlab_ck_ring_queue_try_push(ringlab_ck_ring_queue* queue, const void* frame) {
  /* ck_ring's prototype takes a non-const entry but only reads it (memcpy
   * from it into the slot). */
  return CK_RING_ENQUEUE_SPSC(frame64, &queue->ring, queue->slots,
                              (struct ringlab_ck_frame*)frame);
}

bool ringlab_ck_ring_queue_try_pop(ringlab_ck_ring_queue* queue, void* frame) {
  return CK_RING_DEQUEUE_SPSC(frame64, &queue->ring, queue->slots, frame);
}
