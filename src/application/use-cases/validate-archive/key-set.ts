/** UUIDs per block of the ascending run: 64 KiB each, so no block is one large allocation. */
const RUN_BLOCK_KEYS = 4096;

/**
 * A set of key values that costs 16 bytes a UUID (its 128 bits kept exactly in typed arrays)
 * instead of ~100 bytes as a string in a Set. Any other key value goes to an ordinary Set.
 *
 * Archives list a table's rows in primary-key order (ours do, being read page by page in key
 * order), so UUIDs mostly arrive ascending: those are appended to a run of fixed-size blocks, which
 * never reallocates and needs no empty slots (16 MB for a million keys, where a hash table at half
 * load took 34 MB and twice its size while it grew). A UUID that is not above the run's last
 * is looked up in the run by binary search and kept in sorted buckets, so any order is right.
 * Archives in random order are common too: a database read in storage order (SQLite by rowid,
 * PostgreSQL by heap block, as our backups read them) lists UUID keys in the order they were
 * written, a random one.
 */
export class KeySet {
  private readonly run = new AscendingRun();
  private readonly scattered: SortedBuckets;
  private readonly others = new Set<string>();

  /** `layout` is for tests: fewer, smaller buckets reach the overflow table sooner. */
  constructor(layout: BucketLayout = { bits: BUCKET_BITS, maxKeys: MAX_BUCKET_KEYS }) {
    this.scattered = new SortedBuckets(layout);
  }

  /** Bytes of typed arrays holding UUIDs (what the set costs beyond its other keys). */
  uuidBytes(): number {
    return this.run.bytes() + this.scattered.bytes();
  }

  /** Adds the key; false when it was already there. */
  add(key: string): boolean {
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
    return this.scattered.add(a, b, c, d);
  }
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

interface BucketLayout {
  /** log2 of the number of buckets. */
  readonly bits: number;
  readonly maxKeys: number;
}

/** The scattered keys' buckets, chosen by a hash of the whole key: 4096. */
const BUCKET_BITS = 12;
/** A bucket this full (256 KiB) would shift too much per insert: its further keys go to a hash table. */
const MAX_BUCKET_KEYS = 16_384;

/**
 * 128-bit keys in any order at ~18 bytes each: buckets by a hash of the key, each a sorted typed
 * array grown by a quarter, found by binary search (an insert shifts half a bucket, ~2 KB at a
 * million keys). A hash table at half load took 34 MB for a million keys, and 50 MB while it grew;
 * a million keys in random order pushed a 1.59M-row restore from 184 to 230 MB. Buckets are
 * allocated only once a key comes here, and a bucket that keys aimed at one hash fill stops
 * growing (their keys go to a hash table), so no order or choice of keys makes an insert slow.
 */
class SortedBuckets {
  private buckets: (Uint32Array | undefined)[] = [];
  private counts = new Uint32Array(0);
  private overflow?: UuidHashSet;

  constructor(private readonly layout: BucketLayout) {}

  bytes(): number {
    let total = this.counts.byteLength + (this.overflow?.bytes() ?? 0);
    for (const bucket of this.buckets) total += bucket?.byteLength ?? 0;
    return total;
  }

  /** Adds the key; false when it was already there. */
  add(a: number, b: number, c: number, d: number): boolean {
    const { bits, maxKeys } = this.layout;
    if (this.counts.length === 0) {
      this.buckets = new Array<Uint32Array | undefined>(1 << bits).fill(undefined);
      this.counts = new Uint32Array(1 << bits);
    }
    const index = mix(a, b, c, d) >>> (32 - bits);
    const count = this.counts[index];
    let bucket = this.buckets[index];
    let low = 0;
    if (bucket) {
      let high = count - 1;
      while (low <= high) {
        const mid = (low + high) >>> 1;
        // Not compareAt: a bucket may hold more keys than a block of the run.
        const at = mid * 4;
        const order = bucket[at] - a || bucket[at + 1] - b || bucket[at + 2] - c || bucket[at + 3] - d;
        if (order === 0) return false;
        if (order < 0) low = mid + 1;
        else high = mid - 1;
      }
    }
    // A full bucket stays full: keys that come to it later are kept in the overflow table.
    if (count >= maxKeys) return (this.overflow ??= new UuidHashSet()).add(a, b, c, d);
    if (!bucket || (count + 1) * 4 > bucket.length) {
      const grown = new Uint32Array((Math.ceil(count * 1.25) + 4) * 4);
      if (bucket) grown.set(bucket.subarray(0, count * 4));
      this.buckets[index] = bucket = grown;
    }
    const at = low * 4;
    bucket.copyWithin(at + 4, at, count * 4);
    bucket[at] = a;
    bucket[at + 1] = b;
    bucket[at + 2] = c;
    bucket[at + 3] = d;
    this.counts[index] = count + 1;
    return true;
  }
}

/** 128-bit keys in one open-addressing table (linear probing, at most half full). */
class UuidHashSet {
  private words = new Uint32Array(0);
  private used = new Uint8Array(0);
  private count = 0;

  /** Adds the key; false when it was already there. */
  add(a: number, b: number, c: number, d: number): boolean {
    if ((this.count + 1) * 2 > this.used.length) this.grow();
    const slot = this.find(a, b, c, d);
    if (slot < 0) return false;
    this.put(slot, a, b, c, d);
    return true;
  }

  bytes(): number {
    return this.words.byteLength + this.used.byteLength;
  }

  /** The free slot where the key belongs, or -1 when it is present. */
  private find(a: number, b: number, c: number, d: number): number {
    const mask = this.used.length - 1;
    for (let slot = mix(a, b, c, d) & mask; ; slot = (slot + 1) & mask) {
      if (!this.used[slot]) return slot;
      const at = slot * 4;
      if (this.words[at] === a && this.words[at + 1] === b && this.words[at + 2] === c && this.words[at + 3] === d) return -1;
    }
  }

  private put(slot: number, a: number, b: number, c: number, d: number): void {
    const at = slot * 4;
    this.used[slot] = 1;
    this.words[at] = a;
    this.words[at + 1] = b;
    this.words[at + 2] = c;
    this.words[at + 3] = d;
    this.count++;
  }

  private grow(): void {
    const { words, used } = this;
    const slots = Math.max(1024, used.length * 2);
    this.words = new Uint32Array(slots * 4);
    this.used = new Uint8Array(slots);
    this.count = 0;
    for (let slot = 0; slot < used.length; slot++) {
      if (!used[slot]) continue;
      const at = slot * 4;
      this.put(this.find(words[at], words[at + 1], words[at + 2], words[at + 3]), words[at], words[at + 1], words[at + 2], words[at + 3]);
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
