// What the browser test files share: the API for fixtures, a browser page that records
// uncaught errors and Content-Security-Policy violations, screenshots, signing in, and the
// accessibility check (axe-core). Not a test file itself (`node --test` runs *.test.mjs).
//
// Env: LABRELAY_URL, LABRELAY_ADMIN_PASSWORD (the UI signs in with it) and
// LABRELAY_ADMIN_TOKEN (only to make fixtures over the API).

import assert from 'node:assert/strict';
import { after, afterEach, before } from 'node:test';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const URL_ = (process.env.LABRELAY_URL || '').replace(/\/$/, '');
export const PASSWORD = process.env.LABRELAY_ADMIN_PASSWORD || '';
export const TOKEN = process.env.LABRELAY_ADMIN_TOKEN || '';
export const ARTIFACTS = fileURLToPath(new URL('../target/e2e-artifacts/', import.meta.url));
/// How long a job may take to be claimed and run (the simulator takes ~1.5 s a test).
export const JOB_MS = 120_000;
/// This run's id: every name a test makes carries it, so runs do not see each other's data.
export const RUN = Date.now().toString(36);
/// Jobs due then stay pending: stable lists to look at.
export const FAR = '2099-01-01T00:00:00Z';
/// A phone's width (CSS pixels), for the narrow-screen checks.
export const PHONE = { width: 390, height: 844 };

/// axe-core's own script, put into pages by the DevTools protocol (`page.evaluate`), which
/// the app's Content-Security-Policy does not apply to: the page's own policy stays on.
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export async function api(method, path, body, token = TOKEN) {
  const res = await fetch(URL_ + path, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text).data : null;
}

/// Polls the API until the job is finished (the browser is not watching).
export async function finished(id) {
  const until = Date.now() + JOB_MS;
  for (;;) {
    const job = await api('GET', `/api/v1/jobs/${id}/`);
    if (['completed', 'stopped', 'error'].includes(job.status)) return job;
    assert.ok(Date.now() < until, `job ${id} did not finish: ${JSON.stringify(job)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export async function launchBrowser() {
  assert.ok(URL_ && PASSWORD && TOKEN, 'set LABRELAY_URL, LABRELAY_ADMIN_PASSWORD, LABRELAY_ADMIN_TOKEN');
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
}

/// A page that records uncaught errors (a wasm panic shows up there) and anything the
/// Content-Security-Policy blocks; `clean()` asserts there were none since the last call.
export async function newPage(browser, options = {}) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, acceptDownloads: true, ...options });
  page.setDefaultTimeout(30_000);
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation',
      (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  page.errors = errors;
  page.clean = async () => {
    assert.deepEqual(errors.splice(0), [], 'errors in the page');
    const blocked = await page.evaluate(() => (window.__csp ?? []).splice(0)).catch(() => []);
    assert.deepEqual(blocked, [], 'Content-Security-Policy violations');
  };
  return page;
}

/// Screenshots numbered in order, `<prefix>NN-<name>.png`.
export function snapper(page, prefix = '') {
  let shot = 0;
  return async (name) => {
    shot += 1;
    await page.screenshot({ path: `${ARTIFACTS}${prefix}${String(shot).padStart(2, '0')}-${name}.png`, fullPage: true });
  };
}

export async function signIn(page) {
  await page.goto(URL_ + '/');
  await page.getByLabel('User name').fill('admin');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Jobs', exact: true }).waitFor();
}

/// axe-core on the page as it is: the serious and critical violations, in words.
export async function axe(page) {
  await page.evaluate(AXE);
  const found = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 5).join(', ')}`);
  });
  return found;
}

/// The rows the jobs table shows.
export const jobRows = (page) => page.locator('table.jobs tbody tr:not(.spacer)');

/// `use(fresh)` with a page of its own in the file's browser (a new document: nothing of the
/// app loaded yet; `options` as `newPage`'s), then that page checked clean (no page errors,
/// no Content-Security-Policy violations) and closed.
export async function withFreshPage(use, options = {}) {
  const fresh = await newPage(browser, options);
  await use(fresh);
  await fresh.clean();
  await fresh.close();
}

/// The file's browser, its page and the page's snapper, set by `session` before the file's
/// first test (`node --test` runs each test file in a process of its own: these are that
/// file's).
export let browser;
export let page;
export let snap;

/**
 * A test file's browser session. Before its first test: a browser, then the file's fixtures
 * (`setup`), then a page whose screenshots are named `<prefix>NN-...`, signed in unless
 * `signedIn: false`. After each test, unless `tidy: false`: the page as the test left it
 * (passed or failed: the first thing to look at), snapped at `viewport` when given, then
 * cleaned. After the last test: the page cleaned (when not after each test) and the browser
 * closed.
 */
export function session(prefix, setup, { signedIn = true, tidy = true, viewport } = {}) {
  before(async () => {
    browser = await launchBrowser();
    await setup();
    page = await newPage(browser);
    snap = snapper(page, prefix);
    if (signedIn) await signIn(page);
  });
  if (tidy) {
    afterEach(async (t) => {
      if (!page) return;
      if (viewport) await page.setViewportSize(viewport);
      await snap(`end-${t.name.toLowerCase().replace(/[^a-z0-9]+/g, '-').slice(0, 40)}`);
      await page.clean();
    });
  }
  after(async () => {
    if (!tidy) await page?.clean();
    await browser?.close();
  });
}
