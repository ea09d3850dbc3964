// End-to-end tests of the built site (dist/) in real headless Chromium (Debian's, driven by playwright-core).
// The numbers on the page must equal `wattcast estimate --json` for the same link.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, cpSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { startServer } from "../../scripts/static-server.mjs";

const DIST = new URL("../../dist", import.meta.url).pathname;
const ARTIFACTS = new URL("./artifacts", import.meta.url).pathname;
const CLI = process.env.WATTCAST_BIN ?? new URL("../../target/debug/wattcast", import.meta.url).pathname;
mkdirSync(ARTIFACTS, { recursive: true });

let browser, root, sub;

before(async () => {
  root = await startServer({ root: DIST });
  // GitHub Pages serves a project site under /<repo>/: copy dist/ to a sub-folder and serve its parent.
  const pagesRoot = mkdtempSync(join(tmpdir(), "wattcast-pages-"));
  cpSync(DIST, join(pagesRoot, "wattcast"), { recursive: true });
  sub = await startServer({ root: pagesRoot, base: "/" });
  sub.url += "wattcast/";
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
});

after(async () => {
  await browser?.close();
  root?.server.close();
  sub?.server.close();
});

/** A page that records console errors/warnings, page errors and every request it makes. */
async function open(url, options = {}) {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  const problems = [];
  const requests = [];
  page.on("pageerror", (e) => problems.push(`pageerror: ${e}`));
  page.on("console", (m) => { if (m.type() === "error" || m.type() === "warning") problems.push(`${m.type()}: ${m.text()}`); });
  page.on("request", (r) => requests.push(r.url()));
  await page.goto(url);
  await page.waitForSelector("tr[data-gpu] td[data-method]", { timeout: 15_000 });
  return { page, context, problems, requests };
}

/** Every estimate cell on the page: { gpu, method, kwh } with kwh = null where the cell has no number. */
async function cells(page) {
  return page.$$eval("tr[data-gpu] td[data-method]", (tds) => tds.map((td) => ({
    gpu: td.closest("tr").dataset.gpu,
    method: td.dataset.method,
    kwh: td.hasAttribute("data-kwh") ? Number(td.dataset.kwh) : null,
  })));
}

function cli(query) {
  return JSON.parse(execFileSync(CLI, ["estimate", query, "--json"], { encoding: "utf8" }));
}

// The page writes its address after the next painted frame (a keystroke's frame does not wait for the
// browser's history call): wait for that frame and the task queued after it, then read the address.
async function settledUrl(page) {
  return page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(() => r(location.href), 0))));
}

async function queryOf(page) {
  return new URL(await settledUrl(page)).search.slice(1);
}

// Types into a field as a person does and leaves it (fields commit what was typed on change).
async function typeAndLeave(page, selector, text) {
  await page.fill(selector, text);
  await page.press(selector, "Tab");
}

// Waits until the page refuses `value` for link key `key`, naming both.
async function refused(page, value, key) {
  await page.waitForFunction((m) => document.querySelector('[role="alert"]')?.textContent.includes(m), `"${value}" for "${key}"`);
}

async function assertMatchesCli(page) {
  const report = cli(await queryOf(page));
  const expected = report.rows.map((r) => ({ gpu: r.gpu, method: r.method, kwh: r.energy_kwh }));
  assert.deepEqual(await cells(page), expected);
  assert.equal(await page.textContent("#data-version"), report.data_version);
  return report;
}

test("pick an architecture and a GPU: the page equals `wattcast estimate --json`", async () => {
  const { page, context, problems, requests } = await open(root.url);
  await assertMatchesCli(page); // the default scenario

  await page.fill("#in-arch", "tv-vit-b-16");
  await page.waitForFunction(() => new URL(location.href).searchParams.get("arch") === "tv-vit-b-16");
  await page.check('input[data-gpu-option="nvidia-l4"]');
  await page.uncheck('input[data-gpu-option="nvidia-rtx-4090"]');
  await page.fill("#in-epochs", "30");
  await page.fill("#in-n_gpus", "8");
  await page.selectOption("#in-region", "FR");
  await page.fill("#in-price", "0.25");
  await page.waitForSelector('tr[data-gpu="nvidia-l4"]');

  const q = new URL(await settledUrl(page)).searchParams;
  assert.equal(q.get("gpu"), "nvidia-h100-sxm,nvidia-a100-sxm4-80gb,nvidia-l4");
  assert.equal(q.get("epochs"), "30");
  assert.equal(q.get("region"), "FR");
  const report = await assertMatchesCli(page);
  assert.equal(report.rows.length, 3 * 8);
  // The answer first: one headline per GPU, carrying the CLI's number.
  for (const r of report.rows.filter((r) => r.headline)) {
    assert.equal(Number(await page.getAttribute(`li[data-headline="${r.gpu}"]`, "data-kwh")), r.energy_kwh, r.gpu);
  }
  assert.equal(report.rows.filter((r) => r.headline).length, 3);
  const numbered = report.rows.filter((r) => !r.method.startsWith("step-"));
  assert.ok(numbered.every((r) => r.energy_kwh > 0 && r.co2e_kg > 0 && r.cost > 0), "every PRE and baseline estimate has a number");
  // No calibration profile of ViT-B/16 on these GPUs: STEP says so and shows the command that would record one.
  const step = report.rows.filter((r) => r.method.startsWith("step-"));
  assert.ok(step.every((r) => r.energy_kwh === null && r.warnings.some((w) => w.includes("wattcast record --arch tv-vit-b-16"))));
  assert.match(await page.textContent(".notes"), /wattcast record --arch tv-vit-b-16/);

  // What a person reads: the H100's ML CO2 Impact cell shows the number formatted by the estimator.
  const shown = await page.textContent('tr[data-gpu="nvidia-h100-sxm"] td[data-method="mlco2"] .kwh');
  assert.match(shown, /^[\d,.]+ kWh$/);

  await page.screenshot({ path: join(ARTIFACTS, "site.png"), fullPage: true });
  const origin = new URL(root.url).origin;
  assert.deepEqual(requests.filter((u) => !u.startsWith(origin) && !u.startsWith("data:")), [], "no request leaves the site");
  assert.deepEqual(problems, []);
  await context.close();
});

test("a share link round-trips: copy it, open it, same scenario and numbers", async () => {
  const { page, context, problems } = await open(`${root.url}?arch=tv-resnet50&gpu=nvidia-a100-sxm4-80gb,nvidia-t4&epochs=12&hours=5&region=aws:us-east-1&price=0.1`, {
    permissions: ["clipboard-read", "clipboard-write"],
  });
  const before = await cells(page);
  const link = await page.inputValue("#share-link");
  assert.ok(link.startsWith(root.url + "?"), link);

  await page.click('[data-action="copy-link"]');
  await page.waitForSelector("#copy-status");
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), link);

  const second = await open(link);
  assert.deepEqual(await cells(second.page), before);
  assert.equal(await queryOf(second.page), new URL(link).search.slice(1));
  await assertMatchesCli(second.page);
  assert.deepEqual([...problems, ...second.problems], []);
  await second.context.close();
  await context.close();
});

test("a bad link shows a message naming key and value, and the page still works", async () => {
  const { page, context, problems } = await open(`${root.url}?v=1&epochs=banana&gpu=nvidia-h100-sxm,warp-drive&pue=0.5&colour=blue`);
  const alert = await page.textContent('[role="alert"]');
  assert.match(alert, /"banana" for "epochs"/);
  assert.match(alert, /unknown GPU "warp-drive" for "gpu"/);
  assert.match(alert, /"0.5" for "pue"/);
  assert.match(await page.textContent('[role="status"]'), /unknown key "colour"/);
  // Defaults fill in; the valid GPU is kept; fixing the field clears its error.
  assert.deepEqual([...new Set((await cells(page)).map((c) => c.gpu))], ["nvidia-h100-sxm"]);
  await page.fill("#in-epochs", "10");
  await page.waitForFunction(() => !document.querySelector('[role="alert"]')?.textContent.includes("epochs"));
  assert.deepEqual(problems, []);
  await context.close();
});

test("numbers typed as people write them are used, and the link stores the canonical number", async () => {
  const { page, context, problems } = await open(`${root.url}?arch=tv-resnet50&gpu=nvidia-h100-sxm&epochs=1`);
  for (const [id, typed, stored] of [["#in-samples", "100M", "100000000"], ["#in-hours", "2d", "48"], ["#in-epochs", "1,000", "1000"]]) {
    await typeAndLeave(page, id, typed);
    await page.waitForFunction(([id, stored]) => document.querySelector(id).value === stored, [id, stored]);
    assert.equal(new URL(await settledUrl(page)).searchParams.get(id.slice(4)), stored, `${typed} is stored as ${stored}`);
  }
  assert.equal(await page.$('[role="alert"]'), null, "no error for numbers people write");
  // The numbers are the CLI's for the canonical link.
  await assertMatchesCli(page);
  // A decimal comma is refused, naming the value, not guessed.
  await page.fill("#in-samples", "1,5");
  await refused(page, "1,5", "samples");
  // The error also stands next to its field, names what was typed and what is accepted, and says what the
  // estimate uses instead.
  assert.match(await page.textContent("#err-samples"), /^invalid value "1,5" for "samples": expected a whole number from 1 to [\d]+\. The estimate uses the default 1281167\.$/);
  assert.equal(await page.getAttribute("#in-samples", "aria-describedby"), "err-samples");
  await typeAndLeave(page, "#in-samples", "2M");
  await page.waitForFunction(() => !document.querySelector("#err-samples"));
  // Choosing "custom" asks for GFLOPs without an error before anything is typed.
  await typeAndLeave(page, "#in-arch", "custom");
  await page.waitForSelector("#in-gflops");
  assert.equal(await page.$('[role="alert"]'), null, "no error before the GFLOPs are typed");
  assert.equal(await page.$("#err-gflops"), null);
  await typeAndLeave(page, "#in-gflops", "lots");
  await refused(page, "lots", "gflops");
  await page.waitForSelector("#err-gflops");
  assert.deepEqual(problems, []);
  await context.close();
});

test("the architecture box finds a model by its name as people type it, and the link stores its id", async () => {
  const { page, context, problems } = await open(`${root.url}?arch=tv-resnet50&gpu=nvidia-h100-sxm&epochs=1`);
  for (const [typed, id] of [["resnet18", "tv-resnet18"], ["Meta Llama 3 8B", "llama-3-8b"], ["bert", "bert-base-uncased"]]) {
    await typeAndLeave(page, "#in-arch", typed);
    await page.waitForFunction((id) => new URL(location.href).searchParams.get("arch") === id, id);
    assert.equal(await page.inputValue("#in-arch"), id, `${typed} → ${id}`);
  }
  assert.equal(await page.$('[role="alert"]'), null, "no error for a name people write");
  await assertMatchesCli(page);
  // A name that matches nothing is refused by name.
  await typeAndLeave(page, "#in-arch", "resnet9000");
  await refused(page, "resnet9000", "arch");
  // A combobox: typing lists the closest matches, arrow keys move through them, Enter picks one.
  const box = "#in-arch";
  await page.fill(box, "llama 3.1");
  await page.waitForSelector("#arch-listbox:not([hidden]) [role=option]");
  assert.equal(await page.getAttribute(box, "aria-expanded"), "true");
  const options = await page.$$eval("#arch-listbox [role=option]", (o) => o.map((x) => x.dataset.archOption));
  assert.deepEqual(options.slice(0, 3), ["llama-3.1-8b", "llama-3.1-70b", "llama-3.1-405b"], "closest matches first");
  await page.press(box, "ArrowDown");
  await page.press(box, "ArrowDown");
  assert.equal(await page.getAttribute(box, "aria-activedescendant"), "arch-opt-1");
  assert.equal(await page.getAttribute("#arch-opt-1", "aria-selected"), "true");
  await page.press(box, "Enter");
  await page.waitForFunction((id) => new URL(location.href).searchParams.get("arch") === id, options[1]);
  assert.equal(await page.getAttribute(box, "aria-expanded"), "false");
  assert.equal(await page.inputValue(box), options[1]);
  // Escape closes the list without changing the model; a click picks.
  await page.fill(box, "bert");
  await page.waitForSelector("#arch-listbox:not([hidden])");
  await page.press(box, "Escape");
  assert.equal(await page.getAttribute(box, "aria-expanded"), "false");
  await page.fill(box, "mixtral");
  await page.click('[data-arch-option="mixtral-8x22b"]');
  await page.waitForFunction(() => new URL(location.href).searchParams.get("arch") === "mixtral-8x22b");
  assert.deepEqual(problems, []);
  await context.close();
});

test("a skip link is the first Tab stop and takes the keyboard to the results", async () => {
  const { page, context, problems } = await open(`${root.url}?arch=tv-resnet50&gpu=nvidia-h100-sxm&epochs=1`);
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.textContent), "Skip to the results");
  assert.ok(await page.evaluate(() => document.activeElement.getBoundingClientRect().left >= 0), "visible when focused");
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => document.activeElement?.id === "results");
  assert.ok(await page.evaluate(() => document.activeElement.querySelector("[data-headline]") !== null), "the answer is inside");
  assert.deepEqual(problems, []);
  await context.close();
});

test("the site works under a sub-path, as on GitHub Pages", async () => {
  const { page, context, problems, requests } = await open(`${sub.url}?arch=gpt2-small&gpu=nvidia-h100-sxm&samples=1000000000&epochs=1`);
  await assertMatchesCli(page);
  assert.ok(page.url().startsWith(sub.url), page.url());
  assert.ok(requests.every((u) => u.startsWith(sub.url) || u.startsWith("data:")), requests.join("\n"));
  assert.deepEqual(problems, []);
  await context.close();
});

test("mobile viewport renders the table without console errors", async () => {
  const { page, context, problems } = await open(root.url, { viewport: { width: 390, height: 844 }, isMobile: true });
  await page.screenshot({ path: join(ARTIFACTS, "site-mobile.png"), fullPage: true });
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, `page is ${width}px wide on a 390px screen`);
  // The header stays short, chart text stays readable, and the GPU column stays while the table scrolls.
  const header = await page.evaluate(() => document.querySelector("header.top").getBoundingClientRect().height);
  assert.ok(header <= 120, `header is ${header}px tall`);
  const sizes = await page.$$eval(".chart .label, .chart .value", (els) => els.map((e) => parseFloat(getComputedStyle(e).fontSize)));
  assert.ok(sizes.length > 0 && sizes.every((px) => px >= 11), `chart text sizes ${[...new Set(sizes)]}`);
  const clipped = await page.$$eval(".chart .label", (els) => els.filter((e) => e.scrollWidth > e.clientWidth + 1).length);
  assert.equal(clipped, 0, "no chart label is clipped");
  assert.equal(await page.$eval('.estimates th[scope="row"]', (th) => getComputedStyle(th).position), "sticky");
  assert.deepEqual(problems, []);
  await context.close();
});

test("every GPU is ranked by the chosen criterion, and the filters narrow the list", async () => {
  const { page, context, problems } = await open(`${root.url}?arch=tv-resnet50&gpu=nvidia-a100-sxm4-80gb&epochs=10&region=FR&price=0.3`);
  const ranked = async () => page.$$eval("tr[data-rank-gpu]", (rows) => rows.map((r) => ({ gpu: r.dataset.rankGpu, value: Number(r.dataset.value) })));
  let rows = await ranked();
  assert.equal(rows.length, 59, "every catalogue GPU with an estimate");
  assert.ok(rows.every((r, i) => i === 0 || rows[i - 1].value <= r.value), "sorted by the headline, lowest first");
  // The ranking uses each GPU's headline estimate: check the first GPU against the CLI.
  const report = cli(`arch=tv-resnet50&gpu=${rows[0].gpu}&epochs=10&region=FR&price=0.3`);
  const headline = report.rows.find((r) => r.headline);
  assert.ok(headline && headline.energy_kwh !== null, JSON.stringify(headline));
  assert.equal(rows[0].value, headline.energy_kwh);

  await page.selectOption("#rank-by", "cost");
  await page.waitForFunction(() => document.querySelector("#ranking-chart figcaption")?.textContent.includes("cost"));
  await page.selectOption("#rank-vendor", "AMD");
  await page.waitForFunction(() => [...document.querySelectorAll("tr[data-rank-gpu]")].every((r) => r.dataset.rankGpu.startsWith("amd-")));
  rows = await ranked();
  assert.ok(rows.length >= 1 && rows.length <= 5);
  assert.equal(await page.$$eval("#ranking-chart .bar", (b) => b.length), rows.length);
  assert.match(await page.textContent('[data-best="energy"]'), /^energy: .+ kWh\)$/);
  assert.deepEqual(problems, []);
  await context.close();
});

test("methods chart, a lower-carbon cloud region (of the chosen provider), and every export", async () => {
  const { page, context, problems } = await open(`${root.url}?arch=paper-resnet50-128&gpu=nvidia-rtx-3090&batch=32&samples=23807&epochs=100&precision=fp32&region=PL&price=0.25`);
  // One bar per method with a number; STEP has calibration profiles of this model on this GPU.
  const bars = await page.$$eval("#methods-chart .bar", (b) => b.length);
  assert.equal(bars, 8);
  // Among every provider's regions the lowest is one of Google's, with the year Google published it for.
  assert.match(await page.textContent("#lowest-carbon"), /^Lower-carbon option for this run on GeForce RTX 3090: Google Cloud .+, [\d.]+ g CO2e\/kWh \(20\d\d, Google Cloud, region-carbon-info\): .+ kg CO2e instead of .+ kg here, .+ kg \(\d+ %\) less\.$/);
  // In a cloud region, the advice stays with its provider.
  const aws = await open(`${root.url}?arch=paper-resnet50-128&gpu=nvidia-rtx-3090&samples=23807&epochs=100&region=aws:us-east-1`);
  // AWS regions come from a table that gives no year: the sentence says so instead of inventing one.
  assert.match(await aws.page.textContent("#lowest-carbon"), /^Lower-carbon option for this run on GeForce RTX 3090: AWS .+ \(year not given by its source, /);
  assert.deepEqual(aws.problems, []);
  await aws.context.close();
  // Scaling: one GPU, the chosen count and its neighbours; the run gets shorter as GPUs are added.
  const scalingOf = (p) => p.$$eval("#scaling tr[data-n-gpus]", (rows) => rows.map((r) => [Number(r.dataset.nGpus), Number(r.cells[1].textContent), Number(r.cells[3].textContent.replace(/,/g, ""))]));
  const scaling = await scalingOf(page);
  assert.deepEqual(scaling.map((r) => r[0]), [1, 2]);
  assert.ok(scaling.every((r, i) => i === 0 || r[2] < scaling[i - 1][2]), JSON.stringify(scaling));
  const cluster = await open(`${root.url}?arch=llama-3.1-8b&gpu=nvidia-h100-sxm&samples=1B&epochs=1&nodes=8&gpus_per_node=8`);
  const big = await scalingOf(cluster.page);
  assert.deepEqual(big.map((r) => r.slice(0, 2)), [[1, 1], [32, 4], [64, 8], [128, 16]], "GPUs and servers");
  assert.ok(big.every((r, i) => i === 0 || r[2] < big[i - 1][2]), JSON.stringify(big));
  await cluster.context.close();
  const exported = {};
  for (const kind of ["csv", "json", "markdown", "latex", "hf"]) {
    await page.click(`[data-export="${kind}"]`);
    await page.waitForSelector(`#export-text[data-kind="${kind}"]`);
    exported[kind] = await page.inputValue("#export-text");
  }
  const query = await queryOf(page);
  const report = cli(query);
  assert.deepEqual(JSON.parse(exported.json).rows, report.rows, "the JSON export is the CLI's report");
  const csvLines = exported.csv.trim().split("\n");
  assert.equal(csvLines.length, 1 + report.rows.length);
  assert.ok(csvLines[0].startsWith("gpu,method,energy_kwh"));
  assert.match(exported.markdown, /^Training ResNet50 \(Keras\) backbone .* on 1 × GeForce RTX 3090 for 100 epochs of 23,807 images was estimated at [\d.,]+ GPU-hours( \(80 % interval [\d.,]+–[\d.,]+\))? and [\d.,]+ kWh of GPU energy \(80 % interval .* kWh, from held-out errors\) by the (PRE power|PRE energy|Time × power) method, or .* kg CO2e .* in Poland at PUE /);
  // The statement's number is the headline's, not a median of methods.
  const lead = report.rows.find((r) => r.headline && r.gpu === "nvidia-rtx-3090");
  assert.ok(exported.markdown.includes(` by the ${{ "pre-power": "PRE power", "pre-epoch": "PRE energy", headline: "Time × power" }[lead.method]} method`), exported.markdown);
  // The model card's training type and the scope come from the scenario (no `mode`, no `scope`: pre-training, GPUs only).
  assert.match(exported.hf, /training_type: "pre-training"/);
  assert.match(exported.hf, /counting GPUs only/);
  assert.match(exported.markdown, /kg CO2e .* counting GPUs only in Poland/);
  assert.ok(exported.markdown.includes(report.query), "the statement links to this estimate (its canonical share link)");
  assert.match(exported.latex, /\\url\{http/);
  assert.match(exported.hf, /^co2_eq_emissions:\n  emissions: \d+\n  source: "WattCast estimate/);
  assert.match(exported.hf, /geographical_location: "Poland"/);
  const href = await page.getAttribute("#export-download", "href");
  assert.equal(decodeURIComponent(href.replace(/^data:text\/plain;charset=utf-8,/, "")), exported.hf);
  assert.deepEqual(problems, []);
  await context.close();
});

test("profile explorer: open, validate, draw, refit; bad files are listed, never executed", async () => {
  const dir = mkdtempSync(join(tmpdir(), "wattcast-profiles-"));
  const seaa = new URL("../../data/profiles/seaa2023/cloud/resnet50-20230308T131133.json.gz", import.meta.url).pathname;
  const good = JSON.parse(gunzipSync(readFileSync(seaa)).toString());
  // The same recording as a new run: a batch of 64 instead of 32 (so it is not already in the calibration).
  good.id = `${good.id}-b64`;
  good.meta.batch = 64;
  writeFileSync(join(dir, "good.json"), JSON.stringify(good));
  const { page, context, problems } = await open(`${root.url}?arch=paper-resnet50-128&gpu=nvidia-rtx-3090&batch=32&input=128&samples=23807&epochs=100&precision=fp32`);
  const evidence = () => page.textContent('td[data-method="step-power"] .evidence');
  assert.match(await evidence(), /^30 calibration profiles/);
  const prePower = () => page.getAttribute('td[data-method="pre-power"]', "data-kwh");
  const before = await prePower();

  // The repository's .json.gz profiles open as they are (unzipped in the browser).
  await page.setInputFiles("#profile-file", seaa);
  await page.waitForSelector("#trace-chart polyline");
  assert.equal(await page.textContent("#profile-view strong"), "resnet50-20230308T131133.json.gz");
  assert.ok(await page.$("#profile-valid"), "the gzipped profile validates");
  // It is one of the calibration's own runs: using it would count it twice, so the page refuses and says why.
  await page.click('[data-action="use-profile"]');
  await page.waitForSelector("#refit-status");
  assert.match(await page.textContent("#refit-status"), /already in the calibration: it is not added twice/);
  assert.match(await evidence(), /^30 calibration profiles/);

  await page.setInputFiles("#profile-file", join(dir, "good.json"));
  await page.waitForFunction(() => document.querySelector("#profile-view strong")?.textContent === "good.json");
  await page.waitForSelector("#trace-chart polyline");
  assert.ok(await page.$("#profile-valid"), "a recorded profile validates");
  assert.ok(await page.$("#stable-marker"), "the stable point is drawn");
  assert.match(await page.textContent("#trace-x-axis"), /^time, s \(0 to [\d,.]+\)$/);
  assert.match(await page.textContent("#trace-y-axis"), /^power, W \(0 to [\d,.]+\)$/);
  assert.match(await page.textContent("#trace-chart .stable-label"), /^stable from [\d,.]+ s$/);
  assert.match(await page.textContent("#trace-summary"), /stable since .* STEP projection for 150 epochs: .* kJ/);
  await page.click('[data-action="use-profile"]');
  await page.waitForSelector("#refit-status");
  assert.match(await page.textContent("#refit-status"), /PRE refitted with this profile/);
  assert.match(await evidence(), /^31 calibration profiles/);
  assert.notEqual(await prePower(), before, "the refit changes the PRE estimate");
  // The refitted page is no longer the committed calibration: the CLI (which has not seen the profile) differs.
  assert.notEqual(Number(await prePower()), cli(await queryOf(page)).rows.find((r) => r.method === "pre-power").energy_kwh);
  // Using the same profile again does not count it twice (the refit starts from the built-in calibration).
  const refitted = await prePower();
  await page.click('[data-action="use-profile"]');
  await page.waitForSelector("#refit-status");
  assert.match(await evidence(), /^31 calibration profiles/);
  assert.equal(await prePower(), refitted);

  // A hostile, broken profile: problems are listed as text, nothing runs.
  const bad = structuredClone(good);
  bad.meta.arch_id = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=1</script>';
  bad.devices[0].samples.t_ms[3] = 0;
  bad.provenance.source = "javascript:window.__pwned=1";
  writeFileSync(join(dir, "bad.json"), JSON.stringify(bad));
  await page.setInputFiles("#profile-file", join(dir, "bad.json"));
  await page.waitForSelector("#profile-problems");
  const listed = await page.textContent("#profile-problems");
  assert.match(listed, /error: devices\[0\]\.samples\.t_ms\[3\]: time 0 ms does not increase/);
  assert.match(listed, /<script>window.__pwned=1<\/script>" is not in the architecture catalogue/);
  assert.ok(await page.isDisabled('[data-action="use-profile"]'), "a profile with errors cannot be used");
  assert.equal(await page.evaluate(() => window.__pwned), undefined);

  writeFileSync(join(dir, "notjson.json"), "{ nope");
  await page.setInputFiles("#profile-file", join(dir, "notjson.json"));
  await page.waitForSelector("#profile-error");
  assert.match(await page.textContent("#profile-error"), /^notjson.json: not JSON/);
  assert.deepEqual(problems, []);
  await context.close();
});

test("a 50 MB file and a gzip bomb are refused at once and the page stays usable", async () => {
  const { page, context, problems } = await open(root.url);
  // Built in the page (no 50 MB over the automation channel) and handed to the file input as a user would.
  const ms = await page.evaluate(() => {
    const input = document.querySelector("#profile-file");
    const dt = new DataTransfer();
    dt.items.add(new File([new Uint8Array(50 * 1024 * 1024).fill(32)], "huge.json", { type: "application/json" }));
    input.files = dt.files;
    const t0 = performance.now();
    input.dispatchEvent(new Event("change", { bubbles: true }));
    return new Promise((res) => {
      const o = new MutationObserver(() => { if (document.querySelector("#profile-error")) { o.disconnect(); res(performance.now() - t0); } });
      o.observe(document.body, { subtree: true, childList: true });
    });
  });
  const msg = await page.textContent("#profile-error");
  assert.match(msg, /^huge\.json: the file is 50\.0 MiB; the page opens profiles up to 20 MiB/, msg);
  console.log(`50 MB file refused in ${ms.toFixed(1)} ms`);
  // A gzip bomb (a small .json.gz that inflates past the limit) is stopped while unzipping.
  await page.evaluate(async () => {
    const gz = await new Response(new Blob([new Uint8Array(30 * 1024 * 1024).fill(32)]).stream().pipeThrough(new CompressionStream("gzip"))).blob();
    const dt = new DataTransfer();
    dt.items.add(new File([gz], "bomb.json.gz"));
    const input = document.querySelector("#profile-file");
    input.files = dt.files;
    input.dispatchEvent(new Event("change", { bubbles: true }));
  });
  await page.waitForFunction(() => document.querySelector("#profile-error")?.textContent.startsWith("bomb.json.gz"));
  assert.match(await page.textContent("#profile-error"), /^bomb\.json\.gz: the file could not be unzipped: it is more than 20 MiB once unzipped/);
  // Still usable: an edit recomputes the table.
  const before = await page.getAttribute("td[data-method='mlco2']", "data-kwh");
  await page.fill("#in-epochs", "7");
  await page.waitForFunction((b) => document.querySelector("td[data-method='mlco2']").dataset.kwh !== b, before);
  assert.deepEqual(problems, []);
  await context.close();
});

test("security: a CSP with no external origin, no inline or eval'd script, link values rendered as text", async () => {
  const html = readFileSync(join(DIST, "index.html"), "utf8");
  const csp = html.match(/http-equiv="Content-Security-Policy" content="([^"]+)"/)?.[1];
  assert.ok(csp, "index.html has a CSP meta tag");
  const directives = Object.fromEntries(csp.split(";").map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k, v]));
  assert.deepEqual(directives["default-src"], ["'none'"]);
  assert.deepEqual(directives["script-src"], ["'self'", "'wasm-unsafe-eval'"], "no 'unsafe-inline', no 'unsafe-eval', no hosts");
  for (const [k, v] of Object.entries(directives)) {
    assert.ok(v.every((s) => s.startsWith("'") || s === "data:"), `${k} names no origin: ${v}`);
  }
  const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
  assert.ok(scripts.length > 0 && scripts.every(([, attrs, body]) => /\ssrc=/.test(attrs) && body.trim() === ""), "no inline script");
  const snippets = readdirSync(join(DIST, "snippets"), { recursive: true }).filter((f) => f.endsWith(".js")).map((f) => join("snippets", f));
  assert.ok(snippets.length > 0, "the gunzip snippet is bundled");
  for (const f of ["boot.js", "web.js", ...snippets]) {
    assert.doesNotMatch(readFileSync(join(DIST, f), "utf8"), /\beval\s*\(|new\s+Function\s*\(/, `${f} evaluates no strings`);
  }
  // Hostile link values: shown as text in the error list, never parsed as markup, nothing runs.
  const hostile = `<img src=x onerror="window.__pwned=1">`;
  const { page, context, problems } = await open(`${root.url}?arch=${encodeURIComponent(hostile)}&region=${encodeURIComponent('"><script>window.__pwned=2</script>')}&gpu=${encodeURIComponent("javascript:alert(1)")}`);
  let dialogs = 0;
  page.on("dialog", (d) => { dialogs++; d.dismiss(); });
  await page.waitForSelector("[role=alert]");
  const alertText = await page.textContent("[role=alert]");
  assert.ok(alertText.includes(hostile), alertText);
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  assert.equal(await page.locator("img[src=x], script:not([src])").count(), 0);
  assert.equal(dialogs, 0);
  assert.deepEqual(problems, []);
  await context.close();
});

test("power limits: energy against time from the Zeus curves, following the compared GPU", async () => {
  const { page, context, problems } = await open(`${root.url}?gpu=nvidia-v100-pcie-16gb,nvidia-h100-sxm`);
  const curves = JSON.parse(readFileSync(new URL("../../data/calibration.json", import.meta.url))).power_limits;
  const chart = async () => page.$$eval("#power-limit-chart g.limit", (gs) => gs.map((g) => ({
    w: Number(g.dataset.limitW), s: Number(g.dataset.epochS), j: Number(g.dataset.energyJ), best: g.classList.contains("best"),
  })));
  // The compared V100 has curves: the page shows one of them, point for point.
  let shown = await chart();
  const v100 = curves.filter((c) => c.gpu_id === "nvidia-v100-pcie-16gb");
  const match = (pts) => curves.findIndex((c) => c.power_limit_w.length === pts.length
    && c.power_limit_w.every((w, i) => w === pts[i].w && c.epoch_s[i] === pts[i].s && c.epoch_energy_j[i] === pts[i].j));
  let i = match(shown);
  assert.ok(i >= 0 && curves[i].gpu_id === "nvidia-v100-pcie-16gb", "the chart is a V100 curve");
  // It starts on the measured workload closest to the scenario (ResNet-50 on ImageNet for the default ResNet-50),
  // names the GPU, and labels the optimum.
  assert.match(curves[i].workload, /^imagenet\/resnet50/);
  assert.match(await page.textContent("#power-limit-curve"), /^imagenet\/resnet50 .* at batch \d+ on Tesla V100 PCIe 16 GB \(the measured workload closest to this scenario\)$/);
  assert.match(await page.textContent("#power-limit-chart g.best text"), /least energy/);
  const bert = await open(`${root.url}?arch=bert-base-uncased&gpu=nvidia-a40`);
  assert.match(await bert.page.textContent("#power-limit-curve"), /bert_base_uncased .* on A40/);
  await bert.context.close();
  assert.ok(v100.length > 10);
  // The marked point is the least energy, and the summary states its saving against the highest limit.
  const least = Math.min(...shown.map((p) => p.j));
  assert.deepEqual(shown.filter((p) => p.best).map((p) => p.j), [least]);
  const top = shown[shown.length - 1];
  const pct = Math.round((least / top.j - 1) * 100);
  assert.match(await page.textContent("#power-limit-summary"), new RegExp(`${pct >= 0 ? "\\+" : "-"}${Math.abs(pct)} % energy`));
  // Picking another curve redraws the chart with its points.
  const other = curves.findIndex((c) => c.gpu_id === "nvidia-a40" && c.workload.startsWith("imagenet"));
  await page.selectOption("#power-curve", String(other));
  await page.waitForFunction((n) => document.querySelectorAll("#power-limit-chart g.limit").length === n, curves[other].power_limit_w.length);
  shown = await chart();
  assert.equal(match(shown), other);
  await page.locator("#power-limits").screenshot({ path: join(ARTIFACTS, "power-limits.png") });
  assert.deepEqual(problems, []);
  await context.close();
});

test("the built-in calibration profiles can be browsed per GPU", async () => {
  const { page, context, problems } = await open(`${root.url}?gpu=nvidia-rtx-3090`);
  const all = JSON.parse(readFileSync(new URL("../../data/calibration.json", import.meta.url))).step_profiles;
  const ids = () => page.$$eval("#builtin-profiles tr[data-profile]", (rs) => rs.map((r) => r.dataset.profile));
  assert.deepEqual(await ids(), all.filter((p) => p.gpu_id === "nvidia-rtx-3090").map((p) => p.id), "the compared GPU's profiles");
  const kwh = await page.$eval("#builtin-profiles tr[data-profile] td[data-kwh]", (td) => Number(td.dataset.kwh));
  assert.equal(kwh, all.find((p) => p.gpu_id === "nvidia-rtx-3090").energy_j / 3.6e6);
  await page.selectOption("#builtin-gpu", "nvidia-rtx-3070");
  await page.waitForFunction(() => document.querySelector("#builtin-profiles tr[data-profile]")?.dataset.profile.length > 0
    && document.querySelector("#builtin-gpu").value === "nvidia-rtx-3070");
  assert.deepEqual(await ids(), all.filter((p) => p.gpu_id === "nvidia-rtx-3070").map((p) => p.id));
  assert.deepEqual(problems, []);
  await context.close();
  // Comparing GPUs without built-in profiles: no table until a GPU is picked.
  const other = await open(root.url);
  assert.equal(await other.page.locator("#builtin-profiles tr[data-profile]").count(), 0);
  await other.page.selectOption("#builtin-gpu", "nvidia-rtx-3090");
  await other.page.waitForSelector("#builtin-profiles tr[data-profile]");
  await other.context.close();
});

// The README's screenshot: refreshed with UPDATE_SCREENSHOT=1, and otherwise checked to still look like the
// page (decoded and compared in Chromium: no image library needed).
const README_SHOT = new URL("../../docs/screenshot.png", import.meta.url).pathname;
test("the README screenshot is current", async () => {
  const { page, context } = await open(`${root.url}?arch=tv-resnet50&gpu=nvidia-h100-sxm,nvidia-a100-sxm4-80gb,nvidia-rtx-4090,nvidia-l4&epochs=90&region=FR&price=0.2`, { viewport: { width: 1280, height: 860 } });
  const fresh = await page.screenshot();
  await context.close();
  if (process.env.UPDATE_SCREENSHOT) {
    writeFileSync(README_SHOT, fresh);
    return;
  }
  const cmp = await browser.newPage();
  const diff = await cmp.evaluate(async ([a, b]) => {
    const load = (b64) => new Promise((res, rej) => { const i = new Image(); i.onload = () => res(i); i.onerror = rej; i.src = `data:image/png;base64,${b64}`; });
    const pixels = (img) => { const c = document.createElement("canvas"); c.width = img.width; c.height = img.height; const x = c.getContext("2d"); x.drawImage(img, 0, 0); return x.getImageData(0, 0, img.width, img.height).data; };
    const [x, y] = await Promise.all([load(a), load(b)]);
    if (x.width !== y.width || x.height !== y.height) return { size: [x.width, x.height, y.width, y.height] };
    const [p, q] = [pixels(x), pixels(y)];
    let differ = 0;
    for (let i = 0; i < p.length; i += 4) {
      if (Math.max(Math.abs(p[i] - q[i]), Math.abs(p[i + 1] - q[i + 1]), Math.abs(p[i + 2] - q[i + 2])) > 48) differ++;
    }
    return { fraction: differ / (p.length / 4) };
  }, [readFileSync(README_SHOT).toString("base64"), fresh.toString("base64")]);
  await cmp.close();
  writeFileSync(join(ARTIFACTS, "readme-screenshot-now.png"), fresh);
  assert.ok(!diff.size, `docs/screenshot.png is ${diff.size?.slice(0, 2)} but the page is ${diff.size?.slice(2)}: refresh it with UPDATE_SCREENSHOT=1 node --test`);
  console.log(`README screenshot: ${(diff.fraction * 100).toFixed(2)} % of pixels differ`);
  assert.ok(diff.fraction < 0.02, `${(diff.fraction * 100).toFixed(1)} % of docs/screenshot.png differs from the page now (artifacts/readme-screenshot-now.png): refresh it with UPDATE_SCREENSHOT=1 node --test`);
});

test("language models and clusters: five kinds of run (and one in FP8) equal `wattcast estimate --json`, with memory, servers and cost", async () => {
  const base = "arch=llama-3.1-8b&gpu=nvidia-h100-sxm,nvidia-rtx-4090&samples=100M&epochs=1&scope=server&gpu_hour_price=2.5&price=0.12&currency=EUR";
  const runs = ["mode=pretrain&n_gpus=1", "mode=finetune&n_gpus=8&zero=3", "mode=lora&n_gpus=1&lora_rank=8", "mode=finetune&nodes=8&gpus_per_node=8&zero=3", "mode=pretrain&nodes=8&gpus_per_node=8&efficiency=tuned", "mode=finetune&n_gpus=8&zero=3&precision=fp8"];
  for (const run of runs) {
    const { page, context, problems } = await open(`${root.url}?${base}&${run}`);
    const report = await assertMatchesCli(page);
    for (const r of report.rows.filter((r) => r.headline)) {
      const li = `li[data-headline="${r.gpu}"]`;
      for (const [attr, value] of [["data-kwh", r.energy_kwh], ["data-scope-kwh", r.scope_kwh], ["data-hours", r.duration_h], ["data-co2e", r.co2e_kg], ["data-cost", r.cost]]) {
        assert.equal(Number(await page.getAttribute(li, attr)), value, `${run} ${r.gpu} ${attr}`);
      }
      assert.ok(r.scope_kwh > r.energy_kwh && r.rental_cost > 0 && r.energy_cost > 0, `${run}: server energy and both cost parts`);
      const plan = report.plans.find((p) => p.gpu === r.gpu);
      assert.equal(await page.getAttribute(li, "data-fits"), String(plan.memory.fits), `${run} ${r.gpu} fits`);
      assert.match(await page.textContent(`${li} .memory`), /^Memory (fits|does not fit)/);
      assert.match(await page.textContent(li), /EUR/);
      // An estimated duration shows its 80 % interval, as the CLI's JSON gives it.
      assert.ok(r.duration_low_h < r.duration_h && r.duration_h < r.duration_high_h, `${run} ${r.gpu}: duration interval`);
      assert.match(await page.textContent(li), /~[\d.,]+ h \([\d.,]+–[\d.,]+\)/, `${run} ${r.gpu}: the duration's interval on the page`);
    }
    assert.deepEqual(problems, [], run);
    await context.close();
  }
  // An 8B full fine-tune on one GPU: no 80 GB GPU holds it; the ranking never puts a GPU that cannot hold it first.
  const { page, context } = await open(`${root.url}?${base}&mode=finetune&n_gpus=1`);
  assert.equal(await page.getAttribute('li[data-headline="nvidia-h100-sxm"]', "data-fits"), "false");
  assert.match(await page.textContent('li[data-headline="nvidia-h100-sxm"] .memory'), /needs ≥ \d+ GPUs of this type with ZeRO-3/);
  await page.selectOption("#rank-by", "energy");
  const fits = await page.$$eval("tr[data-rank-gpu]", (rows) => rows.map((r) => r.dataset.fits));
  assert.ok(fits.indexOf("false") === -1 || !fits.slice(fits.indexOf("false")).includes("true"), "a GPU that holds the run ranked after one that does not");
  await context.close();
});

test("the page follows the model family: tokens and a sequence for a language model, images for a CNN; scope in every link", async () => {
  const { page, context, problems } = await open(root.url);
  // A fresh page counts whole servers and says so in its link.
  assert.equal(new URL(await settledUrl(page)).searchParams.get("scope"), "server");
  assert.ok(await page.isVisible("#in-input"));
  assert.ok(!(await page.isVisible("#in-seq")));
  await typeAndLeave(page, "#in-arch", "llama 3.1 8b");
  await page.waitForFunction(() => new URL(location.href).searchParams.get("arch") === "llama-3.1-8b");
  const q = new URL(await settledUrl(page)).searchParams;
  assert.deepEqual([q.get("samples"), q.get("epochs"), q.get("input")], ["100000000", "1", null]);
  assert.ok(await page.isVisible("#in-seq") && await page.isVisible("#in-mode"));
  assert.ok(!(await page.isVisible("#in-input")));
  assert.match(await page.textContent("label[for=in-samples]"), /tokens/);
  assert.match(await page.textContent("#record-command"), /--arch llama-3\.1-8b --seq 8192 --samples 100000000 --epochs 1/);
  await page.selectOption("#in-mode", "lora");
  await page.waitForSelector("#in-lora_rank");
  await typeAndLeave(page, "#in-arch", "resnet50");
  await page.waitForFunction(() => new URL(location.href).searchParams.get("arch") === "tv-resnet50");
  const back = new URL(await settledUrl(page)).searchParams;
  assert.deepEqual([back.get("samples"), back.get("epochs"), back.get("seq"), back.get("mode")], ["1281167", "90", null, "pretrain"]);
  assert.deepEqual(problems, []);
  await context.close();
  // An old link without `scope` keeps counting the GPUs alone, and the link the page offers says so.
  const old = await open(`${root.url}?arch=tv-resnet50&gpu=nvidia-h100-sxm`);
  assert.match(await old.page.inputValue("#share-link"), /scope=gpu/);
  await old.context.close();
  // A language model's link without samples or epochs means 100M tokens, 1 epoch: the notice, the link the page
  // offers and the empty fields' placeholders all say so (the same as `wattcast estimate`).
  const lm = await open(`${root.url}?arch=llama-3.1-8b&gpu=nvidia-h100-sxm`);
  assert.match(await lm.page.textContent("body"), /a language model without "samples" and "epochs" in the link: 100,000,000 tokens per epoch and 1 epoch assumed/);
  const offered = new URL(await lm.page.inputValue("#share-link")).searchParams;
  assert.deepEqual([offered.get("samples"), offered.get("epochs")], ["100000000", "1"]);
  assert.equal(await lm.page.getAttribute("#in-epochs", "placeholder"), "1");
  assert.equal(await lm.page.getAttribute("#in-samples", "placeholder"), "100,000,000 (default)");
  assert.deepEqual(lm.problems, []);
  await lm.context.close();
});

/** axe-core's serious and critical violations on the page as it is now: "rule: first node" each. */
async function axeViolations(page) {
  await page.evaluate(readFileSync(new URL("./node_modules/axe-core/axe.min.js", import.meta.url), "utf8"));
  return page.evaluate(async () => (await window.axe.run(document, { resultTypes: ["violations"] })).violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id}: ${v.nodes[0].target.join(" ")}`));
}

test("accessibility: axe-core finds no serious or critical violation (default, error, explorer open, phone)", async () => {
  const seaa = new URL("../../data/profiles/seaa2023/cloud/resnet50-20230308T131133.json.gz", import.meta.url).pathname;
  for (const [state, url, options] of [
    ["default", root.url, {}],
    ["error", `${root.url}?epochs=ten&gpu=nope`, {}],
    ["explorer open", root.url, {}],
    ["phone", `${root.url}?arch=llama-3.1-8b&mode=lora&samples=100M&epochs=1`, { viewport: { width: 390, height: 844 }, isMobile: true }],
  ]) {
    const { page, context, problems } = await open(url, options);
    if (state === "explorer open") {
      await page.setInputFiles("#profile-file", seaa);
      await page.waitForSelector("#trace-chart polyline");
    }
    assert.deepEqual(await axeViolations(page), [], state);
    assert.deepEqual(problems, [], state);
    await context.close();
  }
});

test("the answer first: headlines and the best GPU above the fold on a laptop and on a phone; ≤ 15 Tabs to the results", async () => {
  const q = "?arch=llama-3.1-8b&mode=finetune&samples=100M&epochs=1&gpu=nvidia-h100-sxm,nvidia-a100-sxm4-80gb,nvidia-rtx-4090&n_gpus=8&zero=3&scope=server&gpu_hour_price=2.5";
  for (const [name, viewport] of [["laptop", { width: 1280, height: 800 }], ["phone", { width: 390, height: 844 }]]) {
    const { page, context, problems } = await open(`${root.url}${q}`, { viewport, isMobile: name === "phone" });
    const best = await page.$eval("#best-gpu", (e) => ({ top: e.getBoundingClientRect().top, gpu: e.dataset.bestGpu, text: e.textContent }));
    assert.ok(best.top < viewport.height, `${name}: best GPU at ${best.top}px`);
    assert.match(best.text, /^Best of the compared GPUs for energy: .+ kWh by its headline estimate, \d+ % less than /);
    // The best GPU holds the run; the first headline (energy, interval, cost with its currency) is on the first screen.
    assert.equal(await page.getAttribute(`li[data-headline="${best.gpu}"]`, "data-fits"), "true");
    const first = await page.$eval("li[data-headline]", (e) => ({ top: e.getBoundingClientRect().top, text: e.textContent }));
    assert.ok(first.top < viewport.height * 0.6, `${name}: first headline at ${first.top}px`);
    assert.match(first.text, /kWh.*80 % interval.*kg CO2e.*cost .* USD/);
    if (name === "laptop") {
      const bottoms = await page.$$eval("li[data-headline]", (ls) => ls.map((l) => l.getBoundingClientRect().top));
      assert.ok(bottoms.every((t) => t < viewport.height), `every headline starts above the fold: ${bottoms}`);
    }
    // From the top of the page the keyboard reaches the results within 15 Tabs (without the skip link).
    let tabs = 0;
    for (; tabs < 15; tabs++) {
      await page.keyboard.press("Tab");
      if (await page.evaluate(() => !!document.activeElement?.closest("#results") && !document.activeElement.classList.contains("skip-link"))) break;
    }
    assert.ok(tabs < 15, `${name}: the results were not reached in 15 Tabs`);
    assert.deepEqual(problems, []);
    await context.close();
  }
});

test("the GPU picker: compared GPUs as removable chips, vendor, segment and memory chips narrow the list", async () => {
  const { page, context, problems } = await open(`${root.url}?arch=tv-resnet50&gpu=nvidia-h100-sxm,nvidia-rtx-4090`);
  const options = () => page.$$eval("input[data-gpu-option]", (os) => os.map((o) => o.dataset.gpuOption));
  const all = await options();
  await page.click('[data-facet="vendor:AMD"]');
  assert.equal(await page.getAttribute('[data-facet="vendor:AMD"]', "aria-pressed"), "true");
  const amd = await options();
  assert.ok(amd.length > 0 && amd.length < all.length && amd.every((id) => id.startsWith("amd-")), amd.join(","));
  await page.click('[data-facet="vendor:AMD"]');
  await page.click('[data-facet="memory:80"]');
  await page.click('[data-facet="segment:datacenter"]');
  const big = await options();
  assert.ok(big.includes("nvidia-h100-sxm") && big.includes("amd-mi300x") && !big.includes("nvidia-rtx-4090") && !big.includes("nvidia-l4"), big.join(","));
  // Removing a compared GPU by its chip updates the link.
  await page.click('[data-remove-gpu="nvidia-rtx-4090"]');
  await page.waitForFunction(() => new URL(location.href).searchParams.get("gpu") === "nvidia-h100-sxm");
  assert.deepEqual(await page.$$eval("[data-remove-gpu]", (b) => b.map((x) => x.dataset.removeGpu)), ["nvidia-h100-sxm"]);
  assert.deepEqual(problems, []);
  await context.close();
});
