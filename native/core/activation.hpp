// Activation functions: the closed set the library integrates against Gaussians.
// The order of ActKind is the wire format between lib/activation.ts (ACT_KINDS) and the addon:
// keep the two lists identical.
#pragma once
#include <cmath>

namespace polyapprox {

enum class ActKind : int {
  Relu = 0,
  Gelu = 1,
  Identity = 2,
  Sigmoid = 3,
  Swish = 4,
  Tanh = 5,
  JumpRelu = 6,
  LeakyRelu = 7,
  Softplus = 8,
};
constexpr int kActKindCount = 9;

struct Activation {
  ActKind kind = ActKind::Relu;
  double threshold = 1.0;  // jump_relu: y * 1{y > threshold}
  double slope = 0.01;     // leaky_relu: y for y > 0, slope * y otherwise
};

// Highest derivative order / polynomial moment the integrals support.
constexpr int kMaxDerivOrder = 8;
constexpr int kMaxPolyOrder = 8;

}  // namespace polyapprox
