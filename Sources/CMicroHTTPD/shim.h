#include <sys/types.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <stdint.h>
#include <string.h>
#include <microhttpd.h>

// MHD normally percent-decodes the request path and query before handing them over. Courier decodes them itself,
// after splitting the path into segments, so that an encoded "/" (%2F) inside a path parameter survives.
// MHD still turns "+" into a space in the query string before calling this.
static inline size_t cmhd_keep_escaped(void *context, struct MHD_Connection *connection, char *text) {
    (void)context;
    (void)connection;
    return strlen(text);
}

// MHD_start_daemon takes a variadic option list, which Swift cannot call: wrap the options Courier uses.
// The caller binds the listening socket itself (SO_REUSEADDR, port 0) and hands it over.
static inline struct MHD_Daemon *cmhd_start(unsigned int flags, MHD_socket listenSocket,
        MHD_AccessHandlerCallback handler, void *handlerContext,
        MHD_RequestCompletedCallback completed, void *completedContext,
        unsigned int threads, unsigned int connectionTimeoutSeconds, size_t connectionMemoryLimit,
        unsigned int connectionLimit) {
    return MHD_start_daemon(flags, 0, NULL, NULL, handler, handlerContext,
                            MHD_OPTION_LISTEN_SOCKET, listenSocket,
                            MHD_OPTION_THREAD_POOL_SIZE, threads,
                            MHD_OPTION_NOTIFY_COMPLETED, completed, completedContext,
                            MHD_OPTION_CONNECTION_TIMEOUT, connectionTimeoutSeconds,
                            MHD_OPTION_CONNECTION_MEMORY_LIMIT, connectionMemoryLimit,
                            MHD_OPTION_CONNECTION_LIMIT, connectionLimit,
                            MHD_OPTION_UNESCAPE_CALLBACK, cmhd_keep_escaped, NULL,
                            MHD_OPTION_END);
}

// The content-reader callback's two special results, as constants: Swift does not import the casting macros.
static const ssize_t cmhd_content_reader_end_of_stream = MHD_CONTENT_READER_END_OF_STREAM;
static const ssize_t cmhd_content_reader_end_with_error = MHD_CONTENT_READER_END_WITH_ERROR;
