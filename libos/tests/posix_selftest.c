/* The POSIX layer checked from inside a picoprocess: the status-to-errno table, errno per
 * thread, the descriptor table, paths, addresses, pthreads, time, memory, pipes, files and
 * directories. A piece the host does not offer (threads without the thread upcall, files the
 * policy does not grant) is reported as skipped, not failed. */
#include <arpa/inet.h>
#include <dirent.h>
#include <dk/dkcalls.h>
#include <dk/libos.h>
#include <dk/posix.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "selftest.h"

static void test_errno_table(void) {
  CHECK(dk_errno_from_status(0) == 0 && dk_errno_from_status(5) == 0);
  CHECK(dk_errno_from_status(-DK_E_INVAL) == EINVAL);
  CHECK(dk_errno_from_status(-DK_E_FAULT) == EFAULT);
  CHECK(dk_errno_from_status(-DK_E_BADHANDLE) == EBADF);
  CHECK(dk_errno_from_status(-DK_E_NOMEM) == ENOMEM);
  CHECK(dk_errno_from_status(-DK_E_ACCESS) == EACCES);
  CHECK(dk_errno_from_status(-DK_E_NOENT) == ENOENT);
  CHECK(dk_errno_from_status(-DK_E_EXIST) == EEXIST);
  CHECK(dk_errno_from_status(-DK_E_AGAIN) == EAGAIN);
  CHECK(dk_errno_from_status(-DK_E_TIMEOUT) == ETIMEDOUT);
  CHECK(dk_errno_from_status(-DK_E_INTERRUPTED) == EINTR);
  CHECK(dk_errno_from_status(-DK_E_PIPE) == EPIPE);
  CHECK(dk_errno_from_status(-DK_E_NOTSUP) == EOPNOTSUPP);
  CHECK(dk_errno_from_status(-DK_E_QUOTA) == EDQUOT);
  CHECK(dk_errno_from_status(-DK_E_RANGE) == ERANGE);
  CHECK(dk_errno_from_status(-DK_E_BUSY) == EBUSY);
  CHECK(dk_errno_from_status(-DK_E_NOTCONN) == ENOTCONN);
  CHECK(dk_errno_from_status(-DK_E_CONNREFUSED) == ECONNREFUSED);
  CHECK(dk_errno_from_status(-DK_E_ISDIR) == EISDIR);
  CHECK(dk_errno_from_status(-DK_E_NOTDIR) == ENOTDIR);
  CHECK(dk_errno_from_status(-DK_E_WRONGTYPE) == EINVAL);
  CHECK(dk_errno_from_status(-DK_E_NAMETOOLONG) == ENAMETOOLONG);
  CHECK(dk_errno_from_status(-DK_E_OVERFLOW) == EOVERFLOW);
  CHECK(dk_errno_from_status(-(DK_E_MAX + 1)) == EIO);
  errno = 0;
  CHECK(dk_fail(-DK_E_NOENT) == -1 && errno == ENOENT);
  CHECK(strcmp(strerror(ENOENT), "No such file or directory") == 0);
  CHECK(strcmp(strerror(12345), "Unknown error") == 0);
}

static void test_paths(void) {
  char uri[64];
  CHECK(dk_path_uri("file:", "/a/./b//c/../d", uri, sizeof uri) == 11 &&
        strcmp(uri, "file:/a/b/d") == 0);
  CHECK(dk_path_uri("file:", "x/y", uri, sizeof uri) > 0 && strcmp(uri, "file:/x/y") == 0);
  CHECK(dk_path_uri("dir:", "/../..", uri, sizeof uri) > 0 && strcmp(uri, "dir:/") == 0);
  CHECK(dk_path_uri("file:", "dev:null", uri, sizeof uri) > 0 && strcmp(uri, "dev:null") == 0);
  CHECK(dk_path_uri("file:", "pipe.server:x", uri, sizeof uri) > 0 &&
        strcmp(uri, "pipe.server:x") == 0);
  CHECK(dk_path_uri("file:", "a:b/c", uri, sizeof uri) > 0 && strcmp(uri, "a:b/c") == 0);
  CHECK(dk_path_uri("file:", "a/b:c", uri, sizeof uri) > 0 && strcmp(uri, "file:/a/b:c") == 0);
  errno = 0;
  CHECK(dk_path_uri("file:", "/a/long/path/that/does/not/fit", uri, 12) == -1 &&
        errno == ENAMETOOLONG);
  CHECK(dk_path_uri("file:", "", uri, sizeof uri) == -1 && errno == ENOENT);
  char cwd[16];
  CHECK(getcwd(cwd, sizeof cwd) == cwd && strcmp(cwd, "/") == 0);
  CHECK(getcwd(cwd, 1) == NULL && errno == ERANGE);
}

static void test_inet(void) {
  CHECK(htons(0x1234) == 0x3412 && ntohl(htonl(0x01020304)) == 0x01020304);
  CHECK(inet_addr("127.0.0.1") == htonl(INADDR_LOOPBACK));
  CHECK(inet_addr("256.0.0.1") == INADDR_NONE && inet_addr("1.2.3") == INADDR_NONE);
  CHECK(inet_addr("1.2.3.4x") == INADDR_NONE);
  struct in_addr a;
  char text[INET_ADDRSTRLEN];
  CHECK(inet_aton("10.0.200.7", &a) == 1 && strcmp(inet_ntoa(a), "10.0.200.7") == 0);
  CHECK(inet_ntop(AF_INET, &a, text, sizeof text) == text && strcmp(text, "10.0.200.7") == 0);
  CHECK(inet_ntop(AF_INET, &a, text, 4) == NULL);
  errno = 0;
  CHECK(socket(AF_UNSPEC + 10, SOCK_STREAM, 0) == -1 && errno == EAFNOSUPPORT);
  CHECK(socket(AF_INET, 7, 0) == -1 && errno == EPROTONOSUPPORT);
  int s = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(s >= 3);
  char c;
  CHECK(read(s, &c, 1) == -1 && errno == ENOTCONN);
  CHECK(send(1, "x", 1, 0) == -1 && errno == ENOTSOCK);
  struct sockaddr_in sa;
  socklen_t len = sizeof sa;
  CHECK(getpeername(s, (struct sockaddr*)&sa, &len) == -1 && errno == ENOTCONN);
  CHECK(getsockname(s, (struct sockaddr*)&sa, &len) == 0 && sa.sin_family == AF_INET);
  CHECK(close(s) == 0);
}

/* The descriptor table on the standard descriptors: nothing here needs more than the boot
 * handles. */
static void test_fds(void) {
  errno = 0;
  CHECK(write(-1, "x", 1) == -1 && errno == EBADF);
  CHECK(read(1024, NULL, 0) == -1 && errno == EBADF);
  CHECK(close(77) == -1 && errno == EBADF);
  int d = dup(1);
  CHECK(d >= 3);
  CHECK(dk_fd_handle(d) == dk_fd_handle(1));
  CHECK(fcntl(d, F_GETFL) == O_WRONLY);
  CHECK(write(d, "", 0) == 0);
  CHECK(read(d, NULL, 0) == -1 && errno == EBADF); /* stdout is write-only */
  CHECK(dup2(d, 40) == 40 && dk_fd_handle(40) == dk_fd_handle(1));
  CHECK(dup2(40, 40) == 40);
  CHECK(close(40) == 0 && close(d) == 0);
  CHECK(dk_fd_handle(d) == 0 && errno == EBADF);
  /* The console is a stream, not a file: no seeking. */
  CHECK(lseek(1, 0, SEEK_CUR) == -1 && errno == ESPIPE);
  CHECK(pwrite(1, "x", 1, 0) == -1 && errno == ESPIPE);
  struct stat st;
  CHECK(fstat(1, &st) == 0 && S_ISCHR(st.st_mode));
  CHECK(fstat(-3, &st) == -1 && errno == EBADF);
  /* The first picoprocess has no parent. */
  if (dk_boot_info_get()->parent == 0) CHECK(dk_parent_fd() == -1 && errno == EBADF);
  CHECK(waitpid(-1, NULL, 0) == -1 && errno == ECHILD);
}

static void test_time(void) {
  struct timespec a, b, m;
  CHECK(clock_gettime(CLOCK_REALTIME, &a) == 0 && a.tv_sec > 1341964799);
  CHECK(clock_gettime(CLOCK_MONOTONIC, &m) == 0 && m.tv_sec >= 0);
  CHECK(clock_gettime(99, &a) == -1 && errno == EINVAL);
  struct timespec ms = {0, 1000000};
  CHECK(clock_gettime(CLOCK_REALTIME, &a) == 0);
  if (nanosleep(&ms, NULL) < 0 && errno == EOPNOTSUPP) {
    printf("nanosleep: not supported by this host, skipped\n");
  } else {
    CHECK(clock_gettime(CLOCK_REALTIME, &b) == 0);
    long long waited = (long long)(b.tv_sec - a.tv_sec) * 1000000000ll + (b.tv_nsec - a.tv_nsec);
    CHECK(waited >= 1000000);
  }
  struct timespec bad = {0, 1000000000l};
  CHECK(nanosleep(&bad, NULL) == -1 && errno == EINVAL);
  CHECK(time(NULL) >= a.tv_sec);
  unsigned char r1[32] = {0}, r2[32] = {0};
  CHECK(getrandom(r1, sizeof r1, 0) == 32 && getrandom(r2, sizeof r2, 0) == 32 &&
        memcmp(r1, r2, 32) != 0);
}

static void test_memory(void) {
  char* p = mmap(NULL, 10000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(p != MAP_FAILED);
  if (p == MAP_FAILED) return;
  CHECK(p[0] == 0 && p[9999] == 0);
  p[8191] = 7;
  CHECK(mprotect(p, 4096, PROT_READ) == 0);
  CHECK(munmap(p, 12288) == 0);
  CHECK(mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED &&
        errno == EINVAL);
  CHECK(mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, 1, 0) == MAP_FAILED && errno == ENODEV);
}

/* ---- threads ---- */

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static long shared;
static int stage;
static int once_runs;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static pthread_key_t key;

static void once_fn(void) {
  once_runs++;
}

static void* worker(void* arg) {
  errno = 1000 + (int)(long)arg; /* this thread's own errno */
  pthread_once(&once, once_fn);
  pthread_setspecific(key, arg);
  for (int i = 0; i < 500; i++) {
    pthread_mutex_lock(&m);
    shared++;
    pthread_mutex_unlock(&m);
  }
  pthread_mutex_lock(&m);
  stage++;
  pthread_cond_broadcast(&cv);
  pthread_mutex_unlock(&m);
  int mine = errno == 1000 + (int)(long)arg && pthread_getspecific(key) == arg;
  return (void*)(long)mine;
}

static void test_threads(void) {
  pthread_t t[3];
  CHECK(pthread_key_create(&key, NULL) == 0);
  pthread_setspecific(key, (void*)99);
  errno = 5;
  int rc = pthread_create(&t[0], NULL, worker, (void*)1L);
  if (rc == EOPNOTSUPP) {
    printf("pthreads: not supported by this host, skipped\n");
    return;
  }
  CHECK(rc == 0);
  if (rc != 0) return;
  CHECK(pthread_create(&t[1], NULL, worker, (void*)2L) == 0);
  CHECK(pthread_create(&t[2], NULL, worker, (void*)3L) == 0);
  pthread_mutex_lock(&m);
  while (stage < 3) pthread_cond_wait(&cv, &m);
  pthread_mutex_unlock(&m);
  for (int i = 0; i < 3; i++) {
    void* ok = NULL;
    CHECK(pthread_join(t[i], &ok) == 0 && ok == (void*)1L);
  }
  CHECK(shared == 1500 && once_runs == 1);
  CHECK(errno == 5 && pthread_getspecific(key) == (void*)99);
  CHECK(pthread_join(pthread_self(), NULL) == EDEADLK);

  /* A timed wait that nobody signals times out, and the mutex is held again after. */
  struct timespec until;
  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_nsec += 2000000;
  if (until.tv_nsec >= 1000000000l) {
    until.tv_sec++;
    until.tv_nsec -= 1000000000l;
  }
  pthread_mutex_lock(&m);
  CHECK(pthread_cond_timedwait(&cv, &m, &until) == ETIMEDOUT);
  CHECK(pthread_mutex_trylock(&m) == EBUSY);
  pthread_mutex_unlock(&m);

  pthread_mutex_t r;
  pthread_mutexattr_t ra;
  pthread_mutexattr_init(&ra);
  pthread_mutexattr_settype(&ra, PTHREAD_MUTEX_RECURSIVE);
  pthread_mutex_init(&r, &ra);
  CHECK(pthread_mutex_lock(&r) == 0 && pthread_mutex_lock(&r) == 0);
  CHECK(pthread_mutex_unlock(&r) == 0 && pthread_mutex_unlock(&r) == 0);
  CHECK(pthread_mutex_unlock(&r) == EPERM);
  CHECK(pthread_mutex_destroy(&r) == 0);

  sem_t s;
  int v = -1;
  CHECK(sem_init(&s, 0, 1) == 0 && sem_trywait(&s) == 0);
  CHECK(sem_trywait(&s) == -1 && errno == EAGAIN);
  CHECK(sem_post(&s) == 0 && sem_getvalue(&s, &v) == 0 && v == 1);
  CHECK(sem_destroy(&s) == 0);
}

/* ---- pipes, files, directories: only where the host offers them ---- */

static void test_pipe(void) {
  int p[2];
  if (pipe(p) < 0) {
    printf("pipe: %s, skipped\n", strerror(errno));
    return;
  }
  char buf[16] = {0};
  CHECK(write(p[1], "through", 7) == 7);
  CHECK(read(p[0], buf, sizeof buf) == 7 && memcmp(buf, "through", 7) == 0);
  CHECK(write(p[0], "x", 1) == -1 && errno == EBADF);
  CHECK(lseek(p[0], 0, SEEK_SET) == -1 && errno == ESPIPE);
  struct stat st;
  CHECK(fstat(p[0], &st) == 0 && S_ISFIFO(st.st_mode));
  CHECK(close(p[1]) == 0);
  CHECK(read(p[0], buf, sizeof buf) == 0); /* end of stream once the writer is gone */
  CHECK(close(p[0]) == 0);
}

static void test_udp(void) {
  int rx = socket(AF_INET, SOCK_DGRAM, 0), tx = socket(AF_INET, SOCK_DGRAM, 0);
  CHECK(rx >= 0 && tx >= 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(9999)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(rx, (struct sockaddr*)&a, sizeof a) < 0) {
    printf("udp: bind: %s, skipped\n", strerror(errno));
  } else {
    CHECK(send(tx, "d", 1, 0) == -1 && errno == EDESTADDRREQ);
    CHECK(sendto(tx, "datagram", 8, 0, (struct sockaddr*)&a, sizeof a) == 8);
    char buf[16] = {0};
    struct sockaddr_in from;
    socklen_t len = sizeof from;
    CHECK(recvfrom(rx, buf, sizeof buf, 0, (struct sockaddr*)&from, &len) == 8 &&
          memcmp(buf, "datagram", 8) == 0 && len == sizeof from && from.sin_family == AF_INET);
  }
  close(rx);
  close(tx);
}

static void test_files(void) {
  if (mkdir("/selftest", 0700) < 0) {
    printf("files: mkdir: %s, skipped\n", strerror(errno));
    return;
  }
  CHECK(mkdir("/selftest", 0700) == -1 && errno == EEXIST);
  CHECK(chdir("/selftest") == 0);
  int fd = open("f", O_RDWR | O_CREAT | O_TRUNC, 0640);
  CHECK(fd >= 0);
  CHECK(write(fd, "hello world", 11) == 11);
  CHECK(lseek(fd, 0, SEEK_CUR) == 11 && lseek(fd, -5, SEEK_END) == 6);
  char buf[32] = {0};
  CHECK(read(fd, buf, sizeof buf) == 5 && memcmp(buf, "world", 5) == 0);
  CHECK(read(fd, buf, sizeof buf) == 0);
  CHECK(pread(fd, buf, 5, 0) == 5 && memcmp(buf, "hello", 5) == 0);
  CHECK(lseek(fd, 0, SEEK_CUR) == 11); /* pread leaves the offset alone */
  CHECK(lseek(fd, -20, SEEK_CUR) == -1 && errno == EINVAL);
  int d = dup(fd);
  CHECK(lseek(d, 2, SEEK_SET) == 2 && lseek(fd, 0, SEEK_CUR) == 2); /* one shared offset */
  close(d);
  CHECK(ftruncate(fd, 4) == 0);
  struct stat st;
  CHECK(fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 4 &&
        (st.st_mode & 0777) == 0640);
  CHECK(close(fd) == 0);
  CHECK(stat("/selftest/f", &st) == 0 && st.st_size == 4);
  CHECK(stat("/selftest", &st) == 0 && S_ISDIR(st.st_mode));
  CHECK(open("missing", O_RDONLY) == -1 && errno == ENOENT);
  CHECK(open("f", O_RDWR | O_CREAT | O_EXCL, 0600) == -1 && errno == EEXIST);
  CHECK(open("f/x", O_RDONLY) == -1 && errno == ENOTDIR);

  FILE* f = fopen("g", "w+");
  CHECK(f != NULL);
  if (f) {
    CHECK(fprintf(f, "%d apples\n%s\n", 3, "pears") == 15);
    CHECK(ftell(f) == 15);
    rewind(f);
    char line[32];
    CHECK(fgets(line, sizeof line, f) && strcmp(line, "3 apples\n") == 0);
    CHECK(ftell(f) == 9);
    CHECK(fputs("PEARS", f) == 0);
    CHECK(fseek(f, 0, SEEK_SET) == 0 && fread(line, 1, 15, f) == 15 &&
          memcmp(line, "3 apples\nPEARS\n", 15) == 0);
    CHECK(fgetc(f) == EOF && feof(f));
    CHECK(fclose(f) == 0);
  }
  fd = open("g", O_WRONLY | O_APPEND);
  CHECK(fd >= 0 && write(fd, "!", 1) == 1 && close(fd) == 0);
  CHECK(stat("g", &st) == 0 && st.st_size == 16);

  CHECK(rename("g", "h") == 0);
  CHECK(access("g", F_OK) == -1 && errno == ENOENT && access("h", R_OK | W_OK) == 0);
  CHECK(mkdir("sub", 0700) == 0 && rename("sub", "sub2") == 0);
  CHECK(rmdir("/selftest") == -1 && errno == ENOTEMPTY);
  CHECK(unlink("sub2") == -1 && errno == EISDIR);

  DIR* dir = opendir(".");
  CHECK(dir != NULL);
  if (dir) {
    char names[64] = "";
    struct dirent* e;
    while ((e = readdir(dir)) != NULL) {
      strcat(names, e->d_name);
      strcat(names, ",");
    }
    CHECK(strcmp(names, "f,h,sub2,") == 0);
    rewinddir(dir);
    e = readdir(dir);
    CHECK(e && strcmp(e->d_name, "f") == 0 && e->d_ino == 1);
    CHECK(closedir(dir) == 0);
  }
  CHECK(opendir("f") == NULL && errno == ENOTDIR);

  fd = open("f", O_RDWR);
  char* map = fd < 0 ? MAP_FAILED : mmap(NULL, 4, PROT_READ, MAP_PRIVATE, fd, 0);
  CHECK(map != MAP_FAILED && memcmp(map, "hell", 4) == 0);
  if (map != MAP_FAILED) CHECK(munmap(map, 4) == 0);
  close(fd);

  CHECK(unlink("f") == 0 && unlink("h") == 0 && rmdir("sub2") == 0);
  CHECK(unlink("f") == -1 && errno == ENOENT);
  CHECK(chdir("/") == 0 && rmdir("/selftest") == 0);
  CHECK(chdir("/selftest") == -1 && errno == ENOENT);
}

void test_posix(void) {
  test_errno_table();
  test_paths();
  test_inet();
  test_fds();
  test_time();
  test_memory();
  test_threads();
  test_pipe();
  test_udp();
  test_files();
}
