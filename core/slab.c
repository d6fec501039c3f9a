/* slab.c - see slab.h. */
#include "slab.h"
#include "asan.h"
#include "hugepage.h"

#include <stdlib.h>
#include <string.h>

#define ALIGN       64u
#define FIRST_CHUNK (64u << 10)
#define HUGE_CHUNK  LN_HUGE_PAGE

typedef struct ln_slab_chunk {
    struct ln_slab_chunk *next;
    size_t bytes;                       /* what was mapped or malloc'ed */
    void *base;
    int mapped;
} ln_slab_chunk;

void ln_slab_init(ln_slab *s, size_t size)
{
    memset(s, 0, sizeof *s);
    if (size < sizeof(void *)) size = sizeof(void *);
    s->size = (size + ALIGN - 1) / ALIGN * ALIGN;
    s->next_chunk = FIRST_CHUNK;
    while (s->next_chunk < s->size) s->next_chunk <<= 1;
}

#ifdef LN_ASAN

/* Each object behind a header of ALIGN bytes that links it on s->live. */
typedef struct live_hdr {
    struct live_hdr *prev, *next;
} live_hdr;

void *ln_slab_alloc(ln_slab *s)
{
    live_hdr *h = aligned_alloc(ALIGN, ALIGN + s->size);
    if (!h) return NULL;
    memset(h, 0, ALIGN + s->size);
    h->next = s->live;
    if (h->next) h->next->prev = h;
    s->live = h;
    s->in_use++;
    return (uint8_t *)h + ALIGN;
}

void ln_slab_free(ln_slab *s, void *obj)
{
    if (!obj) return;
    live_hdr *h = (live_hdr *)((uint8_t *)obj - ALIGN);
    if (h->prev) h->prev->next = h->next;
    else s->live = h->next;
    if (h->next) h->next->prev = h->prev;
    s->in_use--;
    free(h);
}

void ln_slab_destroy(ln_slab *s)
{
    for (live_hdr *h = s->live, *next; h; h = next) {
        next = h->next;
        free(h);
    }
    ln_slab_init(s, s->size);
}

#else

static int grow(ln_slab *s)
{
    ln_slab_chunk *c = malloc(sizeof *c);
    if (!c) return -1;
    size_t bytes = s->next_chunk;
    void *base;
    if (bytes >= HUGE_CHUNK && s->size <= HUGE_CHUNK) {
        bytes = HUGE_CHUNK;
        base = ln_huge_page();
        c->mapped = 1;
    } else {
        base = aligned_alloc(ALIGN, bytes);
        c->mapped = 0;
    }
    if (!base) {
        free(c);
        return -1;
    }
    /* Fresh malloc'ed memory may hold garbage; mmap's is zero. */
    if (!c->mapped) memset(base, 0, bytes);
    c->base = base;
    c->bytes = bytes;
    c->next = s->chunks;
    s->chunks = c;
    s->cur = base;
    s->end = (uint8_t *)base + bytes / s->size * s->size;
    if (s->next_chunk < HUGE_CHUNK) s->next_chunk <<= 1;
    return 0;
}

void *ln_slab_alloc(ln_slab *s)
{
    void *o = s->free;
    if (o) {
        memcpy(&s->free, o, sizeof(void *));
        memset(o, 0, s->size);
    } else {
        if (s->cur == s->end && grow(s) != 0) return NULL;
        o = s->cur;                     /* zero since its chunk was made */
        s->cur += s->size;
        /* The next object is fresh memory, not in any cache: ask for it
         * now, for writing, so that filling it in does not wait. */
        if (s->cur < s->end)
            for (size_t off = 0; off < s->size; off += ALIGN) __builtin_prefetch(s->cur + off, 1);
    }
    s->in_use++;
    return o;
}

void ln_slab_free(ln_slab *s, void *obj)
{
    if (!obj) return;
    s->in_use--;
    memcpy(obj, &s->free, sizeof(void *));
    s->free = obj;
}

void ln_slab_destroy(ln_slab *s)
{
    for (ln_slab_chunk *c = s->chunks, *next; c; c = next) {
        next = c->next;
        if (c->mapped) ln_huge_page_free(c->base);
        else free(c->base);
        free(c);
    }
    ln_slab_init(s, s->size);
}

#endif
