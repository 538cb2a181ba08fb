
/*
 * The ABI stamp of a stored object, read from its file.
 *
 * At restore the helper must know whether an object in so/ was built for
 * this server (another release's CWEB_ABI_VERSION or CWEB_ABI_LAYOUT is
 * refused by every worker's loader) so that it can rebuild it from its
 * source first, as it rebuilds a missing one.  The helper never dlopen()s
 * a plugin (its constructors would run in the helper), so the stamp is
 * read from the ELF file: the three symbols include/cweb_entry.c exports
 * (cweb_abi_version, cweb_abi_layout[], cweb_abi_layout_n) are looked up
 * in .dynsym and their bytes read from the PT_LOAD segment that maps
 * them, which is what dlopen() would map.  They are constants: no
 * relocation applies to them.
 *
 * Why the file and not a fingerprint recorded in the database: the file
 * is what the loader checks, whoever wrote it; rows written before this
 * check existed (every row at the upgrade this is for) carry no
 * fingerprint, and an object replaced behind the row's back would still
 * pass.  And why not the canary: it runs the plugin's onload(), one
 * child per object at every start, to learn four bytes.
 *
 * The file is a plugin's output, and is parsed by elfutils' libelf, which
 * checks every offset and size against the file.  ELF_C_READ, not
 * ELF_C_READ_MMAP: libelf pread()s what it is asked for, where a mapping
 * of a file truncated meanwhile would be a SIGBUS; and a file larger than
 * cweb_max_object_size (which the loader refuses too) is not read at all.
 * Only objects of this machine's ELF class and byte order are understood
 * (libelf would convert another's), with the program header entries'
 * size dlopen() wants (libelf does not look at it); anything else is "not
 * this server's" and gets rebuilt.
 */


#include "ngx_cweb.h"
#include "ngx_cweb_loader.h"

#include <gelf.h>
#include <link.h>


#define NGX_CWEB_ELF_MAX_LAYOUT   1024

#if (NGX_HAVE_LITTLE_ENDIAN)
#define NGX_CWEB_ELF_DATA         ELFDATA2LSB
#else
#define NGX_CWEB_ELF_DATA         ELFDATA2MSB
#endif

#if (__ELF_NATIVE_CLASS == 64)
#define NGX_CWEB_ELF_CLASS        ELFCLASS64
#else
#define NGX_CWEB_ELF_CLASS        ELFCLASS32
#endif


static ngx_int_t ngx_cweb_elf_read(Elf *elf, ngx_pool_t *pool, u_char *err,
    size_t errlen);
static ngx_int_t ngx_cweb_elf_symbols(Elf *elf, GElf_Sym *syms);
static uint32_t *ngx_cweb_elf_value(Elf *elf, ngx_pool_t *pool,
    GElf_Sym *sym);


/*
 * NGX_OK: the object at path carries this server's stamp; NGX_DECLINED:
 * it does not, or it cannot be read (or is larger than max), err says why
 */

ngx_int_t
ngx_cweb_elf_stamp(u_char *path, size_t max, ngx_pool_t *pool, u_char *err,
    size_t errlen)
{
    Elf              *elf;
    ngx_fd_t          fd;
    ngx_int_t         rc;
    ngx_file_info_t   fi;

    fd = open((char *) path, O_RDONLY|O_NOFOLLOW|O_CLOEXEC);

    if (fd == NGX_INVALID_FILE) {
        ngx_cweb_errf(err, errlen, "it cannot be opened: %s",
                      strerror(ngx_errno));
        return NGX_DECLINED;
    }

    rc = NGX_DECLINED;

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR) {
        ngx_cweb_errf(err, errlen, "it cannot be read: %s",
                      strerror(ngx_errno));
        goto done;
    }

    if (!ngx_is_file(&fi)) {
        ngx_cweb_errf(err, errlen, "it is not a regular file");
        goto done;
    }

    if (ngx_file_size(&fi) > (off_t) max) {
        ngx_cweb_errf(err, errlen, "it is larger than cweb_max_object_size "
                      "(%uz)", max);
        goto done;
    }

    (void) elf_version(EV_CURRENT);

    elf = elf_begin(fd, ELF_C_READ, NULL);

    if (ngx_cweb_elf_read(elf, pool, err, errlen) == NGX_OK) {
        rc = NGX_OK;
    }

    (void) elf_end(elf);

done:

    (void) ngx_close_file(fd);
    return rc;
}


/* the stamp of an object libelf opened (elf: NULL if it could not) */

static ngx_int_t
ngx_cweb_elf_read(Elf *elf, ngx_pool_t *pool, u_char *err, size_t errlen)
{
    char        *id;
    size_t       phnum;
    uint32_t    *abi, *layout, *n;
    GElf_Sym     syms[3];
    GElf_Ehdr    eh;

    id = (elf != NULL && elf_kind(elf) == ELF_K_ELF)
         ? elf_getident(elf, NULL) : NULL;

    if (id == NULL
        || id[EI_CLASS] != NGX_CWEB_ELF_CLASS
        || id[EI_DATA] != NGX_CWEB_ELF_DATA
        || gelf_getehdr(elf, &eh) == NULL
        || eh.e_type != ET_DYN
        || eh.e_phentsize != gelf_fsize(elf, ELF_T_PHDR, 1, EV_CURRENT)
        || elf_getphdrnum(elf, &phnum) != 0 || phnum == 0)
    {
        ngx_cweb_errf(err, errlen, "not a shared object of this machine");
        return NGX_DECLINED;
    }

    if (ngx_cweb_elf_symbols(elf, syms) != NGX_OK) {
        ngx_cweb_errf(err, errlen, "not an ngx_cweb plugin (no readable "
                      "ABI stamp)");
        return NGX_DECLINED;
    }

    abi = ngx_cweb_elf_value(elf, pool, &syms[0]);
    layout = ngx_cweb_elf_value(elf, pool, &syms[1]);
    n = ngx_cweb_elf_value(elf, pool, &syms[2]);

    /* the array the count promises, or none */
    if (layout && n && syms[1].st_size != *n * sizeof(uint32_t)) {
        layout = NULL;
    }

    if (ngx_cweb_loader_stamp(abi, layout, n, err, errlen) != NGX_OK) {
        return NGX_DECLINED;
    }

    return NGX_OK;
}


/*
 * syms[] = the .dynsym entries of cweb_abi_version, cweb_abi_layout and
 * cweb_abi_layout_n, st_size 0 for one that is not defined there
 */

static ngx_int_t
ngx_cweb_elf_symbols(Elf *elf, GElf_Sym *syms)
{
    char        *name;
    Elf_Scn     *scn;
    GElf_Sym     sym;
    Elf_Data    *data;
    GElf_Shdr    sh;
    ngx_uint_t   i, k;

    static const char  *names[] = {
        "cweb_abi_version", "cweb_abi_layout", "cweb_abi_layout_n"
    };

    for (scn = elf_nextscn(elf, NULL); scn; scn = elf_nextscn(elf, scn)) {
        if (gelf_getshdr(scn, &sh) != NULL && sh.sh_type == SHT_DYNSYM) {
            break;
        }
    }

    data = scn ? elf_getdata(scn, NULL) : NULL;
    if (data == NULL) {
        return NGX_ERROR;
    }

    ngx_memzero(syms, 3 * sizeof(GElf_Sym));

    /* libelf checks the index and that a name ends inside .dynstr */
    for (i = 0; gelf_getsym(data, i, &sym) != NULL; i++) {
        if (sym.st_shndx == SHN_UNDEF
            || GELF_ST_TYPE(sym.st_info) != STT_OBJECT)
        {
            continue;
        }

        name = elf_strptr(elf, sh.sh_link, sym.st_name);

        for (k = 0; name && k < 3; k++) {
            if (ngx_strcmp(name, names[k]) == 0) {
                syms[k] = sym;
            }
        }
    }

    return NGX_OK;
}


/*
 * the bytes of a stamp symbol, from the segment that maps them, copied
 * into the pool (aligned, and kept after elf_end()), or NULL
 */

static uint32_t *
ngx_cweb_elf_value(Elf *elf, ngx_pool_t *pool, GElf_Sym *sym)
{
    size_t       i, phnum;
    uint32_t    *v;
    Elf_Data    *d;
    GElf_Addr    off;
    GElf_Phdr    ph;

    if (sym->st_size < sizeof(uint32_t)
        || sym->st_size > NGX_CWEB_ELF_MAX_LAYOUT * sizeof(uint32_t)
        || sym->st_size % sizeof(uint32_t) != 0
        || elf_getphdrnum(elf, &phnum) != 0)
    {
        return NULL;
    }

    for (i = 0; i < phnum; i++) {
        if (gelf_getphdr(elf, i, &ph) == NULL
            || ph.p_type != PT_LOAD
            || sym->st_value < ph.p_vaddr
            || ph.p_filesz > (GElf_Off) -1 - ph.p_offset)
        {
            continue;
        }

        off = sym->st_value - ph.p_vaddr;

        if (off > ph.p_filesz || sym->st_size > ph.p_filesz - off) {
            continue;
        }

        /* libelf checks the chunk against the file */
        d = elf_getdata_rawchunk(elf, (int64_t) (ph.p_offset + off),
                                 sym->st_size, ELF_T_BYTE);
        if (d == NULL || d->d_buf == NULL || d->d_size != sym->st_size) {
            return NULL;
        }

        v = ngx_palloc(pool, sym->st_size);
        if (v != NULL) {
            ngx_memcpy(v, d->d_buf, sym->st_size);
        }

        return v;
    }

    return NULL;
}
