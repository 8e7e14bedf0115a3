// Fibers for the emulated device: each GPU thread of a block that waits at a
// barrier or a warp collective keeps its own stack, and the scheduler switches
// between them. A switch saves the callee-saved registers and the stack pointer
// (x86-64: a few instructions in fiber.cpp; other CPUs: ucontext), and tells
// AddressSanitizer about the stack change.
#pragma once
#include <cstddef>

namespace cyclone::emu {

struct Fiber {
  void* sp = nullptr;          // saved stack pointer while switched out
  void* context = nullptr;     // ucontext_t, where the portable switch is used
  char* stack = nullptr;       // usable stack [stack, stack + size); null for the host thread
  size_t size = 0;
  void* asan_fake_stack = nullptr;
  const void* asan_bottom = nullptr;  // the host thread's stack, as ASan reports it
  size_t asan_size = 0;
};

// Gives `f` a fresh stack (or reuses its old one) that starts in entry(arg).
void fiber_start(Fiber& f, void (*entry)(void*), void* arg);
// Saves the running context into `from` and resumes `to`.
void fiber_switch(Fiber& from, Fiber& to);
// Called first thing in every fiber entry function.
void fiber_entered();

}  // namespace cyclone::emu
