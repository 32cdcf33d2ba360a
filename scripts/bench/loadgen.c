/*
 * Synthetic process load for `npm run bench`.
 *
 *   loadgen fork|exec N P PIDFILE [bursts=K gap_ms=G] [rate=R seconds=S]
 *
 * P producer processes (forked from this one) each create N/P processes one
 * after the other, as fast as the machine allows: in `fork` mode the child
 * calls _exit(0) at once, in `exec` mode it execs /bin/true. Each producer
 * reaps its child before making the next one, so the load is bounded by fork
 * (and exec) latency, not by the process table.
 *
 * bursts=K repeats that storm K times, one every G ms (the rest of each period
 * is quiet; the run lasts K * G ms). rate=R adds one more producer that makes
 * R processes a second, on a fixed schedule (absolute deadlines, so the rate
 * does not drift with the time each process takes), for S seconds, or for the
 * bursts' whole run when S is not given. `loadgen exec 0 0 PIDFILE rate=20
 * seconds=30` is a trickle alone.
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
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_PRODUCERS 65 /* 64 storm producers and the trickle */

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

static void sleep_until(long long deadline_ns)
{
	struct timespec ts = { .tv_sec = deadline_ns / 1000000000LL, .tv_nsec = deadline_ns % 1000000000LL };
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/* One process, reaped before returning; its PID goes to the producer's list. */
static void make_one(struct shared *sh, int idx, pid_t *out, int exec_mode)
{
	for (;;) {
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
		return;
	}
}

/* `count` processes back to back, in each of `bursts` bursts, burst k at t0 + k * gap. */
static void produce(struct shared *sh, int idx, long count, long offset, int exec_mode, long bursts, long long t0, long long gap_ns)
{
	pid_t *out = sh->pids + offset;
	for (long k = 0; k < bursts; k++) {
		if (k > 0)
			sleep_until(t0 + k * gap_ns);
		for (long i = 0; i < count; i++)
			make_one(sh, idx, out, exec_mode);
	}
}

/* One process every 1/rate s from t0 until t0 + duration. */
static void trickle(struct shared *sh, int idx, long offset, int exec_mode, long rate, long long t0, long long duration_ns)
{
	pid_t *out = sh->pids + offset;
	for (long i = 0;; i++) {
		long long deadline = t0 + i * 1000000000LL / rate;
		if (deadline >= t0 + duration_ns)
			break;
		sleep_until(deadline);
		make_one(sh, idx, out, exec_mode);
	}
}

/* `key=value` among the optional arguments, or `dflt`. */
static long option(int argc, char **argv, const char *key, long dflt)
{
	size_t len = strlen(key);
	for (int i = 5; i < argc; i++)
		if (strncmp(argv[i], key, len) == 0 && argv[i][len] == '=')
			return atol(argv[i] + len + 1);
	return dflt;
}

int main(int argc, char **argv)
{
	if (argc < 5) {
		fprintf(stderr, "usage: %s fork|exec N P PIDFILE [bursts=K gap_ms=G] [rate=R seconds=S]\n", argv[0]);
		return 2;
	}
	for (int i = 5; i < argc; i++) {
		const char *known[] = { "bursts=", "gap_ms=", "rate=", "seconds=" };
		int ok = 0;
		for (size_t k = 0; k < sizeof known / sizeof known[0]; k++)
			ok |= strncmp(argv[i], known[k], strlen(known[k])) == 0;
		if (!ok) {
			fprintf(stderr, "unknown argument %s\n", argv[i]);
			return 2;
		}
	}
	int exec_mode = strcmp(argv[1], "exec") == 0;
	if (!exec_mode && strcmp(argv[1], "fork") != 0) {
		fprintf(stderr, "mode must be fork or exec\n");
		return 2;
	}
	long n = atol(argv[2]);
	int p = atoi(argv[3]);
	long bursts = option(argc, argv, "bursts", 1);
	long long gap_ns = option(argc, argv, "gap_ms", 0) * 1000000LL;
	long rate = option(argc, argv, "rate", 0);
	long long trickle_ns = option(argc, argv, "seconds", 0) * 1000000000LL;
	if (rate > 0 && trickle_ns == 0)
		trickle_ns = bursts * gap_ns;
	int storm = n > 0 || p > 0;
	if ((storm && (n <= 0 || p <= 0 || p >= MAX_PRODUCERS)) || (!storm && rate <= 0)) {
		fprintf(stderr, "bad N or P\n");
		return 2;
	}
	if (bursts <= 0 || (bursts > 1 && gap_ns <= 0) || rate < 0 || (rate > 0 && trickle_ns <= 0)) {
		fprintf(stderr, "bad bursts, gap_ms, rate or seconds\n");
		return 2;
	}
	long per = storm ? n / p : 0;
	/* every producer gets a slot of `cap` PIDs: a storm producer's share of every burst, or the trickle's */
	long cap = (per + p) * bursts;
	long trickle_cap = rate * (trickle_ns / 1000000000LL + 1) + 1;
	if (trickle_cap > cap)
		cap = trickle_cap;
	int producers = p + (rate > 0 ? 1 : 0);
	size_t size = sizeof(struct shared) + sizeof(pid_t) * (size_t)cap * (size_t)producers;
	struct shared *sh = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		perror("mmap");
		return 1;
	}

	long long t0 = now_ns();
	pid_t self = getpid();
	for (int i = 0; i < producers; i++) {
		/* the first producer takes the remainder */
		long count = per + (i == 0 && storm ? n % p : 0);
		pid_t pid = fork();
		if (pid < 0) {
			perror("fork producer");
			return 1;
		}
		if (pid == 0) {
			/* a killed load generator takes its producers with it: a trickle must not outlive the run */
			if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != self)
				_exit(1);
			if (i < p)
				produce(sh, i, count, (long)i * cap, exec_mode, bursts, t0, gap_ns);
			else
				trickle(sh, i, (long)i * cap, exec_mode, rate, t0, trickle_ns);
			_exit(0);
		}
		sh->producers[i] = pid;
	}
	int bad = 0;
	for (int i = 0; i < producers; i++) {
		int status;
		while (waitpid(sh->producers[i], &status, 0) < 0 && errno == EINTR)
			;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			bad = 1;
	}
	/* the quiet after the last burst belongs to the run */
	if (bursts > 1)
		sleep_until(t0 + bursts * gap_ns);
	long long wall = now_ns() - t0;

	long failed = 0, made = 0;
	for (int i = 0; i < producers; i++) {
		failed += sh->failed[i];
		made += sh->made[i];
	}
	FILE *f = fopen(argv[4], "w");
	if (!f) {
		perror(argv[4]);
		return 1;
	}
	fprintf(f, "# loadgen mode=%s n=%ld producers=%d wall_ns=%lld failed=%ld\n", argv[1], made, producers, wall, failed);
	fprintf(f, "main %d\n", (int)getpid());
	for (int i = 0; i < producers; i++)
		fprintf(f, "producer %d\n", (int)sh->producers[i]);
	for (int i = 0; i < producers; i++)
		for (long j = 0; j < sh->made[i]; j++)
			fprintf(f, "%s %d\n", argv[1], (int)sh->pids[(long)i * cap + j]);
	if (fclose(f) != 0) {
		perror(argv[4]);
		return 1;
	}
	return bad ? 1 : 0;
}
