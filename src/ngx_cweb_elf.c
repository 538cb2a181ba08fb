
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
 * The file is a plugin's output: every offset and size is checked against
 * what was read, reads are pread()s of bounded size (no mmap, whose pages
 * a truncation turns into SIGBUS), and only objects of this machine's
 * ELF class and byte order are understood; anything else is "not this
 * server's" and gets rebuilt.
 */


#include "ngx_cweb.h"
#include "ngx_cweb_loader.h"

#include <link.h>


#define NGX_CWEB_ELF_MAX_SHNUM    4096
#define NGX_CWEB_ELF_MAX_PHNUM    256
#define NGX_CWEB_ELF_MAX_TABLE    (16 * 1024 * 1024)
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


typedef struct {
    ngx_fd_t                    fd;
    ngx_pool_t                 *pool;
    off_t                       size;
    ElfW(Phdr)                 *ph;
    ngx_uint_t                  phnum;
} ngx_cweb_elf_t;


static void *ngx_cweb_elf_read(ngx_cweb_elf_t *elf, off_t off, size_t size);
static ngx_int_t ngx_cweb_elf_symbols(ngx_cweb_elf_t *elf, ElfW(Ehdr) *eh,
    ElfW(Sym) **syms);
static uint32_t *ngx_cweb_elf_value(ngx_cweb_elf_t *elf, ElfW(Sym) *sym);


/*
 * NGX_OK: the object at path carries this server's stamp; NGX_DECLINED:
 * it does not, or it cannot be read, err says why
 */

ngx_int_t
ngx_cweb_elf_stamp(u_char *path, ngx_pool_t *pool, u_char *err,
    size_t errlen)
{
    uint32_t         *abi, *layout, *n;
    ngx_int_t         rc;
    ElfW(Sym)        *syms[3];
    ElfW(Ehdr)       *eh;
    ngx_cweb_elf_t    elf;
    ngx_file_info_t   fi;

    elf.pool = pool;
    elf.fd = open((char *) path, O_RDONLY|O_NOFOLLOW|O_CLOEXEC);

    if (elf.fd == NGX_INVALID_FILE) {
        ngx_cweb_errf(err, errlen, "it cannot be opened: %s",
                      strerror(ngx_errno));
        return NGX_DECLINED;
    }

    rc = NGX_DECLINED;

    if (ngx_fd_info(elf.fd, &fi) == NGX_FILE_ERROR) {
        ngx_cweb_errf(err, errlen, "it cannot be read: %s",
                      strerror(ngx_errno));
        goto done;
    }

    elf.size = ngx_file_size(&fi);

    eh = ngx_cweb_elf_read(&elf, 0, sizeof(ElfW(Ehdr)));

    if (eh == NULL
        || ngx_memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0
        || eh->e_ident[EI_CLASS] != NGX_CWEB_ELF_CLASS
        || eh->e_ident[EI_DATA] != NGX_CWEB_ELF_DATA
        || eh->e_type != ET_DYN
        || eh->e_phentsize != sizeof(ElfW(Phdr))
        || eh->e_phnum == 0 || eh->e_phnum > NGX_CWEB_ELF_MAX_PHNUM)
    {
        ngx_cweb_errf(err, errlen, "not a shared object of this machine");
        goto done;
    }

    elf.phnum = eh->e_phnum;
    elf.ph = ngx_cweb_elf_read(&elf, eh->e_phoff,
                               elf.phnum * sizeof(ElfW(Phdr)));

    if (elf.ph == NULL || ngx_cweb_elf_symbols(&elf, eh, syms) != NGX_OK) {
        ngx_cweb_errf(err, errlen, "not an ngx_cweb plugin (no readable "
                      "ABI stamp)");
        goto done;
    }

    abi = syms[0] ? ngx_cweb_elf_value(&elf, syms[0]) : NULL;
    layout = syms[1] ? ngx_cweb_elf_value(&elf, syms[1]) : NULL;
    n = syms[2] ? ngx_cweb_elf_value(&elf, syms[2]) : NULL;

    /* the array the count promises, or none */
    if (layout && n && syms[1]->st_size != *n * sizeof(uint32_t)) {
        layout = NULL;
    }

    if (ngx_cweb_loader_stamp(abi, layout, n, err, errlen) == NGX_OK) {
        rc = NGX_OK;
    }

done:

    (void) ngx_close_file(elf.fd);
    return rc;
}


/* size bytes at off, all of them inside the file, or NULL */

static void *
ngx_cweb_elf_read(ngx_cweb_elf_t *elf, off_t off, size_t size)
{
    u_char   *buf;
    ssize_t   n;

    if (off < 0 || off > elf->size || (off_t) size > elf->size - off) {
        return NULL;
    }

    buf = ngx_palloc(elf->pool, size ? size : 1);
    if (buf == NULL) {
        return NULL;
    }

    n = pread(elf->fd, buf, size, off);

    return (n == (ssize_t) size) ? buf : NULL;
}


/*
 * syms[] = the .dynsym entries of cweb_abi_version, cweb_abi_layout and
 * cweb_abi_layout_n, NULL for one that is not defined there
 */

static ngx_int_t
ngx_cweb_elf_symbols(ngx_cweb_elf_t *elf, ElfW(Ehdr) *eh, ElfW(Sym) **syms)
{
    u_char      *str;
    ElfW(Sym)   *sym;
    ngx_uint_t   i, k, nsyms;
    ElfW(Shdr)  *sh, *dynsym, *dynstr;

    static const char  *names[] = {
        "cweb_abi_version", "cweb_abi_layout", "cweb_abi_layout_n"
    };

    if (eh->e_shentsize != sizeof(ElfW(Shdr))
        || eh->e_shnum == 0 || eh->e_shnum > NGX_CWEB_ELF_MAX_SHNUM)
    {
        return NGX_ERROR;
    }

    sh = ngx_cweb_elf_read(elf, eh->e_shoff,
                           eh->e_shnum * sizeof(ElfW(Shdr)));
    if (sh == NULL) {
        return NGX_ERROR;
    }

    for (i = 0; i < eh->e_shnum; i++) {
        if (sh[i].sh_type == SHT_DYNSYM) {
            break;
        }
    }

    if (i == eh->e_shnum || sh[i].sh_link >= eh->e_shnum
        || sh[i].sh_entsize != sizeof(ElfW(Sym))
        || sh[i].sh_size > NGX_CWEB_ELF_MAX_TABLE
        || sh[sh[i].sh_link].sh_size > NGX_CWEB_ELF_MAX_TABLE
        || sh[sh[i].sh_link].sh_size == 0)
    {
        return NGX_ERROR;
    }

    dynsym = &sh[i];
    dynstr = &sh[dynsym->sh_link];

    sym = ngx_cweb_elf_read(elf, dynsym->sh_offset, dynsym->sh_size);
    str = ngx_cweb_elf_read(elf, dynstr->sh_offset, dynstr->sh_size);
    if (sym == NULL || str == NULL) {
        return NGX_ERROR;
    }

    /* names are compared within the table, never past its end */
    str[dynstr->sh_size - 1] = '\0';

    nsyms = dynsym->sh_size / sizeof(ElfW(Sym));
    syms[0] = syms[1] = syms[2] = NULL;

    /* (ELF32_ST_TYPE: st_info has the same bits in both classes) */
    for (i = 0; i < nsyms; i++) {
        if (sym[i].st_name >= dynstr->sh_size
            || sym[i].st_shndx == SHN_UNDEF
            || ELF32_ST_TYPE(sym[i].st_info) != STT_OBJECT)
        {
            continue;
        }

        for (k = 0; k < 3; k++) {
            if (ngx_strcmp(str + sym[i].st_name, names[k]) == 0) {
                syms[k] = &sym[i];
            }
        }
    }

    return NGX_OK;
}


/* the bytes of a stamp symbol, from the segment that maps them */

static uint32_t *
ngx_cweb_elf_value(ngx_cweb_elf_t *elf, ElfW(Sym) *sym)
{
    ngx_uint_t   i;
    ElfW(Addr)   v;
    ElfW(Phdr)  *ph;

    v = sym->st_value;

    if (sym->st_size < sizeof(uint32_t)
        || sym->st_size > NGX_CWEB_ELF_MAX_LAYOUT * sizeof(uint32_t)
        || sym->st_size % sizeof(uint32_t) != 0)
    {
        return NULL;
    }

    for (i = 0; i < elf->phnum; i++) {
        ph = &elf->ph[i];

        if (ph->p_type == PT_LOAD && v >= ph->p_vaddr
            && v - ph->p_vaddr <= ph->p_filesz
            && sym->st_size <= ph->p_filesz - (v - ph->p_vaddr))
        {
            return ngx_cweb_elf_read(elf,
                                     (off_t) (ph->p_offset
                                              + (v - ph->p_vaddr)),
                                     sym->st_size);
        }
    }

    return NULL;
}
