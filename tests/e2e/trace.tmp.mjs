import { chromium } from "playwright-core";
import { startServer } from "../../scripts/static-server.mjs";
const { server, url } = await startServer({ root: new URL("../../dist", import.meta.url).pathname });
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
await page.goto(url + (process.argv[2] ?? ""));
await page.waitForSelector("td[data-method][data-kwh]");
console.log("nodes", await page.evaluate(() => document.getElementsByTagName("*").length));
const cdp = await page.context().newCDPSession(page);
const events = [];
cdp.on("Tracing.dataCollected", (d) => events.push(...d.value));
const done = new Promise((r) => cdp.once("Tracing.tracingComplete", r));
await cdp.send("Tracing.start", { categories: "devtools.timeline,blink,cc,disabled-by-default-devtools.timeline", transferMode: "ReportEvents" });
await page.evaluate(async () => {
  const input = document.querySelector("#in-epochs");
  for (let i = 0; i < 20; i++) {
    input.value = String(10 + i);
    input.dispatchEvent(new InputEvent("input", { bubbles: true }));
    await new Promise((r) => setTimeout(r, 100));
  }
});
await cdp.send("Tracing.end");
await done;
const sum = new Map();
for (const e of events) if (e.ph === "X" && e.dur) sum.set(e.name, (sum.get(e.name) ?? 0) + e.dur);
console.log([...sum].sort((a, b) => b[1] - a[1]).slice(0, 30).map(([k, v]) => `${(v / 1000 / 20).toFixed(2)} ms/change ${k}`).join("\n"));
const ul = events.filter((e) => e.name === "UpdateLayoutTree" && e.args?.elementCount);
console.log("UpdateLayoutTree elementCount avg", ul.reduce((a, e) => a + e.args.elementCount, 0) / Math.max(1, ul.length), ul.length);
const lay = events.filter((e) => e.name === "Layout" && e.args?.beginData);
console.log("Layout dirty objects", lay.map((e) => e.args.beginData.dirtyObjects + "/" + e.args.beginData.totalObjects).slice(0, 8).join(" "));
await browser.close(); server.close();
