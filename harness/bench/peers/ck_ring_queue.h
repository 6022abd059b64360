/* ck_ring_queue: Concurrency Kit's single-producer single-consumer ring,
 * carrying 64-byte frames by value, behind an opaque handle.
 *
 * ck_ring.h is C only (it does not compile as C++), so the peer benchmarks
 * reach ck_ring through this small C interface. Each call is one function
 * call across the translation unit boundary; the ring's own code is inlined
 * inside it.
 *
 * One thread may push and one other thread may pop, concurrently. */
#ifndef RINGLAB_BENCH_PEERS_CK_RING_QUEUE_H
#define RINGLAB_BENCH_PEERS_CK_RING_QUEUE_H

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The size of every frame the queue carries, in bytes. */
#define RINGLAB_CK_RING_FRAME_BYTES 64

typedef struct ringlab_ck_ring_queue ringlab_ck_ring_queue;

/* A queue of `capacity` slots, which must be a power of two and at least 2;
 * NULL if it is not, or if memory runs out. ck_ring keeps one slot empty to
 * tell full from empty, so the queue holds at most capacity - 1 frames. */
ringlab_ck_ring_queue* ringlab_ck_ring_queue_create(unsigned int capacity);

/* Frees the queue; NULL is allowed. No thread may be using it. */
void ringlab_ck_ring_queue_destroy(ringlab_ck_ring_queue* queue);

/* Producer only: copies RINGLAB_CK_RING_FRAME_BYTES bytes from `frame` into
 * the ring; false, copying nothing, if the ring is full. */
bool ringlab_ck_ring_queue_try_push(ringlab_ck_ring_queue* queue, const void* frame);

/* Consumer only: copies the oldest frame out of the ring into `frame`
 * (RINGLAB_CK_RING_FRAME_BYTES bytes); false, writing nothing, if empty. */
bool ringlab_ck_ring_queue_try_pop(ringlab_ck_ring_queue* queue, void* frame);

#ifdef __cplusplus
}
#endif

#endif /* RINGLAB_BENCH_PEERS_CK_RING_QUEUE_H */
