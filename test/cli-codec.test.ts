/**
 * `p2p-socket codec decode|encode` as a script uses it: one process for many inputs over stdin,
 * one output line per input in order, JSON that `codec encode` turns back into the same bytes,
 * an error line naming the field for a bad input, and exit status 1 with nothing on stdout for a
 * bad single input.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { BIN } from './helpers/cli-process.ts';
import { invalidVectors, validVectors } from './helpers/peer-message-vectors.ts';

function cli(args: readonly string[], input = ''): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, [BIN, ...args], { input, encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

const lines = (text: string): string[] => text.split('\n').filter((line) => line !== '');

test('codec decode - then codec encode - give back every valid vector, one line per input, in order', () => {
  const hex = validVectors.map((v) => v.bytes.toString('hex'));
  const decoded = cli(['codec', 'decode', '--framed', '-'], `${hex.join('\n')}\n`);
  assert.equal(decoded.status, 0, decoded.stderr);
  const json = lines(decoded.stdout);
  assert.equal(json.length, hex.length);
  json.forEach((line, i) => assert.equal((JSON.parse(line) as { kind: string }).kind, validVectors[i]!.expect!['kind'], validVectors[i]!.name));
  const encoded = cli(['codec', 'encode', '--framed', '-'], `${json.join('\n')}\n`);
  assert.equal(encoded.status, 0, encoded.stderr);
  assert.deepEqual(
    lines(encoded.stdout),
    validVectors.map((v) => (v.reencoded ?? v.bytes).toString('hex')),
  );
});

test('codec decode - gives an error line naming the field for each invalid vector, and goes on', () => {
  const input = [...invalidVectors.map((v) => v.bytes.toString('hex')), '000000020002'];
  const run = cli(['codec', 'decode', '--framed', '-'], `${input.join('\n')}\n`);
  assert.equal(run.status, 0, run.stderr);
  const out = lines(run.stdout).map((line) => JSON.parse(line) as { error?: { code: string; message: string; path: string | null }; kind?: string });
  assert.equal(out.length, input.length);
  invalidVectors.forEach((vector, i) => {
    assert.equal(out[i]!.error?.code, 'DECODING_ERROR', vector.name);
    assert.equal(out[i]!.error?.path, vector.path, vector.name);
    assert.match(out[i]!.error!.message, new RegExp(vector.reason!), vector.name);
  });
  assert.deepEqual(out.at(-1), { kind: 'Bootstrap' });
});

test('a single input: the payload form by default, the stream form with --framed', () => {
  const payload = cli(['codec', 'decode', '0013acb17102']);
  assert.equal(payload.status, 0);
  assert.deepEqual(JSON.parse(payload.stdout), { kind: 'Get_current_head', chainId: 'NetXmtMsNf69w1w' });
  const framed = cli(['codec', 'encode', '--framed', payload.stdout.trim()]);
  assert.equal(framed.stdout, '000000060013acb17102\n');
  assert.equal(cli(['codec', 'encode', payload.stdout.trim()]).stdout, '0013acb17102\n');
});

test('a bad single input exits 1 with the typed error on stderr and nothing on stdout', () => {
  const cases: Array<[string[], string, string | null]> = [
    [['codec', 'decode', '0011' + '8eceda2f' + '00000003' + '000000'], 'DECODING_ERROR', 'Current_branch.locator.currentHead.level'],
    [['codec', 'decode', 'xyz'], 'INVALID_INPUT', null],
    [['codec', 'encode', '{"kind":"Advertise","points":["1.2.3.4:1","foo.com:8444"]}'], 'ENCODING_ERROR', 'Advertise.points[1]'],
    [['codec', 'encode', '{"kind":"Get_current_head"'], 'INVALID_INPUT', null],
  ];
  for (const [args, code, path] of cases) {
    const run = cli(args);
    assert.equal(run.status, 1, args.join(' '));
    assert.equal(run.stdout, '');
    const error = (JSON.parse(run.stderr) as { error: { code: string; path: string | null } }).error;
    assert.equal(error.code, code);
    assert.equal(error.path, path);
  }
});

test('codec usage errors exit 2', () => {
  assert.equal(cli(['codec']).status, 2);
  assert.equal(cli(['codec', 'frob', '00']).status, 2);
  assert.equal(cli(['codec', 'decode']).status, 2);
  assert.equal(cli(['codec', 'decode', '--nope', '00']).status, 2);
  const help = cli(['codec', '--help']);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /codec decode \[--framed\] HEX\|-/);
});
