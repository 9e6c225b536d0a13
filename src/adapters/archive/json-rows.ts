import type { ByteStream } from '../../application/ports/blob-store.port';
import { formatBytes } from '../../domain/byte-size';
import { archiveInvalid, archiveLimit } from './archive-error';
import { invalidUtf8At } from './utf8';

type Phase = 'start' | 'null' | 'open' | 'element' | 'after' | 'comma' | 'end';
type Row = Record<string, unknown>;

const MAX_DEPTH = 64;
/**
 * Bytes decoded at a time. Node makes a decoded text of more than about 1 MB an external string
 * (malloc'd outside the V8 heap, freed only by a full GC): decoding the archive's 1 MiB chunks
 * whole left tens of MB of such strings and a fragmented malloc heap behind. Smaller pieces stay
 * ordinary young-generation strings.
 */
const DECODE_BYTES = 64 * 1024;
const STRING_SPECIAL = /["\\]/g;

function describe(c: string): string {
  if (c === '"') return 'a string';
  if (c === '[') return 'an array';
  if (c === 't' || c === 'f') return 'a boolean';
  if (c === 'n') return 'null';
  if (c === '-' || (c >= '0' && c <= '9')) return 'a number';
  return JSON.stringify(c);
}

const isSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/** An object (not an array) none of whose values is an object or an array. */
function isFlatObject(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  for (const key in value) {
    const field = (value as Row)[key];
    if (typeof field === 'object' && field !== null) return false;
  }
  return true;
}

/**
 * Finds the extent of each top-level element of a JSON array as text arrives and hands each
 * complete row to JSON.parse (the whole rows of a piece of text at once, see `parseRun`), so only
 * the rows of one piece are ever held. Structure outside rows (brackets, commas, `null`) is
 * checked here; the rows' own syntax by JSON.parse.
 */
class RowScanner {
  private phase: Phase = 'start';
  private literal = '';
  private parts: string[] = [];
  private partsLength = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;
  private index = 0;

  constructor(
    private readonly name: string,
    private readonly maxChars: number,
  ) {}

  push(text: string): Row[] {
    const rows: Row[] = [];
    let i = 0;
    // Whether this text's run of whole rows was tried (once: what follows a run is at most one row).
    let runTried = false;
    while (i < text.length) {
      if (this.phase === 'element') {
        i = this.scanElement(text, i, i, rows);
        continue;
      }
      const code = text.charCodeAt(i);
      if (this.phase !== 'null' && isSpace(code)) {
        i++;
        continue;
      }
      const c = text[i];
      switch (this.phase) {
        case 'start':
          if (c === '[') this.phase = 'open';
          else if (c === 'n') [this.phase, this.literal] = ['null', 'n'];
          else throw this.error(`is not a JSON array of rows (it starts with ${describe(c)})`);
          i++;
          break;
        case 'null':
          this.literal += c;
          if (!'null'.startsWith(this.literal)) throw this.error('is not valid JSON');
          if (this.literal === 'null') this.phase = 'end';
          i++;
          break;
        case 'open':
        case 'comma':
          if (c === ']' && this.phase === 'open') [this.phase, i] = ['end', i + 1];
          else if (c === ']') throw this.error(`has a trailing comma after row [${this.index - 1}]`);
          else if (c !== '{') throw this.error(`row [${this.index}] is not an object (found ${describe(c)})`);
          else {
            const end = runTried ? i : this.parseRun(text, i, rows);
            runTried = true;
            if (end > i) [this.phase, i] = ['after', end];
            else i = this.scanElement(text, i, i, rows);
          }
          break;
        case 'after':
          if (c === ',') this.phase = 'comma';
          else if (c === ']') this.phase = 'end';
          else throw this.error(`expected "," or "]" after row [${this.index - 1}], found ${describe(c)}`);
          i++;
          break;
        case 'end':
          throw this.error('has unexpected data after the JSON array');
      }
    }
    return rows;
  }

  /**
   * The whole rows from `start` (a row's `{`) to the text's last `}`, parsed as one array: one
   * JSON.parse instead of a scan of every character and a parse per row. It stands only when the
   * answer is the exact scan's: the array parses (so the cut is between rows, never inside a string
   * or a nested value), every element is an object without nested values (no depth to check) and
   * the run is within the row size limit (so is each of its rows). Otherwise it returns `start`
   * and the exact scan reads those rows, finding what is wrong as it always has.
   */
  private parseRun(text: string, start: number, rows: Row[]): number {
    const end = text.lastIndexOf('}') + 1;
    if (end <= start || end - start > this.maxChars) return start;
    let run: unknown[];
    try {
      run = JSON.parse(`[${text.slice(start, end)}]`) as unknown[];
    } catch {
      return start;
    }
    if (!run.every(isFlatObject)) return start;
    for (const row of run) rows.push(row as Row);
    this.index += run.length;
    return end;
  }

  /** Scans from `i` (inside a row that began at `start` in this text); returns where it stopped. */
  private scanElement(text: string, start: number, i: number, rows: Row[]): number {
    this.phase = 'element';
    for (; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === 0x5c) this.escaped = true;
        else if (c === 0x22) this.inString = false;
        else {
          STRING_SPECIAL.lastIndex = i;
          const m = STRING_SPECIAL.exec(text);
          i = (m ? m.index : text.length) - 1;
        }
      } else if (c === 0x22) this.inString = true;
      else if (c === 0x7b || c === 0x5b) {
        if (++this.depth > MAX_DEPTH) throw this.error(`row [${this.index}] is nested more than ${MAX_DEPTH} levels deep`);
      } else if ((c === 0x7d || c === 0x5d) && --this.depth === 0) {
        this.checkSize(this.partsLength + i + 1 - start);
        const piece = text.slice(start, i + 1);
        const json = this.parts.length > 0 ? this.parts.join('') + piece : piece;
        [this.parts, this.partsLength] = [[], 0];
        rows.push(this.parse(json));
        this.phase = 'after';
        return i + 1;
      }
    }
    this.parts.push(text.slice(start));
    this.partsLength += text.length - start;
    this.checkSize(this.partsLength);
    return text.length;
  }

  private checkSize(chars: number): void {
    if (chars > this.maxChars) {
      throw archiveLimit(this.name, `row [${this.index}] is larger than the limit of ${formatBytes(this.maxChars)}`, 'maxJsonValueBytes');
    }
  }

  private parse(json: string): Row {
    try {
      return JSON.parse(json) as Row;
    } catch (e) {
      throw this.error(`row [${this.index}] is not valid JSON (${(e as Error).message})`);
    } finally {
      this.index++;
    }
  }

  end(): void {
    if (this.phase === 'end') return;
    if (this.phase === 'start') throw this.error('is empty (expected a JSON array or null)');
    if (this.phase === 'null') throw this.error('is not valid JSON');
    throw this.error(`ends before its JSON array is closed (after ${this.index} rows)`);
  }

  error(reason: string) {
    return archiveInvalid(this.name, reason);
  }
}

/** Rows of a table file (a JSON array of objects, or `null`), parsed as the bytes arrive, in batches. */
export async function* jsonRows(name: string, body: ByteStream, maxRowChars: number): AsyncGenerator<Row[]> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const scanner = new RowScanner(name, maxRowChars);
  let offset = 0;
  const decode = (chunk?: Uint8Array) => {
    try {
      return chunk ? decoder.decode(chunk, { stream: true }) : decoder.decode();
    } catch {
      const at = chunk ? invalidUtf8At(chunk) : -1;
      return scanner.error(`is not valid UTF-8 (at byte ${at >= 0 ? offset + at : offset})`);
    }
  };
  for await (const chunk of body) {
    for (let at = 0; at < chunk.byteLength; at += DECODE_BYTES) {
      const piece = chunk.subarray(at, at + DECODE_BYTES);
      const text = decode(piece);
      if (typeof text !== 'string') throw text;
      offset += piece.byteLength;
      const rows = scanner.push(text);
      if (rows.length > 0) yield rows;
    }
  }
  const tail = decode();
  if (typeof tail !== 'string') throw tail;
  const rows = scanner.push(tail);
  if (rows.length > 0) yield rows;
  scanner.end();
}
