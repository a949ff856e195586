// One pane over many labs (issue 11): the all-labs overview shows each lab's running and
// queued jobs, agents online and last failures; choosing a lab there (or in the header) makes
// the app work in it, and its jobs are the ones listed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api, FAR, jobRows, page, RUN, session, snap, URL_ } from './lib.mjs';

const fx = {};
const LAB = `e2e-${RUN}`;

session('labs-', async () => {
  await api('POST', '/api/v1/labs/', { name: LAB, description: 'the browser tests\' lab' });
  const at = (p) => `/labs/${LAB}${p}`;
  const pkg = fx.pkg = await api('POST', at('/api/v1/packages/'), { name: `lab-pkg-${RUN}`, testlist: ['cdrouter_basic_1'] });
  await api('POST', at('/api/v1/jobs/'), { package_id: pkg.id, run_at: FAR, options: { tags: [`inlab-${RUN}`] } });
  await api('POST', at('/api/v1/jobs/'), { package_id: pkg.id, run_at: FAR, options: { tags: [`inlab-${RUN}`] } });
}, { tidy: false });

test('the overview shows every lab, and a lab chosen there is the one the app works in', async () => {
  await page.goto(`${URL_}/overview`);
  await page.getByRole('heading', { name: 'All labs' }).waitFor();
  const row = page.locator('main table tbody tr', { has: page.getByRole('button', { name: `Work in lab ${LAB}` }) });
  // Two queued, none running, no agent.
  await row.locator('td.num').nth(1).filter({ hasText: '2' }).waitFor();
  assert.equal(await row.locator('td.num').first().textContent(), '0');
  assert.match(await row.textContent(), /0 of 0/);
  await page.locator('main table tbody tr', { has: page.getByRole('button', { name: 'Work in lab default' }) }).waitFor();
  await snap('overview');
  // Live: a job launched in the lab meanwhile shows without a reload.
  await api('POST', `/labs/${LAB}/api/v1/jobs/`, { package_id: fx.pkg.id, run_at: FAR, options: { tags: [`inlab-${RUN}`] } });
  await row.locator('td.num').nth(1).filter({ hasText: '3' }).waitFor();

  await row.getByRole('button', { name: `Work in lab ${LAB}` }).click();
  await page.getByRole('heading', { name: 'Jobs', exact: true }).waitFor();
  assert.equal(await page.getByLabel('Lab').inputValue(), LAB);
  await page.goto(`${URL_}/?tags=inlab-${RUN}`);
  await jobRows(page).nth(2).waitFor();
  assert.equal(await jobRows(page).count(), 3);
  await snap('in-lab');

  // Back to the default lab from the header: the lab's jobs are not there.
  await page.getByLabel('Lab').selectOption('default');
  await page.getByRole('heading', { name: 'Jobs', exact: true }).waitFor();
  await page.waitForFunction(() => document.getElementById('lab-picker')?.value === 'default');
  await page.goto(`${URL_}/?tags=inlab-${RUN}`);
  await page.getByText('No jobs match these filters.').waitFor();
});
