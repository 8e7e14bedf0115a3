// cyclone: the one header an application includes, the whole public API, layer by layer.
// Internal headers, not part of the API (tests/check_layers.py checks that every other
// header of the library is included here):
//   internal: kernels/*  tensor/dispatch.h  tensor/dispatch_call.h  tensor/dispatch_nn.h
//   internal: tensor/dispatch_optim.h  tensor/storage.h  nn/onnx/ops.h  nn/onnx/program.h
//   internal: nn/onnx/value.h  io/byte_cursor.h  io/protobuf_wire.h  report/plot_scene.h
//   internal: train/snapshots.h  schedules/keys.h  nn/onnx/attrs.h  nn/onnx/cast.h
//   internal: data/image_scan.h  nn/onnx/attr_reading.h
#pragma once

// tensor/ and autograd/: tensors, devices, random numbers, differentiable ops.
#include "tensor/allocator.h"
#include "tensor/cuda_graph.h"
#include "tensor/device.h"
#include "tensor/dtype.h"
#include "tensor/gather.h"
#include "tensor/host_access.h"
#include "tensor/pinned.h"
#include "tensor/rng.h"
#include "tensor/tensor.h"
#include "tensor/threads.h"
#include "autograd/functions.h"
#include "autograd/gradcheck.h"
#include "autograd/node.h"

// io/ and report/: files in and out; plots, progress bars, CSV logs.
#include "io/file_io.h"
#include "io/ndarray.h"
#include "io/npy.h"
#include "io/npz.h"
#include "io/onnx.h"
#include "io/zip.h"
#include "report/confusion.h"
#include "report/csv_log.h"
#include "report/image_grid.h"
#include "report/plot.h"
#include "report/progress.h"

// nn/: layers, models, weight files, ONNX import.
#include "nn/functional.h"
#include "nn/init.h"
#include "nn/layers.h"
#include "nn/module.h"
#include "nn/models/model.h"
#include "nn/models/resnet_cifar.h"
#include "nn/models/small_nets.h"
#include "nn/onnx/import.h"
#include "nn/state_io.h"

// optim/ and schedules/: optimizers, their options, and learning-rate schedules.
#include "optim/adam.h"
#include "optim/optimizer.h"
#include "optim/optimizer_kind.h"
#include "optim/optimizer_of.h"
#include "optim/option_fields.h"
#include "optim/param_groups.h"
#include "optim/sgd.h"
#include "schedules/classic.h"
#include "schedules/compose.h"
#include "schedules/cyclic.h"
#include "schedules/dry_run.h"
#include "schedules/factory.h"
#include "schedules/lr_finder_math.h"
#include "schedules/lr_suggest.h"
#include "schedules/one_cycle.h"
#include "schedules/per_group.h"
#include "schedules/schedule.h"
#include "schedules/sgdr.h"
#include "schedules/slanted_triangular.h"
#include "schedules/spec.h"
#include "schedules/stored.h"

// data/: datasets, readers, the decode cache, augmentation.
#include "data/augment.h"
#include "data/cifar_binary.h"
#include "data/decode_cache.h"
#include "data/file_io.h"
#include "data/idx.h"
#include "data/image_folder.h"
#include "data/image_set.h"
#include "data/rng.h"
#include "data/synthetic.h"
#include "data/transforms.h"
#include "data/verify_images.h"

// train/: the Learner, its training step, callbacks, the LR range test.
#include "train/builtin_callbacks.h"
#include "train/callback.h"
#include "train/data_loader.h"
#include "train/interpret.h"
#include "train/interrupt.h"
#include "train/learner.h"
#include "train/learner_snapshot.h"
#include "train/monitor_callbacks.h"
#include "train/lr_finder.h"
#include "train/param_groups.h"
#include "train/precise_bn.h"
#include "train/step_graph.h"
#include "train/train_step.h"
