
/*
 * Unit tests for src/ngx_cweb_elf.c, the stamp of a stored object read
 * from its file: a plugin object built as the host builds one (the
 * Makefile's objs/unit/stamp.so) gives the stamp cweb_entry.c put in it;
 * every prefix of it and the same object with bytes overwritten (its
 * headers, its symbol tables, at random) is answered without a read
 * outside what was read from the file (AddressSanitizer) and, unless it
 * still is that object, NGX_DECLINED with a reason; a file that is not an
 * object, or no file at all, too, and an object larger than the bound.
 * The parsing is libelf's, which is not instrumented: ASan sees what the
 * reader does with what libelf hands it, and libelf's calls to the
 * functions it intercepts (memcpy(), memrchr(), ...), not libelf's own
 * loads; those a run under valgrind sees.
 *
 * Compiled against the nginx headers of the configured tree; the nginx
 * functions it calls are stubbed below, and so is the comparison with the
 * host's stamp (ngx_cweb_loader_stamp(), in the loader), which records
 * what it was handed.
 */


#include "ngx_cweb.h"
#include "ngx_cweb_loader.h"

#include <stdio.h>
#include <stdlib.h>
#include <link.h>


#include "check.h"


/* a plugin object built as the host builds one, and a file to damage */
#define STAMP_SO  "objs/unit/stamp.so"
#define SCRATCH   "objs/unit/stamp.scratch"


/* what the stamp reader handed over: copies, its pool is gone after */
static uint32_t    got_abi, got_n, got_layout[64];
static ngx_uint_t  got_calls, got_all;

/* the cweb_max_object_size the reader is given */
static size_t      max_size = 64 * 1024 * 1024;


void *
ngx_palloc(ngx_pool_t *pool, size_t size)
{
    void  **b;

    /* a pool is a list of malloc()ed blocks: "d.next" holds its head */
    b = malloc(sizeof(void *) + size);
    if (b == NULL) {
        return NULL;
    }

    b[0] = pool->d.next;
    pool->d.next = (ngx_pool_t *) b;

    return b + 1;
}


u_char *
ngx_vslprintf(u_char *buf, u_char *last, const char *fmt, va_list args)
{
    size_t  n;

    (void) args;

    n = ngx_min((size_t) (last - buf), strlen(fmt));
    memcpy(buf, fmt, n);

    return buf + n;
}


ngx_int_t
ngx_cweb_loader_stamp(const uint32_t *abi, const uint32_t *layout,
    const uint32_t *n, u_char *err, size_t errlen)
{
    static const uint32_t  ours[] = { CWEB_ABI_LAYOUT(CWEB_ABI_VALUE) };

    got_calls++;
    got_all = (abi && layout && n && *n <= 64);

    if (got_all) {
        got_abi = *abi;
        got_n = *n;
        memcpy(got_layout, layout, *n * sizeof(uint32_t));
    }

    if (abi && *abi == CWEB_ABI_VERSION && n
        && *n == sizeof(ours) / sizeof(ours[0])
        && layout && memcmp(layout, ours, sizeof(ours)) == 0)
    {
        return NGX_OK;
    }

    ngx_cweb_errf(err, errlen, "another stamp");
    return NGX_ERROR;
}


static void
pool_free(ngx_pool_t *pool)
{
    void  **b, **next;

    for (b = (void **) pool->d.next; b; b = next) {
        next = b[0];
        free(b);
    }

    pool->d.next = NULL;
}


static ngx_int_t
stamp(u_char *path, u_char *err, size_t errlen)
{
    ngx_int_t   rc;
    ngx_pool_t  pool;

    memset(&pool, 0, sizeof(pool));
    err[0] = '\0';
    got_calls = 0;
    got_all = 0;

    rc = ngx_cweb_elf_stamp(path, max_size, &pool, err, errlen);

    pool_free(&pool);

    return rc;
}


static void
write_file(const char *path, u_char *data, size_t len)
{
    FILE  *f;

    f = fopen(path, "w");
    if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
        perror(path);
        exit(2);
    }
}


/* the file at path with len bytes of data: a DECLINED with a reason */

static void
check_declined(const char *path, u_char *data, size_t len, ngx_uint_t *ok)
{
    u_char  err[256];

    write_file(path, data, len);

    if (stamp((u_char *) path, err, sizeof(err)) == NGX_OK) {
        (*ok)++;
        return;
    }

    CHECK(err[0] != '\0');
}


/* each byte of [off, off + len) of the object set to 0xff, then 0x7f */

static void
damage(u_char *obj, u_char *copy, size_t size, size_t off, size_t len,
    ngx_uint_t *ok)
{
    size_t  i;

    for (i = off; i < off + len && i < size; i++) {
        memcpy(copy, obj, size);
        copy[i] = 0xff;
        check_declined(SCRATCH, copy, size, ok);
        copy[i] = 0x7f;
        check_declined(SCRATCH, copy, size, ok);
    }
}


int
main(void)
{
    long         size;
    FILE        *f;
    size_t       str;
    u_char      *obj, *copy, err[256];
    ElfW(Sym)   *sym;
    ngx_uint_t   i, k, ok;
    ElfW(Ehdr)  *eh;
    ElfW(Shdr)  *sh;

    static const uint32_t  ours[] = { CWEB_ABI_LAYOUT(CWEB_ABI_VALUE) };

    ok = 0;

    f = fopen(STAMP_SO, "r");
    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) <= 0) {
        perror(STAMP_SO);
        return 2;
    }

    obj = malloc(size);
    copy = malloc(size);
    rewind(f);
    if (obj == NULL || copy == NULL || fread(obj, 1, size, f) != (size_t) size)
    {
        perror(STAMP_SO);
        return 2;
    }
    fclose(f);

    /* the object as the host built it: its own stamp, read whole */
    CHECK(stamp((u_char *) STAMP_SO, err, sizeof(err)) == NGX_OK);
    CHECK(got_calls == 1 && got_all);
    CHECK(got_abi == CWEB_ABI_VERSION);
    CHECK(got_n == sizeof(ours) / sizeof(ours[0]));
    CHECK(memcmp(got_layout, ours, sizeof(ours)) == 0);

    /* an object larger than cweb_max_object_size is not read */
    max_size = size - 1;
    CHECK(stamp((u_char *) STAMP_SO, err, sizeof(err)) == NGX_DECLINED);
    CHECK(ngx_strncmp(err, "it is larger than cweb_max_object_size", 38)
          == 0);
    CHECK(got_calls == 0);
    max_size = size;
    CHECK(stamp((u_char *) STAMP_SO, err, sizeof(err)) == NGX_OK);
    max_size = 64 * 1024 * 1024;

    /* no file, a directory, an empty file, text */
    CHECK(stamp((u_char *) "/nonexistent/x.so", err, sizeof(err))
          == NGX_DECLINED);
    CHECK(ngx_strncmp(err, "it cannot be opened", 19) == 0);
    CHECK(stamp((u_char *) "/", err, sizeof(err)) == NGX_DECLINED);
    CHECK(ngx_strncmp(err, "it is not a regular file", 24) == 0);
    check_declined(SCRATCH, (u_char *) "", 0, &ok);
    check_declined(SCRATCH, (u_char *) "#!/bin/sh\n", 10, &ok);

    /* every prefix (the stamp is near the start: those past it may pass) */
    ok = 0;
    for (i = 0; i < (ngx_uint_t) size; i += (i < 4096) ? 1 : 97) {
        check_declined(SCRATCH, obj, i, &ok);
    }
    CHECK(ok == 0);

    /* each header field overwritten with 0xff bytes, then with zeros */
    eh = (ElfW(Ehdr) *) copy;
    for (i = 0; i < sizeof(ElfW(Ehdr)); i++) {
        memcpy(copy, obj, size);
        copy[i] = 0xff;
        check_declined(SCRATCH, copy, size, &ok);
        copy[i] = 0;
        check_declined(SCRATCH, copy, size, &ok);
    }

    /*
     * what dlopen() checks and libelf does not: the size of a program
     * header entry
     */
    memcpy(copy, obj, size);
    eh->e_phentsize++;
    write_file(SCRATCH, copy, size);
    CHECK(stamp((u_char *) SCRATCH, err, sizeof(err)) == NGX_DECLINED);
    CHECK(ngx_strcmp(err, "not a shared object of this machine") == 0);

    /* the section and segment tables overwritten, entry by entry */
    memcpy(copy, obj, size);
    for (i = 0; i < eh->e_shnum; i++) {
        memcpy(copy, obj, size);
        memset(copy + eh->e_shoff + i * sizeof(ElfW(Shdr)), 0xff,
               sizeof(ElfW(Shdr)));
        check_declined(SCRATCH, copy, size, &ok);
    }
    for (i = 0; i < eh->e_phnum; i++) {
        memcpy(copy, obj, size);
        memset(copy + eh->e_phoff + i * sizeof(ElfW(Phdr)), 0xff,
               sizeof(ElfW(Phdr)));
        check_declined(SCRATCH, copy, size, &ok);
    }

    /*
     * every byte of the .dynsym and .dynstr headers, of the symbols, set
     * to 0xff and to 0x7f (offsets, sizes, links, indexes out of range),
     * and .dynstr without a NUL
     */
    sh = (ElfW(Shdr) *) (obj + eh->e_shoff);
    for (k = 0; k < eh->e_shnum && sh[k].sh_type != SHT_DYNSYM; k++) {
        /* void */
    }
    CHECK(k < eh->e_shnum);

    if (k < eh->e_shnum) {
        damage(obj, copy, size, eh->e_shoff + k * sizeof(ElfW(Shdr)),
               sizeof(ElfW(Shdr)), &ok);
        damage(obj, copy, size,
               eh->e_shoff + sh[k].sh_link * sizeof(ElfW(Shdr)),
               sizeof(ElfW(Shdr)), &ok);
        damage(obj, copy, size, sh[k].sh_offset, sh[k].sh_size, &ok);

        memcpy(copy, obj, size);
        memset(copy + sh[sh[k].sh_link].sh_offset, 'a',
               sh[sh[k].sh_link].sh_size);
        check_declined(SCRATCH, copy, size, &ok);

        /* a symbol named by the table's last bytes: "cweb_abi_version" */
        memcpy(copy, obj, size);
        str = sh[sh[k].sh_link].sh_offset + sh[sh[k].sh_link].sh_size - 16;
        memcpy(copy + str, "cweb_abi_version", 16);
        sym = (ElfW(Sym) *) (copy + sh[k].sh_offset);
        for (i = 0; i < sh[k].sh_size / sizeof(ElfW(Sym)); i++) {
            sym[i].st_name = str - sh[sh[k].sh_link].sh_offset;
        }
        check_declined(SCRATCH, copy, size, &ok);
    }

    /* random bytes overwritten: anything may come of it but a bad read */
    srandom(6);
    for (i = 0; i < 3000; i++) {
        memcpy(copy, obj, size);
        copy[random() % size] = random() & 0xff;
        copy[random() % 1024] = random() & 0xff;
        check_declined(SCRATCH, copy, size, &ok);
    }

    printf("# %lu of the damaged copies still read as this stamp\n",
           (unsigned long) ok);

    remove(SCRATCH);
    free(obj);
    free(copy);

    return check_report();
}
