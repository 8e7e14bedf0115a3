// Fiber stacks and the context switch (see fiber.h). On x86-64 the switch is
// ours: push the six callee-saved registers and the SSE/x87 control words, swap
// stack pointers, pop. Elsewhere (or with -DCYCLONE_EMU_UCONTEXT) it is
// swapcontext, which is portable but makes a system call per switch.
#include "kernels/cuda/emulator/fiber.h"

#include <sys/mman.h>

#include <cstdint>
#include <new>

#include "kernels/cuda/emulator/asan.h"

#if defined(__x86_64__) && !defined(CYCLONE_EMU_UCONTEXT)
#define CYCLONE_EMU_ASM_SWITCH 1
#else
#include <ucontext.h>
#endif

namespace cyclone::emu {
namespace {

#if defined(CYCLONE_EMU_ASAN)
constexpr size_t kStackBytes = size_t(1) << 20;  // ASan's frames are several times larger
#else
constexpr size_t kStackBytes = size_t(256) << 10;
#endif
constexpr size_t kGuardBytes = 4096;  // PROT_NONE below the stack: an overflow faults at once

Fiber* g_switching_from = nullptr;  // the fiber that performed the latest switch

// After a switch lands: finish ASan's bookkeeping and learn the host stack's bounds.
void landed(void* fake_stack) {
#if defined(CYCLONE_EMU_ASAN)
  const void* bottom = nullptr;
  size_t size = 0;
  __sanitizer_finish_switch_fiber(fake_stack, &bottom, &size);
  if (g_switching_from && !g_switching_from->stack) {
    g_switching_from->asan_bottom = bottom;
    g_switching_from->asan_size = size;
  }
#else
  (void)fake_stack;
#endif
}

void before_switch(void** fake_stack_save, const Fiber& to) {
#if defined(CYCLONE_EMU_ASAN)
  __sanitizer_start_switch_fiber(fake_stack_save, to.stack ? to.stack : to.asan_bottom,
                                 to.stack ? to.size : to.asan_size);
#else
  (void)fake_stack_save;
  (void)to;
#endif
}

void allocate_stack(Fiber& f) {
  void* p = mmap(nullptr, kStackBytes + kGuardBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                 -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  mprotect(p, kGuardBytes, PROT_NONE);
  f.stack = static_cast<char*>(p) + kGuardBytes;
  f.size = kStackBytes;
}

}  // namespace
}  // namespace cyclone::emu

#if defined(CYCLONE_EMU_ASM_SWITCH)
extern "C" void cyclone_emu_switch(void** save_sp, void* new_sp);
extern "C" void cyclone_emu_fiber_trampoline();
// cyclone_emu_switch(rdi = where to save our sp, rsi = the sp to resume). A new
// fiber's stack is laid out as if it had called cyclone_emu_switch from the
// trampoline, with rbx = arg and r12 = entry.
asm(R"(
  .text
  .globl cyclone_emu_switch
  .hidden cyclone_emu_switch
  .type cyclone_emu_switch, @function
cyclone_emu_switch:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  subq $8, %rsp
  stmxcsr (%rsp)
  fnstcw 4(%rsp)
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  ldmxcsr (%rsp)
  fldcw 4(%rsp)
  addq $8, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
  .size cyclone_emu_switch, .-cyclone_emu_switch

  .globl cyclone_emu_fiber_trampoline
  .hidden cyclone_emu_fiber_trampoline
  .type cyclone_emu_fiber_trampoline, @function
cyclone_emu_fiber_trampoline:
  movq %rbx, %rdi
  callq *%r12
  ud2
  .size cyclone_emu_fiber_trampoline, .-cyclone_emu_fiber_trampoline
)");
#endif

namespace cyclone::emu {

void fiber_start(Fiber& f, void (*entry)(void*), void* arg) {
  if (!f.stack) {
    allocate_stack(f);
  } else {
#if defined(CYCLONE_EMU_ASAN)
    CYCLONE_EMU_UNPOISON(f.stack, f.size);  // frames of its last life left redzones
#endif
  }
#if defined(CYCLONE_EMU_ASM_SWITCH)
  auto* top = reinterpret_cast<uint64_t*>((reinterpret_cast<uintptr_t>(f.stack + f.size)) & ~uintptr_t(15));
  uint32_t control[2];
  asm volatile("stmxcsr %0\n\tfnstcw %1" : "=m"(control[0]), "=m"(control[1]));
  top[-1] = reinterpret_cast<uint64_t>(&cyclone_emu_fiber_trampoline);  // returned to first
  top[-2] = 0;                                                           // rbp
  top[-3] = reinterpret_cast<uint64_t>(arg);                             // rbx
  top[-4] = reinterpret_cast<uint64_t>(entry);                           // r12
  top[-5] = top[-6] = top[-7] = 0;                                       // r13, r14, r15
  top[-8] = uint64_t(control[0]) | (uint64_t(control[1] & 0xffff) << 32);
  f.sp = top - 8;
#else
  if (!f.context) f.context = new ucontext_t;
  auto* uc = static_cast<ucontext_t*>(f.context);
  getcontext(uc);
  uc->uc_stack.ss_sp = f.stack;
  uc->uc_stack.ss_size = f.size;
  uc->uc_link = nullptr;
  const auto e = reinterpret_cast<uintptr_t>(entry), a = reinterpret_cast<uintptr_t>(arg);
  makecontext(uc, reinterpret_cast<void (*)()>(+[](unsigned e0, unsigned e1, unsigned a0, unsigned a1) {
                reinterpret_cast<void (*)(void*)>((uintptr_t(e1) << 32) | e0)(
                    reinterpret_cast<void*>((uintptr_t(a1) << 32) | a0));
              }),
              4, unsigned(e), unsigned(e >> 32), unsigned(a), unsigned(a >> 32));
#endif
}

namespace {
void raw_switch(Fiber& from, Fiber& to) {
#if defined(CYCLONE_EMU_ASM_SWITCH)
  cyclone_emu_switch(&from.sp, to.sp);
#else
  if (!from.context) from.context = new ucontext_t;
  swapcontext(static_cast<ucontext_t*>(from.context), static_cast<ucontext_t*>(to.context));
#endif
}
}  // namespace

void fiber_switch(Fiber& from, Fiber& to) {
  before_switch(&from.asan_fake_stack, to);
  g_switching_from = &from;
  raw_switch(from, to);
  landed(from.asan_fake_stack);
}

void fiber_entered() { landed(nullptr); }

}  // namespace cyclone::emu
