import { isUuid } from '../../../domain/schema/values';

/**
 * A set of key values that costs 16 bytes a slot for UUIDs (128 bits kept exactly in a typed
 * array with open addressing) instead of ~100 bytes as strings in a Set: the primary keys of a
 * million-row table fit in about 32 MB. Any other key value goes to an ordinary Set.
 */
export class KeySet {
  private words = new Uint32Array(4 * 1024);
  private used = new Uint8Array(1024);
  private count = 0;
  private readonly others = new Set<string>();

  /** Adds the key; false when it was already there. */
  add(key: string): boolean {
    if (!isUuid(key)) {
      if (this.others.has(key)) return false;
      this.others.add(key);
      return true;
    }
    const hex = key.replace(/-/g, '').toLowerCase();
    const w = [0, 8, 16, 24].map((at) => parseInt(hex.slice(at, at + 8), 16) >>> 0);
    if ((this.count + 1) * 2 > this.used.length) this.grow();
    return this.insert(w[0], w[1], w[2], w[3]);
  }

  private insert(a: number, b: number, c: number, d: number): boolean {
    const mask = this.used.length - 1;
    let slot = mix(a, b, c, d) & mask;
    for (;;) {
      if (!this.used[slot]) {
        this.used[slot] = 1;
        this.words.set([a, b, c, d], slot * 4);
        this.count++;
        return true;
      }
      const at = slot * 4;
      if (this.words[at] === a && this.words[at + 1] === b && this.words[at + 2] === c && this.words[at + 3] === d) return false;
      slot = (slot + 1) & mask;
    }
  }

  private grow(): void {
    const { words, used } = this;
    this.words = new Uint32Array(words.length * 2);
    this.used = new Uint8Array(used.length * 2);
    this.count = 0;
    for (let slot = 0; slot < used.length; slot++) {
      if (used[slot]) this.insert(words[slot * 4], words[slot * 4 + 1], words[slot * 4 + 2], words[slot * 4 + 3]);
    }
  }
}

/** Spreads all 128 bits over the slot index (UUIDs that differ only in their last digits too). */
function mix(a: number, b: number, c: number, d: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ b ^ (h >>> 13), 0xc2b2ae35);
  h = Math.imul(h ^ c ^ (h >>> 16), 0x27d4eb2f);
  h = Math.imul(h ^ d ^ (h >>> 15), 0x165667b1);
  return (h ^ (h >>> 16)) >>> 0;
}
