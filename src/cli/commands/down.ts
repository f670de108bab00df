import { StoreshiftError } from "../../common/errors.js";
import { removeDir } from "../../common/temp.js";
import { sleep } from "../../common/wait.js";
import { isProcessAlive, readSession, removeSessionFile } from "../../session/up-session.js";
import { type Command, parseFlags } from "../command.js";

export const downCommand: Command = {
  name: "down",
  usage: "storeshift down [NAME]   (default NAME: dev)",
  async run(argv) {
    const { positionals } = parseFlags("down", argv, {}, true);
    const name = positionals[0] ?? "dev";
    const record = await readSession(name);
    if (!record) throw new StoreshiftError(`down ${name}: no such session`);
    if (isProcessAlive(record.ownerPid)) {
      process.kill(record.ownerPid, "SIGTERM");
      for (let i = 0; i < 150 && isProcessAlive(record.ownerPid); i++) await sleep(100);
    }
    // the owner stops its stores; if it was SIGKILLed, stop what it left by PID
    for (const pid of record.stores.flatMap((s) => s.pids)) {
      if (pid > 0 && isProcessAlive(pid)) {
        try {
          process.kill(-pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
    }
    for (
      let i = 0;
      i < 50 && record.stores.some((s) => s.pids.some((p) => p > 0 && isProcessAlive(p)));
      i++
    ) {
      await sleep(100);
    }
    for (const dir of [...record.stores.flatMap((s) => s.dirs ?? []), ...(record.dirs ?? [])])
      await removeDir(dir);
    await removeSessionFile(name);
    process.stdout.write(`session ${name} stopped\n`);
    return 0;
  },
};
