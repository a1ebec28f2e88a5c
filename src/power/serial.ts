/**
 * Runs tasks one after another per key, and tasks of different keys side by side. A BMC
 * serves few sessions (often four) and interleaved commands would race: "set PXE, power
 * on" from one caller must not have another's "power off" in between.
 */
export class SerialQueues {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    // A tail never rejects, so the next task waits for this one whether it fails or not.
    const result = previous.then(task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    // Forget an idle key so the map does not grow with every BMC ever seen.
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Keys with a task running or waiting. */
  busy(): number {
    return this.tails.size;
  }
}
