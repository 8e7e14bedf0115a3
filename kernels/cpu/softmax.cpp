// CPU reference for row-wise log-softmax and the fused softmax cross-entropy
// (integer labels, label smoothing, ignore_index). One row per thread; sums
// in double after subtracting the row max. Out-of-range labels throw.
#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "kernels/cpu/parallel.h"
#include "kernels/nn_contract.h"

namespace cyclone::kernels::cpu {
namespace {

int64_t row_grain(int64_t cols) { return std::max<int64_t>(1, (1 << 14) / std::max<int64_t>(cols, 1)); }

// log(sum(exp(row))) = m + log(sum(exp(row - m))), m = max(row). An all -inf
// (or +inf) row gives m itself; a NaN anywhere gives NaN.
float row_logsumexp(const float* row, int64_t cols) {
  float m = -std::numeric_limits<float>::infinity();
  for (int64_t j = 0; j < cols; ++j) m = std::max(m, row[j]);
  if (std::isinf(m)) return m;
  double sum = 0;
  for (int64_t j = 0; j < cols; ++j) sum += std::exp(static_cast<double>(row[j] - m));
  return m + static_cast<float>(std::log(sum));
}

void check_labels(const char* op, const int64_t* labels, int64_t rows, int64_t cols, int64_t ignore_index) {
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t label = labels[r];
    if (label != ignore_index && (label < 0 || label >= cols)) {
      throw std::invalid_argument(std::string(op) + ": label " + std::to_string(label) + " at row " +
                                  std::to_string(r) + " is out of range for " + std::to_string(cols) +
                                  " classes (expected 0 <= label < " + std::to_string(cols) +
                                  ", or ignore_index " + std::to_string(ignore_index) + ")");
    }
  }
}

}  // namespace

void log_softmax_forward(const float* x, int64_t rows, int64_t cols, float* y) {
  parallel_for(rows, row_grain(cols), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const float* xr = x + r * cols;
      float* yr = y + r * cols;
      const float lse = row_logsumexp(xr, cols);
      for (int64_t j = 0; j < cols; ++j) yr[j] = xr[j] - lse;
    }
  });
}

// dx = dy - softmax * sum(dy), softmax = exp(y).
void log_softmax_backward(const float* dy, const float* y, int64_t rows, int64_t cols, float* dx) {
  parallel_for(rows, row_grain(cols), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const float* dyr = dy + r * cols;
      const float* yr = y + r * cols;
      double sum = 0;
      for (int64_t j = 0; j < cols; ++j) sum += dyr[j];
      const float s = static_cast<float>(sum);
      for (int64_t j = 0; j < cols; ++j) dx[r * cols + j] = dyr[j] - std::exp(yr[j]) * s;
    }
  });
}

// loss = lse - (1-e) x[label] - e/cols * sum(x); the smoothing term is left
// out when e == 0 so that an infinite logit elsewhere cannot poison it.
void cross_entropy_forward(const float* x, const int64_t* labels, int64_t rows, int64_t cols, float smoothing,
                           int64_t ignore_index, float* loss, float* lse) {
  check_labels("cross_entropy_forward", labels, rows, cols, ignore_index);
  parallel_for(rows, row_grain(cols), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const float* xr = x + r * cols;
      lse[r] = row_logsumexp(xr, cols);
      if (labels[r] == ignore_index) {
        loss[r] = 0.f;
        continue;
      }
      float l = lse[r] - (1.f - smoothing) * xr[labels[r]];
      if (smoothing != 0.f) {
        double sum = 0;
        for (int64_t j = 0; j < cols; ++j) sum += xr[j];
        l -= smoothing / static_cast<float>(cols) * static_cast<float>(sum);
      }
      loss[r] = l;
    }
  });
}

// dx = dloss * (softmax - (1-e)[j == label] - e/cols), softmax = exp(x - lse).
void cross_entropy_backward(const float* dloss, const float* x, const float* lse, const int64_t* labels, int64_t rows,
                            int64_t cols, float smoothing, int64_t ignore_index, float* dx) {
  check_labels("cross_entropy_backward", labels, rows, cols, ignore_index);
  const float uniform = smoothing / static_cast<float>(cols), target = 1.f - smoothing;
  parallel_for(rows, row_grain(cols), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      float* dxr = dx + r * cols;
      if (labels[r] == ignore_index) {
        std::fill(dxr, dxr + cols, 0.f);
        continue;
      }
      const float* xr = x + r * cols;
      for (int64_t j = 0; j < cols; ++j) {
        const float p = std::exp(xr[j] - lse[r]);
        dxr[j] = dloss[r] * (p - (j == labels[r] ? target : 0.f) - uniform);
      }
    }
  });
}

}  // namespace cyclone::kernels::cpu
