import type { Prng } from './prng';

/** Vocabulary of the generated data: people, folders and documents an Aviary instance really holds. */

const FIRST = ['amelie', 'bjorn', 'chloe', 'dmitri', 'elena', 'farid', 'greta', 'hiro', 'ines', 'jonas', 'kavya', 'liam',
  'maren', 'noah', 'olga', 'pablo', 'quinn', 'rosa', 'sven', 'tamar', 'umar', 'vera', 'wen', 'ximena', 'yusuf', 'zoe'];
const LAST = ['durand', 'lindqvist', 'okafor', 'petrov', 'garcia', 'nakamura', 'schmidt', 'rossi', 'kowalski', 'haddad',
  'oconnor', 'nguyen', 'moreau', 'silva', 'jensen', 'tanaka'];

/** Folder paths inside a user's pdfs/ (empty string = the root): unicode, spaces, dots, depth up to 3. */
export const FOLDERS: readonly string[] = [
  '', '', '',
  'Books', 'Books/Science Fiction', 'Books/Sachbücher', 'Books/Série Noire/Vol. 1',
  'Papers', 'Papers/2024', 'Papers/2024/Q3 – Reviews', 'Papers/arXiv',
  'Zeitschriften', "Zeitschriften/c't 2025", 'Magazines/The Economist',
  '日本語の本', '日本語の本/小説', 'Ноты', 'Recettes d\'été', 'Notes/Meeting notes', 'Notes/1:1s',
  'Work/Client A & B', 'Work/Invoices (2025)', 'Archive/Old stuff', 'Archive/Old stuff/..keep', 'Comics/Tintin',
];

const TITLES = ['Annual Report', 'Dune', 'Der Zauberberg', 'Les Misérables', 'Attention Is All You Need', 'Notes',
  'Meeting minutes', 'Invoice', 'Reçu', 'Quarterly review', 'Manual', 'Bedienungsanleitung', 'Thesis draft',
  '吾輩は猫である', 'Война и мир', 'Sheet music', 'Recipe', 'Boarding pass', 'Paper', 'Chapter', 'Lecture',
  'Slides', 'Contract', 'Résumé', 'Tax return', 'Map', 'Crossword', 'Handout', 'Whitepaper', 'Spec'];

const DECORATIONS: readonly ((title: string, n: number) => string)[] = [
  (t) => t,
  (t, n) => `${t} ${n}`,
  (t, n) => `${t} (${2000 + (n % 26)})`,
  (t, n) => `${t} Vol..${n}`,
  (t, n) => `${t} - v${n}.final`,
  (t, n) => `${n.toString().padStart(3, '0')}_${t.replace(/ /g, '_')}`,
  (t) => `${t} – draft`,
  (t, n) => `📚 ${t} #${n}`,
  (t, n) => `${t} ${n}% done`,
  (t) => `${t}  (copy)`,
  (t, n) => `${t} — a rather long title that keeps going to push the archive entry name past one hundred bytes ${n}`,
];

export type DocumentKind = 'pdf' | 'epub' | 'txt' | 'png' | 'jpg';

export const DOCUMENT_TYPE: Record<DocumentKind, string> = { pdf: 'PDF', epub: 'EPUB', txt: 'Unknown', png: 'PNG', jpg: 'JPEG' };

/** Compressible kinds carry text; the others are incompressible like real PDFs and images. */
export const COMPRESSIBLE: ReadonlySet<DocumentKind> = new Set(['epub', 'txt']);

export function documentKind(rng: Prng): DocumentKind {
  const r = rng.next();
  return r < 0.8 ? 'pdf' : r < 0.88 ? 'epub' : r < 0.92 ? 'txt' : r < 0.96 ? 'png' : 'jpg';
}

export function documentBaseName(rng: Prng): string {
  return rng.pick(DECORATIONS)(rng.pick(TITLES), rng.int(1, 99)).normalize('NFC');
}

export function username(rng: Prng, index: number): string {
  return `${rng.pick(FIRST)}.${rng.pick(LAST)}${index + 1}`;
}

export const USER_AGENTS = [
  'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36',
  'curl/8.5.0',
  'python-requests/2.32.3',
  'iOS Shortcuts/1.0',
];

/** Documentation address ranges (RFC 5737, RFC 3849): never a real client, never loopback. */
export function ipAddress(rng: Prng): string {
  if (rng.chance(0.15)) return `2001:db8:${rng.hex(2)}::${rng.int(1, 0xfff).toString(16)}`;
  return `${rng.pick(['192.0.2', '198.51.100', '203.0.113'])}.${rng.int(1, 254)}`;
}

const WORDS = ('the of and to in is that for it as was with be by on not he this are or his from at which but have an they ' +
  'you were her she there would their we him been has when who will more no if out so said what up its about into than ' +
  'them can only other new some could time these two may then do first any my now such like our over man me even most ' +
  'made after also did many before must through back years where much your way well down should because each just ' +
  'chapter page figure table section paragraph reader tablet document margin ink paper note').split(' ');

/** Prose-like ASCII text, for compressible documents and folder names alike. */
export function prose(rng: Prng, minChars: number): string {
  const parts: string[] = [];
  let length = 0;
  while (length < minChars) {
    const sentenceWords = rng.int(6, 18);
    let sentence = '';
    for (let w = 0; w < sentenceWords; w++) sentence += (w === 0 ? '' : ' ') + rng.pick(WORDS);
    sentence = sentence[0].toUpperCase() + sentence.slice(1) + (rng.chance(0.2) ? '.\n\n' : '. ');
    parts.push(sentence);
    length += sentence.length;
  }
  return parts.join('');
}
