// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Selection by cgroup for the node agent (`run`): a task moved into a cgroup
 * whose verdict is AISEC_CG_SELECT is watched from then on; a removed
 * cgroup's verdict is deleted and the agent told (AISEC_EV_CGROUP_GONE).
 * The exec side of selection is in process.bpf.c. The agent loads the two
 * cgroup hooks only with select_mode, so `watch` pays nothing for them.
 *
 * Also the task iterator behind loader__tasks(): every process alive, with
 * its cgroup v2 id, so the agent can select what runs already.
 */
#include "common.bpf.h"

/* One record per process written by iter_task; must match struct
 * task_rec in agent/loader.c. */
struct task_rec {
	__u32 tgid;
	__u32 _pad;
	__u64 cgroup_id;
};

/* The cgroup tracepoints fire for every hierarchy, v1 ones included, whose
 * ids are numbered apart from v2's: only the default (v2) hierarchy counts,
 * the one the current task's dfl_cgrp is on. */
static __always_inline bool on_dfl_hierarchy(struct cgroup *cgrp)
{
	struct task_struct *cur = bpf_get_current_task_btf();

	return BPF_CORE_READ(cgrp, root) == BPF_CORE_READ(cur, cgroups, dfl_cgrp, root);
}

SEC("tp_btf/cgroup_attach_task")
int BPF_PROG(tp_btf_cgroup_attach_task, struct cgroup *dst_cgrp, const char *path, struct task_struct *task,
	     bool threadgroup)
{
	__u32 tgid = BPF_CORE_READ(task, tgid);
	__u64 cgid;
	__u8 *verdict;

	if (!select_mode || tgid_watched(tgid) || !on_dfl_hierarchy(dst_cgrp))
		return 0;
	cgid = BPF_CORE_READ(dst_cgrp, kn, id);
	verdict = bpf_map_lookup_elem(&cgroup_verdict, &cgid);
	if (verdict && *verdict == AISEC_CG_SELECT)
		watch_add(tgid);
	return 0;
}

SEC("tp_btf/cgroup_rmdir")
int BPF_PROG(tp_btf_cgroup_rmdir, struct cgroup *cgrp, const char *path)
{
	struct aisec_hdr *h;
	__u64 cgid;

	if (!select_mode || !on_dfl_hierarchy(cgrp))
		return 0;
	cgid = BPF_CORE_READ(cgrp, kn, id);
	/* The id is not reused, so the entry could only leak: drop it here,
	 * before the agent hears of it. */
	bpf_map_delete_elem(&cgroup_verdict, &cgid);

	h = bpf_ringbuf_reserve(&events, sizeof(*h), 0);
	if (!h) {
		stat_inc(AISEC_STAT_RB_DROP);
		return 0;
	}
	/* Header only; apart from cgroup_id it describes the task removing it. */
	fill_hdr(h, AISEC_EV_CGROUP_GONE, AISEC_SYS_NONE);
	h->size = sizeof(*h);
	h->cgroup_id = cgid;
	bpf_ringbuf_submit(h, rb_flags_submit(sizeof(*h)));
	return 0;
}

/* One task_rec per thread-group leader; threads are skipped. tgid is the
 * kernel's own (init pid namespace), as in every record. */
SEC("iter/task")
int iter_task(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct task_rec rec = {};

	if (!task || task->pid != task->tgid)
		return 0;
	rec.tgid = task->tgid;
	rec.cgroup_id = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, id);
	bpf_seq_write(ctx->meta->seq, &rec, sizeof(rec));
	return 0;
}
