// A real SMTP server on loopback for the account tests: Python's aiosmtpd (installed by
// `make setup` into ~/.cache/imgigo/venv, or IMGIGO_PYTHON) writing each message into a maildir.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './server.js';

function accepts(port) {
  return new Promise((ok) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => { socket.destroy(); ok(true); });
    socket.once('error', () => ok(false));
  });
}

// Quoted-printable soft breaks and escapes, enough to read links and sentences.
export function decodeMail(raw) {
  return raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex) => String.fromCharCode(parseInt(hex, 16)));
}

// The test venv's interpreter (`make setup`), or IMGIGO_PYTHON.
export function testPython() {
  return process.env.IMGIGO_PYTHON ?? join(homedir(), '.cache', 'imgigo', 'venv', 'bin', 'python');
}

export async function startSmtpSink() {
  const python = testPython();
  if (!existsSync(python)) throw new Error(`no Python with aiosmtpd at ${python}: run \`make setup\``);
  const dir = mkdtempSync(join(tmpdir(), 'imgigo-smtp-'));
  const port = await freePort();
  const child = spawn(python, ['-m', 'aiosmtpd', '-n', '-l', `127.0.0.1:${port}`, '-c', 'aiosmtpd.handlers.Mailbox', join(dir, 'maildir')], { stdio: 'ignore' });
  const deadline = Date.now() + 15_000;
  while (!(await accepts(port))) {
    if (child.exitCode !== null) throw new Error(`aiosmtpd exited (${child.exitCode}); run \`make setup\``);
    if (Date.now() > deadline) throw new Error('aiosmtpd did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  const messages = () => {
    const folder = join(dir, 'maildir', 'new');
    if (!existsSync(folder)) return [];
    return readdirSync(folder).sort().map((name) => decodeMail(readFileSync(join(folder, name), 'utf8')));
  };
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    // Waits for a message that `matches` (a function of the decoded text).
    async waitFor(matches, timeout = 15_000) {
      const end = Date.now() + timeout;
      while (Date.now() < end) {
        const found = messages().find(matches);
        if (found) return found;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`no matching mail arrived; got ${messages().length} message(s)`);
    },
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
