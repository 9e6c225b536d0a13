/** UUIDs per block of the ascending run: 64 KiB each, so no block is one large allocation. */
const RUN_BLOCK_KEYS = 4096;

/**
 * The keys of one table's rows, to find rows that repeat an earlier row's key. A UUID costs 20
 * bytes (its 128 bits kept exactly in typed arrays, and its row) instead of ~100 bytes as a string
 * in a Set. Any other key value goes to an ordinary Set.
 *
 * Archives list a table's rows in primary-key order when the database was read by key, and then
 * UUIDs arrive ascending: those are appended to a run of fixed-size blocks, which never
 * reallocates and needs no empty slots (16 MB for a million keys), and a repeat is known at once.
 * Archives in random order are common too: a database read in storage order (SQLite by rowid,
 * PostgreSQL by heap block, as our backups read them) lists UUID keys in the order they were
 * written, a random one. A UUID that is not above the run's last is looked up in the run, and
 * otherwise kept apart with its row until the table ends (`laterRepeats`). No key kept apart can
 * equal one the run takes later: those are above the run's last, which was above it.
 */
export class KeySet {
  private readonly run = new AscendingRun();
  private readonly scattered: ScatteredKeys;
  private readonly others = new Set<string>();

  /** `hashBytes` is for tests: sorting by fewer of the hash's bytes leaves large bins to heapsort. */
  constructor(options: { hashBytes?: number } = {}) {
    this.scattered = new ScatteredKeys(options.hashBytes);
  }

  /** Bytes of typed arrays holding UUIDs (what the set costs beyond its other keys). */
  uuidBytes(): number {
    return this.run.bytes() + this.scattered.bytes();
  }

  /**
   * Adds the key of row `row`; false when it is known at once to repeat an earlier row's. A UUID
   * out of order is compared with the others out of order only by `laterRepeats`.
   */
  add(key: string, row: number): boolean {
    if (!readUuid(key)) {
      if (this.others.has(key)) return false;
      this.others.add(key);
      return true;
    }
    const a = WORDS[0];
    const b = WORDS[1];
    const c = WORDS[2];
    const d = WORDS[3];
    // Every key kept apart was below the run's last when it came, and the run only grows: a key
    // above the run's last is new.
    if (this.run.isAboveLast(a, b, c, d)) {
      this.run.append(a, b, c, d);
      return true;
    }
    if (this.run.has(a, b, c, d)) return false;
    this.scattered.add(a, b, c, d, row);
    return true;
  }

  /**
   * Once the last key is added: the repeats `add` could not tell, in row order, each with its key
   * as a lower-case UUID. The keys kept apart are released.
   */
  laterRepeats(): { row: number; key: string }[] {
    return this.scattered
      .repeats()
      .map((r) => ({ row: r[4], key: uuidText(r[0], r[1], r[2], r[3]) }))
      .sort((x, y) => x.row - y.row);
  }
}

/** Four words, most significant first, as an 8-4-4-4-12 lower-case UUID. */
function uuidText(a: number, b: number, c: number, d: number): string {
  const hex = [a, b, c, d].map((w) => w.toString(16).padStart(8, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The UUID `readUuid` read last: four 32-bit words, most significant first. */
const WORDS = new Uint32Array(4);

/** Value of each ASCII hex digit (either case); -1 for every other character. */
const HEX_DIGIT = new Int8Array(128).fill(-1);
for (let i = 0; i < 16; i++) {
  HEX_DIGIT['0123456789abcdef'.charCodeAt(i)] = i;
  HEX_DIGIT['0123456789ABCDEF'.charCodeAt(i)] = i;
}

/**
 * Reads an 8-4-4-4-12 hex-digit UUID (either case) into WORDS; false when the key is not one. By
 * char codes and a table, without slices or parseInt: every row's primary key comes here.
 */
function readUuid(key: string): boolean {
  if (key.length !== 36 || key.charCodeAt(8) !== 0x2d || key.charCodeAt(13) !== 0x2d || key.charCodeAt(18) !== 0x2d || key.charCodeAt(23) !== 0x2d) return false;
  const a = hexDigits(key, 0, 8, 0);
  const b = hexDigits(key, 14, 18, hexDigits(key, 9, 13, 0));
  const c = hexDigits(key, 24, 28, hexDigits(key, 19, 23, 0));
  const d = hexDigits(key, 28, 36, 0);
  if (a < 0 || b < 0 || c < 0 || d < 0) return false;
  WORDS[0] = a;
  WORDS[1] = b;
  WORDS[2] = c;
  WORDS[3] = d;
  return true;
}

/** `word` followed by the hex digits of key[from, to); -1 when `word` is or one of them is not. */
function hexDigits(key: string, from: number, to: number, word: number): number {
  if (word < 0) return -1;
  for (let i = from; i < to; i++) {
    const c = key.charCodeAt(i);
    const digit = c < 128 ? HEX_DIGIT[c] : -1;
    if (digit < 0) return -1;
    word = word * 16 + digit;
  }
  return word;
}

/** Strictly ascending 128-bit keys in blocks of RUN_BLOCK_KEYS. */
class AscendingRun {
  private readonly blocks: Uint32Array[] = [];
  private count = 0;

  isAboveLast(a: number, b: number, c: number, d: number): boolean {
    if (this.count === 0) return true;
    return compareAt(this.blockOf(this.count - 1), this.count - 1, a, b, c, d) < 0;
  }

  append(a: number, b: number, c: number, d: number): void {
    if (this.count % RUN_BLOCK_KEYS === 0) this.blocks.push(new Uint32Array(RUN_BLOCK_KEYS * 4));
    const at = (this.count % RUN_BLOCK_KEYS) * 4;
    const block = this.blocks[this.blocks.length - 1];
    block[at] = a;
    block[at + 1] = b;
    block[at + 2] = c;
    block[at + 3] = d;
    this.count++;
  }

  has(a: number, b: number, c: number, d: number): boolean {
    let low = 0;
    let high = this.count - 1;
    while (low <= high) {
      const mid = (low + high) >>> 1;
      const order = compareAt(this.blockOf(mid), mid, a, b, c, d);
      if (order === 0) return true;
      if (order < 0) low = mid + 1;
      else high = mid - 1;
    }
    return false;
  }

  bytes(): number {
    return this.blocks.length * RUN_BLOCK_KEYS * 16;
  }

  private blockOf(index: number): Uint32Array {
    return this.blocks[Math.floor(index / RUN_BLOCK_KEYS)];
  }
}

/** Key `index` of the run (in `block`) against a, b, c, d: negative when it is smaller. */
function compareAt(block: Uint32Array, index: number, a: number, b: number, c: number, d: number): number {
  const at = (index % RUN_BLOCK_KEYS) * 4;
  return block[at] - a || block[at + 1] - b || block[at + 2] - c || block[at + 3] - d;
}

/** A scattered key's record: its four words, then the row it came in. */
const RECORD_WORDS = 5;
/** Records per block of the scattered keys: 80 KiB each, so no block is one large allocation. */
const SCATTER_BLOCK_RECORDS = 4096;
const SCATTER_BLOCK_SHIFT = 12;
const SCATTER_BLOCK_MASK = SCATTER_BLOCK_RECORDS - 1;
/** Bins of at most this many records are sorted by insertion. */
const INSERTION_SORT_MAX = 24;
/** Bins per level of the sort: 8 bits of the key's hash. */
const RADIX = 256;

/**
 * 128-bit keys in any order, each with its row, appended as they come (20 bytes a key), and
 * compared all at once when the table ends: sorted in place by a hash of the key, 8 bits at a
 * time (`sortRange`), and equal neighbours are repeats. For 1.5M random UUIDs: 0.53-0.77 s in
 * all, against 0.87-2.57 s for keeping them in 4096 sorted buckets as they came (an insert into a
 * random one of 24 MB of buckets, a cache miss or more each). Heapsort for what the hash cannot
 * split keeps keys aimed at one hash from making the sort quadratic.
 */
class ScatteredKeys {
  private blocks: Uint32Array[] = [];
  private count = 0;
  /** Per level of `sortRange`: where each bin ends, and its next free place. */
  private readonly ends: (Uint32Array | undefined)[] = [];
  private readonly next: (Uint32Array | undefined)[] = [];
  private readonly held = new Uint32Array(RECORD_WORDS);

  constructor(private readonly hashBytes = 4) {}

  bytes(): number {
    return this.blocks.length * SCATTER_BLOCK_RECORDS * RECORD_WORDS * 4;
  }

  add(a: number, b: number, c: number, d: number, row: number): void {
    if (this.count % SCATTER_BLOCK_RECORDS === 0) this.blocks.push(new Uint32Array(SCATTER_BLOCK_RECORDS * RECORD_WORDS));
    const block = this.blocks[this.blocks.length - 1];
    const at = (this.count % SCATTER_BLOCK_RECORDS) * RECORD_WORDS;
    block[at] = a;
    block[at + 1] = b;
    block[at + 2] = c;
    block[at + 3] = d;
    block[at + 4] = row;
    this.count++;
  }

  /** The records whose key an earlier row's equals (their four words and row); empties the set. */
  repeats(): Uint32Array[] {
    const found: Uint32Array[] = [];
    this.sortRange(0, this.count, 8 * this.hashBytes - 8);
    for (let i = 1; i < this.count; i++) if (this.sameKey(i - 1, i)) found.push(this.record(i));
    this.blocks = [];
    this.count = 0;
    return found;
  }

  /**
   * Sorts the records of [from, to), whose keys' hashes agree above bit `shift` + 8: in place by the
   * hash's next 8 bits (American flag sort: each record moves straight to the next free place of
   * its bin; with 256 bins those places stay in the processor's cache), then each bin the same way
   * with the next 8. Equal keys share a hash, so they meet in one small bin, sorted last by key
   * and row. Past the hash's 32 bits, what is left (keys aimed at one hash) goes to heapsort.
   */
  private sortRange(from: number, to: number, shift: number): void {
    if (to - from <= INSERTION_SORT_MAX) return this.insertionSort(from, to);
    if (shift < 0) return this.heapSort(from, to);
    const level = 3 - shift / 8;
    const ends = (this.ends[level] ??= new Uint32Array(RADIX));
    const next = (this.next[level] ??= new Uint32Array(RADIX));
    ends.fill(0);
    for (let i = from; i < to; i++) ends[this.digit(i, shift)]++;
    let at = from;
    for (let bin = 0; bin < RADIX; bin++) {
      next[bin] = at;
      at += ends[bin];
      ends[bin] = at;
    }
    const held = this.held;
    for (let bin = 0; bin < RADIX; bin++) {
      while (next[bin] < ends[bin]) {
        const place = next[bin];
        let target = this.digit(place, shift);
        if (target !== bin) {
          this.load(place, held);
          while (target !== bin) {
            this.exchange(next[target]++, held);
            target = hashDigit(held[0], held[1], held[2], held[3], shift);
          }
          this.store(place, held);
        }
        next[bin]++;
      }
    }
    // Each level has arrays of its own: the bins below this one do not touch `ends`.
    let start = from;
    for (let bin = 0; bin < RADIX; bin++) {
      const end = ends[bin];
      if (end - start > 1) this.sortRange(start, end, shift - 8);
      start = end;
    }
  }

  private digit(index: number, shift: number): number {
    const block = this.blocks[index >>> SCATTER_BLOCK_SHIFT];
    const at = (index & SCATTER_BLOCK_MASK) * RECORD_WORDS;
    return hashDigit(block[at], block[at + 1], block[at + 2], block[at + 3], shift);
  }

  /** Record order: the key, then the row, so the first of equal keys is the earliest row. */
  private compare(i: number, j: number): number {
    const x = this.blocks[i >>> SCATTER_BLOCK_SHIFT];
    const y = this.blocks[j >>> SCATTER_BLOCK_SHIFT];
    const p = (i & SCATTER_BLOCK_MASK) * RECORD_WORDS;
    const q = (j & SCATTER_BLOCK_MASK) * RECORD_WORDS;
    return x[p] - y[q] || x[p + 1] - y[q + 1] || x[p + 2] - y[q + 2] || x[p + 3] - y[q + 3] || x[p + 4] - y[q + 4];
  }

  private sameKey(i: number, j: number): boolean {
    const x = this.blocks[i >>> SCATTER_BLOCK_SHIFT];
    const y = this.blocks[j >>> SCATTER_BLOCK_SHIFT];
    const p = (i & SCATTER_BLOCK_MASK) * RECORD_WORDS;
    const q = (j & SCATTER_BLOCK_MASK) * RECORD_WORDS;
    return x[p] === y[q] && x[p + 1] === y[q + 1] && x[p + 2] === y[q + 2] && x[p + 3] === y[q + 3];
  }

  private insertionSort(from: number, to: number): void {
    for (let i = from + 1; i < to; i++) {
      for (let j = i; j > from && this.compare(j - 1, j) > 0; j--) this.swap(j - 1, j);
    }
  }

  private heapSort(from: number, to: number): void {
    const size = to - from;
    for (let root = (size >>> 1) - 1; root >= 0; root--) this.siftDown(from, root, size);
    for (let end = size - 1; end > 0; end--) {
      this.swap(from, from + end);
      this.siftDown(from, 0, end);
    }
  }

  private siftDown(from: number, root: number, size: number): void {
    for (;;) {
      let child = 2 * root + 1;
      if (child >= size) return;
      if (child + 1 < size && this.compare(from + child, from + child + 1) < 0) child++;
      if (this.compare(from + root, from + child) >= 0) return;
      this.swap(from + root, from + child);
      root = child;
    }
  }

  private swap(i: number, j: number): void {
    const x = this.blocks[i >>> SCATTER_BLOCK_SHIFT];
    const y = this.blocks[j >>> SCATTER_BLOCK_SHIFT];
    const p = (i & SCATTER_BLOCK_MASK) * RECORD_WORDS;
    const q = (j & SCATTER_BLOCK_MASK) * RECORD_WORDS;
    for (let w = 0; w < RECORD_WORDS; w++) {
      const t = x[p + w];
      x[p + w] = y[q + w];
      y[q + w] = t;
    }
  }

  /** Swaps record `index` with the one in `held`. */
  private exchange(index: number, held: Uint32Array): void {
    const x = this.blocks[index >>> SCATTER_BLOCK_SHIFT];
    const p = (index & SCATTER_BLOCK_MASK) * RECORD_WORDS;
    for (let w = 0; w < RECORD_WORDS; w++) {
      const t = x[p + w];
      x[p + w] = held[w];
      held[w] = t;
    }
  }

  private load(index: number, into: Uint32Array): void {
    const x = this.blocks[index >>> SCATTER_BLOCK_SHIFT];
    const p = (index & SCATTER_BLOCK_MASK) * RECORD_WORDS;
    into.set(x.subarray(p, p + RECORD_WORDS));
  }

  private store(index: number, from: Uint32Array): void {
    const x = this.blocks[index >>> SCATTER_BLOCK_SHIFT];
    x.set(from, (index & SCATTER_BLOCK_MASK) * RECORD_WORDS);
  }

  private record(index: number): Uint32Array {
    const x = this.blocks[index >>> SCATTER_BLOCK_SHIFT];
    const p = (index & SCATTER_BLOCK_MASK) * RECORD_WORDS;
    return x.slice(p, p + RECORD_WORDS);
  }
}

/** The 8 bits of the key's hash at `shift`: its bin at that level of `ScatteredKeys.sortRange`. */
function hashDigit(a: number, b: number, c: number, d: number, shift: number): number {
  return (mix(a, b, c, d) >>> shift) & (RADIX - 1);
}

/** Spreads all 128 bits over the slot index (UUIDs that differ only in their last digits too). */
function mix(a: number, b: number, c: number, d: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ b ^ (h >>> 13), 0xc2b2ae35);
  h = Math.imul(h ^ c ^ (h >>> 16), 0x27d4eb2f);
  h = Math.imul(h ^ d ^ (h >>> 15), 0x165667b1);
  return (h ^ (h >>> 16)) >>> 0;
}
