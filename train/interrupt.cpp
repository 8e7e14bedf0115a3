// SIGINT/SIGTERM handling for fits (see interrupt.h): the handler only records the signal
// and writes one fixed line; the fit loop polls interrupt_signal() after every step.
#include "train/interrupt.h"

#include <unistd.h>

#include <atomic>
#include <csignal>
#include <mutex>

namespace cyclone::train {
namespace {

std::atomic<int> g_signal{0};
std::mutex g_mutex;  // guards the nesting count and the saved handlers
int g_depth = 0;
struct sigaction g_old_int, g_old_term;

void on_signal(int sig) {
  g_signal.store(sig);
  // SA_RESETHAND put the default action back, so a second signal ends the process.
  static const char msg[] = "\ncyclone: stopping after this step to write a checkpoint (again to quit at once)\n";
  const ssize_t ignored = ::write(STDERR_FILENO, msg, sizeof msg - 1);
  (void)ignored;
}

}  // namespace

InterruptGuard::InterruptGuard() {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (g_depth++ > 0) return;
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESETHAND | SA_RESTART;
  sigaction(SIGINT, &sa, &g_old_int);
  sigaction(SIGTERM, &sa, &g_old_term);
}

InterruptGuard::~InterruptGuard() {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (--g_depth > 0) return;
  sigaction(SIGINT, &g_old_int, nullptr);
  sigaction(SIGTERM, &g_old_term, nullptr);
}

int interrupt_signal() { return g_signal.load(); }
void clear_interrupt() { g_signal.store(0); }
void raise_interrupt(int signal) { g_signal.store(signal); }

}  // namespace cyclone::train
