// Speed and size of the built site (dist/), measured in Debian's headless Chromium. A report, not a test:
//   scripts/build && (cd tests/e2e && node bench-site.mjs)
// Prints a Markdown table: gzipped sizes, navigation to the first rendered estimate, and the time from one
// input change to the updated answer (all selected GPUs × all methods), to its painted frame, and to the ranking
// of every GPU, which the page redoes when idle after that frame.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { startServer } from "../../scripts/static-server.mjs";

const DIST = new URL("../../dist", import.meta.url).pathname;
const gz = (f) => gzipSync(readFileSync(join(DIST, f)), { level: 9 }).length;
const files = readdirSync(DIST, { recursive: true }).filter((f) => !f.startsWith(".") && statSync(join(DIST, f)).isFile());
const sizes = Object.fromEntries(files.map((f) => [f, gz(f)]));
const total = Object.values(sizes).reduce((a, b) => a + b, 0);

const { server, url } = await startServer({ root: DIST });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking"],
});
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const loads = [];
for (let i = 0; i < 5; i++) {
  const page = await browser.newPage();
  const t0 = Date.now();
  await page.goto(url);
  await page.waitForSelector("td[data-method][data-kwh]");
  loads.push(Date.now() - t0);
  await page.close();
}

const page = await browser.newPage();
await page.goto(url);
await page.waitForSelector("td[data-method][data-kwh]");
const gpus = await page.locator("tr[data-rank-gpu]").count();
// One input change, 50 times, 100 ms apart: the time from the input event to the DOM holding the new
// numbers (every estimate recomputed, Yew's patch applied; a MutationObserver sees it), and to the next
// frame painted after it (style, layout and paint included).
const changes = await page.evaluate(async () => {
  const input = document.querySelector("#in-epochs");
  const cell = () => document.querySelector("td[data-method='mlco2']").dataset.kwh;
  const painted = () => new Promise((r) => requestAnimationFrame(() => { const c = new MessageChannel(); c.port1.onmessage = r; c.port2.postMessage(0); }));
  // The ranking says it is being redone with aria-busy; resolves when it is done.
  const ranked = () => new Promise((res) => {
    const el = document.querySelector("#ranking");
    if (!el || !el.hasAttribute("aria-busy")) return res();
    const o = new MutationObserver(() => { if (!el.hasAttribute("aria-busy")) { o.disconnect(); res(); } });
    o.observe(el, { attributes: true });
  });
  const dom = [], frame = [], ranking = [];
  for (let i = 0; i < 50; i++) {
    const before = cell();
    let t1;
    const updated = new Promise((res) => {
      const o = new MutationObserver(() => { if (cell() !== before) { t1 = performance.now(); o.disconnect(); res(); } });
      o.observe(document.body, { subtree: true, attributes: true, childList: true, characterData: true });
    });
    const t0 = performance.now();
    input.value = String(10 + i);
    input.dispatchEvent(new InputEvent("input", { bubbles: true }));
    await updated;
    await painted();
    dom.push(t1 - t0);
    frame.push(performance.now() - t0);
    await ranked();
    ranking.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { dom, frame, ranking };
});
// Refit: open a traced profile and time "use this profile" until the page says it is done.
const { gunzipSync } = await import("node:zlib");
const { writeFileSync, mkdtempSync } = await import("node:fs");
const { tmpdir } = await import("node:os");
const profile = join(mkdtempSync(join(tmpdir(), "wattcast-bench-")), "p.json");
// A built-in profile as a new run (batch 64 instead of 32): the page refuses a run it already has.
const added = JSON.parse(gunzipSync(readFileSync(new URL("../../data/profiles/seaa2023/cloud/resnet50-20230308T131133.json.gz", import.meta.url))).toString());
added.meta.batch = 64;
writeFileSync(profile, JSON.stringify(added));
const refits = [];
for (let i = 0; i < 3; i++) {
  const p = await browser.newPage();
  await p.goto(url);
  await p.waitForSelector("td[data-method][data-kwh]");
  await p.setInputFiles("#profile-file", profile);
  await p.waitForSelector('[data-action="use-profile"]');
  // Timed in the page (click() to the status appearing, seen by a MutationObserver), without the
  // automation round trips of Playwright's click.
  refits.push(await p.evaluate(() => new Promise((res) => {
    const t0 = performance.now();
    const o = new MutationObserver(() => { if (document.querySelector("#refit-status")?.textContent.startsWith("PRE refitted")) { o.disconnect(); res(Math.round(performance.now() - t0)); } });
    o.observe(document.body, { subtree: true, childList: true });
    document.querySelector('[data-action="use-profile"]').click();
  })));
  await p.close();
}
await browser.close();
server.close();

console.log("| what | measured | target |");
console.log("| --- | ---: | ---: |");
const kb = (bytes) => `${(bytes / 1000).toFixed(1)} KB (${(bytes / 1024).toFixed(1)} KiB)`;
console.log(`| web_bg.wasm, gzipped | ${kb(sizes["web_bg.wasm"])} | ≤ 300 KB |`);
console.log(`| everything in dist/, gzipped | ${kb(total)} | ≤ 450 KB |`);
console.log(`| navigation to the first estimate (median of 5) | ${median(loads)} ms | ≤ 1,000 ms |`);
console.log(`| in-browser PRE refit with one added profile, click to updated page (median of 3) | ${median(refits)} ms | ≤ 1,000 ms |`);
console.log(`| one input change → the answer recomputed and the page updated (selected GPUs × 7 methods: table, headline, methods chart; median of 50) | ${median(changes.dom).toFixed(1)} ms | ≤ 16 ms |`);
console.log(`| the same, to the next painted frame (style, layout and paint included; median of 50) | ${median(changes.frame).toFixed(1)} ms | ≤ 16 ms |`);
console.log(`| the same, to the ranking of all ${gpus} GPUs × 7 methods redone (when idle after that frame; median of 50) | ${median(changes.ranking).toFixed(1)} ms | — |`);
