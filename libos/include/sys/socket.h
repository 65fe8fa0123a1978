/* BSD sockets of the libos on Dk streams, IPv4 only. A TCP socket becomes a "tcp:HOST:PORT"
 * stream at connect, or a "tcp.server:HOST:PORT" stream at listen (bind only records the
 * address); accept is DkStreamWaitForClient. A bound UDP socket is "udp.server:HOST:PORT";
 * sendto opens "udp:HOST:PORT" for its destination. Loopback and the any-address are both
 * spelled "localhost" in URIs. Dk does not say where a datagram came from, so recvfrom on a
 * bound socket reports the any-address. */
#ifndef DK_LIBC_SYS_SOCKET_H
#define DK_LIBC_SYS_SOCKET_H

#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef uint32_t socklen_t;
typedef uint16_t sa_family_t;

struct sockaddr {
  sa_family_t sa_family;
  char sa_data[14];
};

struct sockaddr_storage {
  sa_family_t ss_family;
  char ss_data[126];
};

#define AF_UNSPEC 0
#define AF_INET 2
#define PF_INET AF_INET

#define SOCK_STREAM 1
#define SOCK_DGRAM 2
#define SOCK_NONBLOCK 04000
#define SOCK_CLOEXEC 02000000

#define SOL_SOCKET 1
#define SO_REUSEADDR 2
#define SO_ERROR 4

#define SHUT_RD 0
#define SHUT_WR 1
#define SHUT_RDWR 2

#define MSG_DONTWAIT 0x40
#define MSG_NOSIGNAL 0x4000

int socket(int domain, int type, int protocol);
int bind(int fd, const struct sockaddr* addr, socklen_t len);
int listen(int fd, int backlog);
int accept(int fd, struct sockaddr* addr, socklen_t* len);
int connect(int fd, const struct sockaddr* addr, socklen_t len);
ssize_t send(int fd, const void* buf, size_t len, int flags);
ssize_t recv(int fd, void* buf, size_t len, int flags);
ssize_t sendto(int fd, const void* buf, size_t len, int flags, const struct sockaddr* to,
               socklen_t tolen);
ssize_t recvfrom(int fd, void* buf, size_t len, int flags, struct sockaddr* from,
                 socklen_t* fromlen);
int shutdown(int fd, int how);
int getsockname(int fd, struct sockaddr* addr, socklen_t* len);
int getpeername(int fd, struct sockaddr* addr, socklen_t* len);
/* Options are accepted and ignored (SO_ERROR reads 0): Dk streams have none. */
int setsockopt(int fd, int level, int name, const void* value, socklen_t len);
int getsockopt(int fd, int level, int name, void* value, socklen_t* len);

#ifdef __cplusplus
}
#endif
#endif /* DK_LIBC_SYS_SOCKET_H */
