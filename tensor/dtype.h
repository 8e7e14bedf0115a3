// Element types a Tensor can hold (defined with the backends in kernels/dtype.h,
// re-exported here as cyclone::DType for users of tensors).
#pragma once
#include "kernels/dtype.h"

namespace cyclone {

using kernels::DType;
using kernels::dtype_name;
using kernels::dtype_size;

}  // namespace cyclone
