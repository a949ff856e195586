// `cargo xtask bench app`'s browser half (not a test: `node --test` skips this file).
// Signs in once, then, in headless Chromium on localhost:
// - loads the jobs list N times: navigation start -> the jobs table rendered
//   (the app's `lr:jobs-rendered` performance mark);
// - loads a page of 1,000 jobs N times: data in hand (`lr:jobs-data`) -> rows rendered
//   (the rows on screen: long pages render what is visible, see app/src/model/window.rs),
//   and the answer's last byte -> data in hand (reading and decoding its JSON);
// - opens each page in a fresh browser (empty cache), signs in there, and records which wasm
//   files the page fetched: what a first visit to it downloads (the app is split into
//   modules, a visit's first page fetched as one pack: xtask/src/app_wasm.rs, app_pack.rs);
// - goes from the jobs list to the launch page by its link N times, the first time in a fresh
//   context (its modules fetched) and again (they are in).
// Prints one JSON line with the samples in milliseconds and the modules per page.

import { chromium } from 'playwright-core';

const URL_ = (process.env.LABRELAY_URL || '').replace(/\/$/, '');
const PASSWORD = process.env.LABRELAY_ADMIN_PASSWORD || '';
const RUNS = Number(process.env.BENCH_RUNS || 7);

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});

/// A page in a browser context of its own (nothing cached, nobody signed in).
async function freshPage() {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const p = await context.newPage();
  p.setDefaultTimeout(60_000);
  return p;
}

/// Signs in on the sign-in form the page shows (at whatever URL it was opened).
async function signInHere(p) {
  await p.getByLabel('User name').fill('admin');
  await p.getByLabel('Password').fill(PASSWORD);
  await p.getByRole('button', { name: 'Sign in' }).click();
}

const page = await freshPage();
await page.goto(URL_ + '/');
await signInHere(page);
await page.getByRole('heading', { name: 'Jobs', exact: true }).waitFor();

async function load(path, rows) {
  await page.goto(URL_ + path);
  await page.waitForFunction(() => performance.getEntriesByName('lr:jobs-rendered').length > 0);
  // Long pages render the rows on screen; the table still says how many it holds.
  const count = Number(await page.locator('table.jobs').getAttribute('aria-rowcount')) - 1;
  if (count !== rows) throw new Error(`${path}: ${count} rows, expected ${rows}`);
  return page.evaluate(() => {
    const [data] = performance.getEntriesByName('lr:jobs-data');
    const [rendered] = performance.getEntriesByName('lr:jobs-rendered');
    // The jobs answer's last byte -> its data in hand: reading and decoding it.
    const answer = performance.getEntriesByType('resource')
      .filter((e) => new URL(e.name).pathname.endsWith('/api/v1/jobs/')).pop();
    return {
      navigation: rendered.startTime,
      render: rendered.startTime - data.startTime,
      decode: answer ? data.startTime - answer.responseEnd : NaN,
    };
  });
}

// One warm-up each (the wasm and the worker's first answers), then the samples.
await load('/', 25);
const navigation = [];
for (let i = 0; i < RUNS; i++) navigation.push((await load('/', 25)).navigation);
await load('/?limit=1000', 1000);
const render1000 = [];
const decode1000 = [];
for (let i = 0; i < RUNS; i++) {
  const t = await load('/?limit=1000', 1000);
  render1000.push(t.render);
  decode1000.push(t.decode);
}

// A first visit to each page: a fresh browser context (nothing cached), signed in there.
const PAGES = ['/', '/jobs/1', '/launch', '/packages', '/configs', '/devices', '/agents', '/reservations', '/overview'];
const downloads = {};
for (const path of PAGES) {
  const fresh = await freshPage();
  const wasm = new Set();
  fresh.on('request', (r) => {
    const { pathname } = new URL(r.url());
    if (pathname.endsWith('.wasm')) wasm.add(pathname);
  });
  await fresh.goto(URL_ + path);
  await signInHere(fresh);
  await fresh.locator('header.top').waitFor();
  await fresh.locator('main h1').first().waitFor();
  downloads[path] = [...wasm].sort();
  await fresh.context().close();
}

// What the split costs in time: jobs list -> launch page by its link, the first time (its
// modules fetched and instantiated) and again (they are in), in a fresh context each run.
const launchFirst = [];
const launchAgain = [];
const toLaunch = async (p) => {
  const start = Date.now();
  await p.getByRole('link', { name: 'Launch', exact: true }).click();
  await p.getByRole('form', { name: 'Launch a job' }).waitFor();
  return Date.now() - start;
};
for (let i = 0; i < RUNS; i++) {
  const fresh = await freshPage();
  await fresh.goto(URL_ + '/');
  await signInHere(fresh);
  await fresh.getByRole('heading', { name: 'Jobs', exact: true }).waitFor();
  launchFirst.push(await toLaunch(fresh));
  await fresh.getByRole('link', { name: 'Jobs', exact: true }).click();
  await fresh.getByRole('heading', { name: 'Jobs', exact: true }).waitFor();
  launchAgain.push(await toLaunch(fresh));
  await fresh.context().close();
}

console.log(JSON.stringify({ navigation, render1000, decode1000, downloads, launchFirst, launchAgain }));
await browser.close();
