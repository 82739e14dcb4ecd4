#include "models/oops.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "models/printk.h"

struct scan {
	struct vt_oops *o;
	bool in_trace;
	bool done;		/* the first oops's trace has ended */
	bool seen_trigger;	/* "sysrq: Trigger a crash" */
	uint64_t records;	/* records read */
};

/* Copy "sym+0x1/0x2" (skipping "? " and "[addr] " prefixes) into dst. */
static void take_symbol(const char *p, char *dst, size_t len)
{
	while (*p == ' ' || *p == '\t')
		p++;
	if (p[0] == '?' && p[1] == ' ')
		p += 2;
	while (*p == '[') {		/* ppc64: "[c000...] [c000...] sym+0x.." */
		const char *e = strchr(p, ']');

		if (!e)
			break;
		p = e + 1;
		while (*p == ' ')
			p++;
	}
	snprintf(dst, len, "%s", p);
	dst[strcspn(dst, " \t")] = '\0';
}

static bool startswith(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/*
 * The dump_stack_print_info() header: "CPU: 1 PID: 986 Comm: init ..." up
 * to 6.9, "CPU: 1 UID: 0 PID: 986 Comm: init ..." from 6.10 (the UID field
 * is optional; what follows Comm is the taint and release, not parsed here).
 */
static bool parse_cpu_header(const char *t, int *cpu, int *pid, char comm[32])
{
	unsigned uid;
	int n = 0;

	if (sscanf(t, "CPU: %d %n", cpu, &n) != 1 || !n)
		return false;
	t += n;
	if (sscanf(t, "UID: %u %n", &uid, &n) == 1 && n)
		t += n;
	return sscanf(t, "PID: %d Comm: %31s", pid, comm) == 2;
}

static int scan_record(void *arg, const struct vt_log_record *r)
{
	struct scan *sc = arg;
	struct vt_oops *o = sc->o;
	const char *t = r->text, *p;
	int cpu, pid;
	char comm[32];

	sc->records++;
	/* The first "CPU: N PID: P Comm: C" once an oops or panic began. */
	if (o->cpu < 0 && (o->present || *o->panic || sc->seen_trigger) &&
	    parse_cpu_header(t, &cpu, &pid, comm)) {
		o->cpu = cpu;
		o->pid = pid;
		snprintf(o->comm, sizeof(o->comm), "%s", comm);
	}
	if ((p = strstr(t, "Kernel panic - not syncing: "))) {
		/* the closing "---[ end Kernel panic - not syncing: X ]---" too */
		size_t n = strlen(p + 28);

		if (n >= 5 && !strcmp(p + 28 + n - 5, " ]---"))
			n -= 5;
		snprintf(o->panic, sizeof(o->panic), "%.*s", (int)n, p + 28);
		o->present = true;
		sc->in_trace = false;
		/* A panic with no oops before it: its own Call Trace follows. */
		sc->done = *o->headline || o->ntrace;
	}
	if (strstr(t, "sysrq: Trigger a crash"))
		sc->seen_trigger = true;
	if (sc->done)
		return 0;
	if (!*o->headline && (startswith(t, "kernel BUG at ") || startswith(t, "BUG: ") ||
			      startswith(t, "Oops: ") || startswith(t, "Unable to handle kernel") ||
			      startswith(t, "general protection fault"))) {
		snprintf(o->headline, sizeof(o->headline), "%s", t);
		o->present = true;
		if (sscanf(t, "kernel BUG at %159[^!]!", o->bug_site) != 1)
			o->bug_site[0] = '\0';
		/* The address follows the whole marker: "address: X", "request at X",
		 * " at 0xX" (after the first space, the last two read "at"). */
		static const char *const marks[] = { "address: ", "request at ",
						     "virtual address ", " at 0x" };

		for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++) {
			if (!(p = strstr(t, marks[i])))
				continue;
			p += strlen(marks[i]);
			if (p[0] == '0' && p[1] == 'x')
				p += 2;
			snprintf(o->fault_address, sizeof(o->fault_address), "%s", p);
			o->fault_address[strcspn(o->fault_address, " \t")] = '\0';
			break;
		}
	}
	/* (Only an oops's registers: a panic's dump_stack prints user ones.) */
	if (*o->headline && !*o->ip && (p = strstr(t, "RIP: ")) && (p = strchr(p + 5, ':')))
		take_symbol(p + 1, o->ip, sizeof(o->ip));
	if (*o->headline && !*o->ip && startswith(t, "NIP ") && (p = strchr(t, ']')))
		take_symbol(p + 1, o->ip, sizeof(o->ip));
	/* arm64: "pc : sym+0x44/0x2f8" and "lr : ..." */
	if (*o->headline && !*o->ip && startswith(t, "pc : "))
		take_symbol(t + 5, o->ip, sizeof(o->ip));
	if (*o->headline && !*o->lr && startswith(t, "lr : "))
		take_symbol(t + 5, o->lr, sizeof(o->lr));
	if (*o->headline && !*o->lr && startswith(t, "LR ") && (p = strchr(t, ']')))
		take_symbol(p + 1, o->lr, sizeof(o->lr));
	if (startswith(t, "Call Trace:") || startswith(t, "Call trace:")) {	/* arm64: "trace" */
		sc->in_trace = true;
		return 0;
	}
	if (sc->in_trace) {
		if (startswith(t, " <") || startswith(t, "<")) /* <TASK>, <IRQ> markers */
			return 0;
		if (t[0] != ' ' && t[0] != '[') {
			sc->in_trace = false;
			if (o->ntrace)
				sc->done = true;
			return 0;
		}
		if (o->ntrace < VT_OOPS_MAX_TRACE) {
			/* "? sym" (x86) and "(unreliable)" (ppc64): a stale word */
			o->trace_unreliable[o->ntrace] = strstr(t, "? ") == t + strspn(t, " \t") ||
							 strstr(t, "(unreliable)");
			take_symbol(t, o->trace[o->ntrace++], sizeof(o->trace[0]));
		}
	}
	return 0;
}

/*
 * A return address right after a call to a function that does not return
 * (panic, BUG) is the first byte of the next function, and the kernel
 * prints it as that function's "+0x0" (arm64). Name the caller instead:
 * the function holding the byte before it.
 */
static void fix_noreturn_calls(struct vt_symbols *s, struct vt_oops *o)
{
	for (int i = 0; s && i < o->ntrace; i++) {
		char name[96], *plus;
		const char *caller;
		uint64_t addr, off, size;
		struct vt_error *err;

		snprintf(name, sizeof(name), "%s", o->trace[i]);
		if (!(plus = strstr(name, "+0x0/")))
			continue;
		*plus = '\0';
		err = vt_symbols_lookup(s, name, &addr);
		if (!err)
			err = vt_symbols_addr_size(s, addr - 1, &caller, &off, &size);
		if (err) {
			vt_error_destroy(err);
			continue;
		}
		snprintf(o->trace[i], sizeof(o->trace[i]), "%s+0x%" PRIx64 "/0x%" PRIx64, caller,
			 off + 1, size);
	}
}

struct vt_error *vt_oops_from_log(struct vt_target *t, struct vt_symbols *s,
				  struct vt_oops *ret)
{
	struct scan sc = { .o = ret };
	struct vt_error *err;
	uint64_t skipped = 0;

	memset(ret, 0, sizeof(*ret));
	ret->cpu = ret->pid = -1;
	err = vt_log_read(t, s, scan_record, &sc, &skipped);
	if (err) {
		if (err->code == VT_ERR_NOMEM)
			return err;
		snprintf(ret->log_error, sizeof(ret->log_error), "%s", err->message);
		vt_error_destroy(err);
		return NULL;
	}
	/* Every record skipped (its pages filtered or overwritten): no log, not
	 * an empty one, which would read as "no oops" from memory not in the dump. */
	if (!sc.records && skipped) {
		snprintf(ret->log_error, sizeof(ret->log_error),
			 "all %" PRIu64 " log records skipped (overwritten or not in the dump)",
			 skipped);
		return NULL;
	}
	ret->have_log = true;
	fix_noreturn_calls(s, ret);
	return NULL;
}

static bool sym_is(const char *entry, const char *sym)
{
	size_t n = strlen(sym);

	/* "name+0x.." or "name.cold+0x.." or exactly "name" */
	return strncmp(entry, sym, n) == 0 &&
	       (entry[n] == '+' || entry[n] == '\0' || entry[n] == '.');
}

bool vt_oops_ip_is(const struct vt_oops *o, const char *sym)
{
	return sym_is(o->ip, sym);
}

bool vt_oops_mentions(const struct vt_oops *o, const char *sym)
{
	if (sym_is(o->ip, sym) || sym_is(o->lr, sym))
		return true;
	for (int i = 0; i < o->ntrace; i++)
		if (sym_is(o->trace[i], sym))
			return true;
	return false;
}
