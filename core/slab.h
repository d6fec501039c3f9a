/* slab.h - fixed-size objects carved from large chunks, for what a
 * network holds by the hundred thousand (TCP sockets).
 *
 * A million connections are two million sockets, two gigabytes: with
 * malloc's 4 KiB pages the first touch of each page costs a page fault
 * (half a million of them, over 8 s on a virtual machine).  The slab takes
 * its memory in chunks that double from 64 KiB to 2 MiB; the 2 MiB ones
 * are huge pages (hugepage.h): the kernel faults a chunk in once, ahead
 * of use in a large run.  A small script never grows past the
 * first chunks.  Objects are zeroed, 64-byte aligned (a socket's first
 * cache line is its hot one), reused last-freed first, and the memory
 * goes back when the slab is destroyed (with its network).
 *
 * Under AddressSanitizer every object is an allocation of its own (on a
 * list, for destroy), so overflows and uses after free are still seen. */
#ifndef LN_SLAB_H
#define LN_SLAB_H

#include <stddef.h>
#include <stdint.h>

struct ln_slab_chunk;

typedef struct ln_slab {
    size_t size;                    /* object size, rounded up to 64 */
    void *free;                     /* freed objects, linked through their first word */
    uint8_t *cur, *end;             /* what the newest chunk has not handed out */
    struct ln_slab_chunk *chunks;
    size_t next_chunk;              /* bytes the next chunk will have */
    uint64_t in_use;
    void *live;                     /* under ASan: objects handed out, for destroy */
} ln_slab;

void ln_slab_init(ln_slab *s, size_t size);
/* A zeroed object, or NULL when memory runs out. */
void *ln_slab_alloc(ln_slab *s);
void ln_slab_free(ln_slab *s, void *obj);          /* NULL is fine */
/* Gives back every chunk: objects still in use die with it. */
void ln_slab_destroy(ln_slab *s);

#endif
