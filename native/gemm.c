#include "rlhf.h"
