// The app as a newcomer found it (issue 10), one test per fix: a panic never leaves a dead
// page, a deleted job is not asked for again, a bad filter does not leave the last
// filter's rows, who launched a job and when (with the zone, and how long ago), a pending
// job's planned tests, the launch button in sight, the package list box's height, the
// sign-in error on one line, an empty list without an empty table, an answer the app
// cannot read, and each page's code fetched when first visited (a visit's first page as one
// file).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api, ARTIFACTS, FAR, jobRows, page, RUN, session, signIn, snap, URL_, withFreshPage } from './lib.mjs';

const fx = {};

session('fixes-', async () => {
  fx.one = await api('POST', '/api/v1/packages/', { name: `fix-one-${RUN}`, testlist: ['cdrouter_basic_1'] });
  fx.three = await api('POST', '/api/v1/packages/', {
    name: `fix-three-${RUN}`,
    testlist: ['cdrouter_basic_1', 'cdrouter_nat_1', 'cdrouter_dhcp_1'],
  });
  const later = (n, tag) => Array.from({ length: n }, () => ({ package_id: fx.one.id, run_at: FAR, options: { tags: [tag] } }));
  fx.listed = await api('POST', '/api/v1/jobs/?bulk=launch', { jobs: later(27, `fixlist-${RUN}`) });
  // Another user's job, for "launched by".
  fx.user = await api('POST', '/api/v1/users/', { name: `fix-user-${RUN}`, password: `fix-pass-${RUN}` });
  fx.theirs = await api('POST', '/api/v1/jobs/', { package_id: fx.one.id, run_at: FAR }, fx.user.token);
});

test('a panic shows what went wrong and the way back, never a dead page', async () => {
  const logged = [];
  const onConsole = (m) => m.type() === 'error' && logged.push(m.text());
  page.on('console', onConsole);
  await page.goto(URL_ + '/debug/panic');
  const alert = page.getByRole('alert').filter({ hasText: 'Something went wrong' });
  await alert.waitFor();
  assert.match(await alert.textContent(), /a deliberate panic/);
  await snap('panic');
  page.off('console', onConsole);
  // console_error_panic_hook: the panic and where it happened, in the console.
  assert.ok(logged.some((l) => /deliberate panic/.test(l) && /app\.rs/.test(l)), logged.join('\n'));
  // The trap that ends the wasm call is the one uncaught error.
  assert.ok(page.errors.length > 0 && page.errors.every((e) => /unreachable/.test(e)), page.errors.join('\n'));
  page.errors.splice(0);
  await page.getByRole('link', { name: 'Go to the jobs list' }).click();
  await page.getByRole('heading', { name: 'Jobs', exact: true }).waitFor();
});

test('deleting a job from its page asks for nothing more about it', async () => {
  const job = await api('POST', '/api/v1/jobs/', { package_id: fx.one.id, run_at: FAR });
  const after = [];
  let deleted = false;
  const onResponse = (r) => {
    if (deleted && r.url().includes(`/api/v1/jobs/${job.id}/`) && r.request().method() === 'GET') {
      after.push(`${r.status()} ${r.url()}`);
    }
    if (r.request().method() === 'DELETE') deleted = true;
  };
  await page.goto(`${URL_}/jobs/${job.id}`);
  await page.locator('.log-card [role="status"]').waitFor();
  page.on('response', onResponse);
  await page.getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('button', { name: 'Yes, delete' }).click();
  await page.waitForURL((u) => u.pathname === '/');
  // The jobs list has loaded after the change the deletion made: the job page would have
  // asked by now.
  await jobRows(page).first().waitFor();
  page.off('response', onResponse);
  assert.deepEqual(after, [], 'requests for the deleted job');
});

test('a bad filter does not leave the last filter\'s rows and pager on screen', async () => {
  await page.goto(`${URL_}/?tags=fixlist-${RUN}`);
  await page.getByText('Jobs 1–25 of 27').waitFor();
  await page.getByText('Advanced filter').click();
  await page.getByLabel('Filters, one per line').fill('nosuchfield=1');
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.getByRole('alert').filter({ hasText: 'nosuchfield' }).waitFor();
  await snap('bad-filter');
  assert.equal(await jobRows(page).count(), 0, 'rows of the previous filter');
  assert.equal(await page.getByText(/^Jobs \d+–\d+ of \d+$/).count(), 0, 'the previous filter\'s pager');
  assert.equal(await page.locator('table.jobs').isVisible(), false, 'an empty table');
});

test('an answer the app cannot read is said in words, never a dead page', async () => {
  // The app reads answers with the browser's JSON.parse and its own serde reader
  // (app/src/api/js_reader.rs): a wrong type, or a proxy's HTML page, is an error in words.
  let body = JSON.stringify({
    timestamp: new Date().toISOString(),
    data: [{ id: '1', package_name: 5 }],
    links: { first: 1, last: 1, current: 1, limit: 25, total: 1 },
  });
  const jobsList = (url) => url.pathname === '/api/v1/jobs/';
  await page.route(jobsList, (route) => (route.request().method() === 'GET'
    ? route.fulfill({ contentType: 'application/json', body })
    : route.continue()));
  await page.goto(URL_ + '/');
  await page.getByRole('alert')
    .filter({ hasText: "The server's answer could not be read (invalid type: number, expected a string)." })
    .waitFor();
  body = '<html><body>502 Bad Gateway</body></html>';
  await page.reload();
  await page.getByRole('alert')
    .filter({ hasText: "The server's answer could not be read (it is not JSON)." })
    .waitFor();
  await snap('unreadable-answer');
  await page.unroute(jobsList);
  await page.goto(`${URL_}/?tags=fixlist-${RUN}`);
  await page.getByText('Jobs 1–25 of 27').waitFor();
});

test('a job says who launched it, and when: in your time zone, and how long ago', async () => {
  await page.goto(`${URL_}/jobs/${fx.theirs.id}`);
  const who = page.locator('dt:text-is("Launched by") + dd');
  await who.filter({ hasText: `fix-user-${RUN}` }).waitFor();
  const mine = await api('POST', '/api/v1/jobs/', { package_id: fx.one.id, run_at: FAR });
  await page.goto(`${URL_}/jobs/${mine.id}`);
  await who.filter({ hasText: 'admin (you)' }).waitFor();
  const created = await page.locator('dt:text-is("Created") + dd').textContent();
  assert.match(created, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC([+-]\d+(:\d\d)?)? · (just now|\d.* ago)$/, created);
  const runAt = await page.locator('dt:text-is("Run at") + dd').textContent();
  assert.match(runAt, /^2099-01-01 \d\d:\d\d:\d\d UTC.* · in \d/, runAt);
  await snap('who-and-when');
  // The jobs table: how long ago each was created, the exact time (and zone) on hover.
  await page.goto(`${URL_}/?tags=fixlist-${RUN}`);
  const cell = jobRows(page).first().locator('td.time time').first();
  assert.match(await cell.textContent(), /just now| ago$/);
  assert.match(await cell.getAttribute('title'), /UTC/);
});

test('a pending job tells how many tests it will run, not 0/0', async () => {
  const job = await api('POST', '/api/v1/jobs/', {
    package_id: fx.three.id,
    run_at: FAR,
    options: { skip_tests: ['cdrouter_nat_1'], tags: [`fixpend-${RUN}`] },
  });
  await page.goto(`${URL_}/jobs/${job.id}`);
  await page.locator('dt:text-is("Progress") + dd').filter({ hasText: 'not started: 2 tests planned' }).waitFor();
  assert.doesNotMatch(await page.locator('main').textContent(), /0\/0/);
  await page.goto(`${URL_}/?tags=fixpend-${RUN}`);
  const progress = jobRows(page).first().locator('td').last();
  await progress.filter({ hasText: 'not started' }).waitFor();
  assert.doesNotMatch(await progress.textContent(), /0\/0/);
});

test('the launch button stays in sight below a long form', async () => {
  await page.goto(`${URL_}/launch?package=${fx.three.id}`);
  await page.getByText(`Picked: ${fx.three.name}`).waitFor();
  await page.getByRole('button', { name: 'Add a testvar' }).click();
  const button = page.getByRole('button', { name: 'Launch', exact: true });
  const box = await button.boundingBox();
  const height = page.viewportSize().height;
  assert.ok(box && box.y >= 0 && box.y + box.height <= height, `the button at ${JSON.stringify(box)}, the window ${height} high`);
  await snap('launch-button');
});

test('the package list box is as tall as what it lists', async () => {
  await page.goto(`${URL_}/launch`);
  const picker = page.getByLabel(/^Package \(/);
  await page.getByLabel('Find a package').fill(`fix-one-${RUN}`);
  await page.getByLabel('Package (1 found)').waitFor();
  assert.equal(await picker.evaluate((s) => s.size), 2);
  await page.getByLabel('Find a package').fill(`fix-`);
  await picker.locator('option', { hasText: fx.three.name }).waitFor();
  assert.ok(await picker.evaluate((s) => s.size) >= 2);
});

test('an empty list says so, without an empty table', async () => {
  await page.goto(`${URL_}/agents?q=no-such-agent-${RUN}`);
  await page.getByText('No lab agents match this search.').waitFor();
  assert.equal(await page.locator('main table').count(), 0);
  await snap('agents-empty');
});

test('the sign-in error reads on one line', async () => {
  // A user that does not exist: failed sign-ins for the admin would count towards its
  // lock-out (5 in 15 minutes).
  await withFreshPage(async (fresh) => {
    await fresh.goto(URL_ + '/');
    await fresh.getByLabel('User name').fill(`nobody-${RUN}`);
    await fresh.getByLabel('Password').fill(`wrong-${RUN}`);
    await fresh.getByRole('button', { name: 'Sign in' }).click();
    const alert = fresh.getByRole('alert').filter({ hasText: 'Wrong user name or password.' });
    await alert.waitFor();
    const banner = await alert.boundingBox();
    const text = await alert.locator('span').boundingBox();
    await fresh.screenshot({ path: `${ARTIFACTS}fixes-sign-in-error.png` });
    assert.ok(text.width > banner.width / 2, `the message is ${text.width}px wide in a ${banner.width}px banner`);
  });
});

test('a page whose code cannot be fetched says so, and comes on "Try again"', async () => {
  // Every page is a wasm module of its own (app/src/split.rs), fetched on its first visit: a
  // fresh page has the jobs list's pack, and fetches the launch page's own module by itself.
  await withFreshPage(async (fresh) => {
    await signIn(fresh);
    let blocked = 0;
    await fresh.route(/\/app-[0-9a-f]+\/split_page_launch[^/]*\.wasm$/, (route) => {
      if (blocked >= 0) {
        blocked += 1;
        return route.abort('connectionrefused');
      }
      return route.continue();
    });
    await fresh.getByRole('link', { name: 'Launch', exact: true }).click();
    const alert = fresh.getByRole('alert').filter({ hasText: 'This page could not be loaded' });
    await alert.waitFor();
    assert.ok(blocked >= 1); // once when pointed at (fetched ahead), once when clicked
    await fresh.screenshot({ path: `${ARTIFACTS}fixes-page-not-loaded.png` });
    blocked = -1;
    await fresh.getByRole('button', { name: 'Try again' }).click();
    await fresh.getByRole('heading', { name: 'Launch', exact: true }).waitFor();
    await fresh.getByRole('form', { name: 'Launch a job' }).waitFor();
    assert.equal(await alert.count(), 0);
    // No panic ("unreachable"), and no unhandled rejection of the refused fetch either
    // (xtask gives wasm-split's loader a handler for each fetch: app_pack.rs).
  });
});

/// The app's wasm files a page fetches, by name, from the moment this is called.
function wasmFetches(page) {
  const names = [];
  page.on('request', (r) => {
    const m = new URL(r.url()).pathname.match(/^\/app-[0-9a-f]+\/([\w-]+)\.wasm$/);
    if (m) names.push(m[1]);
  });
  return names;
}

/// The loader's table of packs (xtask/src/app_pack.rs): page module -> the modules it holds.
async function packs(page) {
  const dir = await page.evaluate(() => document.querySelector('link[rel=modulepreload]').getAttribute('href').split('/')[1]);
  const js = await (await fetch(`${URL_}/${dir}/__wasm_split.js`)).text();
  const table = js.slice(js.indexOf('const PACKS = {') + 14, js.indexOf('};') + 1).replace(/,\s*}/g, '}');
  return Object.fromEntries(Object.entries(JSON.parse(table)).map(([p, [, parts]]) => [p, Object.keys(parts)]));
}

test('a visit\'s first page comes as one file; the next page brings only the modules it lacks', async () => {
  await withFreshPage(async (fresh) => {
    const fetched = wasmFetches(fresh);
    await signIn(fresh);
    await jobRows(fresh).first().waitFor();
    // The first module (shell and sign-in), then the jobs list's pack: nothing one by one.
    assert.deepEqual([...new Set(fetched)], ['labrelay-app_bg', 'pack_page_jobs']);
    const table = await packs(fresh);
    const have = new Set(table.split_page_jobs);
    assert.ok(have.has('split_page_jobs') && have.size > 10, [...have].join(' '));
    fetched.splice(0);
    await fresh.getByRole('link', { name: 'Launch', exact: true }).click();
    await fresh.getByRole('form', { name: 'Launch a job' }).waitFor();
    // Launch shares code with the jobs list: its own module and the chunks not in yet come one
    // by one (no pack, which would bring the shared ones again), and none comes twice.
    assert.ok(fetched.includes('split_page_launch'), fetched.join(' '));
    assert.ok(!fetched.some((m) => m.startsWith('pack_')), fetched.join(' '));
    assert.deepEqual(fetched.filter((m) => have.has(m)), []);
    assert.equal(new Set(fetched).size, fetched.length, fetched.join(' '));
    assert.deepEqual(new Set(fetched), new Set(table.split_page_launch.filter((m) => !have.has(m))));
  });
});

test('a first page whose one file cannot be fetched says so, and comes one module at a time on "Try again"', async () => {
  await withFreshPage(async (fresh) => {
    await signIn(fresh);
    // A deep link, loaded anew (signed in): nothing of the app's pages is in this document yet.
    let refused = 0;
    await fresh.route(/\/app-[0-9a-f]+\/pack_page_reservations\.wasm$/, (route) => {
      refused += 1;
      return route.abort('connectionrefused');
    });
    const fetched = wasmFetches(fresh);
    await fresh.goto(URL_ + '/reservations');
    const alert = fresh.getByRole('alert').filter({ hasText: 'This page could not be loaded' });
    await alert.waitFor();
    assert.equal(refused, 1);
    await fresh.getByRole('button', { name: 'Try again' }).click();
    await fresh.getByRole('heading', { name: 'Reservations', exact: true }).waitFor();
    assert.equal(await alert.count(), 0);
    assert.equal(refused, 1);
    assert.ok(fetched.includes('split_page_reservations'), fetched.join(' '));
    // No unhandled rejection of the refused fetch, no panic (fresh.clean).
  });
});

test('a first page whose one file is not this build\'s (the app\'s page instead) says so', async () => {
  // What an old tab asks for after a new Labrelay is installed: the static files answer an
  // unknown path with the app's page (a single-page app), 200 and HTML.
  await withFreshPage(async (fresh) => {
    await signIn(fresh);
    await fresh.route(/\/app-[0-9a-f]+\/pack_page_overview\.wasm$/, (route) =>
      route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>Labrelay</title>' }));
    const logged = [];
    fresh.on('console', (m) => m.type() === 'error' && logged.push(m.text()));
    await fresh.goto(URL_ + '/overview');
    const alert = fresh.getByRole('alert').filter({ hasText: 'This page could not be loaded' });
    await alert.waitFor();
    // The console says why, for whoever looks (not a wasm compile error on an HTML page).
    assert.ok(logged.some((l) => /pack_page_overview\.wasm: not this build's pack \(HTTP 200\)/.test(l)), logged.join('\n'));
    await fresh.unroute(/\/app-[0-9a-f]+\/pack_page_overview\.wasm$/);
    await fresh.getByRole('button', { name: 'Try again' }).click();
    await fresh.getByRole('heading', { name: 'All labs', exact: true }).waitFor();
  });
});

test('pointing at a link fetches its page\'s code ahead, before the click', async () => {
  await withFreshPage(async (fresh) => {
    await signIn(fresh);
    const fetched = fresh.waitForRequest(/\/app-[0-9a-f]+\/split_page_reservations\.wasm$/);
    await fresh.getByRole('link', { name: 'Reservations', exact: true }).hover();
    await fetched;
    assert.equal(new URL(fresh.url()).pathname, '/'); // still on the jobs list
    await fresh.getByRole('link', { name: 'Reservations', exact: true }).click();
    await fresh.getByRole('heading', { name: 'Reservations', exact: true }).waitFor();
  });
});
