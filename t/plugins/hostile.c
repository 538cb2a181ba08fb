/*
 * t/plugins/hostile.c: a plugin whose constructor attacks the canary that
 * tries it, rather than just crashing.  Tests set @MODE@, @V@ (a version
 * marker) and @PIDFILE@ (where CLOSE_HANG's own child writes its pid):
 *   NONE        behaves;
 *   CLOSE_HANG  closes every inherited fd (so the canary's pipe reads
 *               EOF at once), forks a child that does the same, and both
 *               spin forever;
 *   FORGE_CRASH writes a result of its own to every inherited fd: on a
 *               pipe as the canary child's "result" line, on a connected
 *               socket as the canary's whole reply (then shuts it down),
 *               with an integer where a string is expected;
 *   FORGE_TYPES the same with an "ok" result of the wrong types.
 */
#include <fcntl.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <cweb.h>

#define MODE_@MODE@  1


#if defined(MODE_FORGE_CRASH)
#define FORGED  "{\"status\":\"failed\",\"phase\":\"load\",\"signal\":1}"
#elif defined(MODE_FORGE_TYPES)
#define FORGED  "{\"status\":\"ok\",\"name\":\"hostile\",\"module_hash\":1," \
                "\"size\":\"big\",\"manifest\":[]}"
#endif


#ifdef MODE_CLOSE_HANG
__attribute__((constructor)) static void
close_hang(void)
{
    int      fd;
    char     buf[32];
    pid_t    pid;

    for (fd = 3; fd < 1024; fd++) {
        close(fd);
    }

    pid = fork();

    if (pid == 0) {
        fd = open("@PIDFILE@", O_WRONLY|O_CREAT|O_TRUNC, 0644);
        if (fd != -1) {
            (void) write(fd, buf, snprintf(buf, sizeof(buf), "%d\n",
                                           (int) getpid()));
            close(fd);
        }
    }

    for ( ;; ) {
        /* void */
    }
}
#endif


#ifdef FORGED
__attribute__((constructor)) static void
forge(void)
{
    int                      fd;
    struct stat              st;
    struct sockaddr_storage  sa;
    socklen_t                len;

    for (fd = 3; fd <= 20; fd++) {
        if (fstat(fd, &st) == -1) {
            continue;
        }

        if (S_ISFIFO(st.st_mode)) {
            (void) write(fd, "result " FORGED "\n", sizeof("result " FORGED));
            continue;
        }

        len = sizeof(sa);

        if (S_ISSOCK(st.st_mode)
            && getpeername(fd, (struct sockaddr *) &sa, &len) == 0)
        {
            (void) write(fd, FORGED, sizeof(FORGED) - 1);
            (void) shutdown(fd, SHUT_WR);
        }
    }
}
#endif


static int
ok(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    snprintf(res->body, HTTP_RESPONSE_SIZE, "hostile @V@ ok\n");
    return 0;
}


export module_t config = {
    .name = "hostile",
    .author = "t",
    .routes = {
        {"/hostile/ok", "GET", ok, NONE},
    },
    .size = 1,
};
