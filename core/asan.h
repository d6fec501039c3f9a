/* asan.h - LN_ASAN is defined when AddressSanitizer instruments the build
 * (gcc's __SANITIZE_ADDRESS__, clang's __has_feature): the allocators then
 * hand out ordinary allocations, which ASan can watch. */
#ifndef LN_ASAN_H
#define LN_ASAN_H

#if defined(__SANITIZE_ADDRESS__)
#define LN_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LN_ASAN 1
#endif
#endif

#endif
