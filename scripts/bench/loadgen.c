/*
 * Synthetic process load for `npm run bench`.
 *
 *   loadgen fork|exec N P PIDFILE
 *
 * P producer processes (forked from this one) each create N/P processes one
 * after the other, as fast as the machine allows: in `fork` mode the child
 * calls _exit(0) at once, in `exec` mode it execs /bin/true. Each producer
 * reaps its child before making the next one, so the load is bounded by fork
 * (and exec) latency, not by the process table.
 *
 * When done, PIDFILE lists every PID this run made, so the bench can check a
 * monitor's output PID by PID (a PID counter wrap inside one run would make
 * that ambiguous; the bench keeps N well below pid_max):
 *
 *   # loadgen mode=fork n=20000 producers=2 wall_ns=123 failed=0
 *   main 100
 *   producer 101
 *   fork 103
 *   ...
 *
 * PIDs are collected in a shared anonymous mapping so nothing but the final
 * write touches the file system while the load runs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_PRODUCERS 64

struct shared {
	pid_t producers[MAX_PRODUCERS];
	long made[MAX_PRODUCERS];   /* processes created by each producer */
	long failed[MAX_PRODUCERS]; /* fork failures or non-zero child exits */
	pid_t pids[];               /* producer i writes from offset i * per */
};

static long long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void produce(struct shared *sh, int idx, long count, long offset, int exec_mode)
{
	pid_t *out = sh->pids + offset;
	for (long i = 0; i < count; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			if (exec_mode) {
				execl("/bin/true", "/bin/true", (char *)NULL);
				_exit(127);
			}
			_exit(0);
		}
		if (pid < 0) {
			if (errno == EAGAIN || errno == EINTR) {
				i--;
				sh->failed[idx]++;
				continue;
			}
			perror("fork");
			_exit(1);
		}
		out[sh->made[idx]++] = pid;
		int status;
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			sh->failed[idx]++;
	}
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: %s fork|exec N P PIDFILE\n", argv[0]);
		return 2;
	}
	int exec_mode = strcmp(argv[1], "exec") == 0;
	if (!exec_mode && strcmp(argv[1], "fork") != 0) {
		fprintf(stderr, "mode must be fork or exec\n");
		return 2;
	}
	long n = atol(argv[2]);
	int p = atoi(argv[3]);
	if (n <= 0 || p <= 0 || p > MAX_PRODUCERS) {
		fprintf(stderr, "bad N or P\n");
		return 2;
	}
	long per = n / p;
	size_t size = sizeof(struct shared) + sizeof(pid_t) * (size_t)(per + p) * (size_t)p;
	struct shared *sh = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		perror("mmap");
		return 1;
	}

	long long t0 = now_ns();
	for (int i = 0; i < p; i++) {
		/* the first producer takes the remainder */
		long count = per + (i == 0 ? n % p : 0);
		pid_t pid = fork();
		if (pid < 0) {
			perror("fork producer");
			return 1;
		}
		if (pid == 0) {
			produce(sh, i, count, (long)i * (per + p), exec_mode);
			_exit(0);
		}
		sh->producers[i] = pid;
	}
	int bad = 0;
	for (int i = 0; i < p; i++) {
		int status;
		while (waitpid(sh->producers[i], &status, 0) < 0 && errno == EINTR)
			;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			bad = 1;
	}
	long long wall = now_ns() - t0;

	long failed = 0;
	for (int i = 0; i < p; i++)
		failed += sh->failed[i];
	FILE *f = fopen(argv[4], "w");
	if (!f) {
		perror(argv[4]);
		return 1;
	}
	fprintf(f, "# loadgen mode=%s n=%ld producers=%d wall_ns=%lld failed=%ld\n", argv[1], n, p, wall, failed);
	fprintf(f, "main %d\n", (int)getpid());
	for (int i = 0; i < p; i++)
		fprintf(f, "producer %d\n", (int)sh->producers[i]);
	for (int i = 0; i < p; i++)
		for (long j = 0; j < sh->made[i]; j++)
			fprintf(f, "%s %d\n", argv[1], (int)sh->pids[(long)i * (per + p) + j]);
	if (fclose(f) != 0) {
		perror(argv[4]);
		return 1;
	}
	return bad ? 1 : 0;
}
