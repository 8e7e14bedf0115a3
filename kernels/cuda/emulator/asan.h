// AddressSanitizer for the emulator: CYCLONE_EMU_ASAN when the build has it (g++ or
// clang), its fiber and poisoning interfaces, and POISON/UNPOISON that are no-ops without it.
#pragma once
#if defined(__SANITIZE_ADDRESS__)
#define CYCLONE_EMU_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CYCLONE_EMU_ASAN 1
#endif
#endif
#if defined(CYCLONE_EMU_ASAN)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#define CYCLONE_EMU_POISON(p, n) __asan_poison_memory_region((p), (n))
#define CYCLONE_EMU_UNPOISON(p, n) __asan_unpoison_memory_region((p), (n))
#else
#define CYCLONE_EMU_POISON(p, n) ((void)(p), (void)(n))
#define CYCLONE_EMU_UNPOISON(p, n) ((void)(p), (void)(n))
#endif
