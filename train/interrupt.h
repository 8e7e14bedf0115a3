// Ctrl-C (SIGINT) and SIGTERM during a fit: the first one asks the fit loop to stop after
// the step it is in, so that it can write a checkpoint and say how to resume; a second one
// ends the process at once, as if no handler were installed.
#pragma once

namespace cyclone::train {

// Installs the handlers for its lifetime (Learner::fit holds one while it runs) and puts
// back the ones it replaced. Guards nest: only the outermost installs.
class InterruptGuard {
 public:
  InterruptGuard();
  ~InterruptGuard();
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;
};

// The signal (SIGINT or SIGTERM) caught since the last clear_interrupt(), or 0.
int interrupt_signal();
void clear_interrupt();
// Acts as if `signal` had arrived (for tests, and for code that stops a fit from another thread).
void raise_interrupt(int signal);

}  // namespace cyclone::train
