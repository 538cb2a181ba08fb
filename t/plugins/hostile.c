/*
 * t/plugins/hostile.c: a plugin whose constructor attacks the canary that
 * tries it, rather than just crashing.  Tests set @MODE@, @V@ (a version
 * marker) and @PIDFILE@ (where CLOSE_HANG's own child writes its pid):
 *   NONE        behaves;
 *   CLOSE_HANG  closes every inherited fd (so the canary's pipe reads
 *               EOF at once), forks a child that does the same, and both
 *               spin forever.
 */
#include <fcntl.h>
#include <unistd.h>
#include <cweb.h>

#define MODE_@MODE@  1


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
