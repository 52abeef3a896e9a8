/* printf_host.c: kernel/printf.c under pvos_ names for the host tests. */
#define vsnprintf pvos_vsnprintf
#define snprintf pvos_snprintf
#define strlen pvos_strlen
#define strnlen pvos_strnlen
#include "../kernel/printf.c"
