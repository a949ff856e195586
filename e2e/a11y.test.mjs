// Accessible and usable anywhere: axe-core finds no serious or critical violation on any
// page (editors and forms open), every page works at a phone's width (390 px: no sideways
// scrolling of the page; a screenshot of each in target/e2e-artifacts/phone-*.png), and
// the jobs table and the launch form work from the keyboard alone.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api, ARTIFACTS, axe, FAR, finished, jobRows, page, PHONE, RUN, session, snap, URL_, withFreshPage } from './lib.mjs';

const fx = {};

/// Every page, as a user reaches it: the path, what shows it is ready, and what to open.
const PAGES = [
  { name: 'jobs', path: () => `/?tags=a11y-${RUN}`, ready: (p) => jobRows(p).first().waitFor() },
  { name: 'jobs-empty', path: () => `/?tags=a11y-none-${RUN}`, ready: (p) => p.getByText('No jobs match these filters.').waitFor() },
  { name: 'job', path: () => `/jobs/${fx.done.id}`, ready: (p) => p.locator('.log-card [role="status"]', { hasText: 'complete' }).waitFor() },
  { name: 'result', path: () => `/results/${fx.done.result_id}`, ready: (p) => p.locator('table.tests tbody tr').first().waitFor() },
  { name: 'test-log', path: () => `/results/${fx.done.result_id}/tests/2`, ready: (p) => p.locator('.testlog .ln').first().waitFor() },
  { name: 'launch', path: () => `/launch?package=${fx.pkg.id}`, ready: (p) => p.getByText(`Picked: ${fx.pkg.name}`).waitFor() },
  {
    name: 'launch-bulk',
    path: () => '/launch',
    ready: async (p) => {
      await p.getByRole('radio', { name: 'Every package matching a filter' }).check();
      await p.getByLabel('Package filters, one per line').waitFor();
    },
  },
  ...['package', 'config', 'device'].map((what) => ({
    name: `${what}s`,
    path: () => `/${what}s?q=${RUN}`,
    ready: async (p) => {
      await p.locator('main table tbody tr').first().waitFor();
      await p.getByRole('button', { name: `New ${what}` }).click();
      await p.getByRole('form', { name: `New ${what}` }).waitFor();
    },
  })),
  {
    name: 'agents',
    path: () => '/agents',
    ready: async (p) => {
      await p.locator('main table tbody tr').first().waitFor();
      await p.getByRole('button', { name: 'Register an agent' }).click();
      await p.getByRole('form', { name: 'Register an agent' }).waitFor();
    },
  },
  { name: 'reservations', path: () => '/reservations', ready: (p) => p.getByRole('form', { name: 'Reserve' }).waitFor() },
  { name: 'not-found', path: () => '/no-such-page', ready: (p) => p.getByRole('heading', { name: 'Not found' }).waitFor() },
];

session('a11y-', async () => {
  const config = await api('POST', '/api/v1/configs/', {
    name: `a11y-cfg-${RUN}`,
    contents: 'testvar lanInterface eth1\ntestvar wanInterface eth2\n',
  });
  await api('POST', '/api/v1/devices/', { name: `a11y-dev-${RUN}`, manufacturer: 'Acme' });
  // A real CDRouter run, replayed: one test passes, one fails.
  fx.pkg = await api('POST', '/api/v1/packages/', {
    name: `a11y-real-${RUN}`,
    testlist: ['cdrouter_app_14', 'dns_45'],
    config_id: config.id,
  });
  const job = await api('POST', '/api/v1/jobs/', { package_id: fx.pkg.id, options: { tags: [`a11y-${RUN}`] } });
  await api('POST', '/api/v1/jobs/?bulk=launch', {
    jobs: Array.from({ length: 3 }, () => ({ package_id: fx.pkg.id, run_at: FAR, options: { tags: [`a11y-${RUN}`] } })),
  });
  fx.done = await finished(job.id);
}, { viewport: { width: 1280, height: 900 } });

test('no page has a serious or critical accessibility violation (axe-core)', async () => {
  const found = [];
  for (const p of PAGES) {
    await page.goto(URL_ + p.path());
    await p.ready(page);
    found.push(...(await axe(page)).map((v) => `${p.name}: ${v}`));
  }
  await withFreshPage(async (fresh) => {
    await fresh.goto(URL_ + '/');
    await fresh.getByRole('button', { name: 'Sign in' }).waitFor();
    found.push(...(await axe(fresh)).map((v) => `sign-in: ${v}`));
  });
  assert.deepEqual(found, []);
});

test('every page is usable at a phone\'s width (390 px)', async () => {
  await page.setViewportSize(PHONE);
  const wide = [];
  const shoot = async (p, name) => {
    const over = await p.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    if (over > 0) wide.push(`${name}: ${over} px wider than the screen`);
    wide.push(...(await axe(p)).map((v) => `${name}: ${v}`));
    await p.screenshot({ path: `${ARTIFACTS}phone-${name}.png`, fullPage: true });
  };
  for (const p of PAGES) {
    await page.goto(URL_ + p.path());
    await p.ready(page);
    await shoot(page, p.name);
  }
  await withFreshPage(async (fresh) => {
    await fresh.goto(URL_ + '/');
    await fresh.getByRole('button', { name: 'Sign in' }).waitFor();
    await shoot(fresh, 'sign-in');
  }, { viewport: PHONE });
  assert.deepEqual(wide, []);
});

/// Presses Tab until the focused element is `name` (an accessible name or text): at most
/// `max` times; fails when it never gets there.
async function tabTo(name, max = 60) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const here = await page.evaluate(() => {
      const el = document.activeElement;
      return (el?.getAttribute('aria-label') || el?.labels?.[0]?.textContent || el?.textContent || '').trim();
    });
    if (typeof name === 'string' ? here === name : name.test(here)) return;
  }
  assert.fail(`${max} tabs did not reach ${name}`);
}

test('the jobs table works from the keyboard', async () => {
  await page.goto(URL_ + '/');
  await jobRows(page).first().waitFor();
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Skip to content');
  await tabTo('Tags');
  await page.keyboard.type(`a11y-${RUN}`);
  await page.keyboard.press('Enter');
  await page.waitForURL(/tags=a11y-/);
  await page.getByText('Jobs 1–4 of 4').waitFor();
  await tabTo(/^Package/);
  await page.keyboard.press('Enter');
  await page.waitForURL(/sort=package_name/);
  await tabTo(/^Select job \d+$/);
  await page.keyboard.press('Space');
  await page.getByText('1 selected').waitFor();
  await tabTo(String(fx.done.id));
  await page.keyboard.press('Enter');
  await page.waitForURL(new RegExp(`/jobs/${fx.done.id}$`));
  await snap('keyboard-jobs');
});

test('the launch form works from the keyboard', async () => {
  await page.goto(URL_ + '/launch');
  await page.getByRole('heading', { name: 'Launch', exact: true }).waitFor();
  await tabTo('Find a package');
  await page.keyboard.type(fx.pkg.name);
  await page.getByLabel('Package (1 found)').waitFor();
  await tabTo(/^Package \(1 found\)/);
  await page.keyboard.press('ArrowDown');
  await page.getByText(`Picked: ${fx.pkg.name}`).waitFor();
  await tabTo('Tags');
  await page.keyboard.type(`kbd-${RUN}`);
  await tabTo('cdrouter_app_14');
  await page.keyboard.press('Space');
  await snap('keyboard-launch');
  await tabTo('Launch');
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/jobs\/\d+$/);
  const id = page.url().split('/').pop();
  const job = await api('GET', `/api/v1/jobs/${id}/`);
  assert.deepEqual(job.options.tags, [`kbd-${RUN}`]);
  assert.deepEqual(job.options.skip_tests, ['cdrouter_app_14']);
  await finished(id);
});
