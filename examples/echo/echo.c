/* A TCP echo server and client in one image, over BSD sockets on Dk streams.
 *   echo server PORT        listen on localhost:PORT, echo one client's bytes until it closes
 *   echo client PORT MSG... connect, send each message, check that it comes back
 *   echo both PORT          start "echo server PORT" as a child picoprocess, then be the client
 * The last one shows both ends on the simulated loopback network in one `dk run`. */
#include <arpa/inet.h>
#include <dk/posix.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static struct sockaddr_in loopback(int port) {
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)port);
  a.sin_addr.s_addr = inet_addr("127.0.0.1");
  return a;
}

static int server(int port) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = loopback(port);
  if (s < 0 || bind(s, (struct sockaddr*)&a, sizeof a) < 0 || listen(s, 4) < 0) {
    fprintf(stderr, "server: listen on port %d: %s\n", port, strerror(errno));
    return 1;
  }
  printf("server: listening on localhost:%d\n", port);
  int c = accept(s, NULL, NULL);
  if (c < 0) {
    fprintf(stderr, "server: accept: %s\n", strerror(errno));
    return 1;
  }
  printf("server: client connected\n");
  char buf[512];
  long total = 0;
  for (;;) {
    ssize_t n = recv(c, buf, sizeof buf, 0);
    if (n < 0) {
      fprintf(stderr, "server: recv: %s\n", strerror(errno));
      return 1;
    }
    if (n == 0) break;
    for (ssize_t off = 0; off < n;) {
      ssize_t k = send(c, buf + off, (size_t)(n - off), 0);
      if (k <= 0) {
        fprintf(stderr, "server: send: %s\n", strerror(errno));
        return 1;
      }
      off += k;
    }
    total += n;
  }
  printf("server: client closed after %ld bytes echoed\n", total);
  close(c);
  close(s);
  return 0;
}

static int client(int port, char** msgs, int count) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = loopback(port);
  /* The server may still be starting: a refused connection is tried again a little later. */
  int tries = 0;
  while (connect(s, (struct sockaddr*)&a, sizeof a) < 0) {
    if (errno != ECONNREFUSED || ++tries == 100) {
      fprintf(stderr, "client: connect to localhost:%d: %s\n", port, strerror(errno));
      return 1;
    }
    usleep(1000);
  }
  printf("client: connected to localhost:%d\n", port);
  int ok = 1;
  for (int i = 0; i < count; i++) {
    size_t len = strlen(msgs[i]);
    char back[512];
    if (len >= sizeof back || send(s, msgs[i], len, 0) != (ssize_t)len) {
      fprintf(stderr, "client: send: %s\n", strerror(errno));
      return 1;
    }
    size_t got = 0;
    while (got < len) {
      ssize_t n = recv(s, back + got, len - got, 0);
      if (n <= 0) {
        fprintf(stderr, "client: recv: %s\n", n < 0 ? strerror(errno) : "closed early");
        return 1;
      }
      got += (size_t)n;
    }
    back[got] = '\0';
    int same = memcmp(back, msgs[i], len) == 0;
    printf("client: sent \"%s\", got \"%s\"%s\n", msgs[i], back, same ? "" : " (WRONG)");
    ok &= same;
  }
  shutdown(s, SHUT_WR);
  char rest[16];
  ssize_t tail = recv(s, rest, sizeof rest, 0); /* 0: the server closed its side too */
  close(s);
  if (tail != 0) ok = 0;
  printf("client: %s\n", ok ? "ok" : "FAILED");
  return ok ? 0 : 1;
}

int main(int argc, char** argv) {
  int port = argc > 2 ? atoi(argv[2]) : 0;
  if (argc < 3 || port <= 0 || port > 65535) {
    fprintf(stderr, "usage: echo server PORT | echo client PORT MSG... | echo both PORT\n");
    return 2;
  }
  if (strcmp(argv[1], "server") == 0) return server(port);
  if (strcmp(argv[1], "client") == 0) return client(port, argv + 3, argc - 3);
  if (strcmp(argv[1], "both") == 0) {
    char* server_argv[] = {"echo", "server", argv[2], NULL};
    pid_t pid;
    if (dk_spawn("self:", server_argv, &pid, NULL) < 0) {
      fprintf(stderr, "echo: spawn the server: %s\n", strerror(errno));
      return 1;
    }
    static char* msgs[] = {"hello", "from a picoprocess", "over simulated TCP"};
    int rc = client(port, msgs, 3);
    int status = 0;
    if (waitpid(pid, &status, 0) != pid) {
      fprintf(stderr, "echo: waitpid: %s\n", strerror(errno));
      return 1;
    }
    printf("echo: server exited with %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    return rc == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
  }
  fprintf(stderr, "echo: unknown mode %s\n", argv[1]);
  return 2;
}
