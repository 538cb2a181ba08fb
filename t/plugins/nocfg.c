/* t/plugins/nocfg.c: compiles, but declares no module_t config */
#include <cweb.h>

int  not_a_config = 1;
