/* string_host.c: kernel/string.c under pvos_ names for the host tests. */
#define memcpy pvos_memcpy
#define memmove pvos_memmove
#define memset pvos_memset
#define memcmp pvos_memcmp
#define strlen pvos_strlen
#define strnlen pvos_strnlen
#define strcmp pvos_strcmp
#define strncmp pvos_strncmp
#include "../kernel/string.c"
