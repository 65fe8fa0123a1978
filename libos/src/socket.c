/* Sockets and pipe() on Dk streams. A socket descriptor starts without a stream: TCP gets one
 * at connect ("tcp:") or listen ("tcp.server:"), UDP at bind ("udp.server:") or at connect or
 * sendto ("udp:" to the destination). A connected TCP socket is then an ordinary byte stream
 * for read and write. */
#include <arpa/inet.h>
#include <dk/dkcalls.h>
#include <dk/posix.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "libos_internal.h"

struct libos_socket {
  int type; /* SOCK_STREAM or SOCK_DGRAM */
  int bound, listening;
  struct sockaddr_in local, peer;
  dk_handle_t udp_out; /* "udp:" stream to peer, for UDP sends */
  int has_peer;
};

void libos_socket_release(struct libos_socket* s) {
  if (s->udp_out) DkObjectClose(s->udp_out);
  free(s);
}

/* Host part of a URI for an IPv4 address. The simulated network and the manifests name
 * the loopback host "localhost", and a listener on the any-address is reached through it. */
static void format_host(const struct sockaddr_in* a, char* out, size_t size) {
  uint32_t ip = ntohl(a->sin_addr.s_addr);
  if (ip == INADDR_ANY || (ip >> 24) == 127)
    snprintf(out, size, "localhost");
  else
    snprintf(out, size, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
}

static void socket_uri(const char* scheme, const struct sockaddr_in* a, char* out, size_t size) {
  char host[32];
  format_host(a, host, sizeof host);
  snprintf(out, size, "%s:%s:%u", scheme, host, (unsigned)ntohs(a->sin_port));
}

static int get_addr(const struct sockaddr* addr, socklen_t len, struct sockaddr_in* out) {
  if (!addr || len < sizeof(struct sockaddr_in)) {
    errno = EINVAL;
    return -1;
  }
  memcpy(out, addr, sizeof *out);
  if (out->sin_family != AF_INET) {
    errno = EAFNOSUPPORT;
    return -1;
  }
  return 0;
}

static void put_addr(const struct sockaddr_in* a, struct sockaddr* addr, socklen_t* len) {
  if (!addr || !len) return;
  size_t n = *len < sizeof *a ? *len : sizeof *a;
  memcpy(addr, a, n);
  *len = sizeof *a;
}

/* A referenced socket description, or NULL with errno (EBADF, ENOTSOCK). */
static struct libos_ofd* get_socket(int fd) {
  struct libos_ofd* o = libos_fd_get(fd);
  if (o && !o->sock) {
    libos_ofd_put(o);
    errno = ENOTSOCK;
    return NULL;
  }
  return o;
}

int socket(int domain, int type, int protocol) {
  int base = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (domain != AF_INET) {
    errno = EAFNOSUPPORT;
    return -1;
  }
  if ((base != SOCK_STREAM && base != SOCK_DGRAM) ||
      (protocol && protocol != (base == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP))) {
    errno = EPROTONOSUPPORT;
    return -1;
  }
  struct libos_socket* s = calloc(1, sizeof *s);
  if (!s) {
    errno = ENOMEM;
    return -1;
  }
  s->type = base;
  s->local.sin_family = s->peer.sin_family = AF_INET;
  struct libos_ofd* o =
      libos_ofd_new(LIBOS_FD_SOCKET, 0, O_RDWR | ((type & SOCK_NONBLOCK) ? O_NONBLOCK : 0));
  if (!o) {
    free(s);
    return -1;
  }
  o->sock = s;
  int fd = libos_fd_install(o, 0);
  if (fd < 0) libos_ofd_put(o);
  return fd;
}

static uint32_t open_options(const struct libos_ofd* o) {
  return (o->flags & O_NONBLOCK) ? DK_OPTION_NONBLOCK : 0;
}

int bind(int fd, const struct sockaddr* addr, socklen_t len) {
  struct libos_ofd* o = get_socket(fd);
  if (!o) return -1;
  struct libos_socket* s = o->sock;
  int r = 0;
  struct sockaddr_in a;
  if (get_addr(addr, len, &a) < 0) {
    r = -1;
  } else if (s->bound || o->handle) {
    errno = EINVAL;
    r = -1;
  } else if (s->type == SOCK_DGRAM) {
    /* A UDP socket receives from the moment it is bound. */
    char uri[64];
    socket_uri("udp.server", &a, uri, sizeof uri);
    dk_status_t st =
        DkStreamOpen(uri, DK_ACCESS_RDWR, 0, DK_CREATE_NEVER, open_options(o), &o->handle);
    if (st < 0) r = libos_fail(st == -DK_E_EXIST ? -DK_E_BUSY : st);
  }
  if (r == 0) {
    s->local = a;
    s->bound = 1;
  }
  libos_ofd_put(o);
  if (r < 0 && errno == EBUSY) errno = EADDRINUSE;
  return r;
}

int listen(int fd, int backlog) {
  (void)backlog; /* the host keeps every waiting client */
  struct libos_ofd* o = get_socket(fd);
  if (!o) return -1;
  struct libos_socket* s = o->sock;
  int r = 0;
  if (s->type != SOCK_STREAM) {
    errno = EOPNOTSUPP;
    r = -1;
  } else if (!s->listening) {
    if (o->handle) {
      errno = EISCONN;
      r = -1;
    } else {
      char uri[64];
      socket_uri("tcp.server", &s->local, uri, sizeof uri);
      dk_status_t st =
          DkStreamOpen(uri, DK_ACCESS_RDWR, 0, DK_CREATE_NEVER, open_options(o), &o->handle);
      if (st < 0) {
        r = libos_fail(st);
        if (st == -DK_E_EXIST || st == -DK_E_BUSY) errno = EADDRINUSE;
      } else {
        s->listening = 1;
      }
    }
  }
  libos_ofd_put(o);
  return r;
}

int accept(int fd, struct sockaddr* addr, socklen_t* len) {
  struct libos_ofd* o = get_socket(fd);
  if (!o) return -1;
  struct libos_socket* s = o->sock;
  int r = -1;
  if (!s->listening) {
    errno = EINVAL;
  } else {
    dk_handle_t client = 0;
    dk_status_t st;
    while ((st = DkStreamWaitForClient(o->handle, &client)) == -DK_E_INTERRUPTED) {
    }
    if (st < 0) {
      libos_fail(st);
    } else {
      struct libos_socket* cs = calloc(1, sizeof *cs);
      struct libos_ofd* co = cs ? libos_ofd_new(LIBOS_FD_STREAM, client, O_RDWR) : NULL;
      if (!co) {
        free(cs);
        DkObjectClose(client);
        errno = ENOMEM;
      } else {
        cs->type = SOCK_STREAM;
        cs->local = s->local;
        /* Dk does not say who connected: the peer reads as the any-address. */
        cs->peer.sin_family = AF_INET;
        cs->has_peer = 1;
        co->sock = cs;
        r = libos_fd_install(co, 0);
        if (r < 0) {
          libos_ofd_put(co);
        } else {
          put_addr(&cs->peer, addr, len);
        }
      }
    }
  }
  libos_ofd_put(o);
  return r;
}

static dk_status_t open_udp_out(struct libos_ofd* o, const struct sockaddr_in* a) {
  struct libos_socket* s = o->sock;
  if (s->udp_out && s->has_peer && s->peer.sin_addr.s_addr == a->sin_addr.s_addr &&
      s->peer.sin_port == a->sin_port)
    return 0;
  char uri[64];
  socket_uri("udp", a, uri, sizeof uri);
  dk_handle_t h = 0;
  dk_status_t st = DkStreamOpen(uri, DK_ACCESS_RDWR, 0, DK_CREATE_NEVER, open_options(o), &h);
  if (st < 0) return st;
  if (s->udp_out) DkObjectClose(s->udp_out);
  s->udp_out = h;
  s->peer = *a;
  s->has_peer = 1;
  return 0;
}

int connect(int fd, const struct sockaddr* addr, socklen_t len) {
  struct libos_ofd* o = get_socket(fd);
  if (!o) return -1;
  struct libos_socket* s = o->sock;
  struct sockaddr_in a;
  int r = get_addr(addr, len, &a);
  if (r == 0) {
    if (s->type == SOCK_DGRAM) {
      libos_lock(&o->lock);
      dk_status_t st = open_udp_out(o, &a);
      libos_unlock(&o->lock);
      if (st < 0) r = libos_fail(st);
    } else if (o->handle) {
      errno = EISCONN;
      r = -1;
    } else {
      char uri[64];
      socket_uri("tcp", &a, uri, sizeof uri);
      dk_status_t st =
          DkStreamOpen(uri, DK_ACCESS_RDWR, 0, DK_CREATE_NEVER, open_options(o), &o->handle);
      if (st < 0) {
        r = libos_fail(st);
      } else {
        s->peer = a;
        s->has_peer = 1;
        o->kind = LIBOS_FD_STREAM;
      }
    }
  }
  libos_ofd_put(o);
  return r;
}

/* The handle read() and write() use on a socket that is not a plain stream (fd.c). */
dk_handle_t libos_socket_stream(struct libos_ofd* o, int writing) {
  struct libos_socket* s = o->sock;
  if (s->type == SOCK_DGRAM) {
    dk_handle_t h = writing ? s->udp_out : (o->handle ? o->handle : s->udp_out);
    if (!h) errno = writing ? EDESTADDRREQ : ENOTCONN;
    return h;
  }
  errno = ENOTCONN;
  return 0;
}

ssize_t send(int fd, const void* buf, size_t len, int flags) {
  (void)flags; /* a closed peer is EPIPE with no signal anyway */
  struct libos_ofd* o = get_socket(fd);
  if (!o) return -1;
  libos_ofd_put(o);
  return write(fd, buf, len);
}

ssize_t recv(int fd, void* buf, size_t len, int flags) {
  struct libos_ofd* o = get_socket(fd);
  if (!o) return -1;
  if (flags & MSG_DONTWAIT) {
    dk_handle_t h = o->kind == LIBOS_FD_STREAM ? o->handle : libos_socket_stream(o, 0);
    if (h && libos_wait_one(h, 0) == -DK_E_TIMEOUT) {
      libos_ofd_put(o);
      errno = EAGAIN;
      return -1;
    }
  }
  libos_ofd_put(o);
  return read(fd, buf, len);
}

ssize_t sendto(int fd, const void* buf, size_t len, int flags, const struct sockaddr* to,
               socklen_t tolen) {
  if (!to) return send(fd, buf, len, flags);
  struct libos_ofd* o = get_socket(fd);
  if (!o) return -1;
  if (o->sock->type != SOCK_DGRAM) {
    libos_ofd_put(o);
    errno = EISCONN;
    return -1;
  }
  struct sockaddr_in a;
  ssize_t r = get_addr(to, tolen, &a);
  if (r == 0) {
    libos_lock(&o->lock);
    dk_status_t st = open_udp_out(o, &a);
    dk_handle_t h = o->sock->udp_out;
    libos_unlock(&o->lock);
    uint64_t n = len;
    if (st == 0) st = DkStreamWrite(h, 0, buf, &n);
    r = st < 0 ? libos_fail(st) : (ssize_t)n;
  }
  libos_ofd_put(o);
  return r;
}

ssize_t recvfrom(int fd, void* buf, size_t len, int flags, struct sockaddr* from,
                 socklen_t* fromlen) {
  ssize_t r = recv(fd, buf, len, flags);
  if (r >= 0 && from) {
    struct libos_ofd* o = get_socket(fd);
    if (o) {
      struct sockaddr_in peer = {.sin_family = AF_INET};
      if (o->sock->has_peer && !o->sock->bound) peer = o->sock->peer;
      put_addr(&peer, from, fromlen);
      libos_ofd_put(o);
    }
  }
  return r;
}

int shutdown(int fd, int how) {
  struct libos_ofd* o = get_socket(fd);
  if (!o) return -1;
  int r = 0;
  uint32_t which = how == SHUT_RD   ? DK_DELETE_READ
                   : how == SHUT_WR ? DK_DELETE_WRITE
                                    : DK_DELETE_ALL;
  if (how < SHUT_RD || how > SHUT_RDWR) {
    errno = EINVAL;
    r = -1;
  } else if (o->kind != LIBOS_FD_STREAM) {
    errno = ENOTCONN;
    r = -1;
  } else {
    dk_status_t st = DkStreamDelete(o->handle, which);
    if (st < 0) r = libos_fail(st);
  }
  libos_ofd_put(o);
  return r;
}

int getsockname(int fd, struct sockaddr* addr, socklen_t* len) {
  struct libos_ofd* o = get_socket(fd);
  if (!o) return -1;
  put_addr(&o->sock->local, addr, len);
  libos_ofd_put(o);
  return 0;
}

int getpeername(int fd, struct sockaddr* addr, socklen_t* len) {
  struct libos_ofd* o = get_socket(fd);
  if (!o) return -1;
  int r = 0;
  if (!o->sock->has_peer) {
    errno = ENOTCONN;
    r = -1;
  } else {
    put_addr(&o->sock->peer, addr, len);
  }
  libos_ofd_put(o);
  return r;
}

int setsockopt(int fd, int level, int name, const void* value, socklen_t len) {
  (void)level, (void)name, (void)value, (void)len;
  struct libos_ofd* o = get_socket(fd);
  if (!o) return -1;
  libos_ofd_put(o);
  return 0;
}

int getsockopt(int fd, int level, int name, void* value, socklen_t* len) {
  (void)level, (void)name;
  struct libos_ofd* o = get_socket(fd);
  if (!o) return -1;
  libos_ofd_put(o);
  if (value && len && *len >= sizeof(int)) {
    *(int*)value = 0;
    *len = sizeof(int);
  }
  return 0;
}

/* pipe(): a named pipe nobody else knows the name of. Connecting does not wait for the
 * server to accept (the client waits in the backlog), so one thread can make both ends. */
int pipe(int fds[2]) {
  uint64_t tag = 0;
  DkRandomBitsRead(&tag, sizeof tag);
  char server_uri[64], client_uri[64];
  snprintf(server_uri, sizeof server_uri, "pipe.server:libos.%016llx", (unsigned long long)tag);
  snprintf(client_uri, sizeof client_uri, "pipe:libos.%016llx", (unsigned long long)tag);

  dk_handle_t server = 0, client = 0, accepted = 0;
  dk_status_t st = DkStreamOpen(server_uri, DK_ACCESS_RDWR, 0, DK_CREATE_NEVER, 0, &server);
  if (st < 0) return libos_fail(st);
  st = DkStreamOpen(client_uri, DK_ACCESS_RDWR, 0, DK_CREATE_NEVER, 0, &client);
  if (st == 0) st = DkStreamWaitForClient(server, &accepted);
  DkObjectClose(server);
  if (st < 0) {
    if (client) DkObjectClose(client);
    return libos_fail(st);
  }
  struct libos_ofd* r = libos_ofd_new(LIBOS_FD_STREAM, accepted, O_RDONLY);
  struct libos_ofd* w = libos_ofd_new(LIBOS_FD_STREAM, client, O_WRONLY);
  int rfd = r ? libos_fd_install(r, 0) : -1;
  int wfd = w && rfd >= 0 ? libos_fd_install(w, 0) : -1;
  if (wfd < 0) {
    if (rfd >= 0) {
      close(rfd);
    } else if (r) {
      libos_ofd_put(r);
    } else {
      DkObjectClose(accepted);
    }
    if (w)
      libos_ofd_put(w);
    else
      DkObjectClose(client);
    return -1;
  }
  fds[0] = rfd;
  fds[1] = wfd;
  return 0;
}
