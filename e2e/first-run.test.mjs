// A first run shows the product: with no jobs yet, the jobs page offers the demo packages
// (made by `cargo xtask dev` on an empty store from the real CDRouter exports; `cargo
// xtask test` and `cargo xtask demo` put them on its server), and one click runs one to the
// end on the local agent. This server has jobs already: its jobs list is answered empty
// here, as a new store's would be; everything else is the real server.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api, ARTIFACTS, JOB_MS, page, session, snap, URL_ } from './lib.mjs';

/// The demo package the test launches: a real failing run (one test passes, one fails).
const DEMO = 'Demo: Cisco E4200 DHCPv4 relay-nofatal';

session('first-run-', async () => {
  const found = await api('GET', `/api/v1/packages/?filter=${encodeURIComponent(`name=${DEMO}`)}`);
  assert.equal(found.length, 1, `no "${DEMO}" package: run \`cargo xtask demo --url ${URL_}\` first`);
}, { tidy: false });

test('with no jobs yet, a demo package is one click from a run that ends', { timeout: JOB_MS + 60_000 }, async () => {
  const empty = (route) => route.fulfill({
    contentType: 'application/json',
    body: JSON.stringify({
      timestamp: new Date().toISOString(),
      data: [],
      links: { first: 1, last: 1, current: 1, limit: 25, total: 0 },
    }),
  });
  const jobsList = (url) => url.pathname === '/api/v1/jobs/';
  await page.route(jobsList, (route) => (route.request().method() === 'GET' ? empty(route) : route.continue()));
  await page.goto(URL_ + '/');
  await page.getByText('No jobs yet.').waitFor();
  await snap('no-jobs-yet');
  await page.getByRole('button', { name: `Launch ${DEMO}` }).click();
  await page.waitForURL(/\/jobs\/\d+$/);
  await page.unroute(jobsList);
  const id = page.url().split('/').pop();
  await page.locator('h1 .badge', { hasText: 'completed' }).waitFor({ timeout: JOB_MS });
  await page.getByText('2/2 tests, 1 passed, 1 failed').first().waitFor();
  await snap('demo-completed');
  // The README's picture of the app (docs/app-job.png is a copy).
  await page.screenshot({ path: `${ARTIFACTS}readme-job.png` });
  const job = await api('GET', `/api/v1/jobs/${id}/`);
  assert.equal(job.package_name, DEMO);
  assert.equal(job.status, 'completed');
  assert.deepEqual(job.interface_names.sort(), ['eth0', 'eth1', 'eth2']);
});
