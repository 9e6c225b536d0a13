'use strict';
// Preloaded (`node -r`) into a child whose peak memory a test bounds: at exit, writes the process's
// peak RSS in bytes to the file named by AVIARY_TEST_RSS_FILE. Plain JavaScript, so the child runs
// nothing but the code under test (a TypeScript loader alone costs about 100 MB).
//
// The figure is VmHWM from /proc/self/status: the high-water mark of this program's own address
// space. getrusage's maxRSS is not used on Linux because it survives exec: a child forked from a
// large test runner starts with the runner's RSS at the fork as its "peak".
const { readFileSync, writeFileSync } = require('node:fs');

const file = process.env.AVIARY_TEST_RSS_FILE;

function peakRssBytes() {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (match) return Number(match[1]) * 1024;
  } catch {
    // not Linux: fall back to getrusage
  }
  return process.resourceUsage().maxRSS * 1024; // kilobytes
}

if (file) {
  process.on('exit', () => writeFileSync(file, String(peakRssBytes())));
}
