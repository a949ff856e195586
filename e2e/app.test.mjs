// The browser app end to end, in real headless Chromium (Debian's, driven by
// playwright-core), against a running Labrelay with a lab agent that runs jobs on the
// cdrouter-cli simulator. `cargo xtask test` starts both and runs `node --test e2e/`.
//
// The main flows: sign in, launch and watch, filter, sort, page, stop, delete, bulk delete,
// configs, agents, results, sign out. Every name carries this run's id, so runs do not see
// each other's data. Tests wait for conditions, never for time; a screenshot per step goes
// to target/e2e-artifacts/. (Shared helpers: lib.mjs.)

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { api, FAR, JOB_MS, jobRows, page, PASSWORD, RUN, session, snap, URL_ } from './lib.mjs';

const fx = {};

const rows = () => jobRows(page);
const badge = () => page.locator('h1 .badge');

/// Waits until the jobs table shows exactly these job ids (in this order when `ordered`).
async function waitForRows(ids, ordered = false) {
  const want = ids.map(String);
  await page.waitForFunction(
    ([want, ordered]) => {
      const got = [...document.querySelectorAll('table.jobs tbody tr td.num a')].map((a) => a.textContent);
      if (got.length !== want.length) return false;
      return ordered ? got.every((g, i) => g === want[i]) : want.every((w) => got.includes(w));
    },
    [want, ordered],
    { timeout: 30_000 },
  );
}

session('', async () => {
  fx.config = await api('POST', '/api/v1/configs/', {
    name: `e2e-cfg-${RUN}`,
    contents: 'testvar lanInterface eth1\ntestvar wanInterface eth2\n',
  });
  fx.device = await api('POST', '/api/v1/devices/', { name: `e2e-dev-${RUN}`, manufacturer: 'Acme' });
  fx.quick = await api('POST', '/api/v1/packages/', {
    name: `e2e-quick-${RUN}`,
    testlist: ['cdrouter_basic_1', 'cdrouter_nat_1', 'cdrouter_dhcp_1'],
    config_id: fx.config.id,
  });
  // Long enough to be caught running and stopped (each simulated test takes ~1.5 s).
  fx.long = await api('POST', '/api/v1/packages/', {
    name: `e2e-long-${RUN}`,
    testlist: Array.from({ length: 200 }, (_, i) => `cdrouter_long_${i + 1}`),
    config_id: fx.config.id,
  });
  // Jobs due in 2099 stay pending: a stable list to filter, sort, page and delete.
  fx.alpha = await api('POST', '/api/v1/packages/', { name: `e2e-alpha-${RUN}`, testlist: ['cdrouter_basic_1'] });
  fx.beta = await api('POST', '/api/v1/packages/', { name: `e2e-beta-${RUN}`, testlist: ['cdrouter_basic_1'] });
  const later = (pkg, tag, n) =>
    Array.from({ length: n }, () => ({ package_id: pkg.id, run_at: FAR, options: { tags: [tag] } }));
  fx.pageJobs = await api('POST', '/api/v1/jobs/?bulk=launch', { jobs: later(fx.alpha, `page-${RUN}`, 27) });
  fx.sortJobs = await api('POST', '/api/v1/jobs/?bulk=launch', {
    jobs: [...later(fx.beta, `sort-${RUN}`, 2), ...later(fx.alpha, `sort-${RUN}`, 2)],
  });
  fx.bulkJobs = await api('POST', '/api/v1/jobs/?bulk=launch', { jobs: later(fx.beta, `bulk-${RUN}`, 3) });
}, { signedIn: false });

test('signs in (a wrong password is refused in plain words)', async () => {
  const resp = await page.goto(URL_ + '/');
  // The page's own protections: no inline script, no framing, no sniffing, no referrer.
  const h = resp.headers();
  assert.match(h['content-security-policy'] ?? '', /script-src 'self' 'wasm-unsafe-eval';/);
  assert.match(h['content-security-policy'] ?? '', /frame-ancestors 'none'/);
  assert.equal(h['x-content-type-options'], 'nosniff');
  assert.equal(h['referrer-policy'], 'no-referrer');
  assert.equal(await page.locator('script:not([src])').count(), 0, 'no inline script');
  // The page itself is revalidated; its wasm modules (a new app-<hash>/ per build) are kept.
  assert.equal(h['cache-control'], 'public, max-age=0, must-revalidate');
  const wasm = await page.locator('link[rel=preload][as=fetch]').getAttribute('href');
  assert.match(wasm, /^\/app-[0-9a-f]{16}\/labrelay-app_bg\.wasm$/);
  const module = await fetch(URL_ + wasm);
  assert.equal(module.status, 200);
  assert.equal(module.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  await page.getByLabel('User name').fill('admin');
  await page.getByLabel('Password').fill('not-the-password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').filter({ hasText: 'Wrong user name or password.' }).waitFor();
  await snap('sign-in-refused');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Jobs', exact: true }).waitFor();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  await snap('signed-in');
});

test('launches a job and watches it run to completed, live', { timeout: JOB_MS + 60_000 }, async () => {
  await page.getByRole('link', { name: 'Launch', exact: true }).click();
  await page.getByRole('heading', { name: 'Launch', exact: true }).waitFor();
  await page.getByLabel('Find a package').fill(`quick-${RUN}`);
  const picker = page.getByLabel(/^Package \(/);
  await picker.locator('option', { hasText: fx.quick.name }).waitFor();
  await picker.selectOption({ label: `${fx.quick.name} (3 tests)` });
  await page.getByText(`Picked: ${fx.quick.name}`).waitFor();
  await page.getByLabel('Device').selectOption({ label: fx.device.name });
  await page.getByLabel('Tags').fill(`launched-${RUN}, e2e`);
  await page.getByRole('checkbox', { name: 'cdrouter_dhcp_1' }).check();
  await page.getByRole('button', { name: 'Add a testvar' }).click();
  await page.getByLabel('Name of testvar 1').fill('lanInterface');
  await page.getByLabel('Value of testvar 1').fill('eth3');
  await page.getByRole('button', { name: 'Preview interfaces' }).click();
  const preview = page.locator('section[aria-labelledby="preview-title"] table');
  await preview.getByRole('cell', { name: 'eth3', exact: true }).waitFor();
  await snap('launch-preview');
  await page.getByRole('button', { name: 'Launch', exact: true }).click();
  await page.waitForURL(/\/jobs\/\d+$/);
  const id = page.url().split('/').pop();
  fx.launched = id;
  await page.getByRole('heading', { name: new RegExp(`^Job ${id}`) }).waitFor();
  await snap('job-launched');
  // No reload from here on: the page follows the job through the changes long-poll.
  await badge().filter({ hasText: 'completed' }).waitFor({ timeout: JOB_MS });
  await page.locator('.log-card [role="status"]', { hasText: 'complete' }).waitFor({ timeout: 30_000 });
  const log = await page.locator('pre.log').textContent();
  assert.match(log, /cdrouter_basic_1/);
  const job = await api('GET', `/api/v1/jobs/${id}/`);
  assert.equal(job.status, 'completed');
  assert.deepEqual(job.options.skip_tests, ['cdrouter_dhcp_1']);
  assert.deepEqual(job.options.tags, [`launched-${RUN}`, 'e2e']);
  assert.equal(job.device_id, fx.device.id);
  assert.equal(job.options.testvars[0].value, 'eth3');
  // Counted against the tests it ran (one of three skipped), and the agent by its name.
  assert.deepEqual([job.progress.done, job.progress.total], [2, 2]);
  await page.locator('[role="progressbar"]', { hasText: '2/2' }).first().waitFor();
  const agent = await api('GET', `/api/v1/agents/${job.agent_id}/`);
  await page.locator('dl.fields dd', { hasText: `${agent.name} (id ${job.agent_id})` }).waitFor();
  await snap('job-completed');
});

test('filters by package, tags and status; the URL keeps the view', async () => {
  await page.goto(URL_ + '/');
  await page.getByLabel('Package', { exact: true }).fill(`e2e-beta-${RUN}`);
  await page.getByLabel('Tags').fill(`sort-${RUN}`);
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.waitForURL(/package=/);
  const beta = fx.sortJobs.filter((j) => j.package_id === fx.beta.id).map((j) => j.id);
  await waitForRows(beta);
  await snap('filtered');
  await page.getByLabel('Status').selectOption('running');
  await page.getByText('No jobs match these filters.').waitFor();
  await page.goBack();
  await waitForRows(beta);
  // A shared link opens the same view.
  const shared = page.url();
  await page.goto(shared);
  await waitForRows(beta);
  assert.equal(await page.getByLabel('Package', { exact: true }).inputValue(), `e2e-beta-${RUN}`);
});

test('sorts by clicking column headers', async () => {
  await page.goto(`${URL_}/?tags=sort-${RUN}`);
  const byIdDesc = fx.sortJobs.map((j) => Number(j.id)).sort((a, b) => b - a);
  await waitForRows(byIdDesc, true);
  const header = page.getByRole('columnheader', { name: 'Package' });
  await header.getByRole('link').click();
  await page.waitForURL(/sort=package_name/);
  assert.equal(await header.getAttribute('aria-sort'), 'ascending');
  const alphaFirst = [...fx.sortJobs.filter((j) => j.package_id === fx.alpha.id), ...fx.sortJobs.filter((j) => j.package_id === fx.beta.id)];
  await page.waitForFunction(
    (first) => document.querySelector('table.jobs tbody tr td:nth-child(3)')?.textContent === first,
    fx.alpha.name,
  );
  await waitForRows(alphaFirst.map((j) => j.id));
  await snap('sorted-ascending');
  await header.getByRole('link').click();
  await page.waitForURL(/sort=-package_name/);
  await page.waitForFunction(
    (first) => document.querySelector('table.jobs tbody tr td:nth-child(3)')?.textContent === first,
    fx.beta.name,
  );
  assert.equal(await header.getAttribute('aria-sort'), 'descending');
  await snap('sorted-descending');
});

test('pages through a long list, and back', async () => {
  await page.goto(`${URL_}/?tags=page-${RUN}`);
  await page.getByText('Jobs 1–25 of 27').waitFor();
  assert.equal(await rows().count(), 25);
  await page.getByRole('link', { name: 'Next' }).click();
  await page.waitForURL(/page=2/);
  await page.getByText('Jobs 26–27 of 27').waitFor();
  const oldest = fx.pageJobs.map((j) => Number(j.id)).sort((a, b) => a - b).slice(0, 2).reverse();
  await waitForRows(oldest, true);
  await snap('page-2');
  await page.goBack();
  await page.getByText('Jobs 1–25 of 27').waitFor();
});

test('stops a running job', { timeout: JOB_MS + 60_000 }, async () => {
  const job = await api('POST', '/api/v1/jobs/', { package_id: fx.long.id });
  fx.stopped = job.id;
  await page.goto(`${URL_}/jobs/${job.id}`);
  await badge().filter({ hasText: 'running' }).waitFor({ timeout: JOB_MS });
  await page.locator('pre.log', { hasText: 'cdrouter_long_1' }).waitFor({ timeout: 30_000 });
  await snap('job-running');
  await page.getByRole('button', { name: 'Stop' }).click();
  await badge().filter({ hasText: 'stopped' }).waitFor({ timeout: 60_000 });
  await snap('job-stopped');
  assert.equal((await api('GET', `/api/v1/jobs/${job.id}/`)).status, 'stopped');
});

test('deletes a job (asking first)', async () => {
  await page.goto(`${URL_}/jobs/${fx.stopped}`);
  await badge().filter({ hasText: 'stopped' }).waitFor();
  await page.getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('group', { name: `Delete job ${fx.stopped}?` }).waitFor();
  await snap('delete-confirm');
  await page.getByRole('button', { name: 'Yes, delete' }).click();
  await page.waitForURL((u) => u.pathname === '/');
  await page.getByRole('heading', { name: 'Jobs', exact: true }).waitFor();
  await assert.rejects(api('GET', `/api/v1/jobs/${fx.stopped}/`), /404/);
});

test('bulk deletes the selected jobs', async () => {
  await page.goto(`${URL_}/?tags=bulk-${RUN}`);
  await waitForRows(fx.bulkJobs.map((j) => j.id));
  await page.getByLabel('Select all jobs on this page').check();
  await page.getByText('3 selected').waitFor();
  await page.getByRole('button', { name: 'Delete selected' }).click();
  await snap('bulk-selected');
  await page.getByRole('button', { name: 'Yes, delete selected' }).click();
  await page.getByText('Deleted 3 jobs.').waitFor();
  await page.getByText('No jobs match these filters.').waitFor();
  await snap('bulk-deleted');
  for (const j of fx.bulkJobs) await assert.rejects(api('GET', `/api/v1/jobs/${j.id}/`), /404/);
});

test('a bad advanced filter is explained, not swallowed', async () => {
  await page.goto(URL_ + '/');
  await page.getByText('Advanced filter').click();
  await page.getByLabel('Filters, one per line').fill('nosuchfield=1');
  await page.getByRole('button', { name: 'Apply' }).click();
  const alert = page.getByRole('alert').filter({ hasText: 'nosuchfield' });
  await alert.waitFor();
  assert.match(await alert.textContent(), /unknown field/i);
  await snap('bad-filter');
});

test('bulk launches one job per package matching a filter', async () => {
  await page.getByRole('link', { name: 'Launch', exact: true }).click();
  await page.getByRole('radio', { name: 'Every package matching a filter' }).check();
  await page.getByLabel('Package filters, one per line').fill(`name~^e2e-(alpha|beta)-${RUN}$`);
  await page.getByRole('button', { name: 'Show matching packages' }).click();
  await page.getByText('2 packages match.').waitFor();
  await page.getByLabel('Tags').fill(`bulkl-${RUN}`);
  await page.getByRole('radio', { name: 'Run at a time' }).check();
  await page.getByLabel('Run at (your local time)').fill('2099-01-01T00:00');
  await snap('bulk-launch');
  await page.getByRole('button', { name: 'Launch for every matching package' }).click();
  await page.waitForURL((u) => u.pathname === '/');
  const jobs = await api('GET', `/api/v1/jobs/?filter=${encodeURIComponent(`tags@>{bulkl-${RUN}}`)}`);
  assert.deepEqual(jobs.map((j) => j.package_id).sort(), [fx.alpha.id, fx.beta.id].sort());
  // Local midnight, whatever the browser's time zone: still at the very end of 2098 at least.
  assert.ok(jobs.every((j) => j.status === 'pending' && Date.parse(j.run_at) > Date.parse('2098-12-31T00:00:00Z')), JSON.stringify(jobs));
});

test('edits a config and shows the interfaces it defines', async () => {
  await page.getByRole('link', { name: 'Configs', exact: true }).click();
  await page.getByRole('button', { name: 'New config' }).click();
  const form = page.getByRole('form', { name: 'New config' });
  await form.getByLabel('Name').fill(`e2e-newcfg-${RUN}`);
  await form.getByLabel('Contents').fill('testvar lanInterface eth4\ntestvar wanInterface none\ntestvar icsInterface wlan0\n');
  await form.getByRole('cell', { name: 'eth4', exact: true }).waitFor();
  await form.getByRole('cell', { name: 'wlan0', exact: true }).waitFor();
  await snap('config-editor');
  await form.getByRole('button', { name: 'Save' }).click();
  await page.getByText(`Saved config e2e-newcfg-${RUN}.`).waitFor();
  // Other suites leave configs that sort first: find this one by searching, as a user would.
  await page.goto(`${URL_}/configs?q=e2e-newcfg-${RUN}`);
  await page.getByRole('cell', { name: `e2e-newcfg-${RUN}`, exact: true }).waitFor();
});

test('lists the lab agent as online', async () => {
  await page.getByRole('link', { name: 'Agents', exact: true }).click();
  await page.locator('table tbody tr', { hasText: 'online' }).first().waitFor();
  await snap('agents');
});

test("a failed test's log is two clicks from the jobs table; its capture downloads", { timeout: JOB_MS + 60_000 }, async () => {
  // The simulator replays the real CDRouter run of these two tests (one fails).
  const pkg = await api('POST', '/api/v1/packages/', {
    name: `e2e-real-${RUN}`,
    testlist: ['cdrouter_app_14', 'dns_45'],
    config_id: fx.config.id,
  });
  let job = await api('POST', '/api/v1/jobs/', { package_id: pkg.id, options: { tags: [`real-${RUN}`] } });
  const until = Date.now() + JOB_MS;
  while (job.status !== 'completed') {
    assert.ok(Date.now() < until, `job ${job.id} did not complete: ${JSON.stringify(job)}`);
    await new Promise((r) => setTimeout(r, 250));
    job = await api('GET', `/api/v1/jobs/${job.id}/`);
  }
  await page.goto(`${URL_}/?tags=real-${RUN}`);
  await waitForRows([job.id]);
  // Click 1: the run's result, showing its failures.
  await page.getByRole('link', { name: `Result ${job.result_id} of job ${job.id}` }).click();
  await page.waitForURL(/\/results\/\d+\?failed=1$/);
  await page.getByRole('heading', { name: new RegExp(`^Result ${job.result_id}`) }).waitFor();
  await page.getByText('1 passed, 1 failed of 2 tests').waitFor();
  await page.locator('table.tests tbody tr', { hasText: 'cdrouter_app_14' }).waitFor();
  assert.equal(await page.locator('table.tests tbody tr').count(), 1, 'only the failure is listed');
  await snap('result-failures');
  // Click 2: the failing test's log, the failing assertion marked.
  await page.getByRole('link', { name: 'cdrouter_app_14', exact: true }).click();
  await page.waitForURL(/\/tests\/2$/);
  await page.locator('.testlog .ln-fail', { hasText: 'Inbound FTP data connection succeeded' }).waitFor();
  await page.getByRole('link', { name: 'First failure' }).click();
  await page.waitForURL(/#line-\d+$/);
  await snap('test-log');
  await page.getByRole('link', { name: 'FAIL lines only' }).click();
  await page.waitForURL(/only=fail/);
  await page.waitForFunction(() => document.querySelectorAll('.testlog .ln').length === 2);
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Download cdrouter_app_14-lan-eth1.cap (lan-eth1)' }).click(),
  ]);
  assert.equal(download.suggestedFilename(), 'cdrouter_app_14-lan-eth1.cap');
  const bytes = readFileSync(await download.path());
  assert.equal(bytes.length, 17558);
  // A pcap file (either byte order).
  assert.ok(['d4c3b2a1', 'a1b2c3d4'].includes(bytes.subarray(0, 4).toString('hex')), bytes.subarray(0, 4).toString('hex'));
});

test('signs out (the session ends on the server too)', async () => {
  const token = await page.evaluate(() => sessionStorage.getItem('labrelay.token'));
  const status = () => page.evaluate(async (t) =>
    (await fetch('/api/v1/jobs/', { headers: { authorization: `Bearer ${t}` } })).status, token);
  assert.equal(await status(), 200);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.getItem('labrelay.token')), null);
  assert.equal(await status(), 401);
  await snap('signed-out');
});
