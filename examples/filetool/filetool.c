/* Files and directories through the POSIX layer, step by step: make a folder, create and
 * write files (stdio and descriptors), append, read back, stat, map, list, rename, delete.
 * Every change lands in the simulated host's in-memory overlay of the package folder, so the
 * package itself is never touched. Exits 1 at the first step that fails.
 * Usage: filetool [FOLDER] (default /work). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static const char* folder = "/work";

static void fail(const char* step) {
  printf("filetool: %s: %s\n", step, strerror(errno));
  exit(1);
}

static const char* path(const char* name) {
  static char buf[2][512];
  static int which;
  which ^= 1;
  snprintf(buf[which], sizeof buf[which], "%s/%s", folder, name);
  return buf[which];
}

static void list(void) {
  DIR* d = opendir(folder);
  if (!d) fail("opendir");
  printf("filetool: listing %s:", folder);
  int n = 0;
  struct dirent* e;
  errno = 0;
  while ((e = readdir(d)) != NULL) {
    printf(" %s", e->d_name);
    n++;
  }
  if (errno) fail("readdir");
  printf(" (%d entries)\n", n);
  closedir(d);
}

static long size_of(const char* p) {
  struct stat st;
  if (stat(p, &st) < 0) fail("stat");
  return (long)st.st_size;
}

int main(int argc, char** argv) {
  if (argc > 1) folder = argv[1];

  if (mkdir(folder, 0755) < 0) fail("mkdir");
  struct stat st;
  if (stat(folder, &st) < 0 || !S_ISDIR(st.st_mode)) fail("stat folder");
  printf("filetool: made directory %s\n", folder);

  FILE* f = fopen(path("notes.txt"), "w");
  if (!f) fail("fopen notes.txt");
  for (int i = 1; i <= 3; i++) fprintf(f, "line %d of the notes\n", i);
  if (fclose(f) != 0) fail("fclose");
  printf("filetool: wrote %s, %ld bytes\n", path("notes.txt"), size_of(path("notes.txt")));

  int fd = open(path("notes.txt"), O_WRONLY | O_APPEND);
  if (fd < 0) fail("open for append");
  const char extra[] = "an appended line\n";
  if (write(fd, extra, sizeof extra - 1) != (ssize_t)(sizeof extra - 1)) fail("append");
  close(fd);
  printf("filetool: appended, now %ld bytes\n", size_of(path("notes.txt")));

  f = fopen(path("notes.txt"), "r");
  if (!f) fail("fopen for reading");
  char line[128];
  int lines = 0;
  while (fgets(line, sizeof line, f)) {
    printf("filetool: read: %s", line);
    lines++;
  }
  fclose(f);
  if (lines != 4) {
    errno = EIO;
    fail("line count");
  }

  fd = open(path("data.bin"), O_RDWR | O_CREAT | O_EXCL, 0600);
  if (fd < 0) fail("create data.bin");
  char block[4096];
  for (size_t i = 0; i < sizeof block; i++) block[i] = (char)('a' + i % 26);
  if (write(fd, block, sizeof block) != (ssize_t)sizeof block) fail("write data.bin");
  if (pwrite(fd, "XYZ", 3, 100) != 3) fail("pwrite");
  if (lseek(fd, 0, SEEK_END) != (off_t)sizeof block) fail("lseek");
  if (ftruncate(fd, 2000) < 0) fail("ftruncate");
  if (fstat(fd, &st) < 0) fail("fstat");
  printf("filetool: data.bin is %ld bytes, mode %o\n", (long)st.st_size, st.st_mode & 0777);
  char* map = mmap(NULL, 2000, PROT_READ, MAP_PRIVATE, fd, 0);
  if (map == MAP_FAILED) fail("mmap");
  printf("filetool: mapped data.bin, bytes 98..105 are \"%.8s\"\n", map + 98);
  munmap(map, 2000);
  close(fd);
  if (open(path("data.bin"), O_RDWR | O_CREAT | O_EXCL, 0600) >= 0 || errno != EEXIST)
    fail("O_EXCL on an existing file");
  printf("filetool: creating data.bin again: %s\n", strerror(errno));

  list();
  if (rename(path("notes.txt"), path("notes.old")) < 0) fail("rename");
  printf("filetool: renamed notes.txt to notes.old\n");
  list();
  if (stat(path("notes.txt"), &st) == 0 || errno != ENOENT) fail("stat of the old name");
  printf("filetool: stat notes.txt: %s\n", strerror(errno));

  if (unlink(path("notes.old")) < 0 || unlink(path("data.bin")) < 0) fail("unlink");
  printf("filetool: deleted both files\n");
  list();
  if (rmdir(folder) < 0) fail("rmdir");
  if (opendir(folder) != NULL || errno != ENOENT) fail("opendir after rmdir");
  printf("filetool: removed %s; opendir now says: %s\n", folder, strerror(errno));
  printf("filetool: ok\n");
  return 0;
}
