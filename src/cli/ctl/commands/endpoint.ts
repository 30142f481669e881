/** `endpoint health|status|hashkv [--cluster]` and `defrag [--cluster]`. */
import * as pb from '../../../proto/gen/etcdserverpb.js';
import { isEtcdError } from '../../../base/errors.js';
import { EtcdClientError } from '../../../client/index.js';
import type { CtlCommand, RunContext } from '../command.js';
import { commandFailed, errorText, send, withClient } from '../connect.js';
import { CtlExit, ExitCode } from '../errors.js';
import { goDuration } from '../go-format.js';
import type { EndpointHashKV, EndpointHealth, EndpointStatus } from '../printers/index.js';
import { boolFlag, intFlag } from './flags.js';
import { rollingDefrag } from './runbooks.js';

const CLUSTER_FLAG = boolFlag('cluster', 'use all endpoints from the cluster member list');
const ALARM_NAMES = ['NONE', 'NOSPACE', 'CORRUPT'];

/** --endpoints, or with --cluster every member's client URLs. Throws CtlExit on failure. */
export async function endpointsOf(ctx: RunContext): Promise<string[]> {
  if (!ctx.flags.has('cluster') || !ctx.flags.bool('cluster')) return ctx.globals.endpoints;
  const members = await send(ctx.globals, (c) => c.memberList());
  return members.members.flatMap((m) => m.clientURLs);
}

async function checkHealth(ctx: RunContext, endpoint: string): Promise<EndpointHealth> {
  let started = process.hrtime.bigint();
  let error = '';
  let took = '';
  try {
    await withClient(ctx.globals, async (c) => {
      started = process.hrtime.bigint();
      try {
        await c.range({ key: new TextEncoder().encode('health') });
      } catch (e) {
        if (!(e instanceof EtcdClientError && e.etcdCode === 'ERR_PERMISSION_DENIED')) throw e;
      }
      took = goDuration(process.hrtime.bigint() - started);
      try {
        const alarms = await c.alarm({ action: pb.AlarmRequest_AlarmAction.GET });
        if (alarms.alarms.length > 0) {
          error = `Active Alarm(s): ${alarms.alarms.map((a) => `${ALARM_NAMES[a.alarm] ?? a.alarm} `).join('')}`;
        }
      } catch {
        error = 'Unable to fetch the alarm list';
      }
    }, [endpoint]);
  } catch (e) {
    took = goDuration(process.hrtime.bigint() - started);
    error = isEtcdError(e) ? e.message : errorText(e);
  }
  return { endpoint, health: error === '', took, error };
}

async function runHealth(ctx: RunContext): Promise<number> {
  const endpoints = await endpointsOf(ctx);
  const results: EndpointHealth[] = [];
  await Promise.all(endpoints.map(async (ep) => { results.push(await checkHealth(ctx, ep)); }));
  ctx.printer.endpointHealth(results);
  if (results.some((h) => h.error !== '')) throw new CtlExit(ExitCode.ERROR, 'unhealthy cluster');
  return ExitCode.SUCCESS;
}

async function runStatus(ctx: RunContext): Promise<number> {
  const endpoints = await endpointsOf(ctx);
  const results: EndpointStatus[] = [];
  let failed = false;
  for (const endpoint of endpoints) {
    try {
      results.push({ endpoint, status: await withClient(ctx.globals, (c) => c.status(), [endpoint]) });
    } catch (e) {
      failed = true;
      ctx.out.stderr(`Failed to get the status of endpoint ${endpoint} (${errorText(e)})\n`);
    }
  }
  ctx.printer.endpointStatus(results);
  return failed ? ExitCode.ERROR : ExitCode.SUCCESS;
}

async function runHashKV(ctx: RunContext): Promise<number> {
  const endpoints = await endpointsOf(ctx);
  const revision = Number(ctx.flags.int('rev'));
  const results: EndpointHashKV[] = [];
  let lastError: unknown;
  for (const endpoint of endpoints) {
    try {
      results.push({ endpoint, hashKV: await withClient(ctx.globals, (c) => c.hashKV({ revision }), [endpoint]) });
    } catch (e) {
      lastError = e;
      ctx.out.stderr(`Failed to get the hash of endpoint ${endpoint} (${errorText(e)})\n`);
    }
  }
  ctx.printer.endpointHashKV(results);
  if (lastError !== undefined) throw commandFailed(lastError);
  return ExitCode.SUCCESS;
}

async function runDefrag(ctx: RunContext): Promise<number> {
  const endpoints = await endpointsOf(ctx);
  if (ctx.flags.bool('rolling')) return rollingDefrag(ctx, endpoints);
  let failures = 0;
  for (const endpoint of endpoints) {
    try {
      await withClient(ctx.globals, (c) => c.defragment(), [endpoint]);
      ctx.out.stdout(`Finished defragmenting etcd member[${endpoint}]\n`);
    } catch (e) {
      failures++;
      ctx.out.stderr(`Failed to defragment etcd member[${endpoint}] (${errorText(e)})\n`);
    }
  }
  return failures === 0 ? ExitCode.SUCCESS : ExitCode.ERROR;
}

const STATUS_LONG = `When --write-out is set to simple, this command prints out comma-separated status lists for each endpoint.
The items in the lists are endpoint, ID, version, db size, is leader, is learner, raft term, raft index, raft applied index, errors.`;

/** The endpoint command group and defrag. */
export function endpointCommands(): CtlCommand[] {
  return [
    { name: 'endpoint', use: 'endpoint <subcommand>', short: 'Endpoint related commands',
      persistentFlags: [CLUSTER_FLAG], children: [
        { name: 'hashkv', use: 'hashkv', short: 'Prints the KV history hash for each endpoint in --endpoints',
          flags: [intFlag('rev', 'maximum revision to hash (default: all revisions)')], run: runHashKV },
        { name: 'health', use: 'health', short: 'Checks the healthiness of endpoints specified in `--endpoints` flag',
          run: runHealth },
        { name: 'status', use: 'status', short: 'Prints out the status of endpoints specified in `--endpoints` flag',
          long: STATUS_LONG, run: runStatus },
      ] },
    { name: 'defrag', use: 'defrag', short: 'Defragments the storage of the etcd members with given endpoints',
      flags: [CLUSTER_FLAG, { name: 'data-dir', kind: 'string', defaultText: '',
        usage: 'Optional. If present, defragments a data directory not in use by etcd.' },
      { ...boolFlag('rolling', 'one member at a time, followers first, leader last, health check between'),
        hidden: true }], run: runDefrag },
  ];
}
