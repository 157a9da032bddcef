// libpq-fe.h lives in /usr/include/postgresql; the target's pkgConfig "libpq" adds that directory.
#include <libpq-fe.h>
