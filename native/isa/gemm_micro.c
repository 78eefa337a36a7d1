#include "../rlhf.h"
