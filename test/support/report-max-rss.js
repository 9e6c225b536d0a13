'use strict';
// Preloaded (`node -r`) into a child whose peak memory a test bounds: at exit, writes the process's
// peak RSS in bytes to the file named by AVIARY_TEST_RSS_FILE. Plain JavaScript, so the child runs
// nothing but the code under test (a TypeScript loader alone costs about 100 MB).
const { writeFileSync } = require('node:fs');

const file = process.env.AVIARY_TEST_RSS_FILE;
if (file) {
  process.on('exit', () => {
    // maxRSS is in kilobytes.
    writeFileSync(file, String(process.resourceUsage().maxRSS * 1024));
  });
}
