// Everything in cyclone::data: datasets in memory, readers and writers, the decode cache,
// the synthetic generator and the augmentation transforms.
#pragma once

#include "data/augment.h"
#include "data/cifar_binary.h"
#include "data/decode_cache.h"
#include "data/idx.h"
#include "data/image_folder.h"
#include "data/image_set.h"
#include "data/rng.h"
#include "data/synthetic.h"
#include "data/transforms.h"
