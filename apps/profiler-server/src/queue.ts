/** Runs tasks one at a time, in arrival order, refusing new ones beyond `capacity` waiting. */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private waiting = 0;
  private running = false;

  constructor(private readonly capacity: number) {}

  /** Tasks waiting plus the one running. */
  get length(): number {
    return this.waiting + (this.running ? 1 : 0);
  }

  /** undefined when the queue is full; otherwise the task's result, once its turn came. */
  push<T>(task: () => Promise<T>): Promise<T> | undefined {
    if (this.waiting >= this.capacity) return undefined;
    this.waiting++;
    const run = async () => {
      this.waiting--;
      this.running = true;
      try {
        return await task();
      } finally {
        this.running = false;
      }
    };
    const p = this.tail.then(run, run);
    this.tail = p.catch(() => undefined);
    return p;
  }
}
