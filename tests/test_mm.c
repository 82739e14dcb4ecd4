/*
 * Processes and their mms (models/mm.h) on a fake dump: a task list from
 * init_task.tasks with threads sharing an mm and a kernel thread, init_mm,
 * lookups by pid, a task_struct in filtered memory (walked around from the
 * other end), an mm whose pgd is garbage, a cycle that never returns to the
 * head (bounded), and missing layout facts (named).
 */
#include <string.h>

#include "fake_target.h"
#include "models/mm.h"
#include "unit.h"

/* struct task_struct / mm_struct members where this test puts them */
enum { T_TASKS = 0x10, T_MM = 0x20, T_PID = 0x30, T_COMM = 0x40, T_SIZE = 0x100 };
enum { M_PGD = 0x8, M_USERS = 0x10, M_PGTABLES = 0x18 };

#define INIT_TASK 0x100000u
#define TASK(i) (0x101000u + (i) * 0x1000u)	/* i = 0..3 */
#define MM1 0x110000u
#define MM2 0x111000u
#define INIT_MM 0x112000u

static void task(struct fake *f, uint64_t at, uint32_t pid, uint64_t mm, const char *comm)
{
	fake_put64(f, at + T_MM, mm ? KV(mm) : 0);
	fake_put32(f, at + T_PID, pid);
	fake_puts(f, at + T_COMM, comm);
}

/* head <-> tasks[0] <-> ... <-> tasks[n-1] <-> head, through ->tasks. */
static void link(struct fake *f, const uint64_t *tasks, int n)
{
	for (int i = -1; i < n; i++) {
		uint64_t cur = i < 0 ? INIT_TASK : tasks[i];
		uint64_t next = i + 1 < n ? tasks[i + 1] : INIT_TASK;

		fake_put64(f, cur + T_TASKS, KV(next + T_TASKS));
		fake_put64(f, next + T_TASKS + 8, KV(cur + T_TASKS));
	}
}

static void mm(struct fake *f, uint64_t at, uint64_t pgd_pa, uint32_t users, uint64_t pgt)
{
	fake_put64(f, at + M_PGD, KV(pgd_pa));
	fake_put32(f, at + M_USERS, users);
	fake_put64(f, at + M_PGTABLES, pgt);
}

static void build(struct fake *f)
{
	const uint64_t tasks[] = { TASK(0), TASK(1), TASK(2), TASK(3) };

	fake_init(f, "6.1.0-test", 65536);
	fake_vi(f, "SYMBOL(init_task)=%llx", (unsigned long long)KV(INIT_TASK));
	fake_vi(f, "SYMBOL(init_mm)=%llx", (unsigned long long)KV(INIT_MM));
	fake_vi(f, "OFFSET(task_struct.tasks)=%d", T_TASKS);
	fake_vi(f, "OFFSET(task_struct.mm)=%d", T_MM);
	fake_vi(f, "OFFSET(task_struct.pid)=%d", T_PID);
	fake_vi(f, "OFFSET(task_struct.comm)=%d", T_COMM);
	fake_vi(f, "OFFSET(mm_struct.pgd)=%d", M_PGD);
	fake_vi(f, "OFFSET(mm_struct.mm_users)=%d", M_USERS);
	fake_vi(f, "OFFSET(mm_struct.pgtables_bytes)=%d", M_PGTABLES);
	fake_vi(f, "OFFSET(list_head.next)=0");
	fake_vi(f, "OFFSET(list_head.prev)=8");
	task(f, INIT_TASK, 0, 0, "swapper/0");
	task(f, TASK(0), 1, MM1, "init");
	task(f, TASK(1), 2, 0, "kthreadd");
	task(f, TASK(2), 3, MM1, "init\x01thread");	/* same mm; a control byte */
	task(f, TASK(3), 4, MM2, "sshd");
	link(f, tasks, 4);
	mm(f, MM1, 0x200000, 2, 0x6000);
	mm(f, MM2, 0x210000, 1, 0x3000);
	mm(f, INIT_MM, 0x10000, 1, 0);
}

static void test_list(void)
{
	struct fake f;
	struct vt_mm *mms, one;
	size_t n;
	struct vt_error *err;

	build(&f);
	CHECK_OK(fake_open(&f));
	CHECK_OK(vt_mm_list(f.t, f.s, &mms, &n));
	CHECK(n == 2);
	if (n == 2) {
		CHECK(mms[0].addr == KV(MM1) && mms[0].pid == 1 && !strcmp(mms[0].comm, "init"));
		CHECK(mms[0].ntasks == 2 && mms[0].users == 2 && !*mms[0].error);
		CHECK(mms[0].pgd == KV(0x200000) && mms[0].pgd_paddr == 0x200000);
		CHECK(mms[0].pgtables_bytes == 0x6000);
		CHECK(mms[1].addr == KV(MM2) && mms[1].pid == 4 && mms[1].ntasks == 1);
		CHECK(mms[1].pgd_paddr == 0x210000 && !strcmp(mms[1].comm, "sshd"));
	}
	free(mms);

	CHECK_OK(vt_mm_init_mm(f.t, f.s, &one));
	CHECK(one.addr == KV(INIT_MM) && one.pid == 0 && !strcmp(one.comm, "init_mm"));
	CHECK(one.pgd_paddr == 0x10000);

	CHECK_OK(vt_mm_of_pid(f.t, f.s, 4, &one));
	CHECK(one.addr == KV(MM2) && one.pid == 4 && one.pgd_paddr == 0x210000);
	CHECK_OK(vt_mm_of_pid_text(f.t, f.s, "3", &one));
	CHECK(one.addr == KV(MM1) && one.pid == 3);
	err = vt_mm_of_pid(f.t, f.s, 2, &one);
	CHECK(err && err->code == VT_ERR_NOT_FOUND && strstr(err->message, "kernel thread"));
	vt_error_destroy(err);
	err = vt_mm_of_pid(f.t, f.s, 99, &one);
	CHECK(err && err->code == VT_ERR_NOT_FOUND && strstr(err->message, "pid 99"));
	vt_error_destroy(err);
	CHECK_ERR(vt_mm_of_pid_text(f.t, f.s, "", &one), VT_ERR_USAGE);
	CHECK_ERR(vt_mm_of_pid_text(f.t, f.s, "12x", &one), VT_ERR_USAGE);
	CHECK_ERR(vt_mm_of_pid_text(f.t, f.s, "-1", &one), VT_ERR_USAGE);
	CHECK_ERR(vt_mm_of_pid_text(f.t, f.s, "4294967297", &one), VT_ERR_USAGE);

	/* pgtables_bytes is v4.16+: absent, the accounting is unknown (-1). */
	fake_vi_drop(&f, "OFFSET(mm_struct.pgtables_bytes)");
	CHECK_OK(fake_open(&f));
	CHECK_OK(vt_mm_list(f.t, f.s, &mms, &n));
	CHECK(n == 2 && mms[0].pgtables_bytes == -1 && mms[0].pgd_paddr == 0x200000);
	free(mms);
	/* A required member: the error names it, nothing is guessed. */
	fake_vi_drop(&f, "OFFSET(task_struct.comm)");
	CHECK_OK(fake_open(&f));
	err = vt_mm_list(f.t, f.s, &mms, &n);
	CHECK(err && err->code == VT_ERR_NOT_FOUND && strstr(err->message, "task_struct") &&
	      strstr(err->message, "comm"));
	vt_error_destroy(err);
	err = vt_mm_init_mm(f.t, f.s, &one);
	CHECK(err && strstr(err->message, "comm"));
	vt_error_destroy(err);
	fake_free(&f);

	/* No init_task: said, not guessed. */
	build(&f);
	fake_vi_drop(&f, "SYMBOL(init_task)");
	CHECK_OK(fake_open(&f));
	err = vt_mm_list(f.t, f.s, &mms, &n);
	CHECK(err && err->code == VT_ERR_NOT_FOUND && strstr(err->message, "init_task"));
	vt_error_destroy(err);
	fake_free(&f);
}

static void test_damaged(void)
{
	struct fake f;
	struct vt_mm *mms, one;
	size_t n;
	struct vt_error *err;

	/* The third task's page filtered: the walk goes round from both ends
	 * and lists it as one unreadable entry, in order. */
	build(&f);
	fake_filter(&f, TASK(2), T_SIZE);
	CHECK_OK(fake_open(&f));
	CHECK_OK(vt_mm_list(f.t, f.s, &mms, &n));
	CHECK(n == 3);
	if (n == 3) {
		CHECK(mms[0].addr == KV(MM1) && mms[0].ntasks == 1 && !*mms[0].error);
		CHECK(mms[1].task_unreadable && mms[1].addr == KV(TASK(2)) && *mms[1].error);
		CHECK(mms[1].pid == -1);
		CHECK(mms[2].addr == KV(MM2) && mms[2].pid == 4 && !*mms[2].error);
	}
	free(mms);
	CHECK_OK(vt_mm_of_pid(f.t, f.s, 4, &one));	/* found walking back */
	CHECK(one.addr == KV(MM2));
	err = vt_mm_of_pid(f.t, f.s, 3, &one);
	CHECK(err && err->code == VT_ERR_NOT_FOUND && strstr(err->message, "could not be read"));
	vt_error_destroy(err);
	fake_unfilter(&f);

	/* An mm whose pgd is not a kernel address, and one filtered: each kept
	 * as an entry that says why. */
	fake_put64(&f, MM2 + M_PGD, 0x1234);
	fake_filter(&f, MM1, 0x100);
	CHECK_OK(fake_open(&f));
	CHECK_OK(vt_mm_list(f.t, f.s, &mms, &n));
	/* An unreadable mm is not merged: one entry per task using it. */
	CHECK(n == 3);
	if (n == 3) {
		CHECK(mms[0].addr == KV(MM1) && strstr(mms[0].error, "c000000000110000"));
		CHECK(mms[1].addr == KV(MM1) && *mms[1].error && mms[1].pid == 3);
		CHECK(!strcmp(mms[1].comm, "init?thread"));	/* control byte shown as ? */
		CHECK(mms[2].pid == 4 && !strcmp(mms[2].comm, "sshd") && *mms[2].error);
		CHECK(!mms[2].task_unreadable && mms[2].pgd == 0x1234);
	}
	free(mms);
	fake_free(&f);

	/* The last task points back into the list, not at the head: bounded. */
	build(&f);
	fake_put64(&f, TASK(3) + T_TASKS, KV(TASK(1) + T_TASKS));
	CHECK_OK(fake_open(&f));
	err = vt_mm_list(f.t, f.s, &mms, &n);
	CHECK(err && err->code == VT_ERR_FORMAT && strstr(err->message, "cyclic"));
	vt_error_destroy(err);
	fake_free(&f);
}

int main(void)
{
	test_list();
	test_damaged();
	return unit_done("test_mm");
}
