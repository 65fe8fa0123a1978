/* mmap and friends. Anonymous memory is plain Dk virtual memory; file mappings are
 * DkStreamMap and must be undone with DkStreamUnmap, so the libos remembers which ranges came
 * from files to send munmap the right way. */
#include <dk/dkcalls.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>

#include "libos_internal.h"

#define LIBOS_FILE_MAPS 64

static libos_lock_t maps_lock = LIBOS_LOCK_INIT;
static struct { uint64_t start, end; } file_maps[LIBOS_FILE_MAPS];

static uint32_t dk_prot(int prot) {
  uint32_t p = 0;
  if (prot & PROT_READ) p |= DK_PROT_READ;
  if (prot & PROT_WRITE) p |= DK_PROT_WRITE;
  if (prot & PROT_EXEC) p |= DK_PROT_EXEC;
  return p;
}

static uint64_t page_up(uint64_t n) {
  return (n + DK_PAGE_SIZE - 1) & ~(DK_PAGE_SIZE - 1);
}

void* mmap(void* addr, size_t length, int prot, int flags, int fd, off_t offset) {
  int share = flags & (MAP_SHARED | MAP_PRIVATE);
  if (length == 0 || (share != MAP_SHARED && share != MAP_PRIVATE) ||
      ((uintptr_t)addr & (DK_PAGE_SIZE - 1) && (flags & MAP_FIXED)) || offset < 0 ||
      (uint64_t)offset & (DK_PAGE_SIZE - 1) || length > DK_USER_HIGH) {
    errno = EINVAL;
    return MAP_FAILED;
  }
  uint64_t size = page_up(length);
  /* Without MAP_FIXED the address is only a hint, and Dk takes none: the host picks. */
  void* where = (flags & MAP_FIXED) ? addr : 0;

  if (flags & MAP_ANONYMOUS) {
    uint32_t alloc = DK_ALLOC_COMMIT | ((flags & MAP_FIXED) ? DK_ALLOC_REPLACE : 0);
    dk_status_t st = DkVirtualMemoryAllocate(&where, size, alloc, dk_prot(prot));
    if (st < 0) {
      libos_fail(st);
      return MAP_FAILED;
    }
    return where;
  }

  struct libos_ofd* o = libos_fd_get(fd);
  if (!o) return MAP_FAILED;
  libos_ofd_probe(o);
  void* r = MAP_FAILED;
  if (o->kind != LIBOS_FD_FILE) {
    errno = ENODEV;
  } else if ((o->flags & O_ACCMODE) == O_WRONLY) {
    errno = EACCES;
  } else {
    uint32_t p = dk_prot(prot);
    if (share == MAP_SHARED && (prot & PROT_WRITE)) p |= DK_MAP_SHARED;
    libos_lock(&maps_lock);
    int slot = -1;
    for (int i = 0; i < LIBOS_FILE_MAPS && slot < 0; i++)
      if (file_maps[i].start == file_maps[i].end) slot = i;
    if (slot < 0) {
      errno = ENOMEM;
    } else {
      dk_status_t st = DkStreamMap(o->handle, &where, p, (uint64_t)offset, size);
      if (st < 0) {
        libos_fail(st);
      } else {
        file_maps[slot].start = (uint64_t)(uintptr_t)where;
        file_maps[slot].end = (uint64_t)(uintptr_t)where + size;
        r = where;
      }
    }
    libos_unlock(&maps_lock);
  }
  libos_ofd_put(o);
  return r;
}

int munmap(void* addr, size_t length) {
  uint64_t start = (uint64_t)(uintptr_t)addr;
  if (start & (DK_PAGE_SIZE - 1) || length == 0) {
    errno = EINVAL;
    return -1;
  }
  uint64_t end = start + page_up(length);
  dk_status_t st = 0;
  int from_file = 0;
  libos_lock(&maps_lock);
  for (int i = 0; i < LIBOS_FILE_MAPS; i++) {
    if (file_maps[i].start < end && start < file_maps[i].end) {
      from_file = 1;
      /* Unmapping the whole record forgets it; a part leaves the record as it was, which
       * only makes a later munmap of the rest take this path again. */
      if (start <= file_maps[i].start && end >= file_maps[i].end)
        file_maps[i].start = file_maps[i].end = 0;
    }
  }
  libos_unlock(&maps_lock);
  st = from_file ? DkStreamUnmap(addr, end - start) : DkVirtualMemoryFree(addr, end - start);
  return st < 0 ? libos_fail(st) : 0;
}

int mprotect(void* addr, size_t length, int prot) {
  if ((uintptr_t)addr & (DK_PAGE_SIZE - 1)) {
    errno = EINVAL;
    return -1;
  }
  dk_status_t st = DkVirtualMemoryProtect(addr, page_up(length), dk_prot(prot));
  if (st == -DK_E_FAULT) st = -DK_E_NOMEM; /* POSIX: unmapped pages in the range */
  return st < 0 ? libos_fail(st) : 0;
}
