// Runs a peer benchmark script (PyTorch) in a child process and collects its
// "RESULT,..." lines, so that ours and the peer are measured in the same run.
// Other output lines are echoed with a prefix. Without a usable interpreter the
// peer is simply absent: the caller prints a note and reports ours alone.
#pragma once
#include <cstdio>
#include <string>
#include <vector>

#include "bench/harness.h"

namespace cyclone::bench {

struct PeerOutput {
  std::vector<std::vector<std::string>> results;  // each RESULT line, split on ','
  int exit_code = -1;
};

inline std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out(1);
  for (char c : s) {
    if (c == ',') out.emplace_back();
    else out.back() += c;
  }
  return out;
}

// Runs `cmd` (stderr merged into stdout) and keeps the lines that start with "RESULT,".
inline PeerOutput run_peer(const std::string& cmd, const char* echo_prefix) {
  PeerOutput out;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return out;
  std::string line;
  char buf[512];
  while (std::fgets(buf, sizeof buf, p)) {
    line += buf;
    if (line.empty() || line.back() != '\n') continue;  // a long line, read on
    line.pop_back();
    if (line.rfind("RESULT,", 0) == 0) {
      std::vector<std::string> f = split_commas(line);
      f.erase(f.begin());
      out.results.push_back(f);
    } else {
      std::printf("%s%s\n", echo_prefix, line.c_str());
    }
    line.clear();
  }
  out.exit_code = pclose(p);
  return out;
}

// The Python to run peers with: $CYCLONE_BENCH_PYTHON, else Debian's /usr/bin/python3
// (which has python3-torch), else python3 on PATH. "off" disables the peer.
inline std::vector<std::string> peer_pythons() {
  const std::string env = env_or("CYCLONE_BENCH_PYTHON", "");
  if (env == "off") return {};
  if (!env.empty()) return {env};
  return {"/usr/bin/python3", "python3"};
}

inline std::string source_path(const std::string& relative) {
#ifdef CYCLONE_SOURCE_DIR
  return std::string(CYCLONE_SOURCE_DIR) + "/" + relative;
#else
  return relative;
#endif
}

}  // namespace cyclone::bench
