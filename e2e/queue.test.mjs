// Queue and lab control in the app (issue 12): a device taken into maintenance from its
// editor holds its jobs, which say why on the jobs table and the job page; a reservation
// taken and given back on the Reservations page; a package's schedule set in its editor; a
// launch at a chosen priority.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api, jobRows, page, RUN, session, snap, URL_ } from './lib.mjs';

const fx = {};

session('queue-', async () => {
  fx.device = await api('POST', '/api/v1/devices/', { name: `q-dut-${RUN}` });
  const config = await api('POST', '/api/v1/configs/', {
    name: `q-cfg-${RUN}`,
    contents: 'testvar lanInterface q-lan\ntestvar wanInterface q-wan\n',
  });
  fx.pkg = await api('POST', '/api/v1/packages/', {
    name: `q-pkg-${RUN}`,
    testlist: ['cdrouter_basic_1'],
    config_id: config.id,
    device_id: fx.device.id,
  });
});

test('a device in maintenance holds its jobs, and they say why', async () => {
  await page.goto(`${URL_}/devices?q=q-dut-${RUN}`);
  await page.getByRole('button', { name: `Edit device q-dut-${RUN}` }).click();
  const form = page.getByRole('form', { name: 'Edit device' });
  await form.waitFor();
  await form.getByLabel('State', { exact: true }).selectOption('maintenance');
  await form.getByLabel('State note').fill('new firmware');
  await form.getByRole('button', { name: 'Save' }).click();
  await page.locator('main table tbody tr', { hasText: 'maintenance' }).waitFor();
  const device = await api('GET', `/api/v1/devices/${fx.device.id}/`);
  assert.equal(device.state, 'maintenance');
  assert.equal(device.state_note, 'new firmware');

  const job = await api('POST', '/api/v1/jobs/', { package_id: fx.pkg.id, options: { tags: [`q-${RUN}`] } });
  await page.goto(`${URL_}/?tags=q-${RUN}`);
  const why = jobRows(page).first().locator('.waiting');
  await why.filter({ hasText: `device q-dut-${RUN} is maintenance: new firmware` }).waitFor();
  assert.match(await why.textContent(), /^#1 · /);
  // The device's queue, from its row on the devices page.
  await page.goto(`${URL_}/devices?q=q-dut-${RUN}`);
  await page.getByRole('link', { name: `Queue of device q-dut-${RUN}` }).click();
  await jobRows(page).first().locator('.waiting').filter({ hasText: 'new firmware' }).waitFor();
  assert.equal(await jobRows(page).count(), 1);
  await page.goto(`${URL_}/jobs/${job.id}`);
  const card = page.getByRole('region', { name: 'Why it is waiting' });
  await card.filter({ hasText: 'new firmware' }).waitFor();
  await snap('waiting');
  await api('PATCH', `/api/v1/devices/${fx.device.id}/`, { state: 'ready' });
  await api('DELETE', `/api/v1/jobs/${job.id}/`);
});

test('a device is reserved and given back on the Reservations page', async () => {
  await page.goto(`${URL_}/reservations`);
  const form = page.getByRole('form', { name: 'Reserve' });
  await form.waitFor();
  await form.getByLabel('Device').selectOption({ label: `q-dut-${RUN}` });
  await form.getByLabel('For (minutes)').fill('45');
  await form.getByLabel('Note').fill(`bisect ${RUN}`);
  await form.getByRole('button', { name: 'Reserve' }).click();
  const row = page.locator('main table tbody tr', { hasText: `bisect ${RUN}` });
  await row.waitFor();
  assert.match(await row.textContent(), new RegExp(`device q-dut-${RUN}`));
  const live = (await api('GET', '/api/v1/reservations/')).find((r) => r.note === `bisect ${RUN}`);
  assert.ok(live && live.active, JSON.stringify(live));
  await snap('reserved');
  await row.getByRole('button', { name: `Give back device q-dut-${RUN}` }).click();
  await row.filter({ hasText: '(over)' }).waitFor();
  const over = await api('GET', `/api/v1/reservations/${live.id}/`);
  assert.equal(over.active, false);
});

test('a package schedule is set in its editor, and a bad spec is refused in words', async () => {
  await page.goto(`${URL_}/packages?q=q-pkg-${RUN}`);
  await page.getByRole('button', { name: `Edit package q-pkg-${RUN}` }).click();
  const form = page.getByRole('form', { name: 'Edit package' });
  await form.waitFor();
  await form.getByLabel('Schedule (cron, UTC)').fill('0 61 * * *');
  await form.getByLabel('Schedule on: launch a job at each tick').check();
  await form.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('alert').filter({ hasText: 'Schedule: hour "61" is outside 0-23' }).waitFor();
  await form.getByLabel('Schedule (cron, UTC)').fill('30 2 * * mon-fri');
  await form.getByLabel('Priority').fill('80');
  await form.getByRole('button', { name: 'Save' }).click();
  await form.waitFor({ state: 'detached' });
  const pkg = await api('GET', `/api/v1/packages/${fx.pkg.id}/`);
  assert.deepEqual([pkg.schedule.enabled, pkg.schedule.spec, pkg.priority], [true, '30 2 * * mon-fri', 80]);
  assert.match(pkg.schedule_next, /T02:30:00/);
  await api('PATCH', `/api/v1/packages/${fx.pkg.id}/`, { schedule: { enabled: false } });
});

test('a launch at a chosen priority', async () => {
  await page.goto(`${URL_}/launch?package=${fx.pkg.id}`);
  await page.getByText(`Picked: ${fx.pkg.name}`).waitFor();
  await page.getByLabel('Priority').fill('95');
  await page.getByLabel('Tags').fill(`qprio-${RUN}`);
  await page.getByRole('button', { name: 'Launch', exact: true }).click();
  await page.waitForURL(/\/jobs\/\d+$/);
  await page.locator('dt:text-is("Priority") + dd').filter({ hasText: '95' }).waitFor();
  const id = page.url().split('/').pop();
  const job = await api('GET', `/api/v1/jobs/${id}/`);
  assert.equal(job.priority, 95);
  await api('DELETE', `/api/v1/jobs/${id}/`);
});
