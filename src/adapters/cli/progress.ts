/** A one-line progress bar on a terminal; plain lines at every 10% elsewhere (logs, CI). */
export function progressPrinter(out: NodeJS.WritableStream & { isTTY?: boolean }, label: string, unit: 'bytes' | 'percent' = 'bytes') {
  let lastDecile = -1;
  let lastDraw = 0;
  const mib = (n: number) => (n / 1048576).toFixed(1);
  const amount = (done: number, total: number) => (unit === 'bytes' ? `${mib(done)}/${mib(total)} MiB` : '');
  return {
    update(phase: string, done: number, total: number) {
      const pct = total > 0 ? Math.min(100, Math.floor((done / total) * 100)) : 0;
      if (out.isTTY) {
        const now = Date.now();
        if (now - lastDraw < 100 && pct < 100) return;
        lastDraw = now;
        const width = 30;
        const filled = Math.round((pct / 100) * width);
        out.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(pct).padStart(3)}% ${phase.padEnd(14)} ${amount(done, total)}`);
        return;
      }
      const decile = Math.floor(pct / 10);
      if (decile === lastDecile) return;
      lastDecile = decile;
      out.write(`${label}: ${pct}% (${phase}${unit === 'bytes' ? `, ${mib(done)} of ${mib(total)} MiB` : ''})\n`);
    },
    done() {
      if (out.isTTY) out.write('\n');
    },
  };
}
