// One GPU task at a time. The wasm trainer checks its run out while it
// awaits a readback, so training steps, statistics, evaluation, probes and
// saves must not overlap: each waits for the one before it.

export class GpuQueue {
  constructor() {
    this.tail = Promise.resolve();
    this.waiting = 0;
  }

  /** Runs `task` (sync or async) after every task queued before it. */
  run(task) {
    this.waiting += 1;
    const result = this.tail.then(task).finally(() => {
      this.waiting -= 1;
    });
    this.tail = result.catch(() => {});
    return result;
  }
}
