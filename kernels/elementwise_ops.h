// The scalar math of every elementwise op, written once and compiled for both
// backends (host and device), so the CPU and CUDA kernels cannot drift apart.
#pragma once
#include <cmath>
#include <cstdint>

#include "kernels/layout.h"

namespace cyclone::kernels {

enum class UnaryOp : uint8_t {
  Neg, Exp, Log, Sqrt, Rsqrt, Abs, Sign, Square, Reciprocal,
  Relu, Sigmoid, Tanh, LeakyRelu, Gelu,
  AddScalar, MulScalar, PowScalar, RSubScalar, RDivScalar, Clamp, Erf, Floor, Ceil, Round
};

enum class BinaryOp : uint8_t {
  Add, Sub, Mul, Div, Pow, Maximum, Minimum,
  // Backward helpers: (grad, saved) -> grad_in.
  ReluBackward,       // g * (x > 0)
  SigmoidBackward,    // g * y * (1 - y), y = sigmoid(x)
  TanhBackward,       // g * (1 - y^2),   y = tanh(x)
  LeakyReluBackward,  // g * (x > 0 ? 1 : alpha)
  GeluBackward        // g * gelu'(x)
};

enum class CompareOp : uint8_t { Eq, Ne, Lt, Le, Gt, Ge };

CYCLONE_HD float gelu_f(float x) {
  // Exact GELU: x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2)).
  return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f));
}
CYCLONE_HD float gelu_grad_f(float x) {
  // d/dx [x Phi(x)] = Phi(x) + x phi(x), phi(x) = exp(-x^2/2) / sqrt(2 pi).
  const float cdf = 0.5f * (1.0f + erff(x * 0.70710678118654752f));
  const float pdf = expf(-0.5f * x * x) * 0.39894228040143268f;
  return cdf + x * pdf;
}

// a = first scalar argument (alpha), b = second (used by Clamp as the upper bound).
CYCLONE_HD float apply_unary(UnaryOp op, float x, float a, float b) {
  switch (op) {
    case UnaryOp::Neg: return -x;
    case UnaryOp::Exp: return expf(x);
    case UnaryOp::Log: return logf(x);
    case UnaryOp::Sqrt: return sqrtf(x);
    case UnaryOp::Rsqrt: return 1.0f / sqrtf(x);
    case UnaryOp::Abs: return fabsf(x);
    case UnaryOp::Sign: return x > 0.f ? 1.f : (x < 0.f ? -1.f : 0.f);
    case UnaryOp::Square: return x * x;
    case UnaryOp::Reciprocal: return 1.0f / x;
    case UnaryOp::Relu: return x > 0.f ? x : 0.f;
    case UnaryOp::Sigmoid: return 1.0f / (1.0f + expf(-x));
    case UnaryOp::Tanh: return tanhf(x);
    case UnaryOp::LeakyRelu: return x > 0.f ? x : a * x;
    case UnaryOp::Gelu: return gelu_f(x);
    case UnaryOp::AddScalar: return x + a;
    case UnaryOp::MulScalar: return x * a;
    case UnaryOp::PowScalar: return a == 2.f ? x * x : powf(x, a);
    case UnaryOp::RSubScalar: return a - x;
    case UnaryOp::RDivScalar: return a / x;
    case UnaryOp::Clamp: return x < a ? a : (x > b ? b : x);
    case UnaryOp::Erf: return erff(x);
    case UnaryOp::Floor: return floorf(x);
    case UnaryOp::Ceil: return ceilf(x);
    case UnaryOp::Round: return rintf(x);  // halves to even, as ONNX and numpy
  }
  return 0.f;
}

CYCLONE_HD float apply_binary(BinaryOp op, float x, float y, float alpha) {
  switch (op) {
    case BinaryOp::Add: return x + y;
    case BinaryOp::Sub: return x - y;
    case BinaryOp::Mul: return x * y;
    case BinaryOp::Div: return x / y;
    case BinaryOp::Pow: return powf(x, y);
    case BinaryOp::Maximum: return x > y ? x : y;
    case BinaryOp::Minimum: return x < y ? x : y;
    case BinaryOp::ReluBackward: return y > 0.f ? x : 0.f;
    case BinaryOp::SigmoidBackward: return x * y * (1.0f - y);
    case BinaryOp::TanhBackward: return x * (1.0f - y * y);
    case BinaryOp::LeakyReluBackward: return y > 0.f ? x : alpha * x;
    case BinaryOp::GeluBackward: return x * gelu_grad_f(y);
  }
  return 0.f;
}

CYCLONE_HD bool apply_compare(CompareOp op, float x, float y) {
  switch (op) {
    case CompareOp::Eq: return x == y;
    case CompareOp::Ne: return x != y;
    case CompareOp::Lt: return x < y;
    case CompareOp::Le: return x <= y;
    case CompareOp::Gt: return x > y;
    case CompareOp::Ge: return x >= y;
  }
  return false;
}

}  // namespace cyclone::kernels
