/** Root commands beyond kv/txn/endpoint/cluster: auth, user, role, watch, lock, elect, check, ... */
import type { CtlCommand } from '../command.js';
import { authCommands } from './auth.js';
import { lockElectCommands } from './lock-elect.js';
import { makeMirrorCommand } from './make-mirror.js';
import { watchCommand } from './watch.js';

/** Every root command this module family adds (registry.ts appends them to the tree). */
export function extraCommands(): CtlCommand[] {
  return [...authCommands(), watchCommand(), ...lockElectCommands(), makeMirrorCommand()];
}
