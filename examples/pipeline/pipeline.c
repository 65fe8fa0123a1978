/* Two picoprocesses in a pipeline. The parent starts its own image again ("self:") with the
 * argument "child", sends it lines over the parent/child stream and then over a named pipe
 * (pipe.server:pipeline, which the child reaches as pipe:pipeline); the child upper-cases
 * each line and sends it back. Both print what they see, and the parent waits for the
 * child's exit code (the number of lines it handled).
 * Usage: pipeline [LINE...] (default three lines). */
#include <ctype.h>
#include <dk/dkcalls.h>
#include <dk/posix.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define PIPE_NAME "pipeline"

/* Reads one line (without its newline) from a stream descriptor, a byte at a time so that
 * nothing past the line is taken from the stream. 0 at end of stream. */
static int read_line(int fd, char* buf, size_t size) {
  size_t n = 0;
  for (;;) {
    char c;
    ssize_t k = read(fd, &c, 1);
    if (k < 0) return -1;
    if (k == 0) {
      if (n == 0) return 0;
      break;
    }
    if (c == '\n') break;
    if (n + 1 < size) buf[n++] = c;
  }
  buf[n] = '\0';
  return 1;
}

static int write_line(int fd, const char* s) {
  size_t n = strlen(s);
  return (write(fd, s, n) == (ssize_t)n && write(fd, "\n", 1) == 1) ? 0 : -1;
}

/* The child: serve one stream until the line "." and report how many lines it changed. */
static int serve(int fd, const char* via) {
  char line[256];
  int handled = 0;
  while (read_line(fd, line, sizeof line) > 0) {
    if (strcmp(line, ".") == 0) break;
    for (char* p = line; *p; p++) *p = (char)toupper((unsigned char)*p);
    printf("child: %s via %s\n", line, via);
    if (write_line(fd, line) < 0) return -1;
    handled++;
  }
  return handled;
}

static int child_main(void) {
  int parent = dk_parent_fd();
  if (parent < 0) {
    fprintf(stderr, "child: no parent stream: %s\n", strerror(errno));
    return 100;
  }
  int a = serve(parent, "parent stream");
  int pipe_fd = open("pipe:" PIPE_NAME, O_RDWR);
  if (pipe_fd < 0) {
    fprintf(stderr, "child: open pipe:" PIPE_NAME ": %s\n", strerror(errno));
    return 101;
  }
  int b = serve(pipe_fd, "named pipe");
  close(pipe_fd);
  if (a < 0 || b < 0) return 102;
  return a + b;
}

/* The parent's half of one exchange: each line out, its answer back. */
static int exchange(int fd, const char* via, char** lines, int count) {
  char answer[256];
  for (int i = 0; i < count; i++) {
    if (write_line(fd, lines[i]) < 0 || read_line(fd, answer, sizeof answer) <= 0) {
      fprintf(stderr, "parent: exchange via %s failed: %s\n", via, strerror(errno));
      return -1;
    }
    printf("parent: sent \"%s\", got \"%s\" via %s\n", lines[i], answer, via);
    for (size_t k = 0; lines[i][k]; k++)
      if (answer[k] != toupper((unsigned char)lines[i][k])) return -1;
  }
  return write_line(fd, ".");
}

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "child") == 0) return child_main();

  static char* defaults[] = {"alpha", "bravo charlie", "delta"};
  char** lines = argc > 1 ? argv + 1 : defaults;
  int count = argc > 1 ? argc - 1 : 3;

  /* The server exists before the child runs, so its connect finds it. */
  dk_handle_t server = 0;
  dk_status_t st =
      DkStreamOpen("pipe.server:" PIPE_NAME, DK_ACCESS_RDWR, 0, DK_CREATE_NEVER, 0, &server);
  if (st < 0) {
    fprintf(stderr, "parent: open pipe.server:" PIPE_NAME ": %s\n",
            strerror(dk_errno_from_status(st)));
    return 1;
  }

  char* child_argv[] = {"pipeline", "child", NULL};
  pid_t pid;
  int stream;
  if (dk_spawn("self:", child_argv, &pid, &stream) < 0) {
    fprintf(stderr, "parent: spawn: %s\n", strerror(errno));
    return 1;
  }
  printf("parent: started child %d\n", (int)pid);

  int ok = exchange(stream, "parent stream", lines, count) == 0;

  dk_handle_t client = 0;
  st = DkStreamWaitForClient(server, &client);
  int pipe_fd = st < 0 ? -1 : dk_fd_adopt(client);
  if (pipe_fd < 0) {
    fprintf(stderr, "parent: accept on the named pipe: %s\n", strerror(dk_errno_from_status(st)));
    ok = 0;
  } else {
    ok = exchange(pipe_fd, "named pipe", lines, count) == 0 && ok;
    close(pipe_fd);
  }
  DkObjectClose(server);

  int status = 0;
  if (waitpid(pid, &status, 0) != pid) {
    fprintf(stderr, "parent: waitpid: %s\n", strerror(errno));
    return 1;
  }
  close(stream);
  printf("parent: child exited with %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  ok = ok && WIFEXITED(status) && WEXITSTATUS(status) == 2 * count;
  printf("pipeline: %s\n", ok ? "ok" : "FAILED");
  return ok ? 0 : 1;
}
