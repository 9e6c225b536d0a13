/** Long-running work started with the server and stopped on close (job workers, schedules, timers). */
export interface BackgroundService {
  start(): Promise<void>;
  stop(): Promise<void>;
}
