/**
 * The one reading of an on/off switch, for environment variables, plugin options and HTTP input
 * alike: true/false, 1/0, yes/no, on/off, in any case, blanks around ignored.
 */
const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off']);

export const FLAG_WORDS = 'true/false, 1/0, yes/no or on/off';

/** The switch's value; undefined for any other text (the caller decides what blank means). */
export function parseFlag(text: string): boolean | undefined {
  const word = text.trim().toLowerCase();
  if (TRUE.has(word)) return true;
  if (FALSE.has(word)) return false;
  return undefined;
}
