// Results side by side (/compare?ids=...): two runs made by hand over the agent protocol (an
// agent of this file's own, on interfaces no other agent has) with chosen verdicts; picked on
// the jobs list, the compare page lists the changed test first with both verdicts.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { api, axe, jobRows, page, PHONE, RUN, session, snap, URL_ } from './lib.mjs';

const fx = {};

/// One run of `fx.pkg` by this file's agent: claimed, started, its tests recorded with these
/// verdicts ([name, result] pairs), finished. Answers the job (with its result id).
async function runBy(verdicts) {
  const job = await api('POST', '/api/v1/jobs/', { package_id: fx.pkg.id, options: { tags: [`cmp-${RUN}`] } });
  const claim = await api('POST', '/api/v1/agent/claim', { interfaces: fx.ifaces, capacity: 1, wait_secs: 10 }, fx.agent.token);
  assert.equal(claim?.job?.id, job.id, 'this file\'s agent claims the job it launched');
  const started = await api('POST', `/api/v1/agent/jobs/${job.id}/start`, {}, fx.agent.token);
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const tests = verdicts.map(([name, result], i) => ({
    seq: i + 1, name, description: `The ${name} test`, result, log: `${name}.txt`, started: now, duration: i + 1,
  }));
  await api('POST', `/api/v1/agent/jobs/${job.id}/tests`, { tests }, fx.agent.token);
  const failed = verdicts.filter(([, r]) => r === 'fail').length;
  await api('POST', `/api/v1/agent/jobs/${job.id}/finish`, {
    status: 'completed', exit_code: failed ? 1 : 0, summary: { tests: tests.length, passed: tests.length - failed, failed },
  }, fx.agent.token);
  return { ...job, result_id: started.result_id };
}

session('compare-', async () => {
  fx.ifaces = [`cmp${RUN}-lan`, `cmp${RUN}-wan`];
  const config = await api('POST', '/api/v1/configs/', {
    name: `cmp-cfg-${RUN}`,
    contents: `testvar lanInterface ${fx.ifaces[0]}\ntestvar wanInterface ${fx.ifaces[1]}\n`,
  });
  fx.pkg = await api('POST', '/api/v1/packages/', {
    name: `cmp-pkg-${RUN}`,
    testlist: ['cmp_same', 'cmp_broke', 'cmp_gone', 'cmp_new'],
    config_id: config.id,
  });
  fx.agent = await api('POST', '/api/v1/agents/', { name: `cmp-agent-${RUN}` });
  fx.older = await runBy([['cmp_same', 'pass'], ['cmp_broke', 'pass'], ['cmp_gone', 'pass']]);
  fx.newer = await runBy([['cmp_same', 'pass'], ['cmp_broke', 'fail'], ['cmp_new', 'pass']]);
}, { viewport: { width: 1280, height: 900 } });

after(async () => {
  if (fx.agent) await api('DELETE', `/api/v1/agents/${fx.agent.id}/`).catch(() => {});
});

test('two runs picked on the jobs list compare side by side, the changed test first', async () => {
  const [a, b] = [fx.older.result_id, fx.newer.result_id];
  assert.ok(Number(a) < Number(b), `result ids in order: ${a} ${b}`);
  await page.goto(`${URL_}/?tags=cmp-${RUN}`);
  await jobRows(page).nth(1).waitFor();
  await page.getByRole('checkbox', { name: `Select job ${fx.older.id}` }).check();
  assert.equal(await page.getByRole('link', { name: 'Compare results' }).count(), 0, 'one result is not a comparison');
  await page.getByRole('checkbox', { name: `Select job ${fx.newer.id}` }).check();
  await page.getByRole('link', { name: 'Compare results' }).click();
  await page.waitForURL(`${URL_}/compare?ids=${a},${b}`);
  await page.getByRole('heading', { name: 'Compare results', exact: true }).waitFor();
  const table = page.locator('table.compare');
  await table.locator('tbody tr').first().waitFor();

  // One column per result, oldest first; the counts of each group at the top.
  const heads = await table.locator('thead th').allInnerTexts();
  assert.deepEqual(heads.map((h) => h.trim()), ['Test', 'Change', `Result ${a}`, `Result ${b}`]);
  const counts = (await page.locator('ul.compare-counts').innerText()).replace(/\s+/g, ' ');
  assert.match(counts, /1 changed/);
  assert.match(counts, /2 new or missing/);
  assert.match(counts, /1 unchanged/);

  // Changed first, then new or missing (in the order they ran), then unchanged.
  const names = await table.locator('tbody th[scope=row]').allInnerTexts();
  assert.deepEqual(names, ['cmp_broke', 'cmp_gone', 'cmp_new', 'cmp_same']);
  const first = table.locator('tbody tr').first();
  const cells = (await first.locator('td').allInnerTexts()).map((c) => c.replace(/\s+/g, ' ').trim());
  assert.equal(cells[0], 'changed');
  assert.match(cells[1], /^pass\b/);
  assert.match(cells[2], /^fail\b/);
  // Each verdict opens that test's log in its result (cmp_broke ran second in both).
  assert.equal(await first.locator('td').nth(1).getByRole('link').getAttribute('href'), `/results/${a}/tests/2`);
  assert.equal(await first.locator('td').nth(2).getByRole('link').getAttribute('href'), `/results/${b}/tests/2`);
  // A test one run did not have says so.
  const gone = (await table.locator('tbody tr').nth(1).locator('td').allInnerTexts()).map((c) => c.trim());
  assert.deepEqual([gone[0], gone[2]], ['new or missing', 'not run']);

  assert.deepEqual(await axe(page), []);
  await snap('compare');
  // At a phone's width the table scrolls in its own box; the page does not scroll sideways.
  await page.setViewportSize(PHONE);
  const over = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(over <= 0, `${over} px wider than the screen`);
  await snap('compare-phone');
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.getByRole('link', { name: `Result ${b}` }).click();
  await page.getByRole('heading', { name: new RegExp(`^Result ${b}`) }).waitFor();
});

test('what cannot be compared is said in words', async () => {
  await page.goto(`${URL_}/compare?ids=${fx.older.result_id}`);
  await page.getByRole('alert').filter({ hasText: 'Pick two or more results to compare' }).waitFor();
  await page.goto(`${URL_}/compare?ids=${fx.older.result_id},x`);
  await page.getByRole('alert').filter({ hasText: '"x" is not a result id.' }).waitFor();
  // The server's 404 for a result that does not exist, in the page's error banner.
  await page.goto(`${URL_}/compare?ids=${fx.older.result_id},19990101000000`);
  const alert = page.getByRole('alert');
  await alert.waitFor();
  assert.match(await alert.innerText(), /no such result|not found|does not exist/i);
  assert.equal(await page.locator('table.compare').count(), 0);
});
