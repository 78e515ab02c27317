import type { Job } from 'bullmq';

/** Reads a job's current BullMQ priority (the `priority` field of its hash); undefined if gone. */
export type ReadPriority = (jobId: string) => Promise<number | undefined>;

/**
 * After the worker delayed a job (a park, a backoff): a duplicate request may have raised its
 * priority while it ran, after the producer had looked (it saw the job active, so it only raised
 * the field). The job must then not sit out its delay: it is made runnable now. Redis orders the
 * producer's raise and this read, so one of the two always promotes it. Best effort.
 */
export async function promoteIfRaised(job: Job, readPriority: ReadPriority): Promise<boolean> {
  if (job.id === undefined) return false;
  try {
    const now = await readPriority(job.id);
    const before = job.priority > 0 ? job.priority : Number.POSITIVE_INFINITY;
    if (now === undefined || now <= 0 || now >= before) return false;
    await job.promote();
    return true;
  } catch {
    return false; // not delayed any more (it came due, or the producer promoted it)
  }
}
