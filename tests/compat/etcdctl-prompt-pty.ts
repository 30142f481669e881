/**
 * Runs a CLI inside a real pseudo-terminal (util-linux `script -qec`) and answers its prompts: each
 * time the terminal output seen since the last answer ends with `: ` (a prompt), the next answer
 * and Enter are typed. Returns the terminal transcript (what a user sees, \r\n line ends) and the
 * exit code (`script -e` passes the child's on).
 */
import { execFile, spawn } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import { REPO_ROOT } from '../helpers/binaries.js';

/** Most time one pty run may take. */
const PTY_RUN_TIMEOUT_MS = 30_000;

export interface PtyResult { transcript: string; exitCode: number }

/** POSIX shell quoting of one word. */
export function shellWord(text: string): string {
  return /^[A-Za-z0-9_\-./:=@]+$/.test(text) ? text : `'${text.replaceAll("'", "'\\''")}'`;
}

/** How long to wait for a prompting program to turn terminal echo off before typing anyway. */
const ECHO_OFF_WAIT_MS = 3_000;
const ECHO_POLL_MS = 20;

function run(file: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve) => {
    execFile(file, args, (error, stdout) => { resolve(error === null ? stdout : ''); });
  });
}

/** The pty (e.g. /dev/pts/3) of the first child of `scriptPid`, '' when there is none yet. */
async function ptyOf(scriptPid: number): Promise<string> {
  const child = (await run('pgrep', ['-P', String(scriptPid)])).trim().split('\n')[0] ?? '';
  if (child === '') return '';
  const tty = (await run('ps', ['-o', 'tty=', '-p', child])).trim();
  return tty.startsWith('pts/') ? `/dev/${tty}` : '';
}

/** Resolves once the terminal of `scriptPid`'s child has echo off (polling its termios), or after a timeout. */
async function waitForEchoOff(scriptPid: number): Promise<void> {
  const deadline = Date.now() + ECHO_OFF_WAIT_MS;
  while (Date.now() < deadline) {
    const pty = await ptyOf(scriptPid);
    if (pty !== '' && /(^|\s)-echo(\s|$)/.test(await run('stty', ['-a', '-F', pty]))) return;
    await delay(ECHO_POLL_MS);
  }
}

/** Runs `command args` on a pty with ETCDCTL_ENDPOINTS=endpoint, typing `answers` at each prompt. */
export function runInPty(command: readonly string[], args: readonly string[], endpoint: string,
  answers: readonly string[]): Promise<PtyResult> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('ETCDCTL_')) env[k] = v;
  Object.assign(env, { ETCDCTL_API: '3', ETCDCTL_ENDPOINTS: endpoint, TERM: 'dumb' });
  const line = [...command, ...args].map(shellWord).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qec', line, '/dev/null'], { cwd: REPO_ROOT, env, stdio: 'pipe' });
    let transcript = '';
    let sinceAnswer = '';
    let next = 0;
    const timer = setTimeout(() => child.kill('SIGKILL'), PTY_RUN_TIMEOUT_MS);
    child.stdout.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      transcript += text;
      sinceAnswer += text;
      if (next < answers.length && /: $/.test(sinceAnswer)) {
        sinceAnswer = '';
        const answer = answers[next++]!;
        // Type like a user: only once the program has turned echo off (or gave up waiting), Enter = CR.
        void waitForEchoOff(child.pid!).then(() => { child.stdin.write(`${answer}\r`); });
      }
    });
    child.stderr.on('data', (chunk: Buffer) => { transcript += chunk.toString('utf8'); });
    child.stdin.on('error', () => { /* the child may be gone */ });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      child.stdin.destroy();
      resolve({ transcript, exitCode: code ?? (signal === null ? -1 : 128) });
    });
  });
}
