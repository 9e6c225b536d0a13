import { randomBytes, randomUUID } from 'node:crypto';
import type { Clock, IdGenerator } from '../../application/ports/system.port';

export class SystemClock implements Clock {
  now(): Date {
    return new Date();
  }
}

export class CryptoIdGenerator implements IdGenerator {
  uuid(): string {
    return randomUUID();
  }
  secret(bytes: number): string {
    return randomBytes(bytes).toString('base64url');
  }
}
