/**
 * The etcdctl 3.4 command tree: implemented commands plus placeholders for the rest of etcdctl's
 * commands (so help lists the same commands); placeholders fail with exit code 4 (bad feature).
 */
import { commandPath, linkParents } from './command.js';
import type { CtlCommand, RunContext } from './command.js';
import { checkCommand } from './commands/check-datascale.js';
import { checkPerfCommand } from './commands/check-perf.js';
import { completionCommand } from './commands/completion.js';
import { migrateCommand } from './commands/migrate.js';
import { clusterCommands } from './commands/cluster.js';
import { endpointCommands } from './commands/endpoint.js';
import { extraCommands } from './commands/extra.js';
import { kvCommands } from './commands/kv.js';
import { snapshotCommand } from './commands/snapshot.js';
import { txnCommand } from './commands/txn.js';
import { CtlExit, ExitCode } from './errors.js';
import { usageText } from './help.js';

/** Every command path etcdctl 3.4's root help lists, with its short description. */
const ETCDCTL_COMMANDS: readonly (readonly [string, string])[] = [
  ['alarm disarm', 'Disarms all alarms'],
  ['auth disable', 'Disables authentication'],
  ['auth enable', 'Enables authentication'],
  ['check datascale', 'Check the memory usage of holding data for different workloads on a given server endpoint.'],
  ['check perf', 'Check the performance of the etcd cluster'],
  ['completion bash', 'Generate the autocompletion script for bash'],
  ['completion fish', 'Generate the autocompletion script for fish'],
  ['completion powershell', 'Generate the autocompletion script for powershell'],
  ['completion zsh', 'Generate the autocompletion script for zsh'],
  ['elect', 'Observes and participates in leader election'],
  ['lease keep-alive', 'Keeps leases alive (renew)'],
  ['lock', 'Acquires a named lock'],
  ['make-mirror', 'Makes a mirror at the destination etcd cluster'],
  ['member add', 'Adds a member into the cluster'],
  ['member promote', 'Promotes a non-voting member in the cluster'],
  ['member remove', 'Removes a member from the cluster'],
  ['member update', 'Updates a member in the cluster'],
  ['migrate', 'Migrates keys in a v2 store to a mvcc store'],
  ['move-leader', 'Transfers leadership to another etcd cluster member.'],
  ['role add', 'Adds a new role'],
  ['role delete', 'Deletes a role'],
  ['role get', 'Gets detailed information of a role'],
  ['role grant-permission', 'Grants a key to a role'],
  ['role list', 'Lists all roles'],
  ['role revoke-permission', 'Revokes a key from a role'],
  ['snapshot restore', 'Restores an etcd member snapshot to an etcd directory'],
  ['snapshot save', 'Stores an etcd node backend snapshot to a given file'],
  ['snapshot status', 'Gets backend snapshot status of a given file'],
  ['user add', 'Adds a new user'],
  ['user delete', 'Deletes a user'],
  ['user get', 'Gets detailed information of a user'],
  ['user grant-role', 'Grants a role to a user'],
  ['user list', 'Lists all users'],
  ['user passwd', 'Changes password of user'],
  ['user revoke-role', 'Revokes a role from a user'],
  ['watch', 'Watches events stream on keys or prefixes'],
];

const GROUPS: Readonly<Record<string, readonly [string, string]>> = {
  auth: ['auth <enable or disable>', 'Enable or disable authentication'],
  check: ['check <subcommand>', 'commands for checking properties of the etcd cluster'],
  completion: ['completion', 'Generate the autocompletion script for the specified shell'],
  role: ['role <subcommand>', 'Role related commands'],
  snapshot: ['snapshot <subcommand>', 'Manages etcd node snapshots'],
  user: ['user <subcommand>', 'User related commands'],
};

function notImplemented(cmd: CtlCommand): (ctx: RunContext) => Promise<number> {
  return () => Promise.reject(new CtlExit(ExitCode.BAD_FEATURE,
    `"${commandPath(cmd).split(' ').slice(1).join(' ')}" is not implemented by tetcdctl yet`));
}

function addPlaceholders(root: CtlCommand): void {
  for (const [path, short] of ETCDCTL_COMMANDS) {
    const words = path.split(' ');
    let parent = root;
    for (const [i, word] of words.entries()) {
      parent.children ??= [];
      let node = parent.children.find((c) => c.name === word);
      if (node === undefined) {
        const group = GROUPS[word];
        const leaf = i === words.length - 1;
        node = { name: word, use: leaf ? word : group?.[0] ?? word, short: leaf ? short : group?.[1] ?? '' };
        if (leaf) node.run = notImplemented(node);
        parent.children.push(node);
        node.parent = parent;
      }
      parent = node;
    }
  }
}

/** Builds the tree (root named `etcdctl`). */
export function buildCommandTree(): CtlCommand {
  const root: CtlCommand = { name: 'etcdctl', use: 'etcdctl', short: 'A simple command line client for etcd3.',
    children: [...kvCommands(), txnCommand(), ...endpointCommands(), ...clusterCommands(), ...extraCommands(),
      snapshotCommand(), checkCommand(checkPerfCommand()), completionCommand(), migrateCommand()] };
  root.children!.push({ name: 'help', use: 'help [command]', short: 'Help about any command',
    run: (ctx, args) => {
      let target: CtlCommand = root;
      for (const word of args) target = target.children?.find((c) => c.name === word) ?? target;
      ctx.out.stdout(usageText(target));
      return Promise.resolve(ExitCode.SUCCESS);
    } });
  linkParents(root);
  addPlaceholders(root);
  return root;
}
