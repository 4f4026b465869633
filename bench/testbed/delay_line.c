/*
 * delay_line: a userspace hub that joins the test-bed hosts and holds every
 * IPv4 frame for a fixed one-way delay before handing it to the host it is
 * addressed to. It stands in for `tc netem` on kernels without sch_netem.
 * TCP, UDP and ICMP are delayed alike: frames are moved whole, nothing is
 * proxied or terminated.
 *
 * Topology (made by the caller): each host namespace has a veth with an IPv4
 * address and permanent neighbour entries for every other host (so frames
 * already carry the receiver's MAC and no ARP round trip is ever delayed); the
 * veth's peer lives in one hub namespace. This program enters the hub
 * namespace, opens one AF_PACKET socket per peer and forwards each frame,
 * unchanged, to the peer of the host owning its IPv4 destination.
 *
 * Usage: delay_line --name NAME --netns PATH --delay-us N [--queue-mb N]
 *                   [--rt PRIO] --link IFNAME=A.B.C.D [--link ...]
 *
 * Prints "ready rt=<0|1>" once every socket is open. Commands on stdin, one
 * per line:
 *   "delay_us N" -> "ok delay_us N"   (changes the one-way delay)
 *   "stats"      -> "stats rx=N tx=N dropped=N ignored=N queued=N ..."
 * Exits 0 when stdin closes or on SIGTERM/SIGINT.
 *
 * Timing. Each frame is stamped by the kernel as the sender transmits it
 * (SO_TIMESTAMPNS: veth hands the frame over in the sender's context), so the
 * time this process takes to wake up is not added to the delay. A frame is
 * due at its stamp plus the delay in force when it arrived; frames leave in
 * due order (after the delay shrinks, new frames overtake old ones, as on a
 * path that just got shorter). The process sleeps in ppoll() with a
 * nanosecond timeout until shortly before the next frame is due, then
 * busy-waits and sends it. How early it stops sleeping is learnt from how late
 * its timed sleeps return (the 90th percentile), so the busy-wait stays short
 * on a quiet machine and grows where wake-ups are slow (a VM). Under
 * SCHED_FIFO (--rt) frames leave within a few microseconds of their due time.
 *
 * Offloads. The sockets use PACKET_VNET_HDR, so a TCP segment the sender left
 * to checksum offload, or a GSO "super-packet" of up to 64 KiB, passes through
 * with its offload metadata intact, as it would over a plain veth pair.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_LINKS 250
/* A frame: the virtio-net header, an Ethernet header and up to 64 KiB. */
#define VNET_LEN ((int)sizeof(struct virtio_net_hdr))
#define MAX_FRAME (VNET_LEN + ETH_HLEN + 65536)
/* Bounds of the busy-wait before a frame is due. */
#define MIN_LEAD_NS 10000u
#define MAX_LEAD_NS 1000000u
#define WRAP UINT32_MAX

/* One stored frame in the ring; its bytes follow, padded to 8. */
struct entry {
  uint32_t len; /* WRAP: the rest of the ring is unused, go to offset 0 */
  uint16_t link;
  uint16_t sent; /* sent already; its space is reclaimed once older ones are */
};

/* A frame waiting, in the heap ordered by due time (then arrival). */
struct waiting {
  uint64_t due_ns;
  uint32_t seq;
  uint32_t offset; /* of its entry in the ring */
};

static volatile sig_atomic_t stopping = 0;
static int sockets[MAX_LINKS];
static uint32_t addresses[MAX_LINKS]; /* network byte order */
static int link_count = 0;

/*
 * Frames are stored in arrival order in a byte ring and sent in due order
 * from a binary heap. While the delay is constant the two orders agree; after
 * the delay shrinks, new frames overtake old ones (each frame keeps the delay
 * in force when it was sent), and the ring reclaims space once the older
 * frames are gone too.
 */
static unsigned char *ring;
static size_t ring_capacity, ring_head = 0, ring_tail = 0;
static uint32_t stored = 0; /* entries in the ring, sent or not */
static struct waiting *heap;
static uint32_t heap_size = 0, heap_capacity = 0, next_seq = 0;
static unsigned char *scratch;

static uint64_t delay_ns = 0;
/* 90th percentile of how late a timed ppoll() returns (a stochastic tracker). */
static uint64_t wake_p90 = 50000;
static uint64_t rx = 0, tx = 0, dropped = 0, ignored = 0, late_sum = 0, late_max = 0;
static char line[256];
static size_t line_len = 0;

static void on_signal(int signo) {
  (void)signo;
  stopping = 1;
}

static uint64_t clock_ns(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void die(const char *what, const char *detail) {
  fprintf(stderr, "delay_line: %s%s%s: %s\n", what, detail ? " " : "", detail ? detail : "",
          strerror(errno));
  exit(2);
}

static void usage(const char *why) {
  fprintf(stderr,
          "delay_line: %s\nusage: delay_line --name NAME --netns PATH --delay-us N "
          "[--queue-mb N] [--rt PRIO] --link IFNAME=A.B.C.D [--link ...]\n",
          why);
  exit(64);
}

static long parse_number(const char *text, long min, long max, const char *what) {
  char *end;
  errno = 0;
  long value = strtol(text, &end, 10);
  if (errno != 0 || *end != '\0' || end == text || value < min || value > max) {
    fprintf(stderr, "delay_line: bad %s: %s\n", what, text);
    exit(64);
  }
  return value;
}

/* Opens an AF_PACKET socket for IPv4 frames on `ifname`, with timestamps. */
static int open_link(const char *ifname) {
  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_IP));
  if (fd < 0) die("socket AF_PACKET", NULL);
  int one = 1, buffer = 4 << 20;
  if (setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof one) < 0) {
    die("PACKET_VNET_HDR", ifname);
  }
  if (setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one) < 0) {
    die("PACKET_IGNORE_OUTGOING", ifname);
  }
  if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one) < 0) {
    die("SO_TIMESTAMPNS", ifname);
  }
  /* Room for bursts; FORCE needs CAP_NET_ADMIN, the plain one is a fallback. */
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buffer, sizeof buffer) < 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
  }
  struct sockaddr_ll address;
  memset(&address, 0, sizeof address);
  address.sll_family = AF_PACKET;
  address.sll_protocol = htons(ETH_P_IP);
  address.sll_ifindex = (int)if_nametoindex(ifname);
  if (address.sll_ifindex == 0) die("no interface", ifname);
  if (bind(fd, (struct sockaddr *)&address, sizeof address) < 0) die("bind", ifname);
  return fd;
}

/* Index of the link whose host owns IPv4 address `dst`, or -1. */
static int route(uint32_t dst) {
  for (int i = 0; i < link_count; i++) {
    if (addresses[i] == dst) return i;
  }
  return -1;
}

static size_t padded(size_t len) {
  return (sizeof(struct entry) + len + 7) & ~(size_t)7;
}

/* Space for a frame of `len` bytes at the ring's tail, or NULL when full. */
static struct entry *reserve(size_t len) {
  size_t need = padded(len);
  if (stored == 0) ring_head = ring_tail = 0;
  if (stored == 0 || ring_tail > ring_head) {
    if (ring_capacity - ring_tail >= need) return (struct entry *)(ring + ring_tail);
    if (ring_head <= need) return NULL; /* keep head != tail when non-empty */
    if (ring_capacity - ring_tail >= sizeof(struct entry)) {
      ((struct entry *)(ring + ring_tail))->len = WRAP;
    }
    ring_tail = 0;
    return (struct entry *)ring;
  }
  if (ring_head - ring_tail > need) return (struct entry *)(ring + ring_tail);
  return NULL;
}

/* Frees the ring space of sent frames at its head. */
static void reclaim(void) {
  while (stored > 0) {
    if (ring_capacity - ring_head < sizeof(struct entry) ||
        ((struct entry *)(ring + ring_head))->len == WRAP) {
      ring_head = 0;
    }
    struct entry *entry = (struct entry *)(ring + ring_head);
    if (!entry->sent) return;
    ring_head += padded(entry->len);
    stored--;
  }
}

static int earlier(const struct waiting *a, const struct waiting *b) {
  return a->due_ns < b->due_ns || (a->due_ns == b->due_ns && (int32_t)(a->seq - b->seq) < 0);
}

static void heap_push(struct waiting item) {
  uint32_t i = heap_size++;
  while (i > 0 && earlier(&item, &heap[(i - 1) / 2])) {
    heap[i] = heap[(i - 1) / 2];
    i = (i - 1) / 2;
  }
  heap[i] = item;
}

static struct waiting heap_pop(void) {
  struct waiting top = heap[0], last = heap[--heap_size];
  uint32_t i = 0;
  for (;;) {
    uint32_t child = 2 * i + 1;
    if (child >= heap_size) break;
    if (child + 1 < heap_size && earlier(&heap[child + 1], &heap[child])) child++;
    if (!earlier(&heap[child], &last)) break;
    heap[i] = heap[child];
    i = child;
  }
  if (heap_size > 0) heap[i] = last;
  return top;
}

/* Reads every frame waiting on link `i` and queues it with its due time. */
static void drain(int i) {
  for (;;) {
    char control[CMSG_SPACE(sizeof(struct timespec))];
    struct iovec iov = {.iov_base = scratch, .iov_len = MAX_FRAME};
    struct msghdr message = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
    ssize_t n = recvmsg(sockets[i], &message, MSG_TRUNC);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      /* The interface went away with its namespace: stop reading it. */
      if (errno == ENETDOWN || errno == ENXIO || errno == ENODEV) return;
      die("recvmsg", NULL);
    }
    rx++;
    if (n > MAX_FRAME || n < VNET_LEN + ETH_HLEN + 20) {
      ignored++;
      continue;
    }
    unsigned char *ip = scratch + VNET_LEN + ETH_HLEN;
    uint32_t dst;
    memcpy(&dst, ip + 16, 4);
    int to = route(dst);
    if ((ip[0] >> 4) != 4 || to < 0) {
      ignored++; /* not for a host of ours (broadcast, a stray address) */
      continue;
    }
    uint64_t now = clock_ns(CLOCK_MONOTONIC);
    uint64_t age = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&message); c; c = CMSG_NXTHDR(&message, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
        struct timespec sent;
        memcpy(&sent, CMSG_DATA(c), sizeof sent);
        uint64_t sent_ns = (uint64_t)sent.tv_sec * 1000000000u + (uint64_t)sent.tv_nsec;
        uint64_t real = clock_ns(CLOCK_REALTIME);
        /* A frame that waited longer than the delay is due now; a clock step is no age. */
        if (real > sent_ns) age = real - sent_ns < delay_ns ? real - sent_ns : delay_ns;
      }
    }
    struct entry *entry = reserve((size_t)n);
    if (entry == NULL || heap_size == heap_capacity) {
      dropped++; /* queue full: a tail drop, as a router would */
      continue;
    }
    entry->len = (uint32_t)n;
    entry->link = (uint16_t)to;
    entry->sent = 0;
    memcpy(entry + 1, scratch, (size_t)n);
    size_t offset = (size_t)((unsigned char *)entry - ring);
    ring_tail = offset + padded((size_t)n);
    stored++;
    heap_push((struct waiting){.due_ns = now + delay_ns - age, .seq = next_seq++, .offset = (uint32_t)offset});
  }
}

/* Sends every frame that is due by `now`. */
static void release(uint64_t now) {
  while (heap_size > 0 && heap[0].due_ns <= now) {
    struct waiting item = heap_pop();
    struct entry *entry = (struct entry *)(ring + item.offset);
    uint64_t late = now - item.due_ns;
    late_sum += late;
    if (late > late_max) late_max = late;
    if (send(sockets[entry->link], entry + 1, entry->len, 0) < 0) dropped++;
    else tx++;
    entry->sent = 1;
  }
  reclaim();
}

/* Updates the wake-up p90 with one observed overshoot (up 9x faster than down). */
static void learn_wake(uint64_t overshoot) {
  if (overshoot > wake_p90) wake_p90 += wake_p90 / 8 + 100;
  else wake_p90 -= wake_p90 / 72;
  if (wake_p90 > MAX_LEAD_NS) wake_p90 = MAX_LEAD_NS;
}

/* How long before a frame is due to stop sleeping and busy-wait. */
static uint64_t lead_ns(void) {
  uint64_t lead = wake_p90 + wake_p90 / 4 + MIN_LEAD_NS;
  return lead > MAX_LEAD_NS ? MAX_LEAD_NS : lead;
}

static void command(const char *text) {
  char word[32];
  long long value;
  if (sscanf(text, "delay_us %lld", &value) == 1 && value >= 0 && value <= 10000000) {
    delay_ns = (uint64_t)value * 1000u;
    printf("ok delay_us %lld\n", value);
  } else if (sscanf(text, "%31s", word) == 1 && strcmp(word, "stats") == 0) {
    printf("stats rx=%llu tx=%llu dropped=%llu ignored=%llu queued=%u late_mean_us=%.1f "
           "late_max_us=%.1f wake_p90_us=%.1f\n",
           (unsigned long long)rx, (unsigned long long)tx, (unsigned long long)dropped,
           (unsigned long long)ignored, heap_size, tx ? (double)late_sum / (double)tx / 1e3 : 0.0,
           (double)late_max / 1e3, (double)wake_p90 / 1e3);
  } else {
    printf("error unknown command: %s\n", text);
  }
  fflush(stdout);
}

/* Reads commands from stdin; returns 0 once stdin has closed. */
static int read_commands(void) {
  char chunk[256];
  ssize_t n = read(STDIN_FILENO, chunk, sizeof chunk);
  if (n < 0) return errno == EINTR || errno == EAGAIN;
  if (n == 0) return 0;
  for (ssize_t i = 0; i < n; i++) {
    if (chunk[i] == '\n') {
      line[line_len] = '\0';
      command(line);
      line_len = 0;
    } else if (line_len < sizeof line - 1) {
      line[line_len++] = chunk[i];
    }
  }
  return 1;
}

int main(int argc, char **argv) {
  long delay_us = 0, queue_mb = 16, rt = 0;
  const char *name = NULL, *netns = NULL;
  char *links[MAX_LINKS];
  for (int i = 1; i < argc; i++) {
    const char *flag = argv[i];
    if (i + 1 >= argc) usage("missing value");
    char *value = argv[++i];
    if (strcmp(flag, "--name") == 0) name = value;
    else if (strcmp(flag, "--netns") == 0) netns = value;
    else if (strcmp(flag, "--delay-us") == 0) delay_us = parse_number(value, 0, 10000000, flag);
    else if (strcmp(flag, "--queue-mb") == 0) queue_mb = parse_number(value, 1, 4000, flag);
    else if (strcmp(flag, "--rt") == 0) rt = parse_number(value, 0, 99, flag);
    else if (strcmp(flag, "--link") == 0) {
      if (link_count == MAX_LINKS) usage("too many links");
      links[link_count++] = value;
    } else usage("unknown flag");
  }
  if (name == NULL || netns == NULL || link_count == 0) {
    usage("--name, --netns and --link are required");
  }
  delay_ns = (uint64_t)delay_us * 1000u;

  int ns = open(netns, O_RDONLY | O_CLOEXEC);
  if (ns < 0) die("open", netns);
  if (setns(ns, CLONE_NEWNET) < 0) die("setns", netns);
  close(ns);
  for (int i = 0; i < link_count; i++) {
    char *equals = strchr(links[i], '=');
    struct in_addr address;
    if (equals == NULL) usage("--link needs IFNAME=A.B.C.D");
    *equals = '\0';
    if (inet_pton(AF_INET, equals + 1, &address) != 1) usage("bad --link address");
    addresses[i] = address.s_addr;
    sockets[i] = open_link(links[i]);
  }

  ring_capacity = (size_t)queue_mb << 20;
  ring = malloc(ring_capacity);
  /* Every entry takes at least 56 bytes (header and a minimal frame, padded). */
  heap_capacity = (uint32_t)(ring_capacity / 56);
  heap = malloc((size_t)heap_capacity * sizeof *heap);
  scratch = malloc(MAX_FRAME);
  if (ring == NULL || heap == NULL || scratch == NULL) die("malloc", NULL);

  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = on_signal;
  sigaction(SIGTERM, &action, NULL);
  sigaction(SIGINT, &action, NULL);
  signal(SIGPIPE, SIG_IGN);
  sigset_t blocked, during_poll;
  sigemptyset(&blocked);
  sigaddset(&blocked, SIGTERM);
  sigaddset(&blocked, SIGINT);
  sigprocmask(SIG_BLOCK, &blocked, &during_poll);
  sigdelset(&during_poll, SIGTERM);
  sigdelset(&during_poll, SIGINT);

  /* Best effort: a real-time class and no timer slack keep wake-ups on time. */
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
  int realtime = 0;
  if (rt > 0) {
    struct sched_param param = {.sched_priority = (int)rt};
    realtime = sched_setscheduler(0, SCHED_FIFO, &param) == 0;
  }
  printf("ready rt=%d\n", realtime);
  fflush(stdout);

  struct pollfd fds[MAX_LINKS + 1];
  fds[0].fd = STDIN_FILENO;
  fds[0].events = POLLIN;
  for (int i = 0; i < link_count; i++) {
    fds[i + 1].fd = sockets[i];
    fds[i + 1].events = POLLIN;
  }

  while (!stopping) {
    uint64_t now = clock_ns(CLOCK_MONOTONIC);
    release(now);
    /*
     * Sleep until `lead` before the next frame is due; closer than that,
     * busy-wait with zero-timeout polls (which still take arrivals, commands
     * and signals).
     */
    struct timespec timeout = {0, 0}, *wait = NULL;
    uint64_t deadline = 0;
    if (heap_size > 0) {
      uint64_t lead = lead_ns();
      wait = &timeout;
      if (heap[0].due_ns - now > lead) {
        deadline = heap[0].due_ns - lead;
        uint64_t sleep_ns = deadline - now;
        timeout.tv_sec = (time_t)(sleep_ns / 1000000000u);
        timeout.tv_nsec = (long)(sleep_ns % 1000000000u);
      }
    }
    int ready = ppoll(fds, (nfds_t)link_count + 1, wait, &during_poll);
    if (ready < 0) {
      if (errno == EINTR) continue;
      die("ppoll", NULL);
    }
    if (ready == 0) {
      uint64_t woke = clock_ns(CLOCK_MONOTONIC);
      if (deadline != 0 && woke >= deadline) learn_wake(woke - deadline);
      continue;
    }
    for (int i = 0; i < link_count; i++) {
      if (fds[i + 1].revents & POLLIN) drain(i);
      /* A socket whose interface is gone reports an error forever: stop polling it. */
      if (fds[i + 1].revents & (POLLERR | POLLHUP | POLLNVAL)) fds[i + 1].fd = -1;
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      if (!read_commands()) break;
    }
  }
  return 0;
}
