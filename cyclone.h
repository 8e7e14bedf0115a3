// cyclone: the one header an application includes.
#pragma once
#include "autograd/functions.h"
#include "autograd/gradcheck.h"
#include "autograd/node.h"
#include "tensor/allocator.h"
#include "tensor/device.h"
#include "tensor/gather.h"
#include "tensor/rng.h"
#include "tensor/tensor.h"
#include "tensor/threads.h"
