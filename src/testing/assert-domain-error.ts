import assert from 'node:assert/strict';
import { type ErrorCategory, isDomainError } from '../domain/errors';

/**
 * Rejects with a domain error of this category and code, recognised by its fields (a plugin's own
 * copy of the error classes, or a plain object with `category` and `code`, passes).
 */
export async function rejectsWithCode(promise: Promise<unknown>, category: ErrorCategory, code: string, what = ''): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isDomainError(error), `${what}: expected a domain error {category: ${category}, code: ${code}}, got ${String(error)}`);
    assert.equal(error.category, category, `${what}: category of ${error.code}`);
    assert.equal(error.code, code, what);
    return true;
  });
}

/** Rejects with a domain error of this category (any code). */
export async function rejectsWithCategory(promise: Promise<unknown>, category: ErrorCategory, what = ''): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isDomainError(error, category), `${what}: expected a domain error of category ${category}, got ${String(error)}`);
    return true;
  });
}
