/* t/plugins/toomany.c: size beyond the 10 routes a module_t holds */
#include <cweb.h>

export module_t config = {
    .name = "toomany",
    .size = 11,
};
