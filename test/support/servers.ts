/** Registry of test servers (S3, …) started on demand and stopped once after the whole run. */
type Stopper = () => Promise<void>;
const stoppers: Stopper[] = [];

export function onTestRunEnd(stop: Stopper): void {
  stoppers.push(stop);
}

export async function stopAllTestServers(): Promise<void> {
  while (stoppers.length > 0) {
    const stop = stoppers.pop()!;
    try {
      await stop();
    } catch (error) {
      console.error('failed to stop a test server:', error);
    }
  }
}
