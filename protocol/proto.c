/* proto.c — wire messages (the sync issue fills this in). */
#include "keys.h"
