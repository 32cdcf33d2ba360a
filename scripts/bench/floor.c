/*
 * The floor: the least any exec monitor must do, as a reference for `npm run bench`.
 *
 *   floor
 *
 * Subscribes to the proc connector for exec events only (the kernel-side filter
 * of 6.6+), and for each exec does one read of /proc/PID/cmdline and prints
 *
 *   exec PID /bin/true arg...      (NULs between arguments shown as spaces)
 *   exec PID <unknown>             (the process was gone, or had no command line)
 *
 * One wakeup per datagram and one open/read/close per exec, nothing else: no
 * fork or exit events, no loss accounting, no escaping, no timestamps. Output is
 * fully buffered (1 MiB) and flushed on SIGINT or SIGTERM, after which it drops
 * its subscription and exits 0. It is not a product: whatever a real monitor
 * costs above this is what its extra features and its runtime cost.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define RCVBUF (32 << 20)
#define OUTBUF (1 << 20)
#define CMDLINE_MAX 4096

/*
 * struct proc_input of kernels 6.6+: the LISTEN request with an event mask.
 * Declared here because older <linux/cn_proc.h> headers lack it.
 */
struct mcast_request {
	uint32_t op;
	uint32_t mask;
};

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

/* Without SA_RESTART, so a recv() blocked in the kernel returns EINTR and the loop sees the flag. */
static void install_handlers(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static int send_request(int fd, uint32_t op)
{
	char buf[NLMSG_SPACE(sizeof(struct cn_msg) + sizeof(struct mcast_request))]
		__attribute__((aligned(NLMSG_ALIGNTO)));
	memset(buf, 0, sizeof buf);
	struct nlmsghdr *nl = (struct nlmsghdr *)buf;
	struct cn_msg *cn = NLMSG_DATA(nl);
	struct mcast_request req = { .op = op, .mask = PROC_EVENT_EXEC };
	nl->nlmsg_len = NLMSG_LENGTH(sizeof *cn + sizeof req);
	nl->nlmsg_type = NLMSG_DONE;
	cn->id.idx = CN_IDX_PROC;
	cn->id.val = CN_VAL_PROC;
	cn->len = sizeof req;
	memcpy(cn->data, &req, sizeof req);
	return send(fd, buf, nl->nlmsg_len, 0) < 0 ? -1 : 0;
}

static int subscribe(void)
{
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_CONNECTOR);
	if (fd < 0) {
		perror("floor: socket");
		return -1;
	}
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = CN_IDX_PROC };
	int size = RCVBUF;
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		perror("floor: bind");
		return -1;
	}
	/* the reference gets the same deep queue a careful monitor would ask for */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) < 0) {
		perror("floor: SO_RCVBUFFORCE");
		return -1;
	}
	/* the event mask applies to the acknowledgement too, so a filtered request gets none to wait for */
	if (send_request(fd, PROC_CN_MCAST_LISTEN) < 0) {
		perror("floor: send LISTEN");
		return -1;
	}
	return fd;
}

/* The one /proc read per exec: the command line, NULs between arguments as spaces. */
static void print_exec(pid_t pid)
{
	static char path[32];
	static char cmd[CMDLINE_MAX];
	ssize_t n = -1;
	snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, cmd, sizeof cmd);
		close(fd);
	}
	while (n > 0 && cmd[n - 1] == '\0')
		n--;
	if (n <= 0) {
		printf("exec %d <unknown>\n", (int)pid);
		return;
	}
	for (ssize_t i = 0; i < n; i++)
		if (cmd[i] == '\0')
			cmd[i] = ' ';
	printf("exec %d %.*s\n", (int)pid, (int)n, cmd);
}

/* Walks one datagram: some kernels pack several messages into one. */
static void handle(const char *buf, ssize_t len)
{
	for (const struct nlmsghdr *nl = (const struct nlmsghdr *)buf; NLMSG_OK(nl, len); nl = NLMSG_NEXT(nl, len)) {
		if (nl->nlmsg_type == NLMSG_NOOP || nl->nlmsg_type == NLMSG_ERROR)
			continue;
		const struct cn_msg *cn = NLMSG_DATA(nl);
		/* copied out: proc_event has an 8-byte field but sits at a 4-byte aligned offset */
		struct proc_event ev;
		memset(&ev, 0, sizeof ev);
		memcpy(&ev, cn->data, cn->len < sizeof ev ? cn->len : sizeof ev);
		if (ev.what == PROC_EVENT_EXEC)
			print_exec(ev.event_data.exec.process_tgid);
	}
}

int main(void)
{
	static char out[OUTBUF];
	setvbuf(stdout, out, _IOFBF, sizeof out);
	install_handlers();
	int fd = subscribe();
	if (fd < 0)
		return 1;
	static char buf[8192] __attribute__((aligned(NLMSG_ALIGNTO)));
	int status = 0;
	/*
	 * A signal that lands between the check of `stopping` and the recv() is only
	 * seen at the next event; the bench's SIGTERM after a grace period ends it then.
	 */
	while (!stopping) {
		ssize_t len = recv(fd, buf, sizeof buf, 0);
		if (len < 0) {
			if (errno == EINTR)
				continue;
			/* overflow: the events that did not fit are gone; the bench counts them from the output */
			if (errno == ENOBUFS)
				continue;
			perror("floor: recv");
			status = 1;
			break;
		}
		handle(buf, len);
	}
	fflush(stdout);
	send_request(fd, PROC_CN_MCAST_IGNORE);
	close(fd);
	return status;
}
