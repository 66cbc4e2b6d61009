// SPDX-License-Identifier: MIT
// Drives atoll's device commands with the npm package qemu-qmp, a QMP
// client Atoll did not write. Usage: node qmp-npm-client.js SOCKET TESTDEV
// Prints "ok: ..." per check; exits 1 at the first failure.
'use strict';
const QMP = require('qemu-qmp');

const [sock, testdev] = process.argv.slice(2);
const qmp = new QMP();
const seen = {};

function fail(msg) {
  console.log('FAIL: ' + msg);
  process.exit(1);
}

function check(cond, msg) {
  if (!cond)
    fail(msg);
  console.log('ok: ' + msg);
}

// qemu-qmp emits each event by its lower-case name, without its data.
for (const e of ['DEVICE_CRASHED', 'DEVICE_RESTARTED', 'DEVICE_REPLACED',
                 'FAULT_INJECTED'])
  qmp.on(e.toLowerCase(), () => { seen[e] = (seen[e] || 0) + 1; });

function run(cmd, args) {
  return new Promise((resolve, reject) => {
    qmp.execute(cmd, args, (err, ret) => err ? reject(err) : resolve(ret));
  });
}

async function until(what, pred) {
  for (let i = 0; i < 500; i++) {
    const v = await pred();
    if (v)
      return v;
    await new Promise((r) => setTimeout(r, 20));
  }
  fail('timed out waiting for ' + what);
}

async function d0() {
  return (await run('query-processes')).find((p) => p.name === 'd0');
}

async function main() {
  const first = await until('d0 running', async () => {
    const p = await d0();
    return p.state === 'running' && p;
  });
  check(first.pid > 0, 'query-processes lists d0 running');

  await run('device-restart', { id: 'd0' });
  await until('DEVICE_RESTARTED', async () => seen.DEVICE_RESTARTED === 1);
  check((await d0()).restarts === 1, 'device-restart: d0 restarted once');

  await run('inject-fault', { id: 'd0', kind: 'crash' });
  await until('the crash and its restart', async () =>
    seen.DEVICE_CRASHED === 1 && seen.DEVICE_RESTARTED === 2);
  check(seen.FAULT_INJECTED === 1, 'inject-fault crash: FAULT_INJECTED, ' +
        'DEVICE_CRASHED, DEVICE_RESTARTED');

  const before = (await d0()).pid;
  await run('device-replace', { id: 'd0', binary: testdev });
  const after = await d0();
  check(seen.DEVICE_REPLACED === 1 && after.pid !== before &&
        after.state === 'running', 'device-replace: a new pid serves');

  let refused = null;
  try {
    await run('device-replace', { id: 'd0', binary: '/bin/false' });
  } catch (err) {
    refused = err.message;
  }
  check(refused && refused.includes('the new program exited with status 1'),
        'a failed replacement is an error that says why: ' + refused);

  const faults = await run('query-faults');
  check(faults.length === 1 && faults[0].kind === 'crash',
        'query-faults has the crash');
  await run('quit');
  console.log('all npm client checks passed');
  process.exit(0);
}

qmp.connect(sock, (err) => {
  if (err)
    fail('connect: ' + err.message);
  main().catch((e) => fail(e.message || String(e)));
});
