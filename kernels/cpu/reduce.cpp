// CPU reference for row reductions. Each row is reduced by one thread, in a
// fixed order, so results do not depend on the thread count. Sums accumulate
// in double; logsumexp subtracts the row max first for stability.
#include <cmath>
#include <limits>

#include "kernels/contract.h"
#include "kernels/cpu/parallel.h"

namespace cyclone::kernels::cpu {

void reduce_rows(ReduceOp op, const float* x, float* out, int64_t rows, int64_t cols) {
  parallel_for(rows, std::max<int64_t>(1, (1 << 14) / std::max<int64_t>(cols, 1)), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const float* row = x + r * cols;
      switch (op) {
        case ReduceOp::Sum:
        case ReduceOp::Mean: {
          double acc = 0;
          for (int64_t c = 0; c < cols; ++c) acc += row[c];
          out[r] = static_cast<float>(op == ReduceOp::Mean ? acc / static_cast<double>(cols) : acc);
          break;
        }
        case ReduceOp::Max:
        case ReduceOp::Min: {
          float m = row[0];
          for (int64_t c = 1; c < cols; ++c) {
            const float v = row[c];
            if (std::isnan(v) || std::isnan(m)) {
              m = std::numeric_limits<float>::quiet_NaN();
            } else if (op == ReduceOp::Max ? v > m : v < m) {
              m = v;
            }
          }
          out[r] = m;
          break;
        }
        case ReduceOp::LogSumExp: {
          float m = -std::numeric_limits<float>::infinity();
          for (int64_t c = 0; c < cols; ++c) m = std::max(m, row[c]);
          if (std::isinf(m)) {
            out[r] = m;
            break;
          }
          double acc = 0;
          for (int64_t c = 0; c < cols; ++c) acc += std::exp(static_cast<double>(row[c] - m));
          out[r] = m + static_cast<float>(std::log(acc));
          break;
        }
      }
    }
  });
}

void argmax_rows(const float* x, int64_t* out, int64_t rows, int64_t cols) {
  parallel_for(rows, 64, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const float* row = x + r * cols;
      int64_t best = 0;
      for (int64_t c = 1; c < cols; ++c) {
        if (row[c] > row[best] || (std::isnan(row[c]) && !std::isnan(row[best]))) best = c;
      }
      out[r] = best;
    }
  });
}

}  // namespace cyclone::kernels::cpu
