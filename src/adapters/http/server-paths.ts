/** Strips anything that looks like an absolute server path from a message shown to clients. */
export function withoutServerPaths(message: string | null): string | null {
  return message === null ? null : message.replace(/(?<![\w.])\/(?:[^\s'":,()]+\/)+[^\s'":,()]*/g, '<path>');
}
